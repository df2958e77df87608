"""Importing ODK / KoboToolbox XLSForms (``.xlsx``, ``.xls``, ``.csv``) as fieldkit forms.

The spreadsheet is untrusted. It is checked before pyxform sees it (size on disk, the uncompressed
size and XML preamble of an ``.xlsx``, UTF-8 and NUL bytes of a ``.csv``, nesting depth, names),
read with pyxform's own backends and parser (``xls2json_backends`` and ``workbook_to_json``, the
two halves of ``parse_file_to_json``, called apart so that the bytes are read once and the file
type is never guessed), and the parsed survey is mapped onto fieldkit's form model. Nothing is
written anywhere.

Whatever fieldkit cannot represent is left out and listed in :attr:`Conversion.dropped`, each item
with the sheet and the row the user sees in the spreadsheet (the header is row 1). A sheet that
cannot be used raises :class:`XLSFormError`, one line naming the sheet, the row and, where known,
the column. Mapping decisions that are not obvious:

* ``acknowledge`` (a check box that stores ``OK``) becomes a select_one on a one-choice list
  ``OK``, so that expressions such as ``${seen} = 'OK'`` keep working.
* ``select_one LIST or_other`` keeps pyxform's ``other`` choice and gets a text field
  ``NAME_other`` shown when ``other`` is selected, as ODK does.
* A constant ``repeat_count`` N gives ``min_count`` = ``max_count`` = N; an expression is dropped.
* A select whose list is missing from the choices sheet but is a fieldkit vocabulary (found by the
  ``vocabularies`` resolver) uses that vocabulary, pinned to the version found.
* Every field is ``restricted``: XLSForms carry no sensitivity, so the YAML's header comment asks
  for a review.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fieldkit.domain import expressions
from fieldkit.domain.formfile import FormError, FormProblem, VocabularyResolver, form_from_data
from fieldkit.domain.forms import (
    CODE_PATTERN,
    FORM_ID_PATTERN,
    LANGUAGE_PATTERN,
    MAX_FIELDS,
    MAX_NESTING,
    NAME_PATTERN,
    VERSION_PATTERN,
    FieldType,
    FormDefinition,
    Sensitivity,
    slugify_form_id,
)
from fieldkit.errors import InvalidInputError
from fieldkit.i18n import _
from fieldkit.services import xlsform_messages

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Largest XLSForm file read from disk."""
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
"""Largest total uncompressed size of the members of an ``.xlsx`` archive."""
MAX_ZIP_MEMBERS = 2000
MAX_SURVEY_ROWS = 20_000
MAX_CHOICE_ROWS = 100_000

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
_SHEET_ORDER = {SURVEY: 0, CHOICES: 1, SETTINGS: 2}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_NO_FORM_ID = "\x00fieldkit:no-form-id"
"""Passed to pyxform as the fallback form id, to tell whether the sheets gave one."""
_DEFAULT = "\x00default"
"""The language key of a text from a column without a language."""

_NAME = re.compile(NAME_PATTERN)
_CODE = re.compile(CODE_PATTERN)
_FORM_ID = re.compile(FORM_ID_PATTERN)
_VERSION = re.compile(VERSION_PATTERN)
_LANGUAGE = re.compile(LANGUAGE_PATTERN)
_LIST_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
_PYXFORM_ROW = re.compile(r"^\s*\[row\s*:\s*(\d+)\]\s*", re.IGNORECASE)
_PYXFORM_SHEET = re.compile(r"(?:On the '([A-Za-z_]+)' sheet|a sheet named '([A-Za-z_]+)')")
_PYXFORM_COLUMN = re.compile(r"the '([^']{1,80})' value is (?:invalid|problematic)")
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.:-]*)\s*\(")
_STRING_LITERAL = re.compile(r"\"[^\"]*\"|'[^']*'")

_YES = frozenset({"yes", "Yes", "YES", "true", "True", "TRUE", "true()", "1"})
_NO = frozenset({"no", "No", "NO", "false", "False", "FALSE", "false()", "0"})


# -- the API -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dropped:
    """Something the XLSForm had that fieldkit cannot represent."""

    row: int | None
    """Spreadsheet row as the user sees it (1-based; the header is row 1)."""
    sheet: str
    """``survey``, ``choices`` or ``settings`` (or another sheet that was ignored)."""
    name: str | None
    """The question's name, if any."""
    what: str
    """Translated: what was left out and why."""

    def describe(self) -> str:
        where = self.sheet
        if self.row is not None:
            where = _("{sheet}, row {row}").format(sheet=self.sheet, row=self.row)
        if self.name:
            where += f" ({self.name})"
        return f"{where}: {self.what}"


@dataclass(frozen=True)
class Conversion:
    """An XLSForm converted to a fieldkit form."""

    form_data: dict[str, Any]
    """The fieldkit form as plain data: what the YAML holds."""
    form: FormDefinition
    """The same, validated through :func:`fieldkit.domain.formfile.form_from_data`."""
    dropped: list[Dropped]
    source_name: str = ""
    """The XLSForm's file name, for the YAML's header comment."""

    def to_yaml(self) -> str:
        """The fieldkit YAML text, headed by a comment that lists what was not carried over."""
        lines = [
            _("fieldkit form converted from the XLSForm '{name}'.").format(name=self.source_name),
            "",
            _("Review before use:"),
            "- "
            + _(
                "XLSForms have no sensitivity labels, so every field is 'restricted'. Mark the "
                "fields that identify a person 'identifying' and those safe to share 'public'."
            ),
            "",
        ]
        if self.dropped:
            lines.append(_("Not carried over from the XLSForm ({n}):").format(n=len(self.dropped)))
            lines.extend("- " + item.describe() for item in self.dropped)
        else:
            lines.append(_("Everything in the XLSForm was carried over."))
        header = "".join(f"# {_one_line(line)}".rstrip() + "\n" for line in lines)
        body = yaml.safe_dump(self.form_data, allow_unicode=True, sort_keys=False, width=100)
        return header + "\n" + body


class XLSFormError(InvalidInputError):
    """An XLSForm that cannot be converted. The message is one line: the file, the sheet, the
    row and column where known, what is wrong and what to do."""

    def __init__(
        self,
        source_name: str,
        reason: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.source_name = source_name
        self.reason = _one_line(reason)
        self.sheet = sheet
        self.row = row
        self.column = column
        parts = []
        if sheet:
            parts.append(_("sheet '{sheet}'").format(sheet=sheet))
        if row is not None:
            parts.append(_("row {row}").format(row=row))
        if column:
            parts.append(_("column '{column}'").format(column=_one_line(column)))
        where = ", ".join(parts)
        head = f"{source_name}: {where}: " if where else f"{source_name}: "
        super().__init__(head + self.reason)


def convert_xlsform(
    untrusted_path: Path, *, vocabularies: VocabularyResolver | None = None
) -> Conversion:
    """Convert the XLSForm at ``untrusted_path`` (``.xlsx``, ``.xls`` or ``.csv``).

    Raises :class:`XLSFormError` for a file or sheet that cannot be used."""
    source_name = _one_line(untrusted_path.name) or str(untrusted_path)
    data = _read_file(untrusted_path, source_name)
    kind = _file_kind(data, untrusted_path.suffix.lower(), source_name)
    csv_layout: _CsvLayout | None = None
    if kind == ".xlsx":
        _check_xlsx_archive(data, source_name)
    elif kind == ".csv":
        data, csv_layout = _check_csv(data, source_name)
    book = _read_workbook(data, kind, source_name)
    return _Converter(source_name, untrusted_path.stem, book, csv_layout, vocabularies).run()


# -- reading the file ----------------------------------------------------------------------------


def _one_line(text: str) -> str:
    """``text`` with every line break and control character replaced by a space."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())


def _short(text: str, limit: int = 80) -> str:
    text = _one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_file(path: Path, source_name: str) -> bytes:
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


def _file_kind(data: bytes, suffix: str, source_name: str) -> str:
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


def _check_xlsx_archive(data: bytes, source_name: str) -> None:
    """Refuse an archive that expands too far or whose XML declares entities."""
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
    except XLSFormError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as exc:
        raise XLSFormError(source_name, damaged.format(reason=_short(str(exc), 60))) from None
    except (RuntimeError, NotImplementedError, ValueError) as exc:
        # Encrypted members, unknown compression methods, bad header fields.
        raise XLSFormError(source_name, damaged.format(reason=_short(str(exc), 60))) from None


@dataclass
class _CsvLayout:
    """Where each data row of each section of a CSV XLSForm sits in the file."""

    rows: dict[str, list[int]] = field(default_factory=dict)
    headers: dict[str, int] = field(default_factory=dict)
    duplicate: tuple[str, int, str] | None = None
    """The first header named twice in a section: (sheet, line, column). pyxform's CSV reader
    keeps the last of the two silently, where its spreadsheet readers refuse the sheet."""


def _check_csv(data: bytes, source_name: str) -> tuple[bytes, _CsvLayout]:
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
    layout = _csv_layout(text)
    if layout.duplicate is not None:
        sheet, line, column = layout.duplicate
        explained = xlsform_messages.explain(f"Duplicate column header: {column}")
        raise XLSFormError(source_name, explained.reason, sheet=sheet, row=line, column=column)
    return data, layout


def _csv_layout(text: str) -> _CsvLayout:
    """Row numbers of the data rows of each section, following pyxform's ``csv_to_dict``."""
    layout = _CsvLayout()
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


def _read_workbook(data: bytes, kind: str, source_name: str) -> Any:
    from pyxform.errors import PyXFormError, PyXFormReadError
    from pyxform.xls2json_backends import DefinitionData, csv_to_dict, xls_to_dict, xlsx_to_dict

    reader = {".xlsx": xlsx_to_dict, ".xls": xls_to_dict, ".csv": csv_to_dict}[kind]
    try:
        sheets = reader(io.BytesIO(data))
        return DefinitionData(fallback_form_name=None, **sheets)
    except PyXFormReadError as exc:
        raise _unreadable(source_name, exc.__cause__ or exc) from None
    except PyXFormError as exc:
        raise _pyxform_error(source_name, exc, None) from None
    except Exception as exc:  # only the third-party reader runs in this block
        raise _unreadable(source_name, exc) from None


def _unreadable(source_name: str, exc: BaseException) -> XLSFormError:
    reason = _short(f"{type(exc).__name__}: {exc}", 120)
    return XLSFormError(
        source_name,
        _(
            "could not read this XLSForm: {reason}. Open it in a spreadsheet program, check "
            "it and save it again."
        ).format(reason=reason),
    )


def _pyxform_error(
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
    message = _one_line(str(exc))
    match = _PYXFORM_ROW.match(message)
    context = getattr(exc, "context", None) or {}
    sheet_match = _PYXFORM_SHEET.search(message)
    sheet = (sheet_match.group(1) or sheet_match.group(2)) if sheet_match else context.get("sheet")
    column_match = _PYXFORM_COLUMN.search(message)
    column = column_match.group(1) if column_match else context.get("column")
    row: int | None = None
    if match:
        message = message[match.end() :]
    explained = xlsform_messages.explain(_short(message, 400))
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


@dataclass(frozen=True)
class _Kind:
    role: str  # field, begin, end, drop, setting, unknown
    field_type: FieldType | None = None
    container: str | None = None  # group, repeat, loop
    list_name: str | None = None
    or_other: bool = False
    acknowledge: bool = False
    constraint: str | None = None  # the built-in constraint of 'percentage' and the like
    reason: str = ""  # which message explains a drop


def _types(spec: str) -> frozenset[str]:
    """A set of type names written ``a|b|c`` (names may contain spaces)."""
    return frozenset(name.strip() for name in spec.split("|"))


_SIMPLE: dict[FieldType, frozenset[str]] = {
    FieldType.TEXT: _types("text|string|add text prompt|q string"),
    FieldType.INTEGER: _types("integer|int|add integer prompt|q int"),
    FieldType.DECIMAL: _types("decimal|add decimal prompt|q decimal"),
    FieldType.DATE: _types("date|add date prompt|q date"),
    FieldType.DATETIME: _types(
        "datetime|date time|add date time prompt|add datetime prompt|q date time|q datetime"
    ),
    FieldType.GEOPOINT: _types("geopoint|gps|location|add location prompt|q geopoint|q location"),
    FieldType.ATTACHMENT: _types(
        "image|photo|add image prompt|q image|q picture|audio|add audio prompt|q audio|video"
        "|add video prompt|q video|file|add file prompt"
    ),
    FieldType.NOTE: _types("note|add note prompt|q note"),
}
_ACKNOWLEDGE = _types("acknowledge|add acknowledge prompt|q acknowledge|trigger")
_BUILT_IN_CONSTRAINTS: dict[str, tuple[FieldType, str]] = {
    "percentage": (FieldType.INTEGER, "0 <= . and . <= 100"),
    "number of days in last month": (FieldType.INTEGER, "0 <= . and . <= 31"),
    "number of days in last six months": (FieldType.INTEGER, "0 <= . and . <= 183"),
    "number of days in last year": (FieldType.INTEGER, "0 <= . and . <= 365"),
    "phone number": (FieldType.TEXT, "regex(., '^[0-9]*$')"),
}
_DROPPED_TYPES: dict[str, frozenset[str]] = {
    "metadata": _types(
        "start|end|today|deviceid|device id|imei|subscriberid|subscriber id|simserial|sim id"
        "|phonenumber|username|email|start time|end time|get start time|get end time|get today"
        "|get device id|get phone number|get sim id|get subscriber id|audit|uri:deviceid"
        "|uri:email|uri:phonenumber|uri:simserial|uri:subscriberid|uri:username"
    ),
    "location": _types("start-geopoint|background-geopoint"),
    "calculate": _types("calculate|add calculate prompt|q calculate|hidden"),
    "time": _types("time"),
    "range": _types("range"),
    "shape": _types("geotrace|geoshape|q geotrace|q geoshape"),
    "barcode": _types("barcode|add barcode prompt|q barcode"),
    "audio": _types("background-audio"),
    "external": _types("csv-external|xml-external"),
    "osm": _types("osm"),
}
_SELECT_ONE = _types("add select one prompt using|select one from|select1|select_one|select one")
_SELECT_MULTIPLE = _types(
    "add select multiple prompt using|select all that apply from|select_multiple"
    "|select all that apply"
)
_SELECT_FROM_ELSEWHERE = _types(
    "select_one_external|select_one_from_file|select_multiple_from_file|select one from file"
    "|select multiple from file"
)
_SELECT = re.compile(
    r"^(?P<command>"
    + "|".join(
        re.escape(c)
        for c in sorted(
            (*_SELECT_ONE, *_SELECT_MULTIPLE, *_SELECT_FROM_ELSEWHERE, "rank"),
            key=lambda command: (-len(command), command),
        )
    )
    + r") (?P<list>\S+)( (?P<other>or specify other|or_other|or other))?$"
)
_BEGIN = re.compile(r"^begin[ _](?P<type>group|lgroup|repeat|loop|looped group)( (over )?\S+)?$")
_END = re.compile(r"^end[ _](?P<type>group|lgroup|repeat|loop|looped group)$")
_OSM = re.compile(r"^osm \S+$")
_SETTING_TYPES = _types("form_title|set_form_title|form_id|set_form_id|prefix")
_CONTAINERS = {"group": "group", "lgroup": "repeat", "repeat": "repeat", "looped group": "repeat"}
_EXTERNAL_EXTENSIONS = (".csv", ".xml", ".geojson")


def _classify(type_text: str) -> _Kind:
    """What a survey row's ``type`` cell means for fieldkit."""
    begin = _BEGIN.match(type_text)
    if begin:
        return _Kind("begin", container=_CONTAINERS.get(begin.group("type"), "loop"))
    end = _END.match(type_text)
    if end:
        return _Kind("end", container=_CONTAINERS.get(end.group("type"), "loop"))
    select = _SELECT.match(type_text)
    if select:
        command, list_name = select.group("command"), select.group("list")
        if command == "rank":
            return _Kind("drop", reason="rank")
        if command in _SELECT_FROM_ELSEWHERE or list_name.lower().endswith(_EXTERNAL_EXTENSIONS):
            return _Kind("drop", reason="file")
        if "${" in list_name:
            return _Kind("drop", reason="repeat_choices")
        single = command in _SELECT_ONE
        return _Kind(
            "field",
            FieldType.SELECT_ONE if single else FieldType.SELECT_MULTIPLE,
            list_name=list_name,
            or_other=select.group("other") is not None,
        )
    if type_text in _SETTING_TYPES:
        return _Kind("setting")
    if _OSM.match(type_text):
        return _Kind("drop", reason="osm")
    lowered = type_text.lower()
    for field_type, names in _SIMPLE.items():
        if lowered in names:
            return _Kind("field", field_type)
    if lowered in _ACKNOWLEDGE:
        return _Kind("field", FieldType.SELECT_ONE, acknowledge=True)
    if lowered in _BUILT_IN_CONSTRAINTS:
        field_type, constraint = _BUILT_IN_CONSTRAINTS[lowered]
        return _Kind("field", field_type, constraint=constraint)
    for reason, names in _DROPPED_TYPES.items():
        if lowered in names:
            return _Kind("drop", reason=reason)
    return _Kind("unknown")


def _drop_message(reason: str, type_text: str) -> str:
    if reason == "metadata":
        return _(
            "'{type}' is device metadata; fieldkit records its own timestamps and device "
            "signature, so the field was left out"
        ).format(type=type_text)
    messages = {
        "location": _("automatic location capture is not supported; the field was left out"),
        "calculate": _("calculated fields are not supported; the field was left out"),
        "time": _(
            "time-of-day fields are not supported; the field was left out (a datetime or text "
            "field can hold a time)"
        ),
        "range": _(
            "range fields are not supported; the field was left out (an integer field with a "
            "constraint can replace it)"
        ),
        "rank": _("ranking fields are not supported; the field was left out"),
        "shape": _(
            "lines and shapes ({type}) are not supported, only single points; the field was "
            "left out"
        ).format(type=type_text),
        "barcode": _(
            "barcode scanning is not supported; the field was left out (a text field can hold "
            "the code)"
        ),
        "audio": _("background audio recording is not supported; the field was left out"),
        "external": _("external data files are not supported; the row was left out"),
        "osm": _("OpenStreetMap fields are not supported; the field was left out"),
        "file": _(
            "choices from a file or from the external_choices sheet are not supported; the "
            "field was left out"
        ),
        "repeat_choices": _(
            "choices taken from a repeat group are not supported; the field was left out"
        ),
        "loop": _("'begin loop' is not supported; the loop and the fields inside it were left out"),
    }
    return messages[reason]


# -- languages -----------------------------------------------------------------------------------

_LANGUAGE_NAMES = {
    "english": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "arabic": "ar",
    "العربية": "ar",
    "عربي": "ar",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "portuguese": "pt",
    "português": "pt",
    "portugues": "pt",
    "swahili": "sw",
    "kiswahili": "sw",
    "russian": "ru",
    "chinese": "zh",
    "german": "de",
    "deutsch": "de",
    "italian": "it",
    "persian": "fa",
    "farsi": "fa",
    "pashto": "ps",
    "urdu": "ur",
    "hindi": "hi",
    "bengali": "bn",
    "somali": "so",
    "amharic": "am",
    "hausa": "ha",
    "tigrinya": "ti",
    "turkish": "tr",
    "ukrainian": "uk",
}
_TRANSLATABLE = frozenset(
    {
        "label",
        "hint",
        "constraint_message",
        "required_message",
        "guidance_hint",
        "caption",
        "image",
        "audio",
        "video",
        "big-image",
        "media",
        "jr:constraintmsg",
        "jr:requiredmsg",
    }
)
_PARENTHESES = re.compile(r"\(([^()]*)\)\s*$")


def language_code(name: str) -> str | None:
    """The language code for an XLSForm language name such as ``French (fr)``, ``Français`` or
    ``fr``; None when there is none."""
    text = " ".join(name.split())
    match = _PARENTHESES.search(text)
    if match:
        code = match.group(1).strip()
        primary, _sep, rest = code.partition("-")
        code = primary.lower() + (f"-{rest}" if rest else "")
        if _LANGUAGE.match(code):
            return code
        text = text[: match.start()].strip()
    lowered = text.lower()
    if lowered in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[lowered]
    if re.fullmatch(r"[a-z]{2,3}", lowered):
        return lowered
    return None


def _header_tokens(header: str, double_colon: bool) -> tuple[str, ...]:
    separator = "::" if double_colon else ":"
    return tuple(token.strip() for token in header.split(separator))


def _header_languages(headers: Iterable[str]) -> tuple[list[str], bool]:
    """Language names of the translatable columns in column order, and whether a translatable
    column has no language."""
    headers = [h for h in headers if isinstance(h, str)]
    double_colon = any("::" in h for h in headers)
    names: list[str] = []
    bare = False
    for header in headers:
        if header.lower().startswith("jr:"):
            tokens: tuple[str, ...] = (header,)
        else:
            tokens = _header_tokens(header, double_colon)
        first = "_".join(tokens[0].split()).lower()
        if first not in _TRANSLATABLE:
            continue
        needed = 3 if first == "media" else 2
        if len(tokens) >= needed and tokens[-1]:
            if tokens[-1] not in names:
                names.append(tokens[-1])
        else:
            bare = True
    return names, bare


# -- the raw rows --------------------------------------------------------------------------------

_HEADER_ALIASES = {
    "command": "type",
    "tag": "name",
    "value": "name",
    "count": "repeat_count",
    "jr:count": "repeat_count",
    "list name": "list_name",
}


def _normal_header(header: str) -> str:
    key = "_".join(str(header).split()).lower()
    return _HEADER_ALIASES.get(key, key)


def _cells(row: Any) -> dict[str, str]:
    """A raw row with single-word headers normalised (``List Name`` -> ``list_name``)."""
    if not isinstance(row, dict):
        return {}
    cells: dict[str, str] = {}
    for header, value in row.items():
        if isinstance(header, str) and isinstance(value, str):
            cells.setdefault(_normal_header(header), value)
    return cells


def _headers(raw_header: Any) -> list[str]:
    if isinstance(raw_header, Sequence) and raw_header and isinstance(raw_header[0], dict):
        return [h for h in raw_header[0] if isinstance(h, str)]
    return []


@dataclass
class _Row:
    index: int  # position in the sheet's data list; pyxform calls it row index + 2
    row: int | None  # the row the user sees
    type_text: str
    name: str | None
    kind: _Kind
    cells: dict[str, str]


# -- the converter -------------------------------------------------------------------------------


class _Converter:
    def __init__(
        self,
        source_name: str,
        stem: str,
        raw: Any,
        csv_layout: _CsvLayout | None,
        vocabularies: VocabularyResolver | None,
    ) -> None:
        self.source_name = source_name
        self.stem = stem
        self.raw = raw
        self.csv_layout = csv_layout
        self.vocabularies = vocabularies
        self.dropped: list[Dropped] = []
        self._reported: set[tuple[str, ...]] = set()
        self.rows: dict[str, _Row] = {}  # survey rows by name
        self.dropped_names: set[str] = set()
        self.vocabulary_lists: dict[str, str] = {}  # list name -> version
        self.lists: dict[str, list[dict[str, Any]]] = {}
        self.choice_rows: dict[tuple[str, str], int | None] = {}
        self.field_rows: dict[str, int | None] = {}
        self.field_dicts: dict[str, dict[str, Any]] = {}
        self.expressions: list[tuple[dict[str, Any], str, int | None]] = []
        self.language_codes: dict[str, str | None] = {}
        self.used_languages: list[str] = []
        self.default_language = "en"
        self.acknowledge_list: str | None = None

    # -- rows and reports ------------------------------------------------------------------------

    def row_of(self, sheet: str, index: int) -> int | None:
        """The row the user sees for data row ``index`` of ``sheet``."""
        if index < 0:
            return None
        if self.csv_layout is None:
            return index + 2
        rows = self.csv_layout.rows.get(sheet, [])
        return rows[index] if index < len(rows) else None

    def header_row(self, sheet: str) -> int | None:
        if self.csv_layout is None:
            return 1
        return self.csv_layout.headers.get(sheet)

    def report(
        self,
        row: int | None,
        sheet: str,
        name: str | None,
        what: str,
        *,
        once: tuple[str, ...] = (),
    ) -> None:
        if once:
            if once in self._reported:
                return
            self._reported.add(once)
        self.dropped.append(Dropped(row, sheet, name, _one_line(what)))

    def error(
        self,
        reason: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> XLSFormError:
        return XLSFormError(self.source_name, reason, sheet=sheet, row=row, column=column)

    # -- the steps -------------------------------------------------------------------------------

    def run(self) -> Conversion:
        self.scan_survey()
        self.scan_choices()
        parsed = self.parse()
        self.read_languages(parsed)
        fields = self.convert_children(parsed.get("children"), ())
        if not fields:
            raise self.error(
                _(
                    "none of the questions can be carried over to fieldkit; add questions of "
                    "supported types (text, numbers, dates, selects, locations, files, notes)."
                ),
                sheet=SURVEY,
            )
        self.check_references()
        form_data = self.form_data(parsed, fields)
        form = self.validate(form_data)
        self.dropped.sort(key=lambda d: (_SHEET_ORDER.get(d.sheet, 3), d.row or 0))
        return Conversion(form_data, form, list(self.dropped), self.source_name)

    def scan_survey(self) -> None:
        """Check the survey rows before pyxform sees them: types, nesting, names."""
        rows = self.raw.survey or []
        headers = {_normal_header(h): h for h in _headers(self.raw.survey_header)}
        type_column = headers.get("type", "type")
        name_column = headers.get("name", "name")
        seen: dict[str, int | None] = {}
        depth = 0
        kept = 0
        for index, raw_row in enumerate(rows):
            cells = _cells(raw_row)
            if cells.get("disabled", "").strip() in _YES:
                continue
            type_text = " ".join(cells.get("type", "").split())
            if not type_text:
                continue  # pyxform reports a question without a type
            kind = _classify(type_text)
            row = self.row_of(SURVEY, index)
            if kind.role == "unknown":
                raise self.error(
                    _(
                        "unknown question type '{type}'; use one of the types listed at "
                        "https://xlsform.org"
                    ).format(type=_short(type_text, 60)),
                    sheet=SURVEY,
                    row=row,
                    column=type_column,
                )
            if kind.role == "end":
                depth = max(0, depth - 1)
                continue
            if kind.role == "setting":
                continue
            if kind.role == "begin":
                depth += 1
                if depth > MAX_NESTING:
                    raise self.error(
                        _(
                            "groups and repeats are nested more than {n} deep here; fieldkit "
                            "forms nest at most {n} deep, so flatten the inner groups."
                        ).format(n=MAX_NESTING),
                        sheet=SURVEY,
                        row=row,
                        column=type_column,
                    )
            name = cells.get("name", "").strip() or None
            if name is None and kind.field_type is FieldType.NOTE:
                name = f"generated_note_name_{index + 2}"
            if kind.role == "drop" or kind.container == "loop":
                reason = "loop" if kind.container == "loop" else kind.reason
                self.report(row, SURVEY, name, _drop_message(reason, type_text))
            if name is None:
                continue  # pyxform reports a question without a name
            if name in seen:
                first = seen[name]
                raise self.error(
                    _(
                        "the name '{name}' is used in row {first} and in row {row}; fieldkit needs "
                        "every name to be unique in the form, so rename one of them (and the "
                        "${{{name}}} references to it)."
                    ).format(name=_short(name, 64), first=first, row=row),
                    sheet=SURVEY,
                    row=row,
                    column=name_column,
                )
            seen[name] = row
            if kind.role == "drop" or kind.container == "loop":
                self.dropped_names.add(name)
                continue
            if not _NAME.match(name):
                raise self.error(
                    _(
                        "the name '{name}' cannot be used in fieldkit: use only letters, digits "
                        "and _, start with a letter or _, at most 64 characters. Rename it in the "
                        "XLSForm, together with every ${{{name}}} that refers to it."
                    ).format(name=_short(name, 64)),
                    sheet=SURVEY,
                    row=row,
                    column=name_column,
                )
            kept += 1
            self.rows[name] = _Row(index, row, type_text, name, kind, cells)
        if len(rows) > MAX_SURVEY_ROWS:
            raise self.error(
                _(
                    "the sheet has more than {n} rows; a fieldkit form holds at most {m} fields."
                ).format(n=MAX_SURVEY_ROWS, m=MAX_FIELDS),
                sheet=SURVEY,
            )
        if kept > MAX_FIELDS:
            raise self.error(
                _("the form has {n} questions; a fieldkit form holds at most {m}.").format(
                    n=kept, m=MAX_FIELDS
                ),
                sheet=SURVEY,
            )

    def scan_choices(self) -> None:
        """Row numbers of the choices; lists that a vocabulary provides are added for pyxform."""
        rows = self.raw.choices or []
        if len(rows) > MAX_CHOICE_ROWS:
            raise self.error(
                _("the sheet has more than {n} rows, too many for an XLSForm.").format(
                    n=MAX_CHOICE_ROWS
                ),
                sheet=CHOICES,
            )
        present: set[str] = set()
        for index, raw_row in enumerate(rows):
            cells = _cells(raw_row)
            list_name = cells.get("list_name", "").strip()
            code = cells.get("name", "").strip()
            if list_name:
                present.add(list_name)
                self.choice_rows.setdefault((list_name, code), self.row_of(CHOICES, index))
        if self.vocabularies is None:
            return
        wanted = [
            r.kind.list_name
            for r in self.rows.values()
            if r.kind.list_name and not r.kind.acknowledge
        ]
        injected: list[dict[str, str]] = []
        header = _headers(self.raw.choices_header)
        by_key = {_normal_header(h): h for h in header}
        list_column = by_key.get("list_name", "list_name")
        name_column = by_key.get("name", "name")
        label_column = next(
            (h for h in header if _header_tokens(h, "::" in h)[0].lower() == "label"), "label"
        )
        for list_name in dict.fromkeys(wanted):
            if list_name is None or list_name in present:
                continue
            vocabulary = self.vocabularies(list_name, None)
            if vocabulary is None:
                continue
            self.vocabulary_lists[list_name] = vocabulary.version or ""
            injected.extend(
                {list_column: list_name, name_column: choice.code, label_column: choice.code}
                for choice in vocabulary.choices
            )
        if injected:
            columns = dict.fromkeys([*header, list_column, name_column, label_column])
            self.raw = dataclasses.replace(
                self.raw, choices=[*rows, *injected], choices_header=[columns]
            )

    def parse(self) -> dict[str, Any]:
        """pyxform's parse of the sheets (on copies of the raw rows)."""
        from pyxform.errors import PyXFormError
        from pyxform.xls2json import workbook_to_json

        copies = {
            f.name: [dict(row) if isinstance(row, dict) else row for row in value]
            for f in dataclasses.fields(self.raw)
            if isinstance(value := getattr(self.raw, f.name), list)
        }
        book = dataclasses.replace(self.raw, **copies)
        try:
            parsed = workbook_to_json(
                workbook_dict=book,
                form_name=None,
                fallback_form_name=_NO_FORM_ID,
                default_language=None,
                warnings=[],
            )
        except PyXFormError as exc:
            selects = [r.row for r in self.rows.values() if r.kind.list_name]
            raise _pyxform_error(
                self.source_name,
                exc,
                self.row_of,
                header_row=self.header_row,
                first_select=selects[0] if selects else None,
                choice_row=lambda list_name, code: self.choice_rows.get((list_name, code)),
            ) from None
        except Exception as exc:  # only pyxform's parser runs in this block
            raise _unreadable(self.source_name, exc) from None
        if not isinstance(parsed, dict):
            raise _unreadable(self.source_name, TypeError(type(parsed).__name__))
        return parsed

    # -- languages -------------------------------------------------------------------------------

    def read_languages(self, parsed: dict[str, Any]) -> None:
        survey_names, survey_bare = _header_languages(_headers(self.raw.survey_header))
        choice_names, choice_bare = _header_languages(_headers(self.raw.choices_header))
        setting = parsed.get("default_language")
        settings_row = self.row_of(SETTINGS, 0) if self.raw.settings else None
        if isinstance(setting, str) and setting.strip() and setting != "default":
            code = language_code(setting)
            if code is None:
                raise self.error(
                    _(
                        "the default language '{name}' has no language code; write it like "
                        "'French (fr)', with the ISO 639 code in parentheses."
                    ).format(name=_short(setting, 40)),
                    sheet=SETTINGS,
                    row=settings_row,
                    column="default_language",
                )
            self.default_language = code
            self.language_codes[setting] = code
        elif survey_bare or choice_bare or not (survey_names or choice_names):
            self.default_language = "en"
        else:
            first = next((c for c in map(language_code, [*survey_names, *choice_names]) if c), None)
            self.default_language = first or "en"
        self.language_codes["default"] = self.default_language
        self.language_codes[_DEFAULT] = self.default_language
        for sheet, names in ((SURVEY, survey_names), (CHOICES, choice_names)):
            for name in names:
                self.resolve_language(name, sheet, self.header_row(sheet))

    def resolve_language(self, name: str, sheet: str, row: int | None) -> str | None:
        if name in self.language_codes:
            return self.language_codes[name]
        code = language_code(name)
        self.language_codes[name] = code
        if code is None:
            self.report(
                row,
                sheet,
                None,
                _(
                    "language '{name}' has no language code, so its texts were left out; name the "
                    "columns like 'label::{name} (xx)' with the ISO 639 code."
                ).format(name=_short(name, 40)),
            )
        return code

    def texts(self, value: Any, sheet: str = SURVEY) -> dict[str, str]:
        """A text of the parsed sheet (a string, or a dict keyed by language name) by code."""
        if isinstance(value, str):
            items: Iterable[tuple[Any, Any]] = [(_DEFAULT, value)]
        elif isinstance(value, dict):
            items = value.items()
        else:
            return {}
        result: dict[str, str] = {}
        for language, text in items:
            if not isinstance(language, str) or not isinstance(text, str) or not text.strip():
                continue
            code = self.resolve_language(language, sheet, self.header_row(sheet))
            if code is None:
                continue
            result.setdefault(code, text)
            if code not in self.used_languages:
                self.used_languages.append(code)
        return result

    # -- fields ----------------------------------------------------------------------------------

    def convert_children(self, children: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = []
        if not isinstance(children, list):
            return result
        for element in children:
            if not isinstance(element, dict):
                continue
            name = element.get("name")
            row = self.rows.get(name) if isinstance(name, str) else None
            if row is None:
                continue  # pyxform's own additions (meta, counts, table-list headers) or a drop
            if row.kind.role == "begin":
                converted = self.convert_container(element, row, path)
            else:
                converted = self.convert_field(element, row)
            if converted is None:
                continue
            result.append(converted)
            if row.kind.or_other:
                result.append(self.specify_other(row))
        return result

    def base(self, element: dict[str, Any], row: _Row, field_type: FieldType) -> dict[str, Any]:
        name = str(row.name)
        data: dict[str, Any] = {"name": name, "type": field_type.value}
        label = self.texts(element.get("label"))
        needs_label = field_type not in (FieldType.GROUP, FieldType.REPEAT) and (
            field_type is not FieldType.NOTE or not label
        )
        if needs_label and not label.get(self.default_language):
            label[self.default_language] = name
            self.report(
                row.row,
                SURVEY,
                name,
                _(
                    "the question has no label in the default language '{lang}'; its name is "
                    "used as the label"
                ).format(lang=self.default_language),
            )
        if label:
            data["label"] = label
        hint = self.texts(element.get("hint"))
        if hint:
            data["hint"] = hint
        for text in (*label.values(), *hint.values()):
            if "${" in text:
                self.report(
                    row.row,
                    SURVEY,
                    name,
                    _(
                        "the label or hint shows other answers with ${...}; fieldkit shows it "
                        "as written"
                    ),
                )
                break
        self.field_rows[name] = row.row
        self.field_dicts[name] = data
        return data

    def convert_field(self, element: dict[str, Any], row: _Row) -> dict[str, Any] | None:
        kind = row.kind
        field_type = kind.field_type or FieldType.TEXT
        appearance = row.cells.get("appearance", "").split()
        if field_type is FieldType.TEXT and "multiline" in appearance:
            field_type = FieldType.LONG_TEXT
            appearance = [a for a in appearance if a != "multiline"]
        data = self.base(element, row, field_type)
        if kind.acknowledge:
            data["choices"] = self.acknowledge_choices()
            self.report(
                row.row,
                SURVEY,
                row.name,
                _(
                    "the acknowledge check box was not carried over; the field became a "
                    "select_one with the single choice 'OK'"
                ),
            )
        elif field_type in (FieldType.SELECT_ONE, FieldType.SELECT_MULTIPLE):
            data["choices"] = self.choice_list(str(kind.list_name), element, row)
        elif field_type is FieldType.ATTACHMENT:
            data["max_files"] = 1
        self.report_appearance(appearance, row)
        self.convert_bind(element, row, data, field_type)
        if kind.constraint and "constraint" not in data:
            data["constraint"] = kind.constraint
        self.convert_default(element, row, data, field_type)
        self.report_extras(element, row)
        if field_type is not FieldType.NOTE:
            data["sensitivity"] = Sensitivity.RESTRICTED.value
        return data

    def convert_container(
        self, element: dict[str, Any], row: _Row, path: tuple[str, ...]
    ) -> dict[str, Any] | None:
        repeat = row.kind.container == "repeat"
        field_type = FieldType.REPEAT if repeat else FieldType.GROUP
        children = element.get("children") if isinstance(element.get("children"), list) else []
        first = children[0] if children and isinstance(children[0], dict) else {}
        first_name = str(first.get("name", ""))
        if first_name.startswith("generated_table_list_label_") and first_name not in self.rows:
            # pyxform moves a table-list group's label into a note of its own: move it back.
            element = {**element, "label": first.get("label"), "hint": first.get("hint")}
        data = self.base(element, row, field_type)
        appearance = row.cells.get("appearance", "").split()
        self.report_appearance(appearance, row)
        self.convert_bind(element, row, data, field_type)
        if repeat:
            self.repeat_count(row, data)
        if element.get("default") not in (None, ""):
            self.report(
                row.row,
                SURVEY,
                row.name,
                _("a default does not apply to a {type}; it was left out").format(
                    type=field_type.value
                ),
            )
        self.report_extras(element, row)
        fields = self.convert_children(children, (*path, str(row.name)))
        if not fields:
            self.report(
                row.row,
                SURVEY,
                row.name,
                _(
                    "the {type} was left out because none of its fields could be carried over"
                ).format(type=field_type.value),
            )
            self.field_dicts.pop(str(row.name), None)
            self.dropped_names.add(str(row.name))
            return None
        data["fields"] = fields
        return data

    def specify_other(self, row: _Row) -> dict[str, Any]:
        name = f"{row.name}_other"
        data: dict[str, Any] = {
            "name": name,
            "type": FieldType.TEXT.value,
            "label": {self.default_language: "Specify other."},
            "relevant": f"selected(${{{row.name}}}, 'other')",
            "sensitivity": Sensitivity.RESTRICTED.value,
        }
        self.field_rows[name] = row.row
        self.field_dicts[name] = data
        self.expressions.append((data, "relevant", row.row))
        return data

    def repeat_count(self, row: _Row, data: dict[str, Any]) -> None:
        count = row.cells.get("repeat_count", "").strip()
        if not count:
            return
        if re.fullmatch(r"[0-9]{1,5}", count) and 1 <= int(count) <= 10_000:
            data["min_count"] = int(count)
            data["max_count"] = int(count)
            return
        self.report(
            row.row,
            SURVEY,
            row.name,
            _(
                "repeat_count '{count}' is not a fixed number from 1 to 10000; the number of "
                "entries is left to the user"
            ).format(count=_short(count, 60)),
        )

    # -- choices ---------------------------------------------------------------------------------

    def choice_list(self, list_name: str, element: dict[str, Any], row: _Row) -> str:
        if list_name in self.vocabulary_lists or list_name in self.lists:
            return list_name
        if not _LIST_NAME.match(list_name):
            raise self.error(
                _(
                    "the choice list name '{name}' cannot be used in fieldkit: use letters, "
                    "digits, _, . and -, at most 64 characters."
                ).format(name=_short(list_name, 64)),
                sheet=SURVEY,
                row=row.row,
                column="type",
            )
        choices = element.get("choices")
        if not isinstance(choices, list) or not choices:
            raise self.error(
                _("the choice list '{name}' has no choices; add them to the choices sheet.").format(
                    name=_short(list_name, 64)
                ),
                sheet=SURVEY,
                row=row.row,
                column="type",
            )
        result: list[dict[str, Any]] = []
        missing_label = False
        known_columns = {"name", "label", "media", "__row", "list_name"}
        for choice in choices:
            if not isinstance(choice, dict):
                continue
            code = str(choice.get("name", "")).strip()
            choice_row = self.choice_rows.get((list_name, code))
            if not _CODE.match(code):
                raise self.error(
                    _(
                        "the choice name '{code}' in list '{list}' cannot be used in fieldkit: use "
                        "letters, digits and _ . + - only, starting with a letter, digit or _."
                    ).format(code=_short(code, 64), list=_short(list_name, 64)),
                    sheet=CHOICES,
                    row=choice_row,
                    column="name",
                )
            label = self.texts(choice.get("label"), CHOICES)
            if not label.get(self.default_language):
                label[self.default_language] = code
                missing_label = True
            result.append({"code": code, "label": label})
            if choice.get("media"):
                self.report(
                    choice_row,
                    CHOICES,
                    None,
                    _("images, audio and video in choice labels are not carried over"),
                    once=("choice-media",),
                )
            for column in choice:
                if column not in known_columns:
                    self.report(
                        choice_row,
                        CHOICES,
                        None,
                        _(
                            "the column '{column}' (such as a choice filter) is not supported; its "
                            "values were ignored"
                        ).format(column=_short(str(column), 60)),
                        once=("choice-column", str(column)),
                    )
        if missing_label:
            self.report(
                self.choice_rows.get((list_name, str(choices[0].get("name", "")).strip())),
                CHOICES,
                None,
                _(
                    "some choices of list '{list}' have no label in the default language '{lang}'; "
                    "their names are used as labels"
                ).format(list=_short(list_name, 64), lang=self.default_language),
            )
        self.lists[list_name] = result
        return list_name

    def acknowledge_choices(self) -> str:
        if self.acknowledge_list is None:
            taken = {*(self.raw_list_names()), *self.vocabulary_lists}
            name, n = "acknowledge", 1
            while name in taken:
                n += 1
                name = f"acknowledge_{n}"
            self.acknowledge_list = name
            self.lists[name] = [{"code": "OK", "label": {self.default_language: "OK"}}]
        return self.acknowledge_list

    def raw_list_names(self) -> set[str]:
        return {list_name for list_name, _code in self.choice_rows}

    # -- columns ---------------------------------------------------------------------------------

    def report_appearance(self, appearance: list[str], row: _Row) -> None:
        if not appearance:
            return
        value = " ".join(appearance)
        self.report(
            row.row,
            SURVEY,
            row.name,
            _("the appearance '{value}' is not supported and was ignored (first seen here)").format(
                value=_short(value, 60)
            ),
            once=("appearance", value),
        )

    def convert_bind(
        self, element: dict[str, Any], row: _Row, data: dict[str, Any], field_type: FieldType
    ) -> None:
        bind = element.get("bind")
        if not isinstance(bind, dict):
            return
        holds_value = field_type not in (FieldType.NOTE, FieldType.GROUP)
        name = row.name
        relevant = bind.get("relevant")
        if isinstance(relevant, str) and relevant.strip():
            self.expression(data, "relevant", relevant, row)
        required = bind.get("required")
        if isinstance(required, str) and required.strip() and required.strip() not in _NO:
            if not holds_value:
                self.not_applicable("required", field_type, row)
            elif required.strip() in _YES:
                data["required"] = True
            else:
                self.expression(data, "required", required, row)
        constraint = bind.get("constraint")
        if isinstance(constraint, str) and constraint.strip():
            if not holds_value or field_type is FieldType.REPEAT:
                self.not_applicable("constraint", field_type, row)
            elif self.expression(data, "constraint", constraint, row):
                message = self.texts(bind.get("jr:constraintMsg"))
                if message:
                    data["constraint_message"] = message
        readonly = bind.get("readonly")
        if (
            isinstance(readonly, str)
            and readonly.strip()
            and readonly.strip() not in _NO
            and field_type is not FieldType.NOTE
        ):
            self.report(
                row.row,
                SURVEY,
                name,
                _("read_only is not supported; the field can be edited in fieldkit"),
            )
        if bind.get("calculate"):
            self.report(
                row.row,
                SURVEY,
                name,
                _("the calculation was left out; fieldkit does not calculate answers"),
            )
        if bind.get("jr:requiredMsg"):
            self.report(
                row.row,
                SURVEY,
                name,
                _("required_message was left out; fieldkit shows its own message"),
            )
        handled = {
            "relevant",
            "required",
            "constraint",
            "jr:constraintMsg",
            "readonly",
            "calculate",
            "jr:requiredMsg",
            "type",
        }
        for key in bind:
            if key in handled or str(key).startswith(("odk:", "orx:")):
                continue  # odk:/orx: binds come from the parameters column, reported there
            self.report_column(str(key), row)

    def not_applicable(self, attribute: str, field_type: FieldType, row: _Row) -> None:
        self.report(
            row.row,
            SURVEY,
            row.name,
            _("{attribute} does not apply to a {type}; it was left out").format(
                attribute=attribute, type=field_type.value
            ),
        )

    def convert_default(
        self, element: dict[str, Any], row: _Row, data: dict[str, Any], field_type: FieldType
    ) -> None:
        default = element.get("default")
        if not isinstance(default, str) or not default.strip():
            return
        default = default.strip()
        if field_type in (FieldType.NOTE, FieldType.GROUP, FieldType.REPEAT, FieldType.ATTACHMENT):
            self.not_applicable("default", field_type, row)
            return
        if element.get("_dynamic_default"):  # pyxform's mark of a default that is an expression
            compact = "".join(default.split())
            if compact in ("today()", "now()"):
                data["default"] = "=" + compact
            elif self.expression(data, "default", default, row, prefix="="):
                data["default"] = "=" + default
            return
        if field_type is FieldType.INTEGER and re.fullmatch(r"[-+]?[0-9]{1,15}", default):
            data["default"] = int(default)
        elif field_type is FieldType.DECIMAL and re.fullmatch(
            r"[-+]?([0-9]{1,15}(\.[0-9]*)?|\.[0-9]+)", default
        ):
            number = float(default)
            data["default"] = int(number) if number.is_integer() else number
        elif field_type is FieldType.SELECT_MULTIPLE:
            data["default"] = default.split()
        else:
            data["default"] = default

    def report_extras(self, element: dict[str, Any], row: _Row) -> None:
        name = row.name
        if element.get("media"):
            self.report(
                row.row,
                SURVEY,
                name,
                _("images, audio and video in the label are not carried over"),
            )
        if element.get("choice_filter"):
            self.report(
                row.row,
                SURVEY,
                name,
                _("choice_filter was left out; every choice of the list is offered"),
            )
        parameters = element.get("parameters")
        if parameters:
            self.report(
                row.row,
                SURVEY,
                name,
                _("parameters were left out: {parameters}").format(
                    parameters=_short(_parameters_text(parameters), 60)
                ),
            )
        if element.get("trigger"):
            self.report(
                row.row,
                SURVEY,
                name,
                _("trigger was left out; fieldkit does not recalculate answers"),
            )
        if element.get("guidance_hint"):
            self.report(row.row, SURVEY, name, _("guidance_hint was left out"))
        control = element.get("control")
        if isinstance(control, dict):
            for key in control:
                if key not in ("appearance", "jr:count", "rows", "bodyless"):
                    self.report_column(str(key), row)
        known = {
            "type",
            "name",
            "label",
            "hint",
            "bind",
            "control",
            "media",
            "default",
            "choice_filter",
            "parameters",
            "trigger",
            "guidance_hint",
            "itemset",
            "list_name",
            "choices",
            "children",
            "actions",
            "_dynamic_default",
            "__row",
        }
        for key in element:
            if key not in known:
                self.report_column(str(key), row)

    def report_column(self, column: str, row: _Row) -> None:
        self.report(
            row.row,
            SURVEY,
            row.name,
            _(
                "the column '{column}' is not supported; its values were ignored (first seen here)"
            ).format(column=_short(column, 60)),
            once=("column", column),
        )

    # -- expressions -----------------------------------------------------------------------------

    def expression(
        self, data: dict[str, Any], attribute: str, source: str, row: _Row, prefix: str = ""
    ) -> bool:
        """Keep ``source`` as ``data[attribute]`` if fieldkit can read it; report it if not."""
        source = source.strip()
        problem = _unsupported(source)
        if problem is None:
            try:
                expressions.parse(source)
            except expressions.ExpressionError as exc:
                problem = _("{message} at column {column}").format(
                    message=exc.message, column=exc.column
                )
        if problem is not None:
            self.report_expression(row.row, row.name, attribute, source, problem)
            return False
        data[attribute] = prefix + source
        self.expressions.append((data, attribute, row.row))
        return True

    def report_expression(
        self, row: int | None, name: str | None, attribute: str, source: str, problem: str
    ) -> None:
        self.report(
            row,
            SURVEY,
            name,
            _("the {attribute} '{source}' was left out: {problem}").format(
                attribute=attribute, source=_short(source, 60), problem=problem
            ),
        )

    def check_references(self) -> None:
        """Drop expressions that use fields that were left out, or '.' outside a constraint."""
        valueless = {
            name
            for name, data in self.field_dicts.items()
            if data["type"] in (FieldType.NOTE.value, FieldType.GROUP.value)
        }
        for data, attribute, row in self.expressions:
            value = data.get(attribute)
            if not isinstance(value, str) or self.field_dicts.get(data["name"]) is not data:
                continue  # already dropped, or part of a group that was left out
            source = value[1:] if attribute == "default" else value
            expression = expressions.parse(source)
            problem = None
            for ref in sorted(expression.references):
                if ref in self.dropped_names:
                    problem = _("${{{name}}} was left out of the form").format(name=ref)
                elif ref not in self.field_dicts:
                    problem = _("${{{name}}} is not a question of the form").format(name=ref)
                elif ref in valueless:
                    problem = _("${{{name}}} holds no value").format(name=ref)
                if problem:
                    break
            if problem is None and attribute == "default" and expression.references:
                problem = _("a default may use functions such as today(), not other fields")
            if problem is None and expression.uses_current and attribute != "constraint":
                problem = _("'.' (this field's value) may appear only in a constraint")
            if problem is not None:
                del data[attribute]
                if attribute == "constraint":
                    data.pop("constraint_message", None)
                self.report_expression(row, str(data["name"]), attribute, source, problem)

    # -- the form --------------------------------------------------------------------------------

    def form_data(self, parsed: dict[str, Any], fields: list[dict[str, Any]]) -> dict[str, Any]:
        settings_row = self.row_of(SETTINGS, 0) if self.raw.settings else None
        form_id = parsed.get("id_string")
        if not isinstance(form_id, str) or form_id == _NO_FORM_ID or not form_id.strip():
            form_id = slugify_form_id(self.stem)
            self.report(
                settings_row,
                SETTINGS,
                None,
                _("the XLSForm has no form_id; the id '{id}' was made from the file name").format(
                    id=form_id
                ),
            )
        elif not _FORM_ID.match(form_id):
            slug = slugify_form_id(form_id)
            self.report(
                settings_row,
                SETTINGS,
                None,
                _("the form_id '{old}' became '{new}' (lowercase letters, digits, _ . -)").format(
                    old=_short(form_id, 64), new=slug
                ),
            )
            form_id = slug
        version = parsed.get("version")
        if not isinstance(version, str) or not version.strip():
            version = "1"
            self.report(
                settings_row,
                SETTINGS,
                None,
                _("the XLSForm has no version; fieldkit uses version '1'"),
            )
        elif not _VERSION.match(version):
            cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", version).strip("-._")[:32] or "1"
            self.report(
                settings_row,
                SETTINGS,
                None,
                _("the version '{old}' became '{new}' (letters, digits, . _ - only)").format(
                    old=_short(version, 40), new=cleaned
                ),
            )
            version = cleaned
        title = parsed.get("title")
        if not isinstance(title, str) or not title.strip() or title == _NO_FORM_ID:
            title = form_id
        self.report_settings(parsed, settings_row)
        languages = [self.default_language]
        languages.extend(code for code in self.used_languages if code not in languages)
        data: dict[str, Any] = {
            "fieldkit_form": 1,
            "id": form_id,
            "version": version,
            "title": {self.default_language: title.strip()},
            "languages": languages,
        }
        if self.lists:
            data["choices"] = dict(self.lists)
        used_vocabularies = {
            name: version
            for name, version in self.vocabulary_lists.items()
            if any(d.get("choices") == name for d in self.field_dicts.values())
        }
        if used_vocabularies:
            data["vocabularies"] = used_vocabularies
        data["fields"] = fields
        return data

    def report_settings(self, parsed: dict[str, Any], row: int | None) -> None:
        known = {
            "type",
            "name",
            "title",
            "id_string",
            "sms_keyword",
            "default_language",
            "children",
            "choices",
            "version",
            "omit_instanceID",
            "clean_text_values",
            "allow_choice_duplicates",
            "instance_xmlns",
        }
        for key in parsed:
            if key in known:
                continue
            if key == "public_key":
                what = _("public_key was ignored; fieldkit encrypts every record itself")
            else:
                what = _("the setting '{name}' has no fieldkit equivalent and was ignored").format(
                    name=_short(str(key), 60)
                )
            self.report(row, SETTINGS, None, what)
        for sheet in ("external_choices", "entities", "osm"):
            if getattr(self.raw, sheet, None):
                self.report(
                    None,
                    sheet,
                    None,
                    _("the '{sheet}' sheet is not supported and was ignored").format(sheet=sheet),
                )

    def validate(self, data: dict[str, Any]) -> FormDefinition:
        """The form through fieldkit's own checks; expressions fieldkit rejects are dropped."""
        droppable = {"relevant", "required", "constraint", "default", "constraint_message"}
        attempts = 0
        while True:
            try:
                return form_from_data(data, self.source_name, self.vocabularies)
            except FormError as exc:
                problems = exc.problems
            attempts += 1
            removed = False
            for problem in problems:
                target = self.field_dicts.get(problem.field or "")
                if target is None or problem.attribute not in droppable:
                    continue
                if target.pop(problem.attribute, None) is None:
                    continue
                removed = True
                if problem.attribute == "constraint":
                    target.pop("constraint_message", None)
                self.report(
                    self.field_rows.get(str(problem.field)),
                    SURVEY,
                    problem.field,
                    _("the {attribute} was left out: {problem}").format(
                        attribute=problem.attribute, problem=_problem_text(problem)
                    ),
                )
            if not removed or attempts >= 5:
                raise self.form_problem_error(problems[0])

    def form_problem_error(self, problem: FormProblem) -> XLSFormError:
        columns = {"relevant", "constraint", "required", "default", "label", "hint", "choices"}
        column = problem.attribute if problem.attribute in columns else None
        if problem.field is None:
            return self.error(
                _("{problem}; correct the XLSForm and import it again.").format(
                    problem=_problem_text(problem)
                ),
            )
        return self.error(
            _("question '{name}': {problem}; correct the XLSForm and import it again.").format(
                name=problem.field, problem=_problem_text(problem)
            ),
            sheet=SURVEY,
            row=self.field_rows.get(problem.field),
            column=column,
        )


def _problem_text(problem: FormProblem) -> str:
    if problem.column is not None:
        return _("{message} at column {column}").format(
            message=problem.message, column=problem.column
        )
    return problem.message


def _parameters_text(parameters: Any) -> str:
    if isinstance(parameters, dict):
        return " ".join(f"{k}={v}" for k, v in parameters.items())
    return str(parameters)


def _unsupported(source: str) -> str | None:
    """Why an ODK expression cannot be used in fieldkit, for what fieldkit's parser would only
    call a syntax error: ODK functions, paths, names that fieldkit cannot have."""
    bare = _STRING_LITERAL.sub("''", source)
    for match in _CALL.finditer(bare):
        function = match.group(1)
        if function in ("and", "or", "div", "mod") or function in expressions.FUNCTION_NAMES:
            continue
        return _("fieldkit has no function {function}()").format(function=function)
    if ".." in bare or "/" in bare:
        return _("paths such as ../name or /data/name are not supported; use ${name}")
    for match in _REFERENCE.finditer(bare):
        if not _NAME.match(match.group(1)):
            return _("${{{name}}} is not a fieldkit name").format(name=_short(match.group(1), 40))
    return None
