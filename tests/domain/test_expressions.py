"""Tests for the form expression language (fieldkit.domain.expressions)."""

from __future__ import annotations

import datetime
import math
import pickle

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldkit.domain.expressions import (
    FUNCTION_NAMES,
    MAX_DEPTH,
    MAX_SOURCE_LENGTH,
    Expression,
    ExpressionError,
    Nodeset,
    Value,
    parse,
    to_number,
    to_string,
    truthy,
)
from fieldkit.errors import FieldkitError

TODAY = datetime.date(2026, 3, 14)  # a Saturday
NOW = datetime.datetime(2026, 3, 14, 10, 30, 0)


class DictScope:
    """A Scope over a dict of field values."""

    def __init__(self, values: dict[str, Value] | None = None, current: Value = None) -> None:
        self.values = dict(values or {})
        self.current_value = current

    def value(self, name: str) -> Value:
        return self.values.get(name)

    def current(self) -> Value:
        return self.current_value

    def today(self) -> datetime.date:
        return TODAY

    def now(self) -> datetime.datetime:
        return NOW


def ev(source: str, current: Value = None, **values: Value) -> Value:
    return parse(source).evaluate(DictScope(values, current))


def error_of(source: str, **values: Value) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        ev(source, **values)
    return info.value


# --- precedence and associativity ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),
        ("2 - 3 + 4", 3.0),
        ("12 div 3 div 2", 2.0),
        ("2 * 3 mod 4", 2.0),
        ("7 mod 4 * 2", 6.0),
        ("-2 + 3", 1.0),
        ("- 3 - -2", -1.0),
        ("--3", 3.0),
        ("---3", -3.0),
        ("-(2 * 3)", -6.0),
        ("1 + 2 < 3", False),
        ("3 > 2 = 2 > 1", True),
        ("1 < 2 < 3", True),
        ("3 > 2 > 1", False),
        ("1 = 1 or 1 = 1 and 0", True),
        ("(1 = 1 or 1 = 1) and 0", False),
        ("0 and 1 or 1", True),
        ("1 = 2 = 0", True),
        (".5 + 1.", 1.5),
        ("  1+2  ", 3.0),
        ("2*3", 6.0),
    ],
)
def test_precedence_and_associativity(source: str, expected: Value) -> None:
    assert ev(source) == expected


def test_keywords_are_case_sensitive_lowercase() -> None:
    assert ev("${a}and${b}", a=1, b=1) is True
    assert ev("5 div-1") == -5.0
    for source in ("1 AND 1", "1 Or 0", "4 DIV 2", "1 and1"):
        with pytest.raises(ExpressionError, match=r"^unexpected '(AND|Or|DIV|and1)' at column"):
            parse(source)


def test_and_or_are_lazy() -> None:
    bad = {"s": "x", "p": "("}  # an invalid regular expression, found only when evaluated
    assert ev("false() and regex(${s}, ${p})", **bad) is False
    assert ev("true() or regex(${s}, ${p})", **bad) is True
    assert ev("1 and 1 and 1 and 0", **bad) is False
    assert ev("0 or 0 or 0 or 1", **bad) is True
    with pytest.raises(ExpressionError, match="invalid regular expression at column 12"):
        ev("true() and regex(${s}, ${p})", **bad)


# --- references, '.', parse cache -----------------------------------------------------------


def test_references_and_uses_current() -> None:
    expression = parse("${a} + ${b_2} > . and selected(${C}, '${d}')")
    assert expression.references == frozenset({"a", "b_2", "C"})
    assert expression.uses_current is True
    assert expression.source == "${a} + ${b_2} > . and selected(${C}, '${d}')"
    plain = parse("${a} = 1")
    assert plain.uses_current is False
    assert plain.references == frozenset({"a"})
    assert parse("1 + 1").references == frozenset()


def test_current_value() -> None:
    assert ev(". > 3", current=5) is True
    assert ev(". > 3", current=None) is False
    assert ev("string-length(.) <= 3", current="abcd") is False


def test_parse_is_cached_and_expression_is_reusable() -> None:
    first = parse("${x} * 2")
    assert parse("${x} * 2") is first
    assert isinstance(first, Expression)
    assert first.evaluate(DictScope({"x": 2})) == 4.0
    assert first.evaluate(DictScope({"x": 5})) == 10.0
    assert "${x} * 2" in repr(first)


# --- comparisons --------------------------------------------------------------------------------

D = datetime.date(2026, 3, 14)


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        # empty values
        ("${x} = ''", {"x": None}, True),
        ("${x} = ''", {"x": ""}, True),
        ("${x} = ''", {"x": "a"}, False),
        ("${x} != ''", {"x": None}, False),
        ("${age} > 18", {"age": None}, False),
        ("${age} < 18", {"age": None}, False),
        ("${age} > 18", {"age": ""}, False),
        ("${age} = 18", {"age": None}, False),
        ("${age} != 18", {"age": None}, True),
        # numbers against strings
        ("${age} > 18", {"age": 20}, True),
        ("${age} > 18", {"age": "20"}, True),
        ("${age} > 18", {"age": "abc"}, False),
        ("${n} = '5'", {"n": 5}, True),
        ("5 = '05'", {}, True),
        ("'5' = '05'", {}, False),
        ("'abc' = 'abc'", {}, True),
        ("'abc' = 'ABC'", {}, False),
        ("'10' > '9'", {}, True),
        ("'b' > 'a'", {}, False),
        ("${n} = 2.5", {"n": "2.50"}, True),
        # booleans
        ("true() = 'false'", {}, True),
        ("false() = ''", {}, True),
        ("true() = 0", {}, False),
        ("${b} = true()", {"b": None}, False),
        ("${b} = false()", {"b": None}, True),
        ("true() > false()", {}, True),
        # node-sets
        ("${r} = 2", {"r": Nodeset([1, 2, 3])}, True),
        ("${r} != 2", {"r": Nodeset([1, 2, 3])}, True),
        ("${r} = 5", {"r": Nodeset([1, 2, 3])}, False),
        ("${r} != 5", {"r": Nodeset([1, 2, 3])}, True),
        ("${r} != 2", {"r": Nodeset([2, 2])}, False),
        ("${r} > 2", {"r": Nodeset([1, 2, 3])}, True),
        ("${r} > 3", {"r": Nodeset([1, 2, 3])}, False),
        ("2 < ${r}", {"r": Nodeset([1, 2, 3])}, True),
        ("${r} = 'b'", {"r": Nodeset(["a", "b"])}, True),
        ("${r} = ''", {"r": Nodeset([None, "x"])}, True),
        ("${e} = 1", {"e": Nodeset()}, False),
        ("${e} != 1", {"e": Nodeset()}, False),
        ("${e} = ''", {"e": Nodeset()}, False),
        ("${e} = true()", {"e": Nodeset()}, False),
        ("${e} = false()", {"e": Nodeset()}, True),
        ("${r} = true()", {"r": Nodeset(["", ""])}, True),
        ("${r} = ${s}", {"r": Nodeset([1, 2, 3]), "s": Nodeset([3, 4])}, True),
        ("${r} = ${s}", {"r": Nodeset([1, 2, 3]), "s": Nodeset([4, 5])}, False),
        ("${r} < ${s}", {"r": Nodeset([5, 9]), "s": Nodeset([1, 6])}, True),
        # select_multiple answers
        ("${sm} = 'a b'", {"sm": ["a", "b"]}, True),
        ("${sm} = ''", {"sm": []}, True),
        # dates, including reduced precision
        ("${d} > '2026-03'", {"d": D}, True),
        ("${d} = '2026-03-14'", {"d": D}, True),
        ("${d} = '2026-03'", {"d": datetime.date(2026, 3, 1)}, True),
        ("${d} != '2026-03-14'", {"d": D}, False),
        ("${d} > '2026'", {"d": D}, True),
        ("${d} < '2026'", {"d": D}, False),
        ("${d} >= '2026-03-14'", {"d": D}, True),
        ("${d} < '2026-03-15T00:00:00'", {"d": D}, True),
        ("'2026-03' < '2026-03-14'", {}, True),
        ("'2026-03' = '2026-03-01'", {}, False),
        ("'2025' < '2026-01-01'", {}, True),
        ("date('2026-03') = '2026-03-01'", {}, True),
        ("${d} < today()", {"d": "2026-03-13"}, True),
        ("${d} < today()", {"d": "2026-03"}, True),
        ("${d} < today()", {"d": "2026-04"}, False),
        ("${d} < today()", {"d": None}, False),
        ("${d} >= '2026-03-14'", {"d": "2026-03-14T10:00:00"}, True),
        ("now() > today()", {}, True),
        ("${d} = today()", {"d": "2026-03-14"}, True),
        ("today() = 20526", {}, True),
    ],
)
def test_comparison_semantics(source: str, values: dict[str, Value], expected: bool) -> None:
    assert ev(source, **values) is expected


def test_date_before_the_epoch_and_aware_datetimes() -> None:
    assert ev("${d} < '1970-01-01'", d=datetime.date(1969, 12, 31)) is True
    aware = datetime.datetime(2026, 3, 14, 10, 0, tzinfo=datetime.UTC)
    assert ev("${d} > '2026-03-14T09:00:00Z'", d=aware) is True
    assert ev("${d} = '2026-03-14T11:00:00+01:00'", d=aware) is True


# --- arithmetic ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("5 div 2", 2.5),
        ("1 div 0", math.inf),
        ("-1 div 0", -math.inf),
        ("5 mod 3", 2.0),
        ("-5 mod 3", -2.0),
        ("5 mod -3", 2.0),
        ("5.5 mod 2", 1.5),
        ("'3' + 4", 7.0),
        ("true() + true()", 2.0),
        ("pow(10, 308) * 10", math.inf),
        ("pow(10, 308) + pow(10, 308)", math.inf),
        ("1 + 1 + 1 + 1 + 1", 5.0),
    ],
)
def test_arithmetic(source: str, expected: float) -> None:
    assert ev(source) == expected


@pytest.mark.parametrize(
    "source",
    ["0 div 0", "5 mod 0", "${x} + 1", "'abc' * 2", "(1 div 0) mod 2", "(1 div 0) - (1 div 0)"],
)
def test_arithmetic_giving_nan(source: str) -> None:
    result = ev(source, x=None)
    assert isinstance(result, float)
    assert math.isnan(result)


def test_date_arithmetic() -> None:
    assert ev("today() - date('2026-01-01')") == 72.0
    assert ev("today() - ${d}", d="2026-03") == 13.0
    assert ev("today() - ${d}", d=datetime.date(2026, 3, 4)) == 10.0
    assert ev("today() - ${d}", d="2026-03-04") == 10.0
    assert ev("today() + 1") == 20527.0
    assert ev("date(today() + 1)") == datetime.date(2026, 3, 15)
    assert ev("now() - today()") == pytest.approx(10.5 / 24)
    assert ev("${d} - 1", d="1970-01-01") == -1.0
    assert math.isnan(to_number(ev("today() - ${d}", d=None)))


# --- functions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        # selection
        ("selected(${sm}, 'b')", {"sm": ["a", "b"]}, True),
        ("selected(${sm}, 'b')", {"sm": "a b"}, True),
        ("selected(${sm}, 'b')", {"sm": "ab"}, False),
        ("selected(${sm}, ' b ')", {"sm": "a  b"}, True),
        ("selected(${sm}, 'c')", {"sm": ["a", "b"]}, False),
        ("selected(${sm}, 'a')", {"sm": None}, False),
        ("selected(${sm}, 1)", {"sm": ["1", "2"]}, True),
        ("count-selected(${sm})", {"sm": ["a", "b", "c"]}, 3.0),
        ("count-selected(${sm})", {"sm": " a  b "}, 2.0),
        ("count-selected(${sm})", {"sm": None}, 0.0),
        ("count-selected(${sm})", {"sm": ""}, 0.0),
        ("count-selected(${sm})", {"sm": []}, 0.0),
        ("selected-at(${sm}, 1)", {"sm": ["a", "b"]}, "b"),
        ("selected-at(${sm}, 0)", {"sm": "a b c"}, "a"),
        ("selected-at(${sm}, 2)", {"sm": ["a", "b"]}, ""),
        ("selected-at(${sm}, -1)", {"sm": ["a", "b"]}, ""),
        ("selected-at(${sm}, 'x')", {"sm": ["a", "b"]}, ""),
        ("selected-at(${sm}, 0)", {"sm": None}, ""),
        # strings
        ("string(1.0)", {}, "1"),
        ("string(1.5)", {}, "1.5"),
        ("string(-0)", {}, "0"),
        ("string(0.0000001)", {}, "0.0000001"),
        ("string(1 div 0)", {}, "Infinity"),
        ("string(0 div 0)", {}, "NaN"),
        ("string(true())", {}, "true"),
        ("string(${x})", {"x": None}, ""),
        ("string(${x})", {"x": ["a", "b"]}, "a b"),
        ("string(${x})", {"x": Nodeset(["first", "second"])}, "first"),
        ("string(${x})", {"x": D}, "2026-03-14"),
        ("concat('a', 1, ${sm})", {"sm": ["x", "y"]}, "a1x y"),
        ("concat(${r})", {"r": Nodeset(["a", None, "b"])}, "ab"),
        ("concat('only')", {}, "only"),
        ("concat(${x}, '-', 2.50)", {"x": None}, "-2.5"),
        ("string-length('héllo')", {}, 5.0),
        ("string-length(${x})", {"x": None}, 0.0),
        ("string-length(12.0)", {}, 2.0),
        ("contains('banana', 'nan')", {}, True),
        ("contains('banana', 'nab')", {}, False),
        ("contains('banana', '')", {}, True),
        ("starts-with('banana', 'ban')", {}, True),
        ("starts-with('banana', 'an')", {}, False),
        ("ends-with('banana', 'na')", {}, True),
        ("ends-with('banana', 'ba')", {}, False),
        ("substr('hello', 1)", {}, "ello"),
        ("substr('hello', 1, 3)", {}, "el"),
        ("substr('hello', 0, 99)", {}, "hello"),
        ("substr('hello', -2, 2)", {}, "he"),
        ("substr('hello', 3, 1)", {}, ""),
        ("substr('hello', 10)", {}, ""),
        ("substr('hello', 1.9, 3.9)", {}, "el"),
        ("substr(${x}, 0, 2)", {"x": None}, ""),
        ("normalize-space('  a   b \n c ')", {}, "a b c"),
        ("normalize-space('')", {}, ""),
        ("translate('bar', 'abc', 'ABC')", {}, "BAr"),
        ("translate('--aaa--', 'abc-', 'ABC')", {}, "AAA"),
        ("translate('a', 'aa', 'xy')", {}, "x"),
        ("join(', ', ${r})", {"r": Nodeset(["a", "b", None])}, "a, b, "),
        ("join(' ', ${sm})", {"sm": ["x", "y"]}, "x y"),
        ("join('-', 'a', ${r}, 3)", {"r": Nodeset([1, 2])}, "a-1-2-3"),
        ("join(',', ${r})", {"r": Nodeset()}, ""),
        # regex: search semantics, re2 syntax
        ("regex('abc123', '[0-9]+')", {}, True),
        ("regex('abc', '^b')", {}, False),
        ("regex('abc', '^abc$')", {}, True),
        ("regex('Ab', '(?i)ab')", {}, True),
        ("regex(${x}, '^$')", {"x": None}, True),
        ("regex(${x}, ${p})", {"x": "2026-03", "p": "^[0-9]{4}-[0-9]{2}$"}, True),
        ("regex('aaa', ${p})", {"p": "b"}, False),
        # numbers
        ("number('12')", {}, 12.0),
        ("number(' 12.5 ')", {}, 12.5),
        ("number('-.5')", {}, -0.5),
        ("number(true())", {}, 1.0),
        ("number(${r})", {"r": Nodeset(["7", "8"])}, 7.0),
        ("number(${x})", {"x": 3}, 3.0),
        ("int(2.7)", {}, 2.0),
        ("int(-2.7)", {}, -2.0),
        ("int('12.9')", {}, 12.0),
        ("int(1 div 0)", {}, math.inf),
        ("round(2.5)", {}, 3.0),
        ("round(2.4)", {}, 2.0),
        ("round(-2.5)", {}, -3.0),
        ("round(-2.4)", {}, -2.0),
        ("round(2.675, 2)", {}, 2.68),
        ("round(1.005, 2)", {}, 1.01),
        ("round(1234.5, -2)", {}, 1200.0),
        ("round(1 div 0)", {}, math.inf),
        ("round(3.14159, 3)", {}, 3.142),
        ("floor(-1.5)", {}, -2.0),
        ("floor(1.5)", {}, 1.0),
        ("ceiling(-1.5)", {}, -1.0),
        ("ceiling(1.2)", {}, 2.0),
        ("ceiling(1 div 0)", {}, math.inf),
        ("abs(-3)", {}, 3.0),
        ("abs('-2.5')", {}, 2.5),
        ("pow(2, 10)", {}, 1024.0),
        ("pow(2, -1)", {}, 0.5),
        ("pow(10, 400)", {}, math.inf),
        ("pow(-10, 401)", {}, -math.inf),
        ("pow(-10, 400)", {}, math.inf),
        ("pow(0, -1)", {}, math.inf),
        ("pow(0, 0)", {}, 1.0),
        ("min(3, 1, 2)", {}, 1.0),
        ("max(3, 1, 2)", {}, 3.0),
        ("max(${r}, 10)", {"r": Nodeset([1, 2, 3])}, 10.0),
        ("min(${r})", {"r": Nodeset([4, "2", 3])}, 2.0),
        ("max(${r})", {"r": Nodeset([4, "2", 3])}, 4.0),
        ("sum(${r})", {"r": Nodeset([1, 2, "3.5"])}, 6.5),
        ("sum(${r})", {"r": Nodeset()}, 0.0),
        ("sum(${x})", {"x": 4}, 4.0),
        ("count(${r})", {"r": Nodeset([None, None, 3])}, 3.0),
        ("count(${r})", {"r": Nodeset()}, 0.0),
        ("count(${x})", {"x": None}, 0.0),
        ("count(${x})", {"x": "a"}, 1.0),
        ("count-equal(${r}, 'yes')", {"r": Nodeset(["yes", None, "no", "yes"])}, 2.0),
        ("count-equal(${r}, 'yes')", {"r": Nodeset()}, 0.0),
        ("count-equal(${r}, 2)", {"r": Nodeset([2, 2.0, "2", 3])}, 3.0),
        ("count-equal(${r}, 'gold')", {"r": Nodeset([["gold", "fuel"], ["fuel"], None])}, 1.0),
        ("count-equal(${x}, 'yes')", {"x": "yes"}, 1.0),
        ("count-equal(${x}, 'yes')", {"x": None}, 0.0),
        ("count-equal(${x}, 'yes')", {"x": "no"}, 0.0),
        # booleans
        ("true()", {}, True),
        ("false()", {}, False),
        ("not('')", {}, True),
        ("not('a')", {}, False),
        ("not(0)", {}, True),
        ("not(0 div 0)", {}, True),
        ("not(${x})", {"x": None}, True),
        ("boolean('false')", {}, True),
        ("boolean(${r})", {"r": Nodeset([None])}, True),
        ("boolean(${r})", {"r": Nodeset()}, False),
        ("boolean(${sm})", {"sm": []}, False),
        ("boolean(${sm})", {"sm": ["a"]}, True),
        ("boolean(-0.5)", {}, True),
        ("boolean-from-string('true')", {}, True),
        ("boolean-from-string('1')", {}, True),
        ("boolean-from-string('TRUE')", {}, False),
        ("boolean-from-string('yes')", {}, False),
        ("boolean-from-string(${x})", {"x": None}, False),
        ("if(${x} = '', 'empty', 'full')", {"x": None}, "empty"),
        ("if(${x} = '', 'empty', 'full')", {"x": "a"}, "full"),
        ("if(${x}, ${x}, 0)", {"x": 5}, 5),
        ("coalesce(${x}, ${y})", {"x": None, "y": "b"}, "b"),
        ("coalesce(${x}, ${y})", {"x": "a", "y": "b"}, "a"),
        ("coalesce(${x}, ${y})", {"x": 0, "y": "b"}, 0),
        ("coalesce(${x}, ${y})", {"x": [], "y": "b"}, "b"),
        ("coalesce('', '', 'c')", {}, "c"),
        ("coalesce('', ${x})", {"x": None}, ""),
        # dates
        ("today()", {}, TODAY),
        ("now()", {}, NOW),
        ("date('2026-03')", {}, datetime.date(2026, 3, 1)),
        ("date('2026')", {}, datetime.date(2026, 1, 1)),
        ("date(' 2026-03-14 ')", {}, datetime.date(2026, 3, 14)),
        ("date('2026-03-14T10:15:00')", {}, datetime.datetime(2026, 3, 14, 10, 15)),
        ("date(0)", {}, datetime.date(1970, 1, 1)),
        ("date(20526)", {}, TODAY),
        ("date(-1)", {}, datetime.date(1969, 12, 31)),
        ("date('20526')", {}, TODAY),
        ("date(1.5)", {}, datetime.datetime(1970, 1, 2, 12, 0)),
        ("date(${d})", {"d": D}, D),
        ("date('abc')", {}, None),
        ("date('')", {}, None),
        ("date('2026-02-30')", {}, None),
        ("date('2026-13')", {}, None),
        ("date(pow(10, 20))", {}, None),
        ("date(0 div 0)", {}, None),
        ("decimal-date-time('1970-01-02T12:00:00')", {}, 1.5),
        ("decimal-date-time('1970-01-02T12:00:00Z')", {}, 1.5),
        ("decimal-date-time('1970-01-02T13:00:00+01:00')", {}, 1.5),
        ("decimal-date-time('2026')", {}, 20454.0),
        ("decimal-date-time(today())", {}, 20526.0),
        ("decimal-date-time(3.25)", {}, 3.25),
        (
            "format-date(date('2026-03-04'), '%Y/%m/%d %y %e %n %b %a')",
            {},
            "2026/03/04 26 4 3 Mar Wed",
        ),
        ("format-date('2026-03-14T09:05:07', '%H:%M:%S')", {}, "09:05:07"),
        ("format-date(today(), '%H:%M')", {}, "00:00"),
        ("format-date(${d}, '%d.%m.%Y')", {"d": "2026-11"}, "01.11.2026"),
        ("format-date(${x}, '%Y')", {"x": None}, ""),
        ("format-date('nonsense', '%Y')", {}, ""),
        ("format-date(today(), '100% %q %')", {}, "100% %q %"),
        ("format-date(date('0999-01-01'), '%Y %y')", {}, "0999 99"),
    ],
)
def test_functions(source: str, values: dict[str, Value], expected: Value) -> None:
    result = ev(source, **values)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "source",
    [
        "number('1e3')",
        "number('abc')",
        "number('')",
        "number('+1')",
        "number('1.2.3')",
        "number('٣')",
        "number(${x})",
        "int('abc')",
        "round('abc')",
        "round(2.5, 'x')",
        "floor('')",
        "pow(-8, 1 div 3)",
        "min(${e})",
        "max(1, '')",
        "min(1, 0 div 0)",
        "sum(${r})",
        "decimal-date-time('abc')",
    ],
)
def test_functions_giving_nan(source: str) -> None:
    result = ev(source, x=None, e=Nodeset(), r=Nodeset([1, None]))
    assert isinstance(result, float)
    assert math.isnan(result)


def test_the_function_list_is_complete() -> None:
    assert set(ARITIES) == FUNCTION_NAMES
    for name, (low, high) in ARITIES.items():
        if low > 0:
            with pytest.raises(ExpressionError, match="argument"):
                parse(f"{name}({', '.join(['1'] * (low - 1))})")
        if high is not None:
            with pytest.raises(ExpressionError, match="argument"):
                parse(f"{name}({', '.join(['1'] * (high + 1))})")
        parse(f"{name}({', '.join(['1'] * low)})")


def test_if_evaluates_only_the_branch_taken() -> None:
    values = {"s": "x", "p": "("}
    assert ev("if(true(), 'ok', regex(${s}, ${p}))", **values) == "ok"
    assert ev("if(false(), regex(${s}, ${p}), 'ok')", **values) == "ok"
    assert ev("coalesce('a', regex(${s}, ${p}))", **values) == "a"
    with pytest.raises(ExpressionError, match="invalid regular expression at column 19"):
        ev("if(false(), 'ok', regex(${s}, ${p}))", **values)


def test_regex_with_a_computed_invalid_pattern_fails_at_evaluation() -> None:
    expression = parse("1 + 1 = 2 and regex(${s}, ${p})")
    error = error_of("1 + 1 = 2 and regex(${s}, ${p})", s="x", p="a(")
    assert error.column == 15
    assert error.source == expression.source
    assert "regular expression" in error.message
    too_long = error_of("regex(${s}, ${p})", s="x", p="a" * 1001)
    assert "1000" in too_long.message


def test_regex_limits_the_subject_length() -> None:
    assert ev("regex(${s}, 'b$')", s="a" * 100_000) is False
    error = error_of("regex(${s}, 'b$')", s="a" * 100_001)
    assert error.column == 1
    assert "regex()" in error.message


@pytest.mark.timeout(
    30
)  # a backtracking engine would run for hours here: a hang guard, not a benchmark
def test_regex_catastrophic_pattern_does_not_hang() -> None:
    assert ev("regex(${s}, '(a+)+$')", s="a" * 50_000 + "b") is False
    assert ev("regex(${s}, '(a+)+b$')", s="a" * 50_000 + "b") is True
    assert ev("regex(${s}, '^(a+)+$')", s="a" * 50_000 + "b") is False
    assert ev("regex(${s}, ${p})", s="a" * 50_000 + "b", p="^(a|aa)+$") is False


# --- conversions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        ("", False),
        ("false", True),
        (0, False),
        (0.0, False),
        (-0.0, False),
        (math.nan, False),
        (2, True),
        (True, True),
        (False, False),
        ([], False),
        (["a"], True),
        (Nodeset(), False),
        (Nodeset([None]), True),
        (D, True),
    ],
)
def test_truthy(value: Value, expected: bool) -> None:
    assert truthy(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (3, "3"),
        (3.0, "3"),
        (-2.50, "-2.5"),
        (1e20, "100000000000000000000"),
        (1.5e-10, "0.00000000015"),
        (math.inf, "Infinity"),
        (-math.inf, "-Infinity"),
        (math.nan, "NaN"),
        (True, "true"),
        (False, "false"),
        (["a", "b"], "a b"),
        (Nodeset(), ""),
        (Nodeset([2.0, 3.0]), "2"),
        (D, "2026-03-14"),
        (datetime.datetime(2026, 3, 14, 10, 5), "2026-03-14T10:05:00"),
    ],
)
def test_to_string(value: Value, expected: str) -> None:
    assert to_string(value) == expected


def test_to_string_of_an_integer_too_long_to_print() -> None:
    assert to_string(10**5000) == "Infinity"
    assert to_string(-(10**5000)) == "-Infinity"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, 1.0),
        (7, 7.0),
        ("  -3.5 ", -3.5),
        ("2026", 2026.0),
        ("2026-03", 20513.0),
        ("1970-01-02", 1.0),
        ("1970-01-01T06:00:00", 0.25),
        (datetime.date(1970, 1, 11), 10.0),
        (datetime.datetime(1970, 1, 1, 12), 0.5),
        (["4"], 4.0),
        (Nodeset(["5", "6"]), 5.0),
        (10**400, math.inf),
        (-(10**400), -math.inf),
    ],
)
def test_to_number(value: Value, expected: float) -> None:
    assert to_number(value) == expected


@pytest.mark.parametrize("value", [None, "", "abc", "1e5", "inf", "nan", "1_000", [], Nodeset()])
def test_to_number_nan(value: Value) -> None:
    assert math.isnan(to_number(value))


# --- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message", "column"),
    [
        ("1 + # 2", "unexpected character '#'", 5),
        ("${1a} = 1", "unexpected character '$'", 1),
        ("${a} = 'abc", "unclosed string", 8),
        ('concat("a", "b)', "unclosed string", 13),
        ("count(${a}", "unclosed parenthesis", 6),
        ("(1 + (2 * 3)", "unclosed parenthesis", 1),
        ("1 + foo(2)", "unknown function 'foo'", 5),
        ("lower-case('A')", "unknown function 'lower-case'", 1),
        ("1 + not(1, 2)", "not() takes 1 argument, not 2", 5),
        ("x = substr('a')", "'x' is neither a function call nor a value", 1),
        ("  round()", "round() takes 1 to 2 arguments, not 0", 3),
        ("concat()", "concat() takes at least 1 argument, not 0", 1),
        ("true(1)", "true() takes 0 arguments, not 1", 1),
        ("regex(., '[a-')", "invalid regular expression", 10),
        ("regex(., '(?=a)')", "invalid regular expression", 10),
        ("1 +", "unexpected end of expression", 4),
        ("${a} = yes", "'yes' is neither a function call nor a value", 8),
        (")", "unexpected ')'", 1),
        ("1 2", "unexpected '2'", 3),
        ("(1))", "unexpected ')'", 4),
        ("1 +\n #", "unexpected character '#'", 6),
        ("${a} AND ${b}", "unexpected 'AND'", 6),
        ("", "the expression is empty", 1),
        ("   ", "the expression is empty", 1),
        ("f(", "unclosed parenthesis", 2),
    ],
)
def test_parse_errors(source: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    error = info.value
    assert message in error.message
    assert error.column == column
    assert error.source == source
    assert error.user_message.endswith(f" at column {column}")


def test_error_is_a_fieldkit_error_with_a_user_message() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("foo(1)")
    error = info.value
    assert isinstance(error, FieldkitError)
    assert error.message == "unknown function 'foo'"
    assert error.user_message == "unknown function 'foo' at column 1"
    assert str(error) == "unknown function 'foo' at column 1"
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object, round-tripped
    assert (copy.message, copy.source, copy.column) == (error.message, "foo(1)", 1)


def test_regex_literal_pattern_limit_is_checked_when_parsing() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("regex(., '" + "a" * 1001 + "')")
    assert info.value.message == "regular expression is longer than 1000 characters"
    assert info.value.column == 10


def test_a_failing_scope_becomes_an_expression_error() -> None:
    class Broken(DictScope):
        def value(self, name: str) -> Value:
            raise KeyError(name)

    with pytest.raises(ExpressionError) as info:
        parse("${a} + 1").evaluate(Broken())
    assert isinstance(info.value.__cause__, KeyError)


def test_unexpected_value_types_do_not_escape() -> None:
    weird: dict[str, object] = {"a": {"k": 1}, "b": object(), "c": (1, 2)}
    scope = DictScope(weird)  # type: ignore[arg-type]
    for source in ("${a} = 1", "concat(${a}, ${b}, ${c})", "${b} < ${c}", "sum(${c})"):
        result = parse(source).evaluate(scope)
        assert result is not None


# --- limits -------------------------------------------------------------------------------------


def _fast_error(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    return info.value


def test_long_source_is_rejected() -> None:
    assert ev("'" + "a" * (MAX_SOURCE_LENGTH - 2) + "'") == "a" * (MAX_SOURCE_LENGTH - 2)
    error = _fast_error("'" + "a" * (MAX_SOURCE_LENGTH - 1) + "'")
    assert error.column == MAX_SOURCE_LENGTH + 1
    assert "longer" in error.message


@pytest.mark.timeout(30)  # hang guard: a recursive parser would exhaust the stack or stall
def test_hostile_nesting_and_chains_are_rejected() -> None:
    deep = _fast_error("(" * 10_000 + "1" + ")" * 10_000)
    chain = _fast_error("1" + "+1" * 100_000)
    assert "longer" in deep.message
    assert "longer" in chain.message


def test_nesting_limit_within_the_length_limit() -> None:
    assert ev("(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH) == 1.0
    error = _fast_error("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1))
    assert error.column == MAX_DEPTH + 1
    assert "nested" in error.message
    assert ev("not(" * 31 + "1" + ")" * 31) is False
    calls = _fast_error("not(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1))
    assert "nested" in calls.message
    # few parentheses but a deep tree: each level is an addition around a negation
    mixed = _fast_error("1+-(" * 40 + "1" + ")" * 40)
    assert "nested" in mixed.message
    assert 1 < mixed.column < len("1+-(" * 40)


def test_long_flat_chains_within_the_length_limit_evaluate() -> None:
    assert ev("1" + "+1" * 1999) == 2000.0
    assert ev("-" * 3999 + "1") == -1.0
    assert ev(" or ".join(["0"] * 700) + " or 1") is True
    assert ev(" and ".join(["1"] * 600)) is True
    assert ev("1" + " = 1" * 900) is True
    assert ev("concat(" + ", ".join(["'a'"] * 700) + ")") == "a" * 700


# --- properties ---------------------------------------------------------------------------------

ARITIES: dict[str, tuple[int, int | None]] = {
    "selected": (2, 2),
    "count-selected": (1, 1),
    "selected-at": (2, 2),
    "string": (1, 1),
    "concat": (1, None),
    "string-length": (1, 1),
    "contains": (2, 2),
    "starts-with": (2, 2),
    "ends-with": (2, 2),
    "substr": (2, 3),
    "normalize-space": (1, 1),
    "translate": (3, 3),
    "regex": (2, 2),
    "join": (2, None),
    "number": (1, 1),
    "int": (1, 1),
    "round": (1, 2),
    "floor": (1, 1),
    "ceiling": (1, 1),
    "abs": (1, 1),
    "pow": (2, 2),
    "min": (1, None),
    "max": (1, None),
    "sum": (1, 1),
    "count": (1, 1),
    "count-equal": (2, 2),
    "true": (0, 0),
    "false": (0, 0),
    "not": (1, 1),
    "boolean": (1, 1),
    "boolean-from-string": (1, 1),
    "if": (3, 3),
    "coalesce": (2, None),
    "today": (0, 0),
    "now": (0, 0),
    "date": (1, 1),
    "decimal-date-time": (1, 1),
    "format-date": (2, 2),
    "pseudonym": (1, 1),
}
OPERATORS = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod"]
NAMES = ["a", "b", "c", "r"]

leaves = st.one_of(
    st.integers(0, 10**6).map(str),
    st.decimals(0, 1000, places=3).map(str),
    st.text("ab %-:.0129TZ", max_size=10).map(lambda text: "'" + text + "'"),
    st.sampled_from(["${a}", "${b}", "${c}", "${r}", ".", "today()", "now()", "''"]),
    st.sampled_from(["'2026'", "'2026-03'", "'2026-03-14'", "'2026-03-14T10:00:00Z'", "'%Y %b'"]),
    st.sampled_from(["'('", "'[a-'", "'^[0-9]+$'"]),
)


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(children, st.sampled_from(OPERATORS), children).map(
        lambda parts: f"({parts[0]} {parts[1]} {parts[2]})"
    )
    negation = children.map(lambda child: f"-{child}")

    def call(name: str) -> st.SearchStrategy[str]:
        low, high = ARITIES[name]
        arguments = st.lists(children, min_size=low, max_size=low + 2 if high is None else high)
        return arguments.map(lambda args: f"{name}({', '.join(args)})")

    calls = st.sampled_from(sorted(ARITIES)).flatmap(call)
    return st.one_of(binary, negation, calls)


expressions = st.recursive(leaves, _extend, max_leaves=25)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.just(10**400),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(["2026", "2026-03", "2026-03-14", "2026-03-14T10:00:00+01:00", " 3 ", "-0.5"]),
    st.sampled_from(["(", "[a-", "a{2000}", "(?=x)", "\\", "a" * 1001]),  # invalid patterns
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, datetime.UTC])),
    st.lists(st.text("abc", min_size=1, max_size=3), max_size=4),
)
values = st.one_of(scalars, st.lists(scalars, max_size=4).map(Nodeset))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_parse_arbitrary_text_raises_only_expression_error(source: str) -> None:
    try:
        expression = parse(source)
    except ExpressionError as error:
        assert 1 <= error.column <= len(source) + 1
        assert error.source == source
    else:
        assert expression.source == source


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text("()'\"${}.,-+*=<>! abdinortmsuflcg0123456789_", max_size=120))
def test_parse_grammar_like_text_raises_only_expression_error(source: str) -> None:
    try:
        expression = parse(source)
    except ExpressionError as error:
        assert 1 <= error.column <= len(source) + 1
    else:
        assert expression.source == source
        assert all(name.isidentifier() for name in expression.references)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions, st.fixed_dictionaries(dict.fromkeys(NAMES, values)), values)
def test_evaluate_raises_only_expression_error(
    source: str, scope_values: dict[str, Value], current: Value
) -> None:
    try:
        expression = parse(source)
    except ExpressionError as error:  # a random literal regex may be invalid, or too deep
        assert "regular expression" in error.message or "nested" in error.message
        return
    assert expression.references <= set(NAMES)
    try:
        result = expression.evaluate(DictScope(scope_values, current))
    except ExpressionError as error:
        assert error.source == source
        return
    assert isinstance(to_string(result), str)
    assert isinstance(to_number(result), float)
    assert truthy(result) in (True, False)


def test_pseudonym_gives_fresh_readable_codes() -> None:
    codes = {ev("pseudonym('vic')") for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert isinstance(code, str)
        head, _sep, tail = code.partition("-")
        assert head == "VIC" and len(tail) == 6
        assert set(tail) <= set("23456789ABCDEFGHJKMNPQRSTUVWXYZ")
    assert str(ev("pseudonym('')")).startswith("ID-")
    assert str(ev("pseudonym('a1b2c3d4e5')")).startswith("ABCD-")
