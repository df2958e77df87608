"""The form expression language: the XLSForm / ODK XPath subset that forms really use.

Relevance conditions, constraints and calculations are parsed once (with a LALR grammar, never with
``eval``), checked (function names, argument counts, literal regular expressions, nesting depth),
and compiled into nested Python closures; :meth:`Expression.evaluate` only runs the closures.

Values follow XPath 1.0: ``None`` is an empty answer, numbers are floats (functions return
floats), a select_multiple answer is a list of codes, and a field inside a repeat group, seen
from outside it, is a :class:`Nodeset`. Choices made where the specification leaves room:

* ``round`` rounds half away from zero (ODK's BigDecimal HALF_UP): ``round(-2.5)`` is -3.
* A string that is a valid XPath number converts as that number ("2026" is 2026); any other ISO
  date or date-time string, of reduced precision too ("2026-03"), converts to days since
  1970-01-01. ``date()``, ``decimal-date-time()`` and date comparisons read "2026" as a year.
* ``=`` / ``!=`` compare as dates when one side is a date object and the other is date-like.
* A Nodeset compared with a boolean is converted to a boolean first (XPath 1.0, not existential).
* ``concat`` and ``join`` use every item of a Nodeset; other functions use its first item.
* ``count`` of an empty answer is 0 and of any other single value 1; ``coalesce`` returns ""
  when all its arguments are empty; ``date()`` of something that is not a date is empty.
* Error columns are 1-based character positions in the whole source text.
"""

from __future__ import annotations

import datetime
import functools
import math
import operator
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Protocol, TypeAlias, cast

import re2
from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from fieldkit.errors import FieldkitError
from fieldkit.i18n import _, ngettext

MAX_SOURCE_LENGTH = 4000
MAX_DEPTH = 64
MAX_REGEX_SUBJECT = 100_000
MAX_REGEX_PATTERN = 1000


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


# --- parsing ------------------------------------------------------------------------------------

_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: eq_expr (_AND eq_expr)*
?eq_expr: rel_expr ((EQ | NE) rel_expr)*
?rel_expr: add_expr ((LT | LE | GT | GE) add_expr)*
?add_expr: mul_expr ((PLUS | MINUS) mul_expr)*
?mul_expr: unary ((STAR | DIV | MOD) unary)*
?unary: MINUS* primary
?primary: NUMBER | STRING | REF | DOT | call | "(" or_expr ")"
call: FUNCNAME "(" (or_expr ("," or_expr)*)? ")"

_OR: /or(?![A-Za-z0-9_])/
_AND: /and(?![A-Za-z0-9_])/
DIV: /div(?![A-Za-z0-9_])/
MOD: /mod(?![A-Za-z0-9_])/
EQ: "="
NE: "!="
LT: "<"
LE: "<="
GT: ">"
GE: ">="
PLUS: "+"
MINUS: "-"
STAR: "*"
DOT: "."
NUMBER: /[0-9]+(\.[0-9]*)?|\.[0-9]+/
STRING: /"[^"]*"|'[^']*'/
REF: /\$\{[A-Za-z_][A-Za-z0-9_]*\}/
FUNCNAME: /[A-Za-z_][A-Za-z0-9_-]*/
WS: /\s+/
%ignore WS
"""
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")

_Node: TypeAlias = "Tree[Token] | Token"


@functools.cache
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=True)


class Expression:
    """A parsed expression; evaluate it as often as needed."""

    __slots__ = ("_run", "references", "source", "uses_current")

    def __init__(
        self, source: str, references: frozenset[str], uses_current: bool, run: _Run
    ) -> None:
        self.source = source
        self.references = references  # every name used as ${name}
        self.uses_current = uses_current  # whether '.' appears
        self._run = run

    def evaluate(self, scope: Scope) -> Value:
        """The value of the expression in ``scope``; raises nothing but ExpressionError."""
        try:
            return self._run(scope)
        except ExpressionError:
            raise
        except Exception as exc:  # a failing scope or a value of an unexpected type
            raise ExpressionError(_("the expression cannot be evaluated"), self.source) from exc

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


@functools.lru_cache(maxsize=4096)
def parse(source: str) -> Expression:
    """Parse and check ``source``; raises ExpressionError with the column of the problem."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError(_("the expression is empty"), str(source or ""))
    if len(source) > MAX_SOURCE_LENGTH:
        message = _("the expression is longer than {limit} characters").format(
            limit=MAX_SOURCE_LENGTH
        )
        raise ExpressionError(message, source, MAX_SOURCE_LENGTH + 1)
    open_parens = _scan(source)
    tree = _parse_tree(source, open_parens)
    _check_depth(tree, source)
    compiler = _Compiler(source)
    run = compiler.compile(tree)
    return Expression(source, frozenset(compiler.references), compiler.uses_current, run)


def _too_deep(source: str, position: int) -> ExpressionError:
    message = _("the expression is nested more than {limit} levels deep")
    return ExpressionError(message.format(limit=MAX_DEPTH), source, position + 1)


def _scan(source: str) -> list[int]:
    """Check strings and parenthesis depth; return the positions of unclosed '('."""
    open_parens: list[int] = []
    quote, quote_at = "", 0
    for position, char in enumerate(source):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote, quote_at = char, position
        elif char == "(":
            open_parens.append(position)
            if len(open_parens) > MAX_DEPTH:
                raise _too_deep(source, position)
        elif char == ")" and open_parens:
            open_parens.pop()
    if quote:
        raise ExpressionError(_("unclosed string"), source, quote_at + 1)
    return open_parens


def _parse_tree(source: str, open_parens: list[int]) -> _Node:
    try:
        tree: _Node = _parser().parse(source)
    except UnexpectedCharacters as exc:
        position = exc.pos_in_stream or 0
        message = _("unexpected character '{char}'").format(char=source[position : position + 1])
        raise ExpressionError(message, source, position + 1) from None
    except UnexpectedToken as exc:
        token = None if exc.token.type == "$END" else exc.token
        raise _token_error(source, token, exc.expected, open_parens) from None
    except UnexpectedEOF:
        raise _token_error(source, None, set(), open_parens) from None
    except LarkError:
        raise ExpressionError(_("the expression cannot be read"), source) from None
    return tree


def _token_error(
    source: str, token: Token | None, expected: set[str], open_parens: list[int]
) -> ExpressionError:
    position = len(source) if token is None else (token.start_pos or 0)
    if expected == {"LPAR"}:  # a bare word, like yes in ${a} = yes
        end = position
        while end > 0 and source[end - 1].isspace():
            end -= 1
        start = end
        while start > 0 and source[start - 1] in _NAME_CHARS:
            start -= 1
        message = _("'{word}' is neither a function call nor a value; put text in quotes")
        return ExpressionError(message.format(word=source[start:end]), source, start + 1)
    if token is None and open_parens:
        return ExpressionError(_("unclosed parenthesis"), source, open_parens[-1] + 1)
    if token is None:
        return ExpressionError(_("unexpected end of expression"), source, len(source) + 1)
    message = _("unexpected '{token}'").format(token=str(token.value)[:20])
    return ExpressionError(message, source, position + 1)


def _check_depth(tree: _Node, source: str) -> None:
    """Reject trees deeper than MAX_DEPTH without recursion (compiling them recurses)."""
    stack: list[tuple[_Node, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Tree):
            if depth > MAX_DEPTH:
                raise _too_deep(source, getattr(node.meta, "start_pos", 0))
            stack.extend((child, depth + 1) for child in node.children)


class _Compiler:
    """Turns a checked parse tree into closures; recursion is bounded by _check_depth."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.references: set[str] = set()
        self.uses_current = False

    def compile(self, node: _Node) -> _Run:
        if isinstance(node, Token):
            return self.leaf(node)
        children = node.children
        if node.data in ("or_expr", "and_expr"):
            return _logic([self.compile(child) for child in children], node.data == "or_expr")
        if node.data in ("eq_expr", "rel_expr", "add_expr", "mul_expr"):
            first = self.compile(children[0])
            steps = [
                (cast(Token, children[i]).type, self.compile(children[i + 1]))
                for i in range(1, len(children), 2)
            ]
            return _chain(first, [(_OPERATORS[op], run) for op, run in steps])
        if node.data == "unary":
            return _negation(self.compile(children[-1]), len(children) - 1)
        return self.call(node)

    def leaf(self, token: Token) -> _Run:
        if token.type == "NUMBER":
            return _constant(float(token.value))
        if token.type == "STRING":
            return _constant(token.value[1:-1])
        if token.type == "REF":
            name = token.value[2:-1]
            self.references.add(name)
            return lambda scope: scope.value(name)
        self.uses_current = True
        return lambda scope: scope.current()

    def call(self, node: Tree[Token]) -> _Run:
        name_token, args = cast(Token, node.children[0]), node.children[1:]
        name, column = str(name_token.value), (name_token.start_pos or 0) + 1
        function = _FUNCTIONS.get(name)
        if function is None:
            message = _("unknown function '{name}'").format(name=name)
            raise ExpressionError(message, self.source, column)
        if len(args) < function.min_args or (
            function.max_args is not None and len(args) > function.max_args
        ):
            raise ExpressionError(_arity_message(name, function, len(args)), self.source, column)
        impl = function.impl
        pattern = args[1] if name == "regex" else None
        if isinstance(pattern, Token) and pattern.type == "STRING":
            try:
                compiled = _compile_regex(pattern.value[1:-1])
            except _FunctionError as exc:
                pattern_column = (pattern.start_pos or 0) + 1
                raise ExpressionError(exc.message, self.source, pattern_column) from None
            impl, args = functools.partial(_regex_search, compiled), args[:1]
        runs = [self.compile(arg) for arg in args]
        return _call(name, function, impl, runs, (self.source, column))


def _arity_message(name: str, function: _Function, given: int) -> str:
    low, high = function.min_args, function.max_args
    if high is None:
        expected = _("at least {count}").format(count=low)
    elif low == high:
        expected = str(low)
    else:
        expected = _("{low} to {high}").format(low=low, high=high)
    message = ngettext(
        "{name}() takes {expected} argument, not {given}",
        "{name}() takes {expected} arguments, not {given}",
        high or low,
    )
    return message.format(name=name, expected=expected, given=given)


def _constant(value: Value) -> _Run:
    return lambda scope: value


def _logic(runs: list[_Run], is_or: bool) -> _Run:
    if len(runs) == 2:
        left, right = runs
        if is_or:
            return lambda scope: truthy(left(scope)) or truthy(right(scope))
        return lambda scope: truthy(left(scope)) and truthy(right(scope))

    def run(scope: Scope) -> Value:
        for each in runs:
            if truthy(each(scope)) is is_or:
                return is_or
        return not is_or

    return run


def _chain(first: _Run, steps: list[tuple[_Operator, _Run]]) -> _Run:
    """Left-associative operators, run in a loop (a chain of 2,000 '+' must not recurse)."""
    if len(steps) == 1:
        apply, right = steps[0]
        return lambda scope: apply(first(scope), right(scope))

    def run(scope: Scope) -> Value:
        result = first(scope)
        for apply, each in steps:
            result = apply(result, each(scope))
        return result

    return run


def _negation(inner: _Run, minus_signs: int) -> _Run:
    if minus_signs % 2:
        return lambda scope: -to_number(inner(scope))
    return lambda scope: to_number(inner(scope))


def _call(
    name: str, function: _Function, impl: Callable[..., Value], runs: list[_Run], where: _Where
) -> _Run:
    if function.lazy:
        return lambda scope: impl(scope, runs)

    def call(scope: Scope) -> Value:
        values = [run(scope) for run in runs]
        try:
            return impl(*values)
        except _FunctionError as exc:
            raise ExpressionError(exc.message, *where) from None
        except Exception as exc:  # a bug, reported where it happened
            raise ExpressionError(_("{name}() failed").format(name=name), *where) from exc

    return call
