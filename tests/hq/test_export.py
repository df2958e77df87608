"""Exports honour sensitivity labels, read old revisions with their own form, guard CSV cells
against formulas, and are written atomically."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldkit.bundle import new_identity
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import sha256_hex
from fieldkit.errors import FieldkitError
from fieldkit.hq.export import ExportFormat, csv_cell, export_records
from fieldkit.hq.records import ExportRecord, columns, flatten, location
from fieldkit.hq.repository.base import Repository, StoredRevision
from tests.bundle.factory import TEST_FORM, forms_for, make_bundle, sealed
from tests.hq.support import (
    CANARY_CONTACT,
    CANARY_NAME,
    FORM_V2,
    Device,
    Hq,
    canary_answers,
    hq,
)

__all__ = ["hq"]

PHOTO = b"photo of the checkpoint"


@pytest.fixture
def stocked(hq: Hq) -> Hq:
    """Three records: one amended (version 1 of the form, then version 2), one on version 1
    without a location, one whose text a spreadsheet would run as a formula."""
    device = Device()
    device.register(hq.repository)
    first = device.revision(attachments=[sha256_hex(PHOTO)], data=_with_photo())
    amended = device.revision(
        record_id=first.record_id,
        number=2,
        previous=first.sha256,
        form=FORM_V2,
        data=canary_answers(route="north road", count=5),
    )
    unplaced = device.revision(data=canary_answers(position=None, subject="no place"))
    formula = device.revision(data=canary_answers(subject='=HYPERLINK("http://x")'))
    hq.bundle(device, [first, unplaced], [PHOTO])
    hq.bundle(device, [amended, formula])
    assert hq.ingestor().run([hq.stick]).ok
    return hq


def _with_photo() -> dict[str, Any]:
    ref = {"sha256": sha256_hex(PHOTO), "name": "face.jpg", "media_type": "image/jpeg", "size": 23}
    return canary_answers(photos=[ref])


def _export(hq: Hq, tmp_path: Path, fmt: ExportFormat, **options: Any) -> str:
    out = tmp_path / f"export.{fmt.value}"
    export_records(hq.repository, out, fmt, **options)
    return out.read_text(encoding="utf-8")


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_no_identifying_columns_without_identities(stocked: Hq, tmp_path: Path) -> None:
    text = _export(stocked, tmp_path, ExportFormat.CSV)
    rows = _rows(text)
    header = list(rows[0])
    assert header[:3] == ["meta.record_id", "meta.revision", "meta.form_id"]
    assert "witness_name" not in header and "photos" not in header
    assert {"subject", "market", "position.lat", "position.lon", "victims", "route"} <= set(header)
    assert CANARY_NAME not in text and CANARY_CONTACT not in text and "face.jpg" not in text
    assert len(rows) == 3, "the newest revision of each record"
    by_subject = {row["subject"]: row for row in rows}
    newest = by_subject["Fuel levy at the bridge"]
    assert (newest["meta.revision"], newest["meta.form_version"]) == ("2", "2")
    assert newest["route"] == "north road" and newest["count"] == "5"
    assert newest["market"] == "gold fuel"
    assert (newest["position.lat"], newest["position.lon"]) == ("16.27", "-0.04")
    assert json.loads(newest["victims"]) == [{"age": 34}, {"age": 15}]
    old = by_subject["no place"]
    assert (old["meta.form_version"], old["route"], old["position.lat"]) == ("1", "", "")


def test_csv_with_identities_unseals_them(stocked: Hq, tmp_path: Path) -> None:
    rows = _rows(_export(stocked, tmp_path, ExportFormat.CSV, identity=stocked.keys.hq[0]))
    assert {row["witness_name"] for row in rows} == {CANARY_NAME}
    victims = json.loads(rows[0]["victims"])
    assert victims[0] == {"age": 34, "contact": CANARY_CONTACT}


def test_csv_cells_that_look_like_formulas_are_guarded(stocked: Hq, tmp_path: Path) -> None:
    rows = _rows(_export(stocked, tmp_path, ExportFormat.CSV))
    assert '\'=HYPERLINK("http://x")' in {row["subject"] for row in rows}
    for dangerous in ("=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(dangerous) == "'" + dangerous
    assert csv_cell(["=a", "b"]) == "'=a b"
    assert csv_cell(-1.25) == "-1.25" and csv_cell(-3) == "-3", "numbers are not text"
    assert csv_cell("plain") == "plain" and csv_cell(None) == ""


@pytest.mark.parametrize(
    "hidden",
    [
        " =1+1",
        "\n=1+1",
        "\u00a0=1+1",
        "＝1+1",
        "＋1",
        "－1",
        "＠SUM(A1)",
        "\u200b=1+1",
        "\ufeff=1+1",
        "\u2060@x",
        "\u3000\r\n -1",
    ],
)
def test_formulas_behind_spaces_invisible_characters_or_full_width_signs_are_guarded(
    hidden: str,
) -> None:
    assert csv_cell(hidden) == "'" + hidden


_INVISIBLE = st.sampled_from(
    [
        " ",
        "\n",
        "\r",
        "\t",
        "\u00a0",
        "\u2007",
        "\u3000",
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2060",
        "\ufeff",
        "\u2028",
        "\x0b",
        "\x1f",
    ]
)
_SIGNS = st.sampled_from(["=", "+", "-", "@", "＝", "＋", "－", "＠", "﹦", "﹢", "﹣", "﹫"])


@given(st.lists(_INVISIBLE, max_size=6).map("".join), _SIGNS, st.text(max_size=20))
def test_any_formula_sign_after_invisible_characters_is_guarded(
    prefix: str, sign: str, rest: str
) -> None:
    text = prefix + sign + rest
    assert csv_cell(text) == "'" + text


@given(st.lists(st.sampled_from([" ", "\u00a0", "\u200b"]), max_size=4).map("".join), st.text())
def test_text_that_starts_with_no_formula_sign_is_written_as_it_is(prefix: str, rest: str) -> None:
    text = prefix + "a" + rest
    assert csv_cell(text) == text


def test_every_revision_can_be_exported(stocked: Hq, tmp_path: Path) -> None:
    rows = _rows(_export(stocked, tmp_path, ExportFormat.CSV, all_revisions=True))
    assert sorted(row["meta.revision"] for row in rows) == ["1", "1", "1", "2"]
    amended = [r for r in rows if r["subject"] == "Fuel levy at the bridge"]
    assert sorted((r["meta.revision"], r["meta.form_version"]) for r in amended) == [
        ("1", "1"),
        ("2", "2"),
    ]


def test_geojson_holds_records_with_a_location(stocked: Hq, tmp_path: Path) -> None:
    collection = json.loads(_export(stocked, tmp_path, ExportFormat.GEOJSON))
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) == 2, "the record without a location is left out"
    feature = features[0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [-0.04, 16.27]}
    properties = feature["properties"]
    assert properties["meta.location_field"] == "position"
    assert "witness_name" not in properties and CANARY_NAME not in json.dumps(collection)
    assert properties["market"] == ["gold", "fuel"]


def test_json_lines_carry_the_full_filtered_answers(stocked: Hq, tmp_path: Path) -> None:
    lines = [
        json.loads(line)
        for line in _export(stocked, tmp_path, ExportFormat.JSONL).split("\n")
        if line
    ]
    assert len(lines) == 3
    line = next(item for item in lines if item["revision"] == 2)
    assert set(line) == {
        "record_id",
        "revision",
        "form",
        "device",
        "sealed_at",
        "sha256",
        "previous",
        "answers",
    }
    assert line["form"]["version"] == "2" and line["previous"] is not None
    assert "witness_name" not in line["answers"] and "attachments" not in line
    full = [
        json.loads(text)
        for text in _export(
            stocked, tmp_path, ExportFormat.JSONL, identity=stocked.keys.hq[0], all_revisions=True
        ).splitlines()
    ]
    assert {item["answers"]["witness_name"] for item in full} == {CANARY_NAME}
    photo = next(item for item in full if item["answers"].get("photos"))
    assert photo["answers"]["photos"][0]["name"] == "face.jpg"


def test_a_failed_export_leaves_no_file_and_the_old_one_intact(stocked: Hq, tmp_path: Path) -> None:
    out = tmp_path / "export.csv"
    wrong_key = new_identity()[0]
    with pytest.raises(FieldkitError, match="could not be decrypted"):
        export_records(stocked.repository, out, ExportFormat.CSV, identity=wrong_key)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".fieldkit-tmp")] == []
    out.write_text("the previous export")
    with pytest.raises(
        FieldkitError, match="Stored data could not be decrypted with this headquarters' key"
    ):
        export_records(stocked.repository, out, ExportFormat.JSONL, identity=wrong_key)
    assert out.read_text() == "the previous export"


def test_bad_requests_are_refused_before_anything_is_written(stocked: Hq, tmp_path: Path) -> None:
    repository: Repository = stocked.repository
    with pytest.raises(FieldkitError, match="no records of form 'nope'"):
        export_records(repository, tmp_path / "x.csv", ExportFormat.CSV, form_id="nope")
    with pytest.raises(FieldkitError, match="is a folder"):
        export_records(repository, tmp_path, ExportFormat.CSV)
    with pytest.raises(FieldkitError, match="folder does not exist"):
        export_records(repository, tmp_path / "no" / "x.csv", ExportFormat.CSV)
    assert not (tmp_path / "x.csv").exists()


def test_csv_needs_a_form_when_several_are_held(stocked: Hq, tmp_path: Path) -> None:
    device = Device()
    device.register(stocked.repository)
    other = sealed(device.key, form=TEST_FORM)
    data, _info = make_bundle(stocked.keys, [other], device=device.key, forms=forms_for([other]))
    path = stocked.stick / "0123456789abcdef0123456789abcdef.fkb"
    path.write_bytes(data)
    assert stocked.ingestor().ingest_file(path).ok
    with pytest.raises(FieldkitError, match="A CSV file holds one form"):
        export_records(stocked.repository, tmp_path / "x.csv", ExportFormat.CSV)
    rows = _rows(_export(stocked, tmp_path, ExportFormat.CSV, form_id=TEST_FORM.id))
    assert len(rows) == 1 and rows[0]["meta.form_id"] == TEST_FORM.id
    assert "photos" not in rows[0], "identifying in that form too"


XLSFORM_NAMED = FormDefinition.model_validate(
    {
        "id": "xlsform-named",
        "version": "1",
        "title": {"en": "From an XLSForm"},
        "languages": ["en"],
        "fields": [
            {
                "name": "label_test",
                "xlsform_name": "label-test",
                "type": "text",
                "label": {"en": "Label"},
            },
            {
                "name": "site",
                "xlsform_name": "site.gps",
                "type": "geopoint",
                "label": {"en": "Site"},
            },
            {
                "name": "people",
                "xlsform_name": "people.list",
                "type": "repeat",
                "label": {"en": "People"},
                "fields": [
                    {
                        "name": "prenom",
                        "xlsform_name": "prénom",
                        "type": "text",
                        "label": {"en": "First name"},
                    },
                    {"name": "age", "type": "integer", "label": {"en": "Age"}},
                ],
            },
        ],
    }
)


def test_exports_name_columns_as_the_xlsform_did() -> None:
    answers = {
        "label_test": "checkpoint",
        "site": {"lat": 16.27, "lon": -0.04, "precision_m": 10},
        "people": [{"prenom": "Awa", "age": 30}],
    }
    revision = StoredRevision(
        seq=1, sha256="ab" * 32, record_id="r1", number=1, device_key_id="d1",
        form_sha256="cd" * 32, form_id=XLSFORM_NAMED.id, form_version="1",
        sealed_at="2026-12-07T10:00:00Z", previous=None, answers=answers, attachments=(),
        link_id="l1", batch_id=1, position=0,
    )  # fmt: skip
    record = ExportRecord(revision, XLSFORM_NAMED, answers)

    assert columns([XLSFORM_NAMED], identifying=False)[-5:] == [
        "label-test",
        "site.gps.lat",
        "site.gps.lon",
        "site.gps.precision_m",
        "people.list",
    ]
    row = flatten(record, identifying=False)
    assert row["label-test"] == "checkpoint"
    assert row["site.gps.lat"] == 16.27
    assert row["people.list"] == [{"prénom": "Awa", "age": 30}]
    assert location(record, identifying=False) == ("site.gps", 16.27, -0.04)
