"""``fieldkit-hq codebook``: every field of every form version HQ holds, with its codes.

One row per field and code (a field without choices: one row): the form and its version, the
field's name as exports name it, the table it is in (``records``, or the repeat group(s) holding
it: ``victims/acts``), its type, its label in English, French and Arabic, its sensitivity
(a field inside an identifying group is identifying), its vocabulary (``name:version``), and for
each code: the code, its labels, and whether fieldkit added it to a standard list (``fieldkit``).

Written by the file's extension: ``.xlsx`` (a workbook), ``.csv``, or ``.md`` (Markdown: a table
of fields per form version, then each vocabulary's codes), atomically.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from fieldkit.domain.forms import FieldDef, FormDefinition, localized
from fieldkit.files import atomic_writer
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.exports.cells import csv_cell
from fieldkit.hq.exports.vocabularies import LABEL_LANGUAGES, is_fieldkit_code
from fieldkit.hq.exports.xlsx import XlsxWriter
from fieldkit.hq.records import FormCache, column_name, form_ids
from fieldkit.hq.repository.base import Repository
from fieldkit.i18n import _

HEADER = [
    "form_id",
    "form_version",
    "field",
    "table",
    "type",
    *(f"label_{language}" for language in LABEL_LANGUAGES),
    "sensitivity",
    "vocabulary",
    "code",
    *(f"code_label_{language}" for language in LABEL_LANGUAGES),
    "fieldkit",
]
FORMATS = (".xlsx", ".csv", ".md")


@dataclass(frozen=True)
class CodebookResult:
    path: Path
    forms: int
    """Form versions described."""
    rows: int


def write_codebook(repository: Repository, destination: Path) -> CodebookResult:
    """Write the codebook of every form version HQ holds to ``destination``."""
    suffix = destination.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInputError(
            _(
                "Name the codebook FILE.xlsx, FILE.csv or FILE.md: its extension says how to "
                "write it."
            )
        )
    if destination.is_dir() or not destination.parent.is_dir():
        raise NotFoundError(_("{path}: its folder does not exist.").format(path=destination))
    cache = FormCache(repository)
    forms = [form for form_id in form_ids(repository) for form in cache.versions(form_id)]
    if not forms:
        raise NotFoundError(_("Headquarters holds no forms yet: there is nothing to describe."))
    with atomic_writer(destination) as out:
        if suffix == ".xlsx":
            with XlsxWriter() as book:
                count = book.sheet("codebook", HEADER, rows(forms))
                book.save(out)
        elif suffix == ".csv":
            count = _csv(out, forms)
        else:
            count = _markdown(out, forms)
    return CodebookResult(destination, len(forms), count)


def rows(forms: list[FormDefinition]) -> Iterator[list[Any]]:
    """The codebook's rows (see the module's description)."""
    for form in forms:
        for chain, field in form.walk():
            if not field.holds_value:
                continue
            base = _field_cells(form, chain, field)
            if field.choices is None or field.choices not in form.choice_lists:
                yield [*base, None, None, *([None] * len(LABEL_LANGUAGES)), None]
                continue
            choice_list = form.choice_lists[field.choices]
            vocabulary = _vocabulary_name(form, field)
            for choice in choice_list.choices:
                labels = [
                    localized(choice.label, lang, tuple(form.languages)) for lang in LABEL_LANGUAGES
                ]
                yield [*base, vocabulary, choice.code, *labels, is_fieldkit_code(choice)]


def _field_cells(form: FormDefinition, chain: tuple[str, ...], field: FieldDef) -> list[Any]:
    repeats = form.scope_of(field.name)
    table = "/".join(repeats) if repeats else "records"
    sensitivity = "identifying" if form.is_identifying(field.name) else field.sensitivity.value
    labels = [field.label.get(language) or None for language in LABEL_LANGUAGES]
    return [
        form.id,
        form.version,
        column_name(field),
        table,
        field.type.value,
        *labels,
        sensitivity,
    ]


def _vocabulary_name(form: FormDefinition, field: FieldDef) -> str | None:
    if field.choices is None:
        return None
    choice_list = form.choice_lists[field.choices]
    return f"{choice_list.name}:{choice_list.version}" if choice_list.version else choice_list.name


class _Utf8:
    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        return self._out.write(text.encode("utf-8"))


def _csv(out: BinaryIO, forms: list[FormDefinition]) -> int:
    writer = csv.writer(_Utf8(out), lineterminator="\r\n")
    writer.writerow(HEADER)
    count = 0
    for row in rows(forms):
        writer.writerow([csv_cell(value) for value in row])
        count += 1
    return count


def _md(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _markdown(out: BinaryIO, forms: list[FormDefinition]) -> int:
    sink = _Utf8(out)
    sink.write("# Codebook\n")
    count = 0
    for form in forms:
        sink.write(f"\n## {_md(form.id)} version {_md(form.version)}\n\n")
        fields = ["field", "table", "type", *HEADER[5:8], "sensitivity", "vocabulary"]
        sink.write("| " + " | ".join(fields) + " |\n|" + "---|" * len(fields) + "\n")
        lists: dict[str, Any] = {}
        for chain, field in form.walk():
            if not field.holds_value:
                continue
            cells = _field_cells(form, chain, field)[2:]
            vocabulary = _vocabulary_name(form, field)
            sink.write("| " + " | ".join(_md(v) for v in [*cells, vocabulary]) + " |\n")
            count += 1
            if vocabulary is not None and field.choices is not None:
                lists[vocabulary] = form.choice_lists[field.choices]
        for vocabulary, choice_list in lists.items():
            sink.write(f"\n### {_md(vocabulary)}\n\n")
            names = ["code", *(f"label_{lang}" for lang in LABEL_LANGUAGES), "fieldkit"]
            sink.write("| " + " | ".join(names) + " |\n|" + "---|" * len(names) + "\n")
            for choice in choice_list.choices:
                labels = [
                    localized(choice.label, lang, tuple(form.languages)) for lang in LABEL_LANGUAGES
                ]
                cells = [choice.code, *labels, is_fieldkit_code(choice)]
                sink.write("| " + " | ".join(_md(v) for v in cells) + " |\n")
                count += 1
    return count
