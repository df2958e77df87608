"""The steps of a conversion: check the rows, let pyxform parse them, convert, validate."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from fieldkit.domain.formfile import FormError, FormProblem, form_from_data
from fieldkit.domain.forms import (
    FORM_ID_PATTERN,
    MAX_FIELDS,
    MAX_NESTING,
    NAME_PATTERN,
    VERSION_PATTERN,
    FieldType,
    FormDefinition,
    slugify_form_id,
)
from fieldkit.i18n import _
from fieldkit.services.xlsform.base import Row
from fieldkit.services.xlsform.headers import header_names, header_tokens, normal_header, row_cells
from fieldkit.services.xlsform.model import (
    CHOICES,
    MAX_CHOICE_ROWS,
    MAX_SURVEY_ROWS,
    SETTINGS,
    SURVEY,
    Conversion,
    XLSFormError,
    short,
)
from fieldkit.services.xlsform.names import fieldkit_names
from fieldkit.services.xlsform.question_types import classify, drop_message
from fieldkit.services.xlsform.questions import YES, QuestionConversion
from fieldkit.services.xlsform.reading import pyxform_error, unreadable

_FORM_ID = re.compile(FORM_ID_PATTERN)
_NAME = re.compile(NAME_PATTERN)
_VERSION = re.compile(VERSION_PATTERN)

_SHEET_ORDER = {SURVEY: 0, CHOICES: 1, SETTINGS: 2}
_NO_FORM_ID = "\x00fieldkit:no-form-id"
"""Passed to pyxform as the fallback form id, to tell whether the sheets gave one."""


class Converter(QuestionConversion):
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
        headers = {normal_header(h): h for h in header_names(self.raw.survey_header)}
        type_column = headers.get("type", "type")
        name_column = headers.get("name", "name")
        seen: dict[str, int | None] = {}
        depth = 0
        kept = 0
        for index, raw_row in enumerate(rows):
            cells = row_cells(raw_row)
            if cells.get("disabled", "").strip() in YES:
                continue
            type_text = " ".join(cells.get("type", "").split())
            if not type_text:
                continue  # pyxform reports a question without a type
            kind = classify(type_text)
            row = self.row_of(SURVEY, index)
            if kind.role == "unknown":
                raise self.error(
                    _(
                        "unknown question type '{type}'; use one of the types listed at "
                        "https://xlsform.org"
                    ).format(type=short(type_text, 60)),
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
            if kind.role == "drop":
                self.report(row, SURVEY, name, drop_message(kind.reason, type_text))
            if name is None:
                continue  # pyxform reports a question without a name
            if name in seen:
                first = seen[name]
                raise self.error(
                    _(
                        "the name '{name}' is used in row {first} and in row {row}; fieldkit needs "
                        "every name to be unique in the form, so rename one of them (and the "
                        "${{{name}}} references to it)."
                    ).format(name=short(name, 64), first=first, row=row),
                    sheet=SURVEY,
                    row=row,
                    column=name_column,
                )
            seen[name] = row
            if kind.role == "drop":
                self.dropped_names.add(name)
                continue
            kept += 1
            self.rows[name] = Row(index, row, type_text, name, kind, cells)
        self.field_names = fieldkit_names(seen)
        self.taken_names = {self.fieldkit_name(name) for name in seen}
        self.dropped_names = {self.fieldkit_name(name) for name in self.dropped_names}
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
            cells = row_cells(raw_row)
            list_name = cells.get("list_name", "").strip()
            code = cells.get("name", "").strip()
            if list_name:
                present.add(list_name)
                self.choice_rows.setdefault((list_name, code), self.row_of(CHOICES, index))
        wanted = [
            r.kind.list_name
            for r in self.rows.values()
            if r.kind.list_name and not r.kind.acknowledge
        ]
        # A subdivision question (fieldkit's subdivision_of column) takes its choices from ISO
        # 3166-2, not from its list: a list missing from the sheet gets one placeholder choice,
        # for pyxform, that the conversion does not use.
        regions = {
            r.kind.list_name
            for r in self.rows.values()
            if r.kind.list_name and r.cells.get("subdivision_of", "").strip()
        }
        if self.vocabularies is None and not regions - present:
            return
        injected: list[dict[str, str]] = []
        header = header_names(self.raw.choices_header)
        by_key = {normal_header(h): h for h in header}
        list_column = by_key.get("list_name", "list_name")
        name_column = by_key.get("name", "name")
        label_column = next(
            (h for h in header if header_tokens(h, "::" in h)[0].lower() == "label"), "label"
        )
        for list_name in dict.fromkeys(wanted):
            if list_name is None or list_name in present:
                continue
            if list_name in regions:
                injected.append({list_column: list_name, name_column: "_", label_column: "_"})
                continue
            vocabulary = self.vocabularies(list_name, None) if self.vocabularies else None
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
            raise pyxform_error(
                self.source_name,
                exc,
                self.row_of,
                header_row=self.header_row,
                first_select=selects[0] if selects else None,
                choice_row=lambda list_name, code: self.choice_rows.get((list_name, code)),
            ) from None
        except Exception as exc:  # only pyxform's parser runs in this block
            raise unreadable(self.source_name, exc) from None
        if not isinstance(parsed, dict):
            raise unreadable(self.source_name, TypeError(type(parsed).__name__))
        return parsed

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
                    old=short(form_id, 64), new=slug
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
                    old=short(version, 40), new=cleaned
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
                    name=short(str(key), 60)
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
