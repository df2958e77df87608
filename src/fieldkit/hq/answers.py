"""Keeping identifying answers apart, per the form's sensitivity labels.

A revision's answers are keyed by field name; a group's fields sit beside it; a repeat group's
answer is a list of instances laid out the same way. :func:`split_answers` returns two trees of
the same shape: the answers HQ may query and export (public and restricted), and the identifying
ones (a field marked identifying, or inside a group or repeat marked so). Within a repeat that is
not itself identifying, both sides keep one entry per instance, so that :func:`merge_answers`
puts every answer back where it was.

Answers HQ cannot place in the form (a name the form does not define, a repeat that is not a
list of objects) are treated as identifying: kept, encrypted, and never exported without
``--include-identifying``. Nothing a device sealed is dropped, and nothing of unknown
sensitivity is shown.
"""

from __future__ import annotations

from typing import Any

from fieldkit.domain.forms import FieldType, FormDefinition

Answers = dict[str, Any]


def split_answers(form: FormDefinition, data: Answers) -> tuple[Answers, Answers]:
    """``(kept, identifying)``: ``merge_answers(kept, identifying) == data``."""
    return _split(form, data)


def _split(form: FormDefinition, values: Answers) -> tuple[Answers, Answers]:
    fields = form.index.by_name
    kept: Answers = {}
    identifying: Answers = {}
    for name, value in values.items():
        field = fields.get(name)
        if field is None or form.is_identifying(name):
            identifying[name] = value
        elif field.type is FieldType.REPEAT:
            if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
                identifying[name] = value
                continue
            parts = [_split(form, instance) for instance in value]
            kept[name] = [k for k, _i in parts]
            if any(i for _k, i in parts):
                identifying[name] = [i for _k, i in parts]
        else:
            kept[name] = value
    return kept, identifying


def merge_answers(kept: Answers, identifying: Answers) -> Answers:
    """Put identifying answers back beside the rest (the inverse of :func:`split_answers`)."""
    merged: Answers = dict(kept)
    for name, value in identifying.items():
        mine = merged.get(name)
        if (
            isinstance(mine, list)
            and isinstance(value, list)
            and len(mine) == len(value)
            and all(
                isinstance(a, dict) and isinstance(b, dict)
                for a, b in zip(mine, value, strict=True)
            )
        ):
            merged[name] = [merge_answers(a, b) for a, b in zip(mine, value, strict=True)]
        else:
            merged[name] = value
    return merged
