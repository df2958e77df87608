"""A new record's or repeat entry's starting answers: each field's default.

A default is a value, or a text starting with ``=`` that is an expression using functions but no
other field (``=today()``, ``=pseudonym('VIC')``), evaluated when the record or entry is made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fieldkit.domain import expressions
from fieldkit.domain.forms import FieldDef, FieldType, FormDefinition

Clock = Callable[[], dt.datetime]


def local_now() -> dt.datetime:
    """Now, in the device's own time zone: ``today()`` is the date on the user's calendar."""
    return dt.datetime.now().astimezone()


def with_defaults(
    form: FormDefinition, data: dict[str, Any], clock: Clock = local_now
) -> dict[str, Any]:
    """``data`` with each unanswered field's default filled in (a new record's starting point)."""
    return _fill_defaults(form, data, (), clock)


def entry_defaults(form: FormDefinition, repeat: str, clock: Clock = local_now) -> dict[str, Any]:
    """The answers a new entry of repeat group ``repeat`` starts with: its fields' defaults
    (fresh for each entry: ``=pseudonym('VIC')`` gives each victim its own code)."""
    chain = (*form.index.chains[repeat], repeat)
    return _fill_defaults(form, {}, chain, clock)


def _fill_defaults(
    form: FormDefinition, values: dict[str, Any], chain: tuple[str, ...], clock: Clock
) -> dict[str, Any]:
    result = dict(values)
    for f in form.index.members.get(chain, []):
        if f.type is FieldType.REPEAT:
            items = result.get(f.name)
            if isinstance(items, list):
                result[f.name] = [
                    _fill_defaults(form, item, (*chain, f.name), clock)
                    if isinstance(item, dict)
                    else item
                    for item in items
                ]
        elif f.default is not None and f.name not in result:
            result[f.name] = default_value(f, clock)
    return result


class _NoFieldsScope:
    """The scope of a default expression, which may use functions but no other field."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def value(self, name: str) -> Any:
        return None

    def current(self) -> Any:
        return None

    def today(self) -> dt.date:
        return self._clock().date()

    def now(self) -> dt.datetime:
        return self._clock()


def default_value(f: FieldDef, clock: Clock = local_now) -> Any:
    """A field's default; a text starting with ``=`` is an expression such as ``=today()``."""
    if isinstance(f.default, str) and f.default.startswith("="):
        value = expressions.parse(f.default[1:]).evaluate(_NoFieldsScope(clock))
        return value if isinstance(value, int | float) else expressions.to_string(value)
    return f.default
