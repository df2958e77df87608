"""What every widget of a rendered form shares: the form, the language, the vault, the mode, the
task runner.

Also the small helpers that turn answer paths (``victims[2].victim_sex``) into words a person
reads: the field's label and the repeat instance it sits in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cmp_to_key
from typing import Any

from PySide6.QtCore import QCollator, QLocale, Qt

from fieldkit.domain.forms import FieldDef, FieldType, FormDefinition, Sensitivity, localized
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _
from fieldkit.vault.store import Vault

SEARCHABLE_CHOICES = 15
"""Single-choice lists longer than this get a combo box that filters as the user types."""
RADIO_CHOICES = 5
"""Single-choice lists of at most this many choices are shown as radio buttons."""
CHECKBOX_CHOICES = 12
"""Multiple-choice lists of at most this many choices are a column of check boxes."""

EAGER_ENTRIES = 40
"""Repeat entries laid out when a form opens or loads; the others as they come into view, or when
the user asks for one (its Show button, a problem that names a field in it)."""

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")


@dataclass(frozen=True)
class Unreadable:
    """What an input gives when its text cannot be read yet (``"12°30'"`` in a position)."""

    message: str


@dataclass
class EntryBudget:
    """How many more repeat entries may be laid out at once (the rest wait until shown)."""

    left: int = EAGER_ENTRIES

    def take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        return True

    def renew(self) -> None:
        self.left = EAGER_ENTRIES


@dataclass(frozen=True)
class RenderContext:
    form: FormDefinition
    language: str
    vault: Vault | None
    read_only: bool = False
    runner: TaskRunner | None = None
    """Where fields send slow work (storing a file, decoding a thumbnail); None outside the app."""
    entries: EntryBudget = field(default_factory=EntryBudget, compare=False)

    @property
    def fallbacks(self) -> tuple[str, ...]:
        return tuple(self.form.languages)

    def text(self, text: dict[str, str]) -> str:
        """A form text in the chosen language, else in the form's languages."""
        return localized(text, self.language, self.fallbacks)

    def label(self, field: FieldDef) -> str:
        return self.form.label(field, self.language)

    def hint(self, field: FieldDef) -> str:
        """The field's hint: help with typing, so none in read-only mode."""
        return "" if self.read_only else self.text(field.hint)

    def choices(self, field: FieldDef) -> list[tuple[str, str]]:
        """Each choice as (stored code, label in the chosen language), in the form's order; a
        list of countries sorted by label as the language sorts (accents and case aside)."""
        choice_list = self.form.choice_list_for(field)
        key = ("gui_choices", choice_list.name, self.language)
        cached: list[tuple[str, str]] | None = self.form.derived.get(key)
        if cached is None:
            cached = [
                (choice_list.stored_code(choice.code), self.text(choice.label) or choice.code)
                for choice in choice_list.choices
            ]
            if choice_list.lists_countries:
                collator = QCollator(QLocale(self.language))
                collator.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
                cached.sort(key=lambda pair: cmp_to_key(collator.compare)(pair[1]))
            self.form.derived[key] = cached
        return list(cached)

    def is_identifying(self, field: FieldDef) -> bool:
        return field.sensitivity is Sensitivity.IDENTIFYING


def join(scope_path: str, name: str) -> str:
    """The path of field ``name`` in the scope at ``scope_path`` (as the domain writes paths)."""
    return f"{scope_path}.{name}" if scope_path else name


def instance_title(label: str, number: int) -> str:
    return _("{section} {n}").format(section=label, n=number)


def answer_in_scope(form: FormDefinition, data: dict[str, Any], scope_path: str, name: str) -> Any:
    """The stored answer to field ``name`` as seen from the scope at ``scope_path``
    (``victims[2]``): ``name`` sits in that scope or in one around it. None when unanswered."""
    depth = len(form.scope_of(name)) if name in form.index.chains else -1
    segments = scope_path.split(".") if scope_path else []
    if depth < 0 or depth > len(segments):
        return None
    scope: Any = data
    for segment in segments[:depth]:
        match = _SEGMENT.match(segment)
        entries = scope.get(match.group(1)) if match and isinstance(scope, dict) else None
        number = int(match.group(2) or 0) if match else 0
        if not isinstance(entries, list) or not 0 < number <= len(entries):
            return None
        scope = entries[number - 1]
    return scope.get(name) if isinstance(scope, dict) else None


def describe_path(ctx: RenderContext, path: str) -> tuple[str, str]:
    """The label of the field a problem path names, and the repeat instance(s) it sits in."""
    segments = path.split(".") if path and path != "/" else []
    instances: list[str] = []
    label = ""
    fields = ctx.form.fields_by_name()
    for segment in segments:
        match = _SEGMENT.match(segment)
        if match is None:
            return segment, " · ".join(instances)
        name, number = match.group(1), match.group(2)
        field = fields.get(name)
        label = ctx.label(field) if field is not None else name
        if number is not None and field is not None and field.type is FieldType.REPEAT:
            instances.append(instance_title(label, int(number)))
    return label or ctx.form.localized_title(ctx.language), " · ".join(instances)
