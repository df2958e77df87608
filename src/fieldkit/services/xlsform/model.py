"""What an XLSForm import gives back: the conversion, what was left out, and the one-line
error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from fieldkit.domain.forms import FormDefinition
from fieldkit.errors import InvalidInputError
from fieldkit.i18n import _

MAX_FILE_BYTES = 20 * 1024 * 1024
"""Largest XLSForm file read from disk."""
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
"""Largest total uncompressed size of the members of an ``.xlsx`` archive."""
MAX_ZIP_MEMBERS = 2000
MAX_SURVEY_ROWS = 20_000
MAX_CHOICE_ROWS = 100_000

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"


def one_line(text: str) -> str:
    """``text`` with every line break and control character replaced by a space."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())


def short(text: str, limit: int = 80) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        header = "".join(f"# {one_line(line)}".rstrip() + "\n" for line in lines)
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
        self.reason = one_line(reason)
        self.sheet = sheet
        self.row = row
        self.column = column
        parts = []
        if sheet:
            parts.append(_("sheet '{sheet}'").format(sheet=sheet))
        if row is not None:
            parts.append(_("row {row}").format(row=row))
        if column:
            parts.append(_("column '{column}'").format(column=one_line(column)))
        where = ", ".join(parts)
        head = f"{source_name}: {where}: " if where else f"{source_name}: "
        super().__init__(head + self.reason)
