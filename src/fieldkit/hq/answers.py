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
    return Splitter(form).split(data)


class Splitter:
    """:func:`split_answers` for one form, with what each field name calls for looked up once
    (an ingest splits thousands of revisions of the same form)."""

    def __init__(self, form: FormDefinition) -> None:
        index = form.index
        self._repeats = frozenset(
            name
            for name, field in index.by_name.items()
            if field.type is FieldType.REPEAT and name not in index.identifying
        )
        self._plain = frozenset(
            name
            for name, field in index.by_name.items()
            if field.type is not FieldType.REPEAT and name not in index.identifying
        )
        """Names whose answers are kept as they are."""

    def split(self, values: Answers) -> tuple[Answers, Answers]:
        plain = self._plain
        other = values.keys() - plain  # identifying, repeats, names the form does not define
        if not other:
            return dict(values), {}
        kept: Answers = {}
        identifying: Answers = {}
        for name, value in values.items():
            if name not in other:
                kept[name] = value
                continue
            instances = _instances(value, plain) if name in self._repeats else _NOT_INSTANCES
            if instances == _NOT_INSTANCES:
                identifying[name] = value
            elif instances == _PLAIN:  # nothing to keep apart inside
                kept[name] = value
            else:
                parts = [self.split(instance) for instance in value]
                kept[name] = [k for k, _i in parts]
                if any(i for _k, i in parts):
                    identifying[name] = [i for _k, i in parts]
        return kept, identifying


_NOT_INSTANCES, _PLAIN, _MIXED = 0, 1, 2


def _instances(value: Any, plain: frozenset[str]) -> int:
    """What a repeat's answer is: not a list of objects, a list of objects holding only
    :attr:`Splitter._plain` names, or a list of objects to split one by one."""
    if not isinstance(value, list):
        return _NOT_INSTANCES
    found = _PLAIN
    for instance in value:
        if not isinstance(instance, dict):
            return _NOT_INSTANCES
        if not instance.keys() <= plain:
            found = _MIXED
    return found


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
