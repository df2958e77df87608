"""The converter's shared state: the rows it found, what it left out, and the languages."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fieldkit.domain.formfile import VocabularyResolver
from fieldkit.i18n import _
from fieldkit.services.xlsform.headers import (
    DEFAULT_LANGUAGE_KEY,
    header_languages,
    header_names,
    language_code,
)
from fieldkit.services.xlsform.model import (
    CHOICES,
    SETTINGS,
    SURVEY,
    Dropped,
    XLSFormError,
    one_line,
    short,
)
from fieldkit.services.xlsform.names import unique_name
from fieldkit.services.xlsform.question_types import Kind
from fieldkit.services.xlsform.reading import CsvLayout

_REFERENCE = re.compile(r"\$\{([^}]*)\}")


@dataclass
class Row:
    index: int  # position in the sheet's data list; pyxform calls it row index + 2
    row: int | None  # the row the user sees
    type_text: str
    name: str | None
    kind: Kind
    cells: dict[str, str]


class ConverterBase:
    """What every step of the conversion shares: the raw sheets, the reports, the languages."""

    def __init__(
        self,
        source_name: str,
        stem: str,
        raw: Any,
        csv_layout: CsvLayout | None,
        vocabularies: VocabularyResolver | None,
    ) -> None:
        self.source_name = source_name
        self.stem = stem
        self.raw = raw
        self.csv_layout = csv_layout
        self.vocabularies = vocabularies
        self.dropped: list[Dropped] = []
        self._reported: set[tuple[str, ...]] = set()
        self.rows: dict[str, Row] = {}  # survey rows by name
        self.dropped_names: set[str] = set()  # fieldkit names
        self.field_names: dict[str, str] = {}  # XLSForm name -> fieldkit name, where they differ
        self.copy_names: dict[str, str] = {}  # the same, for the copy of a loop being converted
        self.taken_names: set[str] = set()  # every fieldkit name given
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

    def fieldkit_name(self, name: str) -> str:
        """The fieldkit name of the question named ``name`` in the XLSForm."""
        return self.copy_names.get(name) or self.field_names.get(name, name)

    def new_name(self, wanted: str) -> str:
        """A fieldkit name like ``wanted`` that no other field has."""
        return unique_name(wanted, self.taken_names)

    def fieldkit_references(self, source: str) -> str:
        """``source`` with each ``${name}`` naming a renamed question written with its fieldkit
        name."""
        if not self.field_names and not self.copy_names:
            return source
        return _REFERENCE.sub(lambda m: "${" + self.fieldkit_name(m.group(1)) + "}", source)

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
        self.dropped.append(Dropped(row, sheet, name, one_line(what)))

    def error(
        self,
        reason: str,
        *,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> XLSFormError:
        return XLSFormError(self.source_name, reason, sheet=sheet, row=row, column=column)

    def read_languages(self, parsed: dict[str, Any]) -> None:
        survey_names, survey_bare = header_languages(header_names(self.raw.survey_header))
        choice_names, choice_bare = header_languages(header_names(self.raw.choices_header))
        setting = parsed.get("default_language")
        settings_row = self.row_of(SETTINGS, 0) if self.raw.settings else None
        if isinstance(setting, str) and setting.strip() and setting != "default":
            code = language_code(setting)
            if code is None:
                raise self.error(
                    _(
                        "the default language '{name}' has no language code; write it like "
                        "'French (fr)', with the ISO 639 code in parentheses."
                    ).format(name=short(setting, 40)),
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
        self.language_codes[DEFAULT_LANGUAGE_KEY] = self.default_language
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
                ).format(name=short(name, 40)),
            )
        return code

    def texts(self, value: Any, sheet: str = SURVEY) -> dict[str, str]:
        """A text of the parsed sheet (a string, or a dict keyed by language name) by code."""
        if isinstance(value, str):
            items: Iterable[tuple[Any, Any]] = [(DEFAULT_LANGUAGE_KEY, value)]
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
