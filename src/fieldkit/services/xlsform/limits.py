"""Size limits of the sheets, checked while each sheet is streamed and before pyxform reads it.

pyxform (through openpyxl or xlrd) builds every data row of a sheet as wide as its header row, so
a small file can make it work for hours: a 10 MB ``.xlsx`` of two million one-cell rows under a
header of 2,000 columns is four billion cells. Here an ``.xlsx`` worksheet is streamed from the
archive (each part is read at most to its declared size, and the sizes were checked before) with
defusedxml's ``iterparse``, which refuses entity declarations, and the count stops at the first
limit passed. An ``.xls`` sheet is checked on xlrd's dimensions before pyxform reads a cell, and a
``.csv`` section while its lines are counted.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring, iterparse

from fieldkit.i18n import _
from fieldkit.services.xlsform.model import (
    MAX_CHOICE_ROWS,
    MAX_SURVEY_ROWS,
    SURVEY,
    XLSFormError,
    short,
)

MAX_COLUMNS = 256
"""Highest column of a sheet that may hold a value (an ``.xls`` sheet has at most 256)."""
MAX_CELLS = 1_000_000
"""Most cells of a sheet, counting empty ones, and largest extent: rows holding a value times the
widest of them."""
EMPTY_ROWS_AT_END = 60
"""pyxform reads no further than this many rows without values in a row."""
READ_SHEETS = frozenset({"survey", "choices", "settings", "external_choices", "entities", "osm"})
"""The sheets pyxform reads (its ``SUPPORTED_SHEET_NAMES``); a workbook of one sheet is read as
the survey whatever the sheet's name."""

_WORKBOOK_PART = "xl/workbook.xml"
_OFFICE_DOCUMENT = "/officeDocument"
_MAX_SMALL_PART = 8 * 1024 * 1024
"""Largest workbook or relationships part parsed whole."""


def row_limit(sheet: str) -> int:
    return MAX_SURVEY_ROWS if sheet.lower() == SURVEY else MAX_CHOICE_ROWS


class SheetCount:
    """Rows, columns and cells of one sheet, refused as soon as one passes its limit.

    Counted as pyxform reads: the first row holding a value is the header, a row without values
    is not a row of the form, and after more than ``EMPTY_ROWS_AT_END`` rows without values in a
    row the rest of the sheet is not read."""

    def __init__(self, source_name: str, sheet: str, *, single: bool = False) -> None:
        self.source_name = source_name
        self.sheet = short(sheet, 40)
        self.max_rows = row_limit(SURVEY if single else sheet)
        self.rows = 0
        self.columns = 0
        self.cells = 0
        self.row_columns = 0
        self.empty_run = 0
        self.last_row = 0

    def add_cell(self, column: int, *, holds_value: bool = True) -> None:
        """A cell in column ``column`` (1-based) of the current row. Every cell counts towards
        the cell limit, as the spreadsheet reader parses each; only one holding a value makes the
        row a row and its column a column."""
        self.cells += 1
        if self.cells > MAX_CELLS:
            raise self.refuse(self.cells_message())
        if holds_value:
            self.row_columns = max(self.row_columns, column)
            if column > MAX_COLUMNS:
                raise self.refuse(self.columns_message())

    def end_row(self, number: int | None = None) -> bool:
        """The end of row ``number`` (the next one if None); False once pyxform would read no
        further rows of the sheet."""
        number = self.last_row + 1 if number is None or number <= self.last_row else number
        skipped, self.last_row = number - self.last_row - 1, number
        if not self.row_columns:
            if self.rows:
                self.empty_run += skipped + 1
            return self.empty_run <= EMPTY_ROWS_AT_END
        if self.rows and self.empty_run + skipped > EMPTY_ROWS_AT_END:
            self.row_columns = 0
            return False
        self.rows += 1
        self.columns = max(self.columns, self.row_columns)
        self.row_columns = self.empty_run = 0
        self.check()
        return True

    def check(self) -> None:
        if self.rows - 1 > self.max_rows:  # the header row is not a data row
            raise self.refuse(
                _(
                    "the sheet has more than {n} rows, more than fieldkit reads from an XLSForm; "
                    "delete the rows that are not part of the form and save it again."
                ).format(n=self.max_rows)
            )
        if self.columns > MAX_COLUMNS:
            raise self.refuse(self.columns_message())
        if self.rows * self.columns > MAX_CELLS:
            raise self.refuse(self.cells_message())

    def columns_message(self) -> str:
        return _(
            "the sheet uses more than {n} columns, more than fieldkit reads from an XLSForm; "
            "delete the columns that are not part of the form and save it again."
        ).format(n=MAX_COLUMNS)

    def cells_message(self) -> str:
        return _(
            "the sheet spans more than {n} cells (rows times columns), more than fieldkit reads "
            "from an XLSForm; delete the rows and columns that are not part of the form and save "
            "it again."
        ).format(n=MAX_CELLS)

    def refuse(self, reason: str) -> XLSFormError:
        return XLSFormError(self.source_name, reason, sheet=self.sheet)


# -- .xlsx ---------------------------------------------------------------------------------------


def check_xlsx_sheets(archive: zipfile.ZipFile, source_name: str) -> None:
    """Stream each worksheet that pyxform will read and count it (the archive was checked)."""
    sheets = list(_worksheets(archive))
    for name, part in sheets:
        if len(sheets) > 1 and name.lower() not in READ_SHEETS:
            continue
        count = SheetCount(source_name, name, single=len(sheets) == 1)
        with archive.open(part) as stream:
            _count_worksheet(stream, count)


def _count_worksheet(stream: IO[bytes], count: SheetCount) -> None:
    column = 0
    for _event, element in iterparse(stream, events=("end",), forbid_dtd=True):
        tag = _local(element.tag)
        if tag == "c":
            column = _column_of(element.get("r"), column + 1)
            count.add_cell(column, holds_value=_holds_value(element))
            element.clear()
        elif tag == "row":
            column = 0
            number = _row_of(element.get("r"))
            element.clear()  # an empty shell stays in the tree, one per row counted
            if not count.end_row(number):
                return


def _holds_value(cell: Any) -> bool:
    return any((child.text or "").strip() for child in cell.iter() if child is not cell)


def _row_of(reference: str | None) -> int | None:
    if not reference or not reference.isdigit() or not reference.isascii():
        return None
    return int(reference) if len(reference) <= 9 else 10**9


def _column_of(reference: str | None, position: int) -> int:
    """The 1-based column of a cell reference such as ``AB12`` (its position if none)."""
    if not reference:
        return position
    letters = reference.rstrip("0123456789").upper()
    if not letters or len(letters) > 4 or not letters.isascii() or not letters.isalpha():
        return position
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _local(tag: Any) -> str:
    return str(tag).rpartition("}")[2]


def _worksheets(archive: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """(sheet name, archive part) of each sheet, in the workbook's order."""
    workbook = _office_document(archive)
    targets = _relationships(archive, workbook)
    root = _small_part(archive, workbook)
    if root is None:
        return
    for element in root.iter():
        if _local(element.tag) != "sheet":
            continue
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        part = targets.get(rid or "")
        if part is not None and part in archive.NameToInfo:
            yield str(element.get("name", "")), part


def _office_document(archive: zipfile.ZipFile) -> str:
    for rel_type, target in _relationship_targets(archive, "_rels/.rels", ""):
        if rel_type.endswith(_OFFICE_DOCUMENT):
            return target
    return _WORKBOOK_PART


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, _sep, name = part.rpartition("/")
    rels = posixpath.join(folder, "_rels", name + ".rels")
    return dict(_relationship_targets(archive, rels, folder, ids=True))


def _relationship_targets(
    archive: zipfile.ZipFile, rels: str, folder: str, *, ids: bool = False
) -> Iterator[tuple[str, str]]:
    root = _small_part(archive, rels)
    if root is None:
        return
    for element in root.iter():
        if _local(element.tag) != "Relationship":
            continue
        target = str(element.get("Target", ""))
        if target.startswith("/"):
            target = target.lstrip("/")
        else:
            target = posixpath.normpath(posixpath.join(folder, target))
        yield str(element.get("Id" if ids else "Type", "")), target


def _small_part(archive: zipfile.ZipFile, part: str) -> Any:
    """The parsed part, or None if it is missing, too large or unreadable (pyxform's reader
    then reports the workbook as damaged)."""
    info = archive.NameToInfo.get(part)
    if info is None or info.file_size > _MAX_SMALL_PART:
        return None
    try:
        with archive.open(info) as handle:
            return fromstring(handle.read(_MAX_SMALL_PART))
    except (DefusedXmlException, SyntaxError, ValueError):
        return None


# -- .xls ----------------------------------------------------------------------------------------


def check_xls_sheets(data: bytes, source_name: str) -> None:
    """Check each sheet's dimensions as xlrd reads them, before pyxform reads a cell."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO())
    except Exception:  # only the third-party reader runs here; pyxform reports the same file
        return
    try:
        names = book.sheet_names()
        for name in names:
            if len(names) > 1 and name.lower() not in READ_SHEETS:
                continue
            sheet = book.sheet_by_name(name)
            count = SheetCount(source_name, name, single=len(names) == 1)
            count.rows, count.columns = sheet.nrows, sheet.ncols
            book.unload_sheet(name)
            count.check()
    finally:
        book.release_resources()
