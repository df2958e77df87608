"""Values of the form expression language (see :mod:`fieldkit.domain.expressions`): its errors,
the types of its values, their conversions (XPath 1.0) and its operators."""

from __future__ import annotations

import datetime
import math
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Protocol, TypeAlias

from fieldkit.errors import FieldkitError
from fieldkit.i18n import _


class ExpressionError(FieldkitError):
    """An expression that cannot be parsed or evaluated; ``column`` is 1-based."""

    def __init__(self, message: str, source: str = "", column: int = 1) -> None:
        self.message = message
        self.source = source
        self.column = column
        super().__init__(_("{message} at column {column}").format(message=message, column=column))

    def __reduce__(self) -> tuple[type[ExpressionError], tuple[str, str, int]]:
        return (type(self), (self.message, self.source, self.column))


class _FunctionError(Exception):
    """Raised by a function implementation; turned into an ExpressionError with its column."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Nodeset(tuple["Value", ...]):
    """Values of a field that sits inside a repeat group, seen from outside that repeat: one item
    per repeat instance (items may be None)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Nodeset({list(self)!r})"


Value: TypeAlias = (
    bool | int | float | str | datetime.date | datetime.datetime | list[str] | Nodeset | None
)


class Scope(Protocol):
    def value(self, name: str) -> Value: ...  # the value of ${name} as seen from here
    def current(self) -> Value: ...  # the value of '.' (the field being constrained)
    def today(self) -> datetime.date: ...
    def now(self) -> datetime.datetime: ...


_Run = Callable[[Scope], Value]  # a compiled expression or sub-expression
_Operator = Callable[[Value, Value], Value]
_Where = tuple[str, int]  # source and column, for errors raised while evaluating

# --- conversions --------------------------------------------------------------------------------

_NAN = math.nan
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_EPOCH_NAIVE = datetime.datetime(1970, 1, 1)
_EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_NUMBER_CHARS = frozenset("0123456789.")


def truthy(value: Value) -> bool:
    """XPath boolean()."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == value and value != 0  # NaN is false
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    return True


def to_string(value: Value) -> str:
    """XPath string(): whole numbers without ".0", None as "", lists space-joined, dates ISO."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number_string(value)
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python will print
            return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Nodeset):
        return to_string(value[0]) if value else ""
    if isinstance(value, list):
        return " ".join(to_string(item) for item in value)
    return str(value)


def _number_string(number: float) -> str:
    if number != number:
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer():
        return str(int(number))
    text = repr(number)
    return format(Decimal(text), "f") if "e" in text else text


def to_number(value: Value) -> float:
    """XPath number(): "" / None / non-numeric give NaN; dates give days since 1970-01-01."""
    if isinstance(value, float):
        return value
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        return _string_number(value)
    if isinstance(value, datetime.date):
        return _days(value)
    if isinstance(value, Nodeset):
        return to_number(value[0]) if value else _NAN
    if isinstance(value, list):
        return _string_number(to_string(value))
    return _NAN


def _string_number(text: str) -> float:
    stripped = text.strip()
    body = stripped[1:] if stripped.startswith("-") else stripped
    if body and body != "." and body.count(".") <= 1 and _NUMBER_CHARS.issuperset(body):
        return float(stripped)
    parsed = _parse_iso(stripped)
    return _NAN if parsed is None else _days(parsed)


def _days(value: datetime.date) -> float:
    if isinstance(value, datetime.datetime):
        aware = value.tzinfo is not None and value.utcoffset() is not None
        delta = value - (_EPOCH_UTC if aware else _EPOCH_NAIVE)
        return delta.total_seconds() / 86400
    return float(value.toordinal() - _EPOCH_ORDINAL)


def _date_days(value: Value) -> float | None:
    """Days since 1970-01-01 if ``value`` is a date, date-time or ISO date string, else None."""
    if isinstance(value, datetime.date):
        return _days(value)
    if isinstance(value, str):
        parsed = _parse_iso(value)
        return None if parsed is None else _days(parsed)
    return None


def _parse_iso(text: str) -> datetime.date | None:
    """A date from "2026", "2026-03", "2026-03-14" or an ISO date-time; None if it is none."""
    text = text.strip()
    if not (text[:4].isdigit() and text.isascii()) or text[4:5] not in ("", "-"):
        return None
    try:
        if len(text) == 4:
            return datetime.date(int(text), 1, 1)
        if len(text) == 7 and text[5:].isdigit():
            return datetime.date(int(text[:4]), int(text[5:]), 1)
        if len(text) == 10:
            return datetime.date.fromisoformat(text)
        if len(text) > 10 and text[10] in "T ":
            return datetime.datetime.fromisoformat(text)
    except ValueError:
        pass
    return None


def _from_days(days: float) -> datetime.date | None:
    if not math.isfinite(days) or abs(days) > 3_000_000:
        return None
    whole = math.floor(days)
    try:
        day = datetime.date.fromordinal(_EPOCH_ORDINAL + whole)
        if days == whole:
            return day
        return datetime.datetime.combine(day, datetime.time()) + datetime.timedelta(
            days=days - whole
        )
    except (ValueError, OverflowError):
        return None


# --- operators ----------------------------------------------------------------------------------


def _div(a: float, b: float) -> float:
    if b == 0:
        if a == 0 or a != a:
            return _NAN
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _mod(a: float, b: float) -> float:
    if b == 0 or math.isinf(a) or a != a or b != b:
        return _NAN
    return math.fmod(a, b)


def _equal(a: Value, b: Value) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return truthy(a) == truthy(b)
    if isinstance(a, int | float) or isinstance(b, int | float):
        return to_number(a) == to_number(b)
    if isinstance(a, datetime.date) or isinstance(b, datetime.date):
        days_a, days_b = _date_days(a), _date_days(b)
        if days_a is not None and days_b is not None:
            return days_a == days_b
    return to_string(a) == to_string(b)


def _not_equal(a: Value, b: Value) -> bool:
    return not _equal(a, b)


def _relational(test: Callable[[float, float], bool]) -> Callable[[Value, Value], bool]:
    def compare(a: Value, b: Value) -> bool:
        if not isinstance(a, int | float) and not isinstance(b, int | float):
            days_a = _date_days(a)
            if days_a is not None:
                days_b = _date_days(b)
                if days_b is not None:
                    return test(days_a, days_b)
        return test(to_number(a), to_number(b))

    return compare


def _existential(scalar: Callable[[Value, Value], bool]) -> Callable[[Value, Value], bool]:
    """Lift a comparison of single values to XPath's comparison involving node-sets."""

    def compare(a: Value, b: Value) -> bool:
        if isinstance(a, Nodeset):
            if isinstance(b, Nodeset):
                return any(scalar(x, y) for x in a for y in b)
            if isinstance(b, bool):
                return scalar(truthy(a), b)
            return any(scalar(x, b) for x in a)
        if isinstance(b, Nodeset):
            if isinstance(a, bool):
                return scalar(a, truthy(b))
            return any(scalar(a, y) for y in b)
        return scalar(a, b)

    return compare


def _numeric(apply: Callable[[float, float], float]) -> _Operator:
    return lambda a, b: apply(to_number(a), to_number(b))


_OPERATORS: dict[str, _Operator] = {
    "EQ": _existential(_equal),
    "NE": _existential(_not_equal),
    "LT": _existential(_relational(operator.lt)),
    "LE": _existential(_relational(operator.le)),
    "GT": _existential(_relational(operator.gt)),
    "GE": _existential(_relational(operator.ge)),
    "PLUS": _numeric(operator.add),
    "MINUS": _numeric(operator.sub),
    "STAR": _numeric(operator.mul),
    "DIV": _numeric(_div),
    "MOD": _numeric(_mod),
}
