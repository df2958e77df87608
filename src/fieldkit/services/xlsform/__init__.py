"""Importing ODK / KoboToolbox XLSForms (``.xlsx``, ``.xls``, ``.csv``) as fieldkit forms.

The spreadsheet is untrusted. It is checked before pyxform sees it (size on disk, the uncompressed
size and XML preamble of an ``.xlsx``, the rows, columns and cells of each sheet counted while it
is streamed (:mod:`.limits`), UTF-8 and NUL bytes of a ``.csv``, nesting depth, names), read with
pyxform's own backends and parser (``xls2json_backends`` and ``workbook_to_json``, the
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
* A name fieldkit does not allow (``label-test``) gets a fieldkit name and keeps its own in
  ``xlsform_name`` (:mod:`.names`); ``begin loop over LIST`` becomes one group per choice, as
  pyxform expands it (:mod:`.loops`).
* Every field is ``restricted``: XLSForms carry no sensitivity, so the YAML's header comment asks
  for a review.

The libraries' own warnings and logs are kept from the terminal
(:func:`.reading.library_warnings_caught`).

The package: :mod:`.model` (the results and the error), :mod:`.reading` and :mod:`.limits` (the
file and its size), :mod:`.headers` (columns and languages), :mod:`.question_types`, and the
converter's steps: :mod:`.converter`, :mod:`.questions`, :mod:`.choices`, :mod:`.expressions`.
"""

from __future__ import annotations

from pathlib import Path

from fieldkit.domain.formfile import VocabularyResolver
from fieldkit.services.xlsform.converter import Converter
from fieldkit.services.xlsform.headers import language_code
from fieldkit.services.xlsform.limits import MAX_CELLS, MAX_COLUMNS, check_xls_sheets
from fieldkit.services.xlsform.model import (
    CHOICES,
    MAX_CHOICE_ROWS,
    MAX_FILE_BYTES,
    MAX_SURVEY_ROWS,
    MAX_UNCOMPRESSED_BYTES,
    MAX_ZIP_MEMBERS,
    SETTINGS,
    SURVEY,
    Conversion,
    Dropped,
    XLSFormError,
    one_line,
)
from fieldkit.services.xlsform.reading import (
    CsvLayout,
    check_csv,
    check_xlsx_archive,
    file_kind,
    library_warnings_caught,
    read_file,
    read_workbook,
)

__all__ = [
    "CHOICES",
    "MAX_CELLS",
    "MAX_CHOICE_ROWS",
    "MAX_COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_SURVEY_ROWS",
    "MAX_UNCOMPRESSED_BYTES",
    "MAX_ZIP_MEMBERS",
    "SETTINGS",
    "SURVEY",
    "Conversion",
    "Dropped",
    "XLSFormError",
    "convert_xlsform",
    "language_code",
]


def convert_xlsform(
    untrusted_path: Path, *, vocabularies: VocabularyResolver | None = None
) -> Conversion:
    """Convert the XLSForm at ``untrusted_path`` (``.xlsx``, ``.xls`` or ``.csv``).

    Raises :class:`XLSFormError` for a file or sheet that cannot be used."""
    source_name = one_line(untrusted_path.name) or str(untrusted_path)
    with library_warnings_caught():
        return _convert(untrusted_path, source_name, vocabularies)


def _convert(
    untrusted_path: Path, source_name: str, vocabularies: VocabularyResolver | None
) -> Conversion:
    data = read_file(untrusted_path, source_name)
    kind = file_kind(data, untrusted_path.suffix.lower(), source_name)
    csv_layout: CsvLayout | None = None
    if kind == ".xlsx":
        check_xlsx_archive(data, source_name)
    elif kind == ".xls":
        check_xls_sheets(data, source_name)
    elif kind == ".csv":
        data, csv_layout = check_csv(data, source_name)
    book = read_workbook(data, kind, source_name)
    return Converter(source_name, untrusted_path.stem, book, csv_layout, vocabularies).run()
