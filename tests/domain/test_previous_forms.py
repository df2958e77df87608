"""Version 1 of the shipped forms, kept in forms/previous/ with the vocabulary versions it was
published with (forms/vocabularies/previous/): it must load exactly as vaults installed it, so
that records filled in with it stay valid; and a new vocabulary version never drops a code.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from fieldkit.bundle.vocabularies import VocabularyLibrary
from fieldkit.domain.formfile import load_form, load_vocabulary
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import canonical_json, sha256_hex, summarize
from fieldkit.domain.validation import check

ROOT = Path(__file__).resolve().parents[2]
FORMS_DIR = ROOT / "forms"
VOCABULARY_DIR = FORMS_DIR / "vocabularies"
RECORDS_DIR = ROOT / "tests" / "data" / "records"
LIBRARY = VocabularyLibrary(VOCABULARY_DIR)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)

# SHA-256 of the canonical JSON of version 1 as fieldkit shipped it (and vaults stored it).
PUBLISHED_V1 = {
    "attack-on-activist": "ddac2553f17a8b7aeb0f98bdbd17843324528be65682c89c6359156c49e8a7e0",
    "illicit-market-observation": (
        "0ce8cc25f32fe5eaa62b0c33ff21300796689456259b9b7b733a30ed7d6ff23b"
    ),
}


def previous(form_id: str) -> FormDefinition:
    path = FORMS_DIR / "previous" / f"{form_id}-1.yaml"
    return load_form(path.read_bytes(), path.name, LIBRARY.resolve)


def current(form_id: str) -> FormDefinition:
    path = FORMS_DIR / f"{form_id}.yaml"
    return load_form(path.read_bytes(), path.name, LIBRARY.resolve)


def v1_record(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDS_DIR / f"{name}.json").read_text("utf-8"))
    return data


@pytest.mark.parametrize("form_id", sorted(PUBLISHED_V1))
def test_version_one_loads_exactly_as_it_was_published(form_id: str) -> None:
    form = previous(form_id)
    assert form.version == "1"
    digest = sha256_hex(canonical_json(form.model_dump(mode="json")))
    assert digest == PUBLISHED_V1[form_id]


@pytest.mark.parametrize("form_id", sorted(PUBLISHED_V1))
def test_version_one_records_stay_valid_against_version_one(form_id: str) -> None:
    outcome = check(previous(form_id), v1_record(f"{form_id}.valid"), clock=lambda: NOW)
    assert outcome.problems == []
    assert "time_precision" in outcome.data and "n_sources" in outcome.data
    summary = summarize(previous(form_id), outcome.data, "fr")
    assert summary.title and summary.place


def test_version_one_records_keep_their_vocabulary_versions() -> None:
    data = check(previous("attack-on-activist"), v1_record("attack-on-activist.valid")).data
    assert data["victims"][0]["act_type"] == "sdg16101-act-type:2021:killing"
    assert data["victims"][0]["victim_age"] == "sdg16101-age-group:2021:age_30_44"
    assert data["geo_precision"] == "acled-geo-precision:2023:2"
    assert data["time_precision"] == "acled-time-precision:2023:1"


def test_version_one_records_do_not_fit_version_two() -> None:
    problems = check(current("attack-on-activist"), v1_record("attack-on-activist.valid")).problems
    assert {p.field for p in problems} >= {"victim_kind", "acts", "source_independent"}


V1_INVALID = [
    ("illicit-market-observation", "invalid-date-order", "date_end"),
    ("illicit-market-observation", "invalid-corroborated-one-source", "n_sources"),
    ("attack-on-activist", "invalid-killing-not-killed", "outcome"),
    ("attack-on-activist", "invalid-no-perpetrator", "perpetrators"),
]


@pytest.mark.parametrize(("form_id", "suffix", "field"), V1_INVALID)
def test_version_one_rules_still_hold_for_version_one_records(
    form_id: str, suffix: str, field: str
) -> None:
    found = check(previous(form_id), v1_record(f"{form_id}.{suffix}"), clock=lambda: NOW)
    assert [p.field for p in found.problems] == [field]


EARLIER = sorted((VOCABULARY_DIR / "previous").glob("*.yaml"))


@pytest.mark.parametrize("path", EARLIER, ids=lambda p: p.stem)
def test_an_earlier_vocabulary_version_is_resolved_and_its_codes_are_kept(path: Path) -> None:
    earlier = load_vocabulary(path.read_bytes(), path.name)
    assert path.stem == f"{earlier.name}-{earlier.version}"
    assert LIBRARY.resolve(earlier.name, earlier.version) == earlier
    newest = LIBRARY.resolve(earlier.name, None)
    if newest is None:  # a list that version 2 no longer uses
        assert earlier.name == "acled-time-precision"
        return
    assert newest.version != earlier.version
    kept = [choice.code for choice in newest.choices]
    assert {c.code for c in earlier.choices} <= set(kept), earlier.name


def test_the_library_gives_no_version_it_does_not_have() -> None:
    assert LIBRARY.resolve("sdg16101-age-group", "1999") is None
    assert LIBRARY.resolve("no-such-list", None) is None
    assert "acled-time-precision" not in LIBRARY.names()
