"""Reading stored answers for the analysis mapping: short codes, numbers, dates, entries.

Answers reach HQ as the device stored them (select answers as ``name:version:code``, dates as
``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, a geopoint as ``{"lat", "lon", ...}``), but HQ does
not re-check them against the form: every reader here takes a value only if it has the expected
shape, and gives None (or nothing) otherwise, so that one odd answer leaves its column empty
instead of failing an ingest.

A :class:`Reader` reads only fields its form defines and does not mark identifying: the mapping
cannot put an identifying answer into the analysis tables even if one were at hand.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from fieldkit.domain.forms import FieldType, FormDefinition

_READABLE = "analysis_readable"
"""Key of the form's cached set of field names the mapping may read."""
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def short_code(value: Any) -> str | None:
    """The short code of a stored select answer: the text after the last ``:``."""
    if type(value) is not str:
        return None
    return value.rpartition(":")[2] or None


def partial_date(value: Any) -> str | None:
    """``value`` if it is a real date written ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
    if not isinstance(value, str):
        return None
    return value if date_span(value) is not None else None


def date_span(value: str) -> tuple[dt.date, dt.date] | None:
    """The earliest and latest day a partial date may be (``2026`` -> 2026-01-01, 2026-12-31),
    or None if ``value`` is not a date."""
    found = _DATE.match(value)
    if found is None:
        return None
    year, month, day = (int(part) if part else None for part in found.groups())
    assert year is not None  # noqa: S101 - the pattern requires it
    try:
        if month is None:
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return dt.date(year, month, 1), dt.date(year, month, last)
        exact = dt.date(year, month, day)
    except ValueError:
        return None
    return exact, exact


class Reader:
    """The answers of one scope (the whole record, or one entry of a repeat) of ``form``."""

    def __init__(self, form: FormDefinition, answers: Mapping[str, Any]) -> None:
        self._form = form
        self._index = form.index
        self._answers = answers
        readable = form.derived.get(_READABLE)
        if readable is None:
            index = form.index
            readable = form.derived[_READABLE] = frozenset(index.by_name) - index.identifying
        self._readable: frozenset[str] = readable

    def defines(self, name: str) -> bool:
        """Whether the form defines a field ``name`` that is not identifying."""
        return name in self._readable

    def field_type(self, name: str) -> FieldType | None:
        field = self._index.by_name.get(name)
        return None if field is None else field.type

    def raw(self, name: str) -> Any:
        """The stored answer, or None (also for an identifying field or an unknown name)."""
        if name not in self._readable:
            return None
        return self._answers.get(name)

    def code(self, name: str) -> str | None:
        return short_code(self.raw(name))

    def codes(self, name: str) -> list[str]:
        """The short codes of a select-multiple answer (one code for a select-one answer)."""
        value = self.raw(name)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return []
        found: list[str] = []
        for item in value:
            code = short_code(item)
            if code is not None and code not in found:
                found.append(code)
        return found

    def joined(self, name: str) -> str | None:
        """The short codes of a select-multiple answer, separated by single spaces."""
        return " ".join(self.codes(name)) or None

    def text(self, name: str) -> str | None:
        value = self.raw(name)
        if not isinstance(value, str):
            return None
        return value.strip() or None

    def integer(self, name: str) -> int | None:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if isinstance(value, float) and not value.is_integer():
            return None
        return int(value)

    def number(self, name: str) -> float | None:
        value = self.raw(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        number = float(value)
        return number if math.isfinite(number) else None

    def code_number(self, name: str) -> int | None:
        """A select answer whose code is a number (ACLED's precisions: ``1`` to ``4``)."""
        code = self.code(name)
        return int(code) if code is not None and code.isdigit() and len(code) < 4 else None

    def date(self, name: str) -> str | None:
        return partial_date(self.raw(name))

    def point(self, name: str) -> tuple[float | None, float | None]:
        """Latitude and longitude of a geopoint answer, if it holds valid ones."""
        value = self.raw(name)
        if not isinstance(value, dict):
            return None, None
        lat, lon = _coordinate(value.get("lat"), 90), _coordinate(value.get("lon"), 180)
        if lat is None or lon is None:
            return None, None
        return lat, lon

    def entries(self, name: str) -> list[Reader]:
        """The entries of a repeat group, each read on its own (an entry that is not an object
        reads as empty, so that the entries keep their numbers)."""
        value = self.raw(name)
        if not isinstance(value, list):
            return []
        return [Reader(self._form, item if isinstance(item, dict) else {}) for item in value]

    def yes_no(self, name: str) -> bool | None:
        code = self.code(name)
        return {"yes": True, "no": False}.get(code or "")


def _coordinate(value: Any, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if -limit <= number <= limit else None
