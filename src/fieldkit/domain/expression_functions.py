"""The functions of the form expression language (see :mod:`fieldkit.domain.expressions`): each
one's implementation, and the table of names and argument counts that parsing checks calls
against."""

from __future__ import annotations

import datetime
import functools
import math
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Protocol

import re2

from fieldkit.domain.expression_values import (
    _NAN,
    Nodeset,
    Scope,
    Value,
    _date_days,
    _from_days,
    _FunctionError,
    _parse_iso,
    _Run,
    _string_number,
    to_number,
    to_string,
    truthy,
)
from fieldkit.i18n import _

MAX_REGEX_SUBJECT = 100_000
MAX_REGEX_PATTERN = 1000


# --- functions ----------------------------------------------------------------------------------


def _codes(value: Value) -> list[str]:
    if isinstance(value, list):
        return [to_string(code) for code in value]
    return to_string(value).split()


def _index(value: Value) -> int:
    """A number as a Java-style int index (NaN is 0, out-of-range clamped)."""
    number = to_number(value)
    if number != number:
        return 0
    return int(max(min(number, 2.0**31), -(2.0**31)))


def _selected_at(value: Value, index: Value) -> str:
    codes, position = _codes(value), to_number(index)
    if not math.isfinite(position) or not 0 <= int(position) < len(codes):
        return ""
    return codes[int(position)]


def _substr(value: Value, start: Value, end: Value = None) -> str:
    text = to_string(value)
    begin = min(max(_index(start), 0), len(text))
    stop = len(text) if end is None else min(max(_index(end), 0), len(text))
    return text[begin:stop]


def _translate(value: Value, source: Value, target: Value) -> str:
    replace, by = to_string(source), to_string(target)
    table: dict[int, str | None] = {}
    for position, char in enumerate(replace):
        table.setdefault(ord(char), by[position] if position < len(by) else None)
    return to_string(value).translate(table)


def _strings(values: Sequence[Value], lists: bool = False) -> list[str]:
    """Values as strings; the items of a Nodeset (and of a list if ``lists``) one by one."""
    out: list[str] = []
    for value in values:
        if isinstance(value, Nodeset) or (lists and isinstance(value, list)):
            out.extend(to_string(item) for item in value)
        else:
            out.append(to_string(value))
    return out


class _Pattern(Protocol):
    def search(self, text: str) -> object | None: ...


@functools.lru_cache(maxsize=256)
def _compile_regex(pattern: str) -> _Pattern:
    if len(pattern) > MAX_REGEX_PATTERN:
        message = _("regular expression is longer than {limit} characters")
        raise _FunctionError(message.format(limit=MAX_REGEX_PATTERN))
    options = re2.Options()
    options.log_errors = False
    options.never_capture = True
    try:
        compiled: _Pattern = re2.compile(pattern, options)
    except Exception:  # re2.error, or a pattern re2 cannot encode
        raise _FunctionError(_("invalid regular expression")) from None
    return compiled


def _regex_search(pattern: _Pattern, subject: Value) -> bool:
    text = to_string(subject)
    if len(text) > MAX_REGEX_SUBJECT:
        message = _("text longer than {limit} characters cannot be checked with regex()")
        raise _FunctionError(message.format(limit=MAX_REGEX_SUBJECT))
    return pattern.search(text) is not None


def _regex(subject: Value, pattern: Value) -> bool:
    return _regex_search(_compile_regex(to_string(pattern)), subject)


def _integral(function: Callable[[float], int]) -> Callable[[Value], float]:
    def apply(value: Value) -> float:
        number = to_number(value)
        return float(function(number)) if math.isfinite(number) else number

    return apply


def _round(value: Value, digits: Value = 0.0) -> float:
    number, places = to_number(value), to_number(digits)
    if places != places:
        return _NAN
    if not math.isfinite(number):
        return number
    places = max(min(places, 400.0), -400.0)
    exact = Decimal(repr(number))
    step = Decimal(1).scaleb(-int(places))
    return float(exact.quantize(step, rounding=ROUND_HALF_UP, context=Context(prec=1000)))


def _pow(base_value: Value, exponent_value: Value) -> float:
    base, exponent = to_number(base_value), to_number(exponent_value)
    odd = math.isfinite(exponent) and exponent.is_integer() and math.fmod(exponent, 2.0) != 0
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return -math.inf if base < 0 and odd else math.inf
    except ValueError:
        if base == 0:  # 0 to a negative power
            return math.copysign(math.inf, base) if odd else math.inf
        return _NAN


def _numbers(values: Sequence[Value]) -> list[float]:
    out: list[float] = []
    for value in values:
        if isinstance(value, Nodeset):
            out.extend(to_number(item) for item in value)
        else:
            out.append(to_number(value))
    return out


def _extreme(pick: Callable[[list[float]], float]) -> Callable[..., float]:
    def apply(*values: Value) -> float:
        numbers = _numbers(values)
        if not numbers or any(number != number for number in numbers):
            return _NAN
        return pick(numbers)

    return apply


def _sum(value: Value) -> float:
    return sum(_numbers([value]), 0.0)


def _count(value: Value) -> float:
    if isinstance(value, Nodeset):
        return float(len(value))
    return 0.0 if value is None else 1.0


def _count_equal(value: Value, wanted: Value) -> float:
    """How many entries of a repeat's field (or, for a single answer, whether it) equal
    ``wanted``, compared as texts; a select answer counts when it includes the code."""
    target = to_string(wanted).strip()
    items = list(value) if isinstance(value, Nodeset) else [value]
    found = 0
    for item in items:
        if isinstance(item, list):
            found += target in _codes(item)
        elif item is not None:
            found += to_string(item) == target
    return float(found)


def _if(scope: Scope, args: Sequence[_Run]) -> Value:
    return args[1](scope) if truthy(args[0](scope)) else args[2](scope)


def _coalesce(scope: Scope, args: Sequence[_Run]) -> Value:
    for arg in args:
        value = arg(scope)
        if to_string(value) != "":
            return value
    return ""


def _date(value: Value) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_days(to_number(value))
    if not isinstance(value, str | list | Nodeset):
        return None
    text = to_string(value).strip()
    parsed = _parse_iso(text)
    return parsed if parsed is not None else _from_days(_string_number(text))


def _decimal_date_time(value: Value) -> float:
    days = _date_days(value)
    return to_number(value) if days is None else days


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _format_code(moment: datetime.date, code: str) -> str | None:
    clock = moment if isinstance(moment, datetime.datetime) else datetime.time()
    pieces = {
        "Y": f"{moment.year:04d}",
        "y": f"{moment.year % 100:02d}",
        "m": f"{moment.month:02d}",
        "n": str(moment.month),
        "b": _MONTHS[moment.month - 1],
        "d": f"{moment.day:02d}",
        "e": str(moment.day),
        "a": _WEEKDAYS[moment.weekday()],
        "H": f"{clock.hour:02d}",
        "M": f"{clock.minute:02d}",
        "S": f"{clock.second:02d}",
    }
    return pieces.get(code)


def _format_date(value: Value, pattern: Value) -> str:
    moment = _date(value)
    if moment is None:
        return ""
    fmt, out, position = to_string(pattern), [], 0
    while position < len(fmt):
        if fmt[position] == "%" and position + 1 < len(fmt):
            piece = _format_code(moment, fmt[position + 1])
            if piece is not None:
                out.append(piece)
                position += 2
                continue
        out.append(fmt[position])
        position += 1
    return "".join(out)


PSEUDONYM_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read aloud
PSEUDONYM_LENGTH = 6


def _pseudonym(prefix: Value) -> str:
    """A fresh random pseudonym such as ``VIC-7Q2MXK``; meant for defaults, not conditions."""
    head = "".join(ch for ch in to_string(prefix).upper() if "A" <= ch <= "Z")[:4] or "ID"
    tail = "".join(secrets.choice(PSEUDONYM_ALPHABET) for _ in range(PSEUDONYM_LENGTH))
    return f"{head}-{tail}"


@dataclass(frozen=True)
class _Function:
    min_args: int
    max_args: int | None  # None: any number
    impl: Callable[..., Value]
    lazy: bool = False  # impl(scope, argument runs) instead of impl(*argument values)


_FUNCTIONS: dict[str, _Function] = {
    "selected": _Function(2, 2, lambda v, code: to_string(code).strip() in _codes(v)),
    "count-selected": _Function(1, 1, lambda v: float(len(_codes(v)))),
    "selected-at": _Function(2, 2, _selected_at),
    "string": _Function(1, 1, to_string),
    "concat": _Function(1, None, lambda *values: "".join(_strings(values))),
    "string-length": _Function(1, 1, lambda s: float(len(to_string(s)))),
    "contains": _Function(2, 2, lambda s, t: to_string(t) in to_string(s)),
    "starts-with": _Function(2, 2, lambda s, t: to_string(s).startswith(to_string(t))),
    "ends-with": _Function(2, 2, lambda s, t: to_string(s).endswith(to_string(t))),
    "substr": _Function(2, 3, _substr),
    "normalize-space": _Function(1, 1, lambda s: " ".join(to_string(s).split())),
    "translate": _Function(3, 3, _translate),
    "regex": _Function(2, 2, _regex),
    "join": _Function(2, None, lambda sep, *values: to_string(sep).join(_strings(values, True))),
    "number": _Function(1, 1, to_number),
    "int": _Function(1, 1, _integral(math.trunc)),
    "round": _Function(1, 2, _round),
    "floor": _Function(1, 1, _integral(math.floor)),
    "ceiling": _Function(1, 1, _integral(math.ceil)),
    "abs": _Function(1, 1, lambda x: abs(to_number(x))),
    "pow": _Function(2, 2, _pow),
    "min": _Function(1, None, _extreme(min)),
    "max": _Function(1, None, _extreme(max)),
    "sum": _Function(1, 1, _sum),
    "count": _Function(1, 1, _count),
    "count-equal": _Function(2, 2, _count_equal),
    "true": _Function(0, 0, lambda: True),
    "false": _Function(0, 0, lambda: False),
    "not": _Function(1, 1, lambda x: not truthy(x)),
    "boolean": _Function(1, 1, truthy),
    "boolean-from-string": _Function(1, 1, lambda s: to_string(s) in ("true", "1")),
    "if": _Function(3, 3, _if, lazy=True),
    "coalesce": _Function(2, None, _coalesce, lazy=True),
    "today": _Function(0, 0, lambda scope, runs: scope.today(), lazy=True),
    "now": _Function(0, 0, lambda scope, runs: scope.now(), lazy=True),
    "date": _Function(1, 1, _date),
    "decimal-date-time": _Function(1, 1, _decimal_date_time),
    "format-date": _Function(2, 2, _format_date),
    "pseudonym": _Function(1, 1, _pseudonym),
}
FUNCTION_NAMES = frozenset(_FUNCTIONS)
