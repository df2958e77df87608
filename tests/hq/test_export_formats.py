"""XLSX and table exports, filters with partial dates, consent, attachments, the codebook."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from fieldkit.bundle import new_identity
from fieldkit.domain.records import sha256_hex
from fieldkit.errors import FieldkitError
from fieldkit.hq.analysis.filters import Filters
from fieldkit.hq.export import ExportFormat, ExportOptions, export_records
from fieldkit.hq.exports.cells import XLSX_MAX_TEXT, xlsx_cell
from fieldkit.hq.exports.codebook import write_codebook
from fieldkit.hq.repository.base import Repository
from tests.hq.export_support import (
    NAMED,
    PHOTO_NAMED,
    PHOTO_UNNAMED,
    UNNAMED,
    VICTIM_FORM,
    Stock,
    stock,
)
from tests.hq.support import Hq


@pytest.fixture
def stocked(sql_repository: Repository, tmp_path: Path) -> Stock:
    return stock(Hq(tmp_path, sql_repository))


def _export(stocked: Stock, path: Path, fmt: ExportFormat, **options: Any) -> Path:
    export_records(stocked.hq.repository, path, fmt, options=ExportOptions(**options))
    return path


def _sheets(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Each worksheet's rows keyed by its header."""
    book = openpyxl.load_workbook(path, read_only=True)
    sheets = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        width = len(rows[0])  # a row read back ends at its last value
        sheets[sheet.title] = [
            dict(zip(rows[0], (*row, *[None] * (width - len(row))), strict=True))
            for row in rows[1:]
        ]
    book.close()
    return sheets


def _q1(**others: Any) -> Filters:
    return Filters.parse(date_from="2026-Q1", date_to="2026-Q1", **others)


def test_xlsx_has_a_sheet_per_form_guarded_and_without_identities(
    stocked: Stock, tmp_path: Path
) -> None:
    path = _export(stocked, tmp_path / "out.xlsx", ExportFormat.XLSX)
    sheets = _sheets(path)
    assert list(sheets) == [VICTIM_FORM.id]
    rows = sheets[VICTIM_FORM.id]
    assert len(rows) == 4
    subjects = {row["subject"] for row in rows}
    assert '\'=HYPERLINK("http://x")' in subjects, "written as text, not run as a formula"
    book = openpyxl.load_workbook(path)
    assert all(cell.data_type != "f" for row in book.active.iter_rows() for cell in row)
    assert NAMED not in json.dumps(rows) and UNNAMED not in json.dumps(rows)
    year = next(row for row in rows if row["meta.record_id"] == stocked.ids["year"])
    assert year["position.lat"] == 16.27, "numbers stay numbers"


def test_xlsx_cells_are_guarded_and_fit() -> None:
    assert xlsx_cell("=1+1") == "'=1+1" and xlsx_cell("＠SUM(A1)") == "'＠SUM(A1)"
    assert xlsx_cell(["=a", "b"]) == "'=a b"
    assert xlsx_cell(-3) == -3 and xlsx_cell(True) is True and xlsx_cell(None) is None
    assert xlsx_cell("bell\x07") == "bell\ufffd"
    long = xlsx_cell("x" * (XLSX_MAX_TEXT + 10))
    assert len(long) == XLSX_MAX_TEXT and long.endswith("…")


def test_a_period_keeps_overlapping_records_and_marks_uncertain_ones(
    stocked: Stock, tmp_path: Path
) -> None:
    text = _export(stocked, tmp_path / "q1.csv", ExportFormat.CSV, filters=_q1()).read_text()
    rows = {row["meta.record_id"]: row for row in csv.DictReader(io.StringIO(text))}
    ids = stocked.ids
    assert set(rows) == {ids["year"], ids["february"]}, "May and 2025-11 are outside 2026-Q1"
    assert rows[ids["year"]]["meta.uncertain"] == "true", "dated only 2026"
    assert rows[ids["february"]]["meta.uncertain"] == "false"
    lines = _export(stocked, tmp_path / "q1.jsonl", ExportFormat.JSONL, filters=_q1())
    uncertain = {
        item["record_id"]: item["uncertain"]
        for item in map(json.loads, lines.read_text().splitlines())
    }
    assert uncertain == {ids["year"]: True, ids["february"]: False}
    without = _export(stocked, tmp_path / "all.csv", ExportFormat.CSV).read_text()
    assert "meta.uncertain" not in without


def test_country_and_first_level_place_filters(stocked: Stock, tmp_path: Path) -> None:
    def selected(filters: Filters) -> set[str]:
        path = _export(stocked, tmp_path / "f.jsonl", ExportFormat.JSONL, filters=filters)
        return {json.loads(line)["record_id"] for line in path.read_text().splitlines()}

    ids = stocked.ids
    assert selected(Filters.parse(country="NE")) == {ids["may"]}
    assert selected(Filters.parse(country="MLI")) == {ids["year"], ids["february"], ids["region"]}
    assert selected(Filters.parse(admin1="ML-7")) == {ids["year"]}
    assert selected(Filters.parse(date_to="2025")) == {ids["region"]}


def test_tables_are_keyed_and_labelled_in_french(stocked: Stock, tmp_path: Path) -> None:
    path = _export(
        stocked, tmp_path / "t.xlsx", ExportFormat.XLSX, tables=True, labels="fr", filters=_q1()
    )
    sheets = _sheets(path)
    assert list(sheets)[:3] == ["records", "victims", "acts"]
    assert {"perpetrators", "sources", "actors", "quantities", "exploited", "markets"} < set(sheets)
    records = {row["record_id"]: row for row in sheets["records"]}
    year = stocked.ids["year"]
    assert set(records) == {year, stocked.ids["february"]}
    assert (
        records[year]["uncertain"] is True
        and records[stocked.ids["february"]]["uncertain"] is False
    )
    assert records[year]["admin1_label"] == "Gao"
    victims = sheets["victims"]
    assert [(v["victim_id"], v["record_id"], v["entry"]) for v in victims] == [
        (f"{year}.1", year, 1),
        (f"{year}.2", year, 2),
    ]
    assert [(v["sex"], v["sex_label"]) for v in victims] == [("f", "Femme"), ("m", "Homme")]
    assert victims[0]["consent_scope_label"] == "Publication nominative"
    header = list(victims[0])
    assert header.index("sex_label") == header.index("sex") + 1
    assert "victim_name" not in header


def test_tables_as_csv_files_in_a_zip_labelled_in_arabic(stocked: Stock, tmp_path: Path) -> None:
    path = _export(stocked, tmp_path / "t.zip", ExportFormat.CSV, tables=True, labels="ar")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        victims = list(csv.DictReader(io.TextIOWrapper(archive.open("victims.csv"), "utf-8")))
        records = list(csv.DictReader(io.TextIOWrapper(archive.open("records.csv"), "utf-8")))
    assert names[0] == "records.csv" and "commodities.csv" in names
    assert [v["sex_label"] for v in victims] == ["أنثى", "ذكر"]
    assert len(records) == 4 and "uncertain" not in records[0]


def test_consent_decides_whose_identity_is_exported(stocked: Stock, tmp_path: Path) -> None:
    identity = stocked.hq.keys.hq[0]
    rows = list(
        csv.DictReader(
            io.StringIO(
                _export(
                    stocked, tmp_path / "x.csv", ExportFormat.CSV, identity=identity
                ).read_text()
            )
        )
    )
    year = next(row for row in rows if row["meta.record_id"] == stocked.ids["year"])
    named, unnamed = json.loads(year["victims"])
    assert named["victim_name"] == NAMED and named["victim_photo"][0]["name"] == "face.JPG"
    assert "victim_name" not in unnamed and "victim_photo" not in unnamed
    assert unnamed["consent_scope"] == ["fieldkit-consent-scope:1:record_only"]
    lines = _export(stocked, tmp_path / "x.jsonl", ExportFormat.JSONL, identity=identity)
    assert UNNAMED not in lines.read_text() and NAMED in lines.read_text()
    line = next(
        item
        for item in map(json.loads, lines.read_text().splitlines())
        if item["record_id"] == stocked.ids["year"]
    )
    assert line["attachments"] == [sha256_hex(PHOTO_NAMED)]
    tables = _sheets(
        _export(stocked, tmp_path / "t.xlsx", ExportFormat.XLSX, tables=True, identity=identity)
    )
    assert [v["victim_name"] for v in tables["victims"]] == [NAMED, None]
    assert [v["victim_photo"] for v in tables["victims"]] == [sha256_hex(PHOTO_NAMED), None]
    for fmt in ExportFormat:
        plain = _export(stocked, tmp_path / f"plain.{fmt.value}", fmt)
        if fmt is ExportFormat.XLSX:
            assert NAMED not in json.dumps(_sheets(plain), default=str)
        else:
            assert NAMED not in plain.read_text() and UNNAMED not in plain.read_text()


def test_geojson_draws_no_point_where_only_the_region_is_known(
    stocked: Stock, tmp_path: Path
) -> None:
    path = _export(stocked, tmp_path / "x.geojson", ExportFormat.GEOJSON)
    features = json.loads(path.read_text())["features"]
    assert [f["id"] for f in features] == [stocked.ids["year"]]
    assert features[0]["geometry"]["coordinates"] == [-0.04, 16.27]


def test_attachments_are_copied_decrypted_with_consent_and_never_overwritten(
    stocked: Stock, tmp_path: Path
) -> None:
    folder = tmp_path / "files"
    stored = stocked.hq.paths.attachments
    with pytest.raises(FieldkitError, match="needs --include-identifying"):
        _export(stocked, tmp_path / "a.csv", ExportFormat.CSV, attachments=folder,
                stored_attachments=stored)  # fmt: skip
    assert not folder.exists() and not (tmp_path / "a.csv").exists()
    identity = stocked.hq.keys.hq[0]
    result = export_records(
        stocked.hq.repository,
        tmp_path / "a.xlsx",
        ExportFormat.XLSX,
        options=ExportOptions(
            tables=True, identity=identity, attachments=folder, stored_attachments=stored
        ),
    )
    copy = folder / f"{sha256_hex(PHOTO_NAMED)}.jpg"
    assert [p.name for p in folder.iterdir()] == [copy.name], "not the unconsenting victim's"
    assert copy.read_bytes() == PHOTO_NAMED and result.attachments_copied == 1
    assert not list(folder.glob(f"{sha256_hex(PHOTO_UNNAMED)}*"))
    copy.write_bytes(b"left alone")
    again = export_records(
        stocked.hq.repository,
        tmp_path / "a.csv",
        ExportFormat.CSV,
        options=ExportOptions(identity=identity, attachments=folder, stored_attachments=stored),
    )
    assert (again.attachments_copied, again.attachments_present) == (0, 1)
    assert copy.read_bytes() == b"left alone"


def test_a_failed_export_leaves_no_file(stocked: Stock, tmp_path: Path) -> None:
    wrong = new_identity()[0]
    for fmt, tables in [
        (ExportFormat.XLSX, True),
        (ExportFormat.CSV, True),
        (ExportFormat.XLSX, False),
    ]:
        out = tmp_path / f"fail-{tables}.{fmt.value}"
        with pytest.raises(FieldkitError, match="could not be decrypted"):
            _export(stocked, out, fmt, tables=tables, identity=wrong)
        assert not out.exists()
    out = tmp_path / "kept.xlsx"
    out.write_bytes(b"the previous export")
    with pytest.raises(FieldkitError, match="could not be decrypted"):
        _export(stocked, out, ExportFormat.XLSX, identity=wrong)
    assert out.read_bytes() == b"the previous export"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fieldkit-tmp")]


def test_bad_table_requests_are_refused(stocked: Stock, tmp_path: Path) -> None:
    with pytest.raises(FieldkitError, match="--tables writes a workbook or CSV"):
        _export(stocked, tmp_path / "t.geojson", ExportFormat.GEOJSON, tables=True)
    with pytest.raises(FieldkitError, match="not a label language"):
        _export(stocked, tmp_path / "t.xlsx", ExportFormat.XLSX, tables=True, labels="de")
    assert not list(tmp_path.glob("t.*"))


def test_filters_need_an_sql_repository(tmp_path: Path) -> None:
    from fieldkit.hq.repository import FakeRepository

    with pytest.raises(FieldkitError, match="no analysis tables"):
        export_records(
            FakeRepository(),
            tmp_path / "x.jsonl",
            ExportFormat.JSONL,
            options=ExportOptions(filters=_q1()),
        )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".md"])
def test_codebook_lists_fields_codes_labels_and_sensitivity(
    stocked: Stock, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"codebook{suffix}"
    result = write_codebook(stocked.hq.repository, out)
    assert result.forms == 1
    if suffix == ".md":
        text = out.read_text()
        assert "| victim_name | victims | text | Name |  |  | identifying |  |" in text
        assert "| f | Female | Femme | أنثى |  |" in text
        return
    if suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(out.read_text())))
    else:
        rows = [
            {k: ("" if v is None else str(v)) for k, v in r.items()}
            for r in _sheets(out)["codebook"]
        ]
    by_code = {(r["field"], r["code"]): r for r in rows}
    sex = by_code[("victim_sex", "f")]
    assert (sex["table"], sex["vocabulary"], sex["sensitivity"]) == (
        "victims",
        "sdg-sex:1",
        "restricted",
    )
    assert (sex["label_fr"], sex["code_label_fr"], sex["code_label_ar"]) == (
        "Sexe",
        "Femme",
        "أنثى",
    )
    assert by_code[("victim_name", "")]["sensitivity"] == "identifying", (
        "inside an identifying group"
    )
    assert by_code[("subject", "")]["table"] == "records"
    assert sex["fieldkit"] in ("false", "False")
    with pytest.raises(FieldkitError, match=r"FILE\.xlsx, FILE\.csv or FILE\.md"):
        write_codebook(stocked.hq.repository, tmp_path / "codebook.pdf")


def test_review_status_filters_and_is_in_the_records_table(stocked: Stock, tmp_path: Path) -> None:
    from fieldkit.hq.review import set_review

    ids = stocked.ids
    hq = stocked.hq
    set_review(hq.repository, hq.secrets, ids["february"], "verified", actor="analyst")
    set_review(hq.repository, hq.secrets, ids["may"], "follow-up", actor="analyst")

    def selected(status: str) -> set[str]:
        path = _export(stocked, tmp_path / "r.jsonl", ExportFormat.JSONL,
                       filters=Filters.parse(review=status))  # fmt: skip
        return {json.loads(line)["record_id"] for line in path.read_text().splitlines()}

    assert selected("verified") == {ids["february"]}
    assert selected("follow-up") == {ids["may"]}
    assert selected("unreviewed") == {ids["year"], ids["region"]}, "never reviewed: unreviewed"
    assert selected("rejected") == set()
    tables = _sheets(_export(stocked, tmp_path / "t.xlsx", ExportFormat.XLSX, tables=True))
    review = {row["record_id"]: row["review"] for row in tables["records"]}
    assert review == {
        ids["year"]: "unreviewed",
        ids["february"]: "verified",
        ids["may"]: "follow-up",
        ids["region"]: "unreviewed",
    }


def test_a_sheet_longer_than_a_spreadsheet_holds_is_refused_and_leaves_no_file(
    stocked: Stock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldkit.hq.exports import xlsx

    monkeypatch.setattr(xlsx, "XLSX_MAX_ROWS", 4)  # a header and three rows
    out = tmp_path / "big.xlsx"
    with pytest.raises(FieldkitError, match="more rows than a spreadsheet holds"):
        _export(stocked, out, ExportFormat.XLSX)
    assert not out.exists()
    assert (
        len(_sheets(_export(stocked, out, ExportFormat.XLSX, filters=_q1()))[VICTIM_FORM.id]) == 2
    )
