"""Sheets too large for an XLSForm are refused while they are streamed, before pyxform reads them.

Each hostile workbook here is small on disk and huge once expanded; the fixture below makes every
pyxform entry point fail the test, so a refusal proves that pyxform was never reached.
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import pyxform.xls2json
import pyxform.xls2json_backends

from fieldkit.services.xlsform import (
    MAX_CELLS,
    MAX_CHOICE_ROWS,
    MAX_COLUMNS,
    MAX_SURVEY_ROWS,
    XLSFormError,
    convert_xlsform,
    limits,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "xlsform"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@pytest.fixture
def no_pyxform(monkeypatch: pytest.MonkeyPatch) -> None:
    def reached(*_args: object, **_kwargs: object) -> None:
        pytest.fail("pyxform was called for a workbook that should have been refused before")

    for name in ("xlsx_to_dict", "xls_to_dict", "csv_to_dict"):
        monkeypatch.setattr(pyxform.xls2json_backends, name, reached)
    monkeypatch.setattr(pyxform.xls2json, "workbook_to_json", reached)


def column_name(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def text_row(values: Iterable[str]) -> str:
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f"<row>{cells}</row>"


def write_sheets(path: Path, sheets: dict[str, Iterator[str]]) -> Path:
    """An .xlsx whose sheets are given as streams of ``<row>`` elements (written compressed, so
    millions of rows take little room on disk)."""
    names = list(sheets)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, len(names) + 1)
            )
            + "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" '
            f'Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets>'
            + "".join(
                f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"/>'
                for i, name in enumerate(names, start=1)
            )
            + "</sheets></workbook>",
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{RELS}">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{DOC}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, len(names) + 1)
            )
            + "</Relationships>",
        )
        for i, rows in enumerate(sheets.values(), start=1):
            with archive.open(f"xl/worksheets/sheet{i}.xml", "w") as part:
                part.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
                while chunk := "".join(itertools.islice(rows, 10_000)):
                    part.write(chunk.encode())
                part.write(b"</sheetData></worksheet>")
    return path


def refusal(path: Path) -> XLSFormError:
    with pytest.raises(XLSFormError) as caught:
        convert_xlsform(path)
    assert "\n" not in str(caught.value)
    return caught.value


@pytest.mark.usefixtures("no_pyxform")
def test_a_header_of_2000_columns_over_two_million_rows_is_refused(tmp_path: Path) -> None:
    def rows() -> Iterator[str]:
        yield text_row(f"h{i}" for i in range(1, 2001))
        for _i in range(2_000_000):
            yield '<row><c t="inlineStr"><is><t>x</t></is></c></row>'

    path = write_sheets(tmp_path / "wide.xlsx", {"survey": rows()})
    assert path.stat().st_size < 10 * 1024 * 1024
    error = refusal(path)
    assert error.sheet == "survey"
    assert f"the sheet uses more than {MAX_COLUMNS} columns" in str(error)
    assert str(error).startswith("wide.xlsx: sheet 'survey': ")


@pytest.mark.usefixtures("no_pyxform")
def test_ten_times_the_rows_are_refused_at_the_row_limit(tmp_path: Path) -> None:
    def rows() -> Iterator[str]:
        yield text_row(["type", "name", "label"])
        for i in range(10 * MAX_SURVEY_ROWS):
            yield f'<row r="{i + 2}"><c r="A{i + 2}" t="inlineStr"><is><t>text</t></is></c></row>'

    error = refusal(write_sheets(tmp_path / "long.xlsx", {"survey": rows()}))
    assert error.sheet == "survey"
    assert f"the sheet has more than {MAX_SURVEY_ROWS} rows" in str(error)


@pytest.mark.usefixtures("no_pyxform")
def test_a_choices_sheet_past_the_cell_limit_is_refused(tmp_path: Path) -> None:
    width = MAX_CELLS // (MAX_CHOICE_ROWS // 2) + 1

    def choices() -> Iterator[str]:
        for _i in range(MAX_CHOICE_ROWS // 2):
            yield "<row>" + "<c><v>1</v></c>" * width + "</row>"  # numbers: the smallest cells

    survey = iter([text_row(["type", "name"]), text_row(["text", "a"])])
    error = refusal(write_sheets(tmp_path / "cells.xlsx", {"survey": survey, "choices": choices()}))
    assert error.sheet == "choices"
    assert f"the sheet spans more than {MAX_CELLS} cells" in str(error)


@pytest.mark.usefixtures("no_pyxform")
def test_a_row_of_millions_of_empty_cells_is_refused(tmp_path: Path) -> None:
    rows = iter([text_row(["type", "name"]), "<row>" + '<c s="1"/>' * 5_000_000 + "</row>"])
    error = refusal(write_sheets(tmp_path / "empty.xlsx", {"survey": rows}))
    assert error.sheet == "survey"
    assert f"the sheet spans more than {MAX_CELLS} cells" in str(error)


@pytest.mark.usefixtures("no_pyxform")
def test_one_cell_in_the_last_column_is_refused(tmp_path: Path) -> None:
    far = column_name(16_384)
    rows = iter([f'<row r="1"><c r="{far}1" t="inlineStr"><is><t>type</t></is></c></row>'])
    error = refusal(write_sheets(tmp_path / "far.xlsx", {"Survey": rows}))
    assert error.sheet == "Survey"
    assert f"more than {MAX_COLUMNS} columns" in str(error)


@pytest.mark.usefixtures("no_pyxform")
def test_a_csv_section_past_the_row_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(
        "survey,type,name,label\n" + ",text,a,A\n" * (MAX_SURVEY_ROWS + 1), encoding="utf-8"
    )
    error = refusal(path)
    assert (error.sheet, error.row) == ("survey", None)
    assert f"the sheet has more than {MAX_SURVEY_ROWS} rows" in str(error)


@pytest.mark.usefixtures("no_pyxform")
def test_an_xls_sheet_is_checked_on_its_dimensions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_COLUMNS", 2)
    error = refusal(DATA / "simple.xls")
    assert error.sheet == "survey"
    assert "the sheet uses more than 2 columns" in str(error)


def test_empty_formatted_rows_and_unread_sheets_do_not_count(tmp_path: Path) -> None:
    def survey() -> Iterator[str]:
        yield text_row(["type", "name", "label"])
        yield text_row(["text", "a", "A"])
        for i in range(MAX_SURVEY_ROWS + 10):  # formatting only, as spreadsheets save it
            yield f'<row r="{i + 3}"><c r="A{i + 3}" s="1"/></row>'
        yield text_row(["text", "after", "pyxform stops reading 60 empty rows before this"])

    def notes() -> Iterator[str]:
        for _i in range(MAX_CHOICE_ROWS + 10):
            yield text_row(["a note that pyxform does not read"])

    path = write_sheets(tmp_path / "fine.xlsx", {"survey": survey(), "notes": notes()})
    assert convert_xlsform(path).form.field("a").label == {"en": "A"}
