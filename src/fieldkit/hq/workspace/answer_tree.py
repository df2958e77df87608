"""A record's answers laid out as its form: labels in the reader's language, groups and repeat
groups nested, and only what the reader's role may see.

- a viewer sees PUBLIC answers only (a field's own label decides: docs/forms.md, a repeat's
  label covers none of its fields);
- an analyst sees public and restricted answers; an identifying answer appears as masked (its
  label, no value) until the analyst reveals the record, and with its value after;
- an attachment answer lists its files (name, type, size) only where its answer is shown.

Nothing here reads the database or decrypts. A value becomes text only when its sensitivity is
among those the :class:`Reading` shows; a masked answer carries its label alone. The caller
passes a viewer's page the stored answers alone (public and restricted), never the unsealed
identifying ones (:mod:`fieldkit.hq.workspace.record_view`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fieldkit.domain.forms import FieldDef, FieldType, FormDefinition, Sensitivity


class Shown(StrEnum):
    """How much of a field the reader gets."""

    VALUE = "value"
    MASKED = "masked"
    """Identifying, answered, not revealed: the label only."""


@dataclass(frozen=True)
class FileView:
    sha256: str
    name: str
    media_type: str
    size: int | None

    @property
    def image(self) -> bool:
        """Whether the workspace shows it in the page (after a reveal)."""
        return self.media_type in IMAGE_TYPES


IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
"""Media types shown in the page; any other file is offered as a download."""


@dataclass(frozen=True)
class Answer:
    """One field of the record, as the page shows it."""

    name: str
    label: str
    kind: str
    """``value``, ``group``, ``repeat`` or ``attachment``."""
    sensitivity: str
    """``public``, ``restricted`` or ``identifying`` (a field inside an identifying group is
    identifying)."""
    shown: Shown = Shown.VALUE
    text: str = ""
    """The value as text (a select's labels, a point's coordinates)."""
    long: bool = False
    """A long text: shown with its line breaks."""
    files: tuple[FileView, ...] = ()
    children: tuple[Answer, ...] = ()
    """A group's answers."""
    entries: tuple[tuple[Answer, ...], ...] = ()
    """A repeat group's entries, each its answers."""


@dataclass(frozen=True)
class Reading:
    """What the reader may see of a record's answers."""

    levels: frozenset[str]
    """Sensitivities whose values are shown."""
    masked: bool
    """Identifying fields that were answered are listed, masked (analysts before a reveal)."""


VIEWER = Reading(frozenset({Sensitivity.PUBLIC.value}), masked=False)
ANALYST = Reading(frozenset({Sensitivity.PUBLIC.value, Sensitivity.RESTRICTED.value}), True)
REVEALED = Reading(frozenset(s.value for s in Sensitivity), masked=False)


def sensitivity_of(form: FormDefinition, field: FieldDef) -> str:
    if form.is_identifying(field.name):
        return Sensitivity.IDENTIFYING.value
    return field.sensitivity.value


def answer_tree(
    form: FormDefinition,
    answers: Mapping[str, Any],
    reading: Reading,
    language: str,
) -> list[Answer]:
    """The answers of a record in form order; fields without an answer, and groups or repeats
    with nothing shown, are left out."""
    return _fields(form, form.fields, answers, reading, language)


def _fields(
    form: FormDefinition,
    fields: list[FieldDef],
    answers: Mapping[str, Any],
    reading: Reading,
    language: str,
) -> list[Answer]:
    shown: list[Answer] = []
    for field in fields:
        found = _field(form, field, answers, reading, language)
        if found is not None:
            shown.append(found)
    return shown


def _field(
    form: FormDefinition,
    field: FieldDef,
    answers: Mapping[str, Any],
    reading: Reading,
    language: str,
) -> Answer | None:
    kind = field.type
    level = sensitivity_of(form, field)
    label = form.label(field, language)
    if kind is FieldType.NOTE:
        return None
    if kind is FieldType.GROUP:
        children = _fields(form, field.fields, answers, reading, language)
        if not children:
            return None
        return Answer(field.name, label, "group", level, children=tuple(children))
    value = answers.get(field.name)
    if level not in reading.levels:
        if reading.masked and level == Sensitivity.IDENTIFYING.value and _answered(value):
            return Answer(field.name, label, _kind(kind), level, Shown.MASKED)
        if kind is not FieldType.REPEAT:
            return None
    if kind is FieldType.REPEAT:
        if not isinstance(value, list):
            return None
        entries = [
            tuple(_fields(form, field.fields, entry, reading, language))
            for entry in value
            if isinstance(entry, Mapping)
        ]
        if not any(entries):
            return None
        return Answer(field.name, label, "repeat", level, entries=tuple(entries))
    if not _answered(value):
        return None
    if kind is FieldType.ATTACHMENT:
        files = _files(value)
        return Answer(field.name, label, "attachment", level, files=files) if files else None
    return Answer(
        field.name,
        label,
        "value",
        level,
        text=display(form, field, value, language),
        long=kind is FieldType.LONG_TEXT,
    )


def _kind(kind: FieldType) -> str:
    if kind is FieldType.REPEAT:
        return "repeat"
    if kind is FieldType.ATTACHMENT:
        return "attachment"
    return "value"


def _files(value: Any) -> tuple[FileView, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        FileView(
            ref["sha256"],
            str(ref.get("name", "")),
            str(ref.get("media_type", "")),
            ref.get("size") if isinstance(ref.get("size"), int) else None,
        )
        for ref in value
        if isinstance(ref, Mapping) and isinstance(ref.get("sha256"), str)
    )


def display(form: FormDefinition, field: FieldDef, value: Any, language: str) -> str:
    """An answer as text: a choice's label in ``language``, a point's coordinates, a value as
    stored otherwise (HQ does not check stored answers again: an odd value is shown as JSON)."""
    kind = field.type
    if kind is FieldType.SELECT_ONE and isinstance(value, str):
        return _choice(form, field, value, language)
    if kind is FieldType.SELECT_MULTIPLE and isinstance(value, list):
        return ", ".join(
            _choice(form, field, code, language) if isinstance(code, str) else json.dumps(code)
            for code in value
        )
    if kind is FieldType.GEOPOINT and isinstance(value, Mapping):
        lat, lon = value.get("lat"), value.get("lon")
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            text = f"{lat:.5f}, {lon:.5f}"
            precision = value.get("precision_m")
            if isinstance(precision, int | float):
                text += f" (± {precision:g} m)"
            return text
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False)


def _choice(form: FormDefinition, field: FieldDef, stored: str, language: str) -> str:
    try:
        return form.choice_label(field, stored, language)
    except KeyError:
        return stored


def _answered(value: Any) -> bool:
    return value is not None and value != "" and value != []


__all__ = [
    "ANALYST",
    "IMAGE_TYPES",
    "REVEALED",
    "VIEWER",
    "Answer",
    "FileView",
    "Reading",
    "Shown",
    "answer_tree",
    "display",
    "sensitivity_of",
]
