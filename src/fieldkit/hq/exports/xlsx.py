"""Workbooks written a row at a time (openpyxl's write-only mode: each sheet's rows go to its
own owner-only temporary file as they come, strings inline, and are zipped into the workbook at
the end, so memory does not grow with the number of rows)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, BinaryIO

from openpyxl import Workbook  # type: ignore[import-untyped]

from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.exports.cells import xlsx_cell
from fieldkit.i18n import _

XLSX_MAX_ROWS = 1_048_576
"""Rows in one worksheet, the header included (Excel's limit)."""
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class Sheet:
    """A worksheet being written: rows are appended, never read back."""

    def __init__(self, name: str, worksheet: Any) -> None:
        self.name = name
        self.rows = 0
        self._worksheet = worksheet

    def append(self, row: Sequence[Any]) -> None:
        self.rows += 1
        if self.rows >= XLSX_MAX_ROWS:
            raise too_many_rows(self.name)
        self._worksheet.append([xlsx_cell(value) for value in row])


class XlsxWriter:
    """A workbook being written: add sheets (rows may be appended to several in turn), then
    :meth:`save` writes the whole file into ``out``. Use it as a context manager: when the
    export fails, the sheets' temporary files are removed at once."""

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)
        self._titles: set[str] = set()

    def __enter__(self) -> XlsxWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if error is not None:
            self.discard()

    def discard(self) -> None:
        """Stop writing and remove the sheets' temporary files (openpyxl removes them only at
        exit otherwise)."""
        for worksheet in self._book.worksheets:
            with contextlib.suppress(Exception):
                worksheet.close()
            writer = getattr(worksheet, "_writer", None)  # openpyxl's writer of the sheet
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.cleanup()

    def add(self, name: str, header: Sequence[str]) -> Sheet:
        """A new worksheet named after ``name`` (made unique), its header row frozen."""
        title = sheet_title(name)
        number = 1
        while title.casefold() in self._titles:
            number += 1
            title = f"{sheet_title(name)[: 31 - len(str(number)) - 1]}~{number}"
        self._titles.add(title.casefold())
        worksheet = self._book.create_sheet(title=title)
        worksheet.freeze_panes = "A2"
        worksheet.append([xlsx_cell(column) for column in header])
        return Sheet(name, worksheet)

    def sheet(self, name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Write a whole worksheet; return the number of rows under the header."""
        sheet = self.add(name, header)
        for row in rows:
            sheet.append(row)
        return sheet.rows

    def save(self, out: BinaryIO) -> None:
        if not self._book.worksheets:
            self._book.create_sheet(title="records")
        self._book.save(out)


def too_many_rows(name: str) -> InvalidInputError:
    return InvalidInputError(
        _(
            "'{sheet}' has more rows than a spreadsheet holds ({limit}): narrow the export "
            "with --from, --to or --country, or use --format csv. Nothing was written."
        ).format(sheet=name, limit=f"{XLSX_MAX_ROWS - 1:,}")
    )


def sheet_title(name: str) -> str:
    """A worksheet title: at most 31 characters, none of ``[ ] : * ? / \\``."""
    return _SHEET_FORBIDDEN.sub("_", name)[:31] or "sheet"
