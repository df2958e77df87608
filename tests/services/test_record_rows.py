"""The per-record work of saving and importing takes short cuts worked out once per form; each
gives exactly what the general way gives."""

from __future__ import annotations

import json
import uuid
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.domain import records as domain_records
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import new_record_id
from fieldkit.services import datafiles, record_summaries, records
from fieldkit.services.forms import read_form_file

NOTE_FORM = """\
fieldkit_form: 1
id: checkpoint-note
version: "1"
title: {en: Checkpoint note, fr: Note de point de contrôle, ar: ملاحظة}
languages: [en, fr, ar]
summary: {title: [subject, vehicles], date: day, place: [place, town]}
fields:
  - {name: subject, type: text, label: {en: Subject}, required: true}
  - {name: day, type: date, label: {en: Day}}
  - {name: place, type: text, label: {en: Place}}
  - {name: town, type: text, label: {en: Town}}
  - {name: vehicles, type: integer, label: {en: Vehicles}}
"""


@pytest.fixture(scope="module")
def note_form(tmp_path_factory: pytest.TempPathFactory) -> FormDefinition:
    path = tmp_path_factory.mktemp("form") / "note.yaml"
    path.write_text(NOTE_FORM, encoding="utf-8")
    return read_form_file(path)


texts = st.one_of(st.none(), st.text(max_size=120))


@settings(max_examples=300, deadline=None)
@given(subject=texts, place=texts, town=texts, vehicles=st.one_of(st.none(), st.integers()))
def test_a_summary_written_once_for_every_language_is_the_one_written_per_language(
    note_form: FormDefinition,
    subject: str | None,
    place: str | None,
    town: str | None,
    vehicles: int | None,
) -> None:
    data = {"subject": subject, "place": place, "town": town, "vehicles": vehicles}
    shown = {k: v for k, v in data.items() if v is not None}
    default = domain_records.summarize(note_form, shown, "en")
    assert record_summaries.summary_values(
        note_form, shown
    ) == record_summaries.summary_values_by_language(note_form, shown, default)


def test_a_copy_of_a_form_with_another_summary_is_summarized_by_its_own(
    note_form: FormDefinition,
) -> None:
    data = {"subject": "Levy", "town": "Kaya", "place": "Bridge"}
    assert domain_records.summarize(note_form, data, "en").place == "Bridge, Kaya"
    other = note_form.model_copy(
        update={"summary": note_form.summary.model_copy(update={"place": ["town"]})}
    )
    assert domain_records.summarize(other, data, "en").place == "Kaya"
    languages = note_form.model_copy(update={"languages": ["fr", "en"]})
    assert record_summaries.summary_values(languages, {"subject": "x"})[0]["title"] == (
        '{"fr": "x", "en": "x"}'
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=16, max_size=16))
def test_a_record_id_is_the_hex_of_a_random_uuid(random: bytes) -> None:
    with mock.patch.object(domain_records.os, "urandom", return_value=random):
        made = new_record_id()
    assert made == uuid.UUID(bytes=random, version=4).hex


def test_record_ids_are_version_4_uuids_and_differ() -> None:
    made = {new_record_id() for _ in range(1000)}
    assert len(made) == 1000
    for record_id in made:
        parsed = uuid.UUID(hex=record_id)
        assert (parsed.version, parsed.variant, parsed.hex) == (4, uuid.RFC_4122, record_id)


def test_a_large_draft_is_still_measured_in_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "MAX_DRAFT_BYTES", 400)
    assert records._draft_text({"a": "é" * 99}) == '{"a":"' + "é" * 99 + '"}'  # 205 bytes
    with pytest.raises(records.InvalidInputError, match="larger than 10 MiB"):
        records._draft_text({"a": "é" * 200})  # 200 characters, 409 bytes
    with pytest.raises(records.InvalidInputError, match="larger than 10 MiB"):
        records._draft_text({"a": "x" * 401})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(json_values.map(json.dumps), st.text(max_size=40)), st.sampled_from(["", "\ufeff"])
)
def test_a_line_is_parsed_as_json_loads_parses_it(text: str, start: str) -> None:
    line = start + text
    try:
        expected: Any = json.loads(line, parse_constant=datafiles._refuse_constant)
    except ValueError as exc:  # the decode error, or a refused constant
        expected = (type(exc), str(exc))
    try:
        got: Any = datafiles._loads(line)
    except ValueError as exc:
        got = (type(exc), str(exc))
    assert got == expected  # NaN and infinities are refused constants on both sides
