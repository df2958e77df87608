"""Reading the untrusted file: size checks, the file kind, the archive and CSV checks, and
pyxform's readers and errors in fieldkit's words."""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import logging
import re
import stat
import warnings
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException

from fieldkit.i18n import _
from fieldkit.services import xlsform_messages
from fieldkit.services.xlsform.limits import SheetCount, check_xlsx_sheets
from fieldkit.services.xlsform.model import (
    MAX_FILE_BYTES,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_MEMBERS,
    SURVEY,
    XLSFormError,
    one_line,
    short,
)

log = logging.getLogger(__name__)

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PYXFORM_ROW = re.compile(r"^\s*\[row\s*:\s*(\d+)\]\s*", re.IGNORECASE)
_PYXFORM_SHEET = re.compile(r"(?:On the '([A-Za-z_]+)' sheet|a sheet named '([A-Za-z_]+)')")
_PYXFORM_COLUMN = re.compile(r"the '([^']{1,80})' value is (?:invalid|problematic)")


def read_file(path: Path, source_name: str) -> bytes:
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise XLSFormError(source_name, _("is a folder; give an XLSForm file."))
        if not stat.S_ISREG(info.st_mode):
            raise XLSFormError(source_name, _("is not a regular file; give an XLSForm file."))
        if info.st_size > MAX_FILE_BYTES:
            raise XLSFormError(source_name, _too_large_message())
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise XLSFormError(source_name, _("no such file; check the path.")) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise XLSFormError(
            source_name, _("cannot be read ({reason}).").format(reason=reason)
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise XLSFormError(source_name, _too_large_message())
    if not data:
        raise XLSFormError(
            source_name, _("the file is empty; give an XLSForm with a 'survey' sheet.")
        )
    return data


def _too_large_message() -> str:
    return _("the file is larger than {n} MiB, too large for an XLSForm.").format(
        n=MAX_FILE_BYTES // (1024 * 1024)
    )


def file_kind(data: bytes, suffix: str, source_name: str) -> str:
    """``.xlsx``, ``.xls`` or ``.csv``, from the content (the suffix only decides for text)."""
    if data.startswith(_ZIP_MAGIC):
        return ".xlsx"
    if data.startswith(_OLE_MAGIC):
        return ".xls"
    if suffix == ".csv":
        return ".csv"
    if suffix in (".xlsx", ".xlsm", ".xls"):
        raise XLSFormError(
            source_name,
            _(
                "the file is not an Excel workbook, although its name ends in {suffix}; open the "
                "XLSForm in a spreadsheet program and save it again as .xlsx."
            ).format(suffix=suffix),
        )
    raise XLSFormError(
        source_name, _("not an XLSForm; fieldkit reads .xlsx, .xls and .csv XLSForms.")
    )


def check_xlsx_archive(data: bytes, source_name: str) -> None:
    """Refuse an archive that expands too far or whose XML declares entities, and a sheet with
    more rows, columns or cells than the limits (counted while it is streamed)."""
    damaged = _("the .xlsx file is damaged ({reason}); save it again from a spreadsheet program.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise XLSFormError(
                    source_name, damaged.format(reason=_("too many parts in the archive"))
                )
            if sum(member.file_size for member in members) > MAX_UNCOMPRESSED_BYTES:
                raise XLSFormError(
                    source_name,
                    _(
                        "the .xlsx file expands to more than {n} MiB, far more than an XLSForm "
                        "needs; remove what is not part of the form and save it again."
                    ).format(n=MAX_UNCOMPRESSED_BYTES // (1024 * 1024)),
                )
            for member in members:
                if not member.filename.lower().endswith((".xml", ".rels", ".vml")):
                    continue
                with archive.open(member) as part:
                    head = part.read(4096).lower()
                if b"<!doctype" in head or b"<!entity" in head:
                    raise XLSFormError(
                        source_name,
                        damaged.format(reason=_("a part of it declares XML entities")),
                    )
            check_xlsx_sheets(archive, source_name)
    except XLSFormError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as exc:
        raise XLSFormError(source_name, damaged.format(reason=short(str(exc), 60))) from None
    except DefusedXmlException:
        raise XLSFormError(
            source_name, damaged.format(reason=_("a part of it declares XML entities"))
        ) from None
    except (RuntimeError, NotImplementedError, ValueError, SyntaxError) as exc:
        # Encrypted members, unknown compression methods, bad header fields, malformed XML.
        raise XLSFormError(source_name, damaged.format(reason=short(str(exc), 60))) from None


@dataclass
class CsvLayout:
    """Where each data row of each section of a CSV XLSForm sits in the file."""

    rows: dict[str, list[int]] = field(default_factory=dict)
    headers: dict[str, int] = field(default_factory=dict)
    duplicate: tuple[str, int, str] | None = None
    """The first header named twice in a section: (sheet, line, column). pyxform's CSV reader
    keeps the last of the two silently, where its spreadsheet readers refuse the sheet."""


def check_csv(data: bytes, source_name: str) -> tuple[bytes, CsvLayout]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XLSFormError(
            source_name,
            _(
                "the file is not UTF-8 text (byte {n}); save it from the spreadsheet program as "
                "'CSV UTF-8'."
            ).format(n=exc.start),
        ) from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise XLSFormError(
            source_name,
            _("line {line} contains a NUL character, so this is not a CSV text file.").format(
                line=line
            ),
        )
    layout = _csv_layout(text, source_name)
    if layout.duplicate is not None:
        sheet, line, column = layout.duplicate
        explained = xlsform_messages.explain(f"Duplicate column header: {column}")
        raise XLSFormError(source_name, explained.reason, sheet=sheet, row=line, column=column)
    return data, layout


def _csv_layout(text: str, source_name: str) -> CsvLayout:
    """Row numbers of the data rows of each section, following pyxform's ``csv_to_dict``; a
    section with more rows, columns or cells than the limits is refused."""
    layout = CsvLayout()
    counts: dict[str, SheetCount] = {}
    sheet: str | None = None
    has_header = False
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if not record:
                continue
            if len(record) == 1:
                first: str | None = record[0]
                content = None
            else:
                first = record[0].strip() or None
                values = [value.strip() for value in record[1:]]
                content = values if any(values) else None
            if first is not None:
                sheet = first.lower()
                layout.rows.setdefault(sheet, [])
                has_header = False
            if content is not None and sheet is not None:
                count = counts.setdefault(sheet, SheetCount(source_name, sheet))
                for column, value in enumerate(content, start=1):
                    if value:
                        count.add_cell(column)
                count.end_row()
                if not has_header:
                    has_header = True
                    layout.headers[sheet] = number
                    named = [value for value in content if value]
                    twice = next((v for i, v in enumerate(named) if v in named[:i]), None)
                    if twice is not None and layout.duplicate is None:
                        layout.duplicate = (sheet, number, twice)
                else:
                    layout.rows[sheet].append(number)
    except csv.Error:
        pass  # pyxform reports the same text as unreadable
    return layout


LIBRARY_LOGGERS = ("pyxform", "openpyxl", "xlrd", "defusedxml")
"""Loggers of the libraries that read XLSForms. Their records stop there: they never reach
fieldkit's handlers (the terminal, the log file), which have no use for a library's wording and
its paths, and a message may quote the spreadsheet."""

for _name in LIBRARY_LOGGERS:
    logging.getLogger(_name).addHandler(logging.NullHandler())
    logging.getLogger(_name).propagate = False


@contextlib.contextmanager
def library_warnings_caught() -> Iterator[None]:
    """Python warnings raised while the libraries read (openpyxl's "Workbook contains no
    stylesheet" and the like) are caught, not printed: only their kind is logged, so that a
    refused XLSForm gives one line and nothing else. Every call in fieldkit that reads an
    XLSForm runs inside this."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            kinds = sorted({w.category.__name__ for w in caught})
            if kinds:
                log.info("XLSForm readers warned while reading: %s", ", ".join(kinds))


@contextlib.contextmanager
def xlrd_log_kept() -> Iterator[None]:
    """xlrd writes its own warnings ("file size not 512 + multiple of sector size", "OLE2
    inconsistency") to the ``sys.stdout`` it saw when it was imported, unless it is given a log
    file, and pyxform opens an ``.xls`` without one. While pyxform reads, its ``xlrd_open`` gets a
    log file that nobody prints; the original is put back afterwards."""
    import xlrd
    from pyxform import xls2json_backends

    original = getattr(xls2json_backends, "xlrd_open", None)
    if original is None:  # a pyxform that opens workbooks otherwise
        yield
        return
    xls2json_backends.xlrd_open = functools.partial(xlrd.open_workbook, logfile=io.StringIO())
    try:
        yield
    finally:
        xls2json_backends.xlrd_open = original


def read_workbook(data: bytes, kind: str, source_name: str) -> Any:
    from pyxform.errors import PyXFormError, PyXFormReadError
    from pyxform.xls2json_backends import DefinitionData, csv_to_dict, xls_to_dict, xlsx_to_dict

    reader = {".xlsx": xlsx_to_dict, ".xls": xls_to_dict, ".csv": csv_to_dict}[kind]
    try:
        with xlrd_log_kept() if kind == ".xls" else contextlib.nullcontext():
            sheets = reader(io.BytesIO(data))
        return DefinitionData(fallback_form_name=None, **sheets)
    except PyXFormReadError as exc:
        raise unreadable(source_name, exc.__cause__ or exc) from None
    except PyXFormError as exc:
        raise pyxform_error(source_name, exc, None) from None
    except Exception as exc:  # only the third-party reader runs in this block
        raise unreadable(source_name, exc) from None


def unreadable(source_name: str, exc: BaseException) -> XLSFormError:
    reason = short(f"{type(exc).__name__}: {exc}", 120)
    return XLSFormError(
        source_name,
        _(
            "could not read this XLSForm: {reason}. Open it in a spreadsheet program, check "
            "it and save it again."
        ).format(reason=reason),
    )


def pyxform_error(
    source_name: str,
    exc: Exception,
    row_of: Callable[[str, int], int | None] | None,
    *,
    header_row: Callable[[str], int | None] | None = None,
    first_select: int | None = None,
    choice_row: Callable[[str, str], int | None] | None = None,
) -> XLSFormError:
    """pyxform's error in fieldkit's words (see :mod:`xlsform_messages`), at the sheet, the row
    the user sees and the column that pyxform gives or implies."""
    message = one_line(str(exc))
    match = _PYXFORM_ROW.match(message)
    context = getattr(exc, "context", None) or {}
    sheet_match = _PYXFORM_SHEET.search(message)
    sheet = (sheet_match.group(1) or sheet_match.group(2)) if sheet_match else context.get("sheet")
    column_match = _PYXFORM_COLUMN.search(message)
    column = column_match.group(1) if column_match else context.get("column")
    row: int | None = None
    if match:
        message = message[match.end() :]
    explained = xlsform_messages.explain(short(message, 400))
    sheet = explained.sheet or sheet
    column = explained.column or column
    if match and not explained.header:
        pyxform_row = int(match.group(1))
        sheet = sheet or SURVEY
        row = row_of(str(sheet), pyxform_row - 2) if row_of else pyxform_row
        if row is None:
            row = pyxform_row
    elif explained.header:
        row = (header_row(str(sheet)) if header_row and sheet else None) or 1
    elif explained.at_first_select:
        row = first_select
    elif explained.choice is not None and choice_row is not None:
        row = choice_row(*explained.choice)
    return XLSFormError(
        source_name,
        explained.reason,
        sheet=str(sheet) if sheet else None,
        row=row,
        column=str(column) if column else None,
    )


# -- question types ------------------------------------------------------------------------------
