"""Tests for normalising answers (fieldkit.domain.values)."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.domain.formfile import form_from_data
from fieldkit.domain.forms import ChoiceList, FormDefinition
from fieldkit.domain.values import (
    DEFAULT_LONG_TEXT_LENGTH,
    DEFAULT_TEXT_LENGTH,
    MAX_SAFE_INTEGER,
    AnswerError,
    attachment_ref,
    expression_value,
    expression_valuer,
    is_empty,
    normalize,
    normalizer,
)

YES_NO = ChoiceList(
    name="yes-no",
    vocabulary=True,
    version="2",
    choices=[
        {"code": "yes", "label": {"en": "Yes"}},
        {"code": "no", "label": {"en": "No"}},
        {"code": "unknown", "label": {"en": "Unknown"}},
    ],
)


def _field(name: str, type: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type, "label": {"en": name}, **extra}


FORM: FormDefinition = form_from_data(
    {
        "fieldkit_form": 1,
        "id": "values",
        "version": "1",
        "title": {"en": "Values"},
        "languages": ["en"],
        "vocabularies": ["yes-no"],
        "choices": {
            "colour": [
                {"code": "red", "label": {"en": "Red"}},
                {"code": "green", "label": {"en": "Green"}},
            ]
        },
        "fields": [
            _field("text", "text"),
            _field("short", "text", max_length=5),
            _field("long", "long_text"),
            _field("long_short", "long_text", max_length=5),
            _field("integer", "integer"),
            _field("decimal", "decimal"),
            _field("day", "date"),
            _field("any_day", "date", precisions=["day", "month", "year"]),
            _field("year_month", "date", precisions=["year", "month"]),
            _field("at", "datetime"),
            _field("colour", "select_one", choices="colour"),
            _field("answer", "select_one", choices="yes-no"),
            _field("answers", "select_multiple", choices="yes-no"),
            _field("colours", "select_multiple", choices="colour"),
            _field("position", "geopoint"),
            _field("files", "attachment"),
            _field("one_file", "attachment", max_files=1),
            _field("note", "note"),
            {"name": "group", "type": "group", "fields": [_field("inside", "text")]},
        ],
    },
    "values",
    lambda name, version: YES_NO,
)

SHA = "0123456789abcdef" * 4
REF = {"sha256": SHA, "name": "photo.jpg", "media_type": "image/jpeg", "size": 1234}


def norm(name: str, raw: Any) -> Any:
    return normalize(FORM, FORM.field(name), raw)


def rule_of(name: str, raw: Any) -> str:
    with pytest.raises(AnswerError) as info:
        norm(name, raw)
    assert info.value.message == str(info.value)
    return info.value.rule


# -- empty answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", [], {}])
def test_is_empty(value: Any) -> None:
    assert is_empty(value)


@pytest.mark.parametrize("value", [0, 0.0, False, " ", "x", [None], {"a": None}])
def test_is_not_empty(value: Any) -> None:
    assert not is_empty(value)


@pytest.mark.parametrize(
    "name",
    ["text", "long", "integer", "decimal", "day", "at", "colour", "answers", "position", "files"],
)
@pytest.mark.parametrize("raw", [None, "", [], {}, "   ", "\n\t"])
def test_empty_answers_become_none(name: str, raw: Any) -> None:
    assert norm(name, raw) is None


# -- text ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "stored"),
    [
        ("text", "  Bridge  ", "Bridge"),
        ("text", "a\nb", "a\nb"),
        ("text", 12, "12"),
        ("text", 1.5, "1.5"),
        ("long", "  indented\nstory  \n", "  indented\nstory"),  # only trailing space goes
        ("long", "x" * DEFAULT_LONG_TEXT_LENGTH, "x" * DEFAULT_LONG_TEXT_LENGTH),
        ("text", "x" * DEFAULT_TEXT_LENGTH, "x" * DEFAULT_TEXT_LENGTH),
        ("short", "abcde", "abcde"),
    ],
)
def test_text_is_trimmed(name: str, raw: Any, stored: str) -> None:
    assert norm(name, raw) == stored


def test_max_length_counts_the_answer_as_given_spaces_included() -> None:
    assert rule_of("short", "  abc  ") == "max_length"
    assert norm("short", " abc ") == "abc"


@pytest.mark.parametrize(
    ("name", "raw", "rule"),
    [
        ("text", True, "type"),
        ("text", ["a"], "type"),
        ("text", {"a": 1}, "type"),
        ("text", "a\x00b", "type"),
        ("long", "a\x00b", "type"),
        ("short", "abcdef", "max_length"),
        ("long_short", "abcdef", "max_length"),
        ("text", "x" * (DEFAULT_TEXT_LENGTH + 1), "max_length"),
        ("long", "x" * (DEFAULT_LONG_TEXT_LENGTH + 1), "max_length"),
    ],
)
def test_bad_text_names_its_rule(name: str, raw: Any, rule: str) -> None:
    assert rule_of(name, raw) == rule


def test_max_length_message_names_the_limit() -> None:
    with pytest.raises(AnswerError, match="is longer than 10,000 characters"):
        norm("text", "x" * (DEFAULT_TEXT_LENGTH + 1))


# -- numbers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (12, 12),
        ("12", 12),
        (" -3 ", -3),
        ("+4", 4),
        ("007", 7),
        (12.0, 12),
        (0, 0),
        (MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
        (-MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER),
        ("1" * 16, int("1" * 16)),
        ("9007199254740991", MAX_SAFE_INTEGER),
    ],
)
def test_integers(raw: Any, stored: int) -> None:
    value = norm("integer", raw)
    assert value == stored
    assert type(value) is int


@pytest.mark.parametrize(
    "raw",
    [
        2**53,
        -(2**53),
        10**30,
        "9" * 16,
        "9007199254740992",
        "1" * 17,
        1e300,
        12.5,
        "12.5",
        "12.0",
        "1e3",
        "1 000",
        "twelve",
        True,
        False,
        math.nan,
        math.inf,
        -math.inf,
        [1],
        {"n": 1},
    ],
)
def test_bad_integers_are_type_errors(raw: Any) -> None:
    assert rule_of("integer", raw) == "type"


def test_integer_bound_is_two_to_the_53() -> None:
    assert MAX_SAFE_INTEGER == 2**53 - 1
    with pytest.raises(AnswerError, match="too large"):
        norm("integer", 2**53)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("1.5", 1.5),
        ("1,5", 1.5),  # decimal comma
        (" -0,25 ", -0.25),
        (2, 2),
        (2.0, 2),
        ("3.0", 3),
        ("1e3", 1000),
        ("-0", 0),
        (0.1, 0.1),
        ("1e15", 10**15),
        (1e15, 10**15),
    ],
)
def test_decimals(raw: Any, stored: float) -> None:
    value = norm("decimal", raw)
    assert value == stored
    if float(stored).is_integer():
        assert type(value) is int  # whole numbers are stored without ".0"


@pytest.mark.parametrize(
    "raw",
    [
        "nan",
        "NaN",
        "inf",
        "-Infinity",
        math.nan,
        math.inf,
        -math.inf,
        1e16,
        "1e16",
        2.0**53,
        "abc",
        "1,000.5",
        "1" * 41,  # too long a text to read
        True,
        [1.5],
        {"x": 1},
    ],
)
def test_bad_decimals_are_type_errors(raw: Any) -> None:
    assert rule_of("decimal", raw) == "type"


# -- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "stored"),
    [
        ("day", "2026-03-14", "2026-03-14"),
        ("day", " 2026-03-14 ", "2026-03-14"),
        ("day", "2024-02-29", "2024-02-29"),
        ("day", dt.date(2026, 3, 14), "2026-03-14"),
        ("day", dt.datetime(2026, 3, 14, 23, 59), "2026-03-14"),
        ("any_day", "2026-03-14", "2026-03-14"),
        ("any_day", "2026-03", "2026-03"),
        ("any_day", "2026", "2026"),
        ("year_month", "2026", "2026"),
        ("year_month", "2026-12", "2026-12"),
    ],
)
def test_dates_at_each_precision(name: str, raw: Any, stored: str) -> None:
    assert norm(name, raw) == stored


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("day", "2026-02-30", "'2026-02-30' is not a real date"),
        ("day", "2025-02-29", "'2025-02-29' is not a real date"),
        ("day", "2026-13-01", "'2026-13-01' is not a real date"),
        ("day", "2026-00-10", "'2026-00-10' is not a real date"),
        ("any_day", "2026-13", "'2026-13' is not a real date"),
        ("any_day", "0000", "'0000' is not a real date"),
        ("day", "2026-03", "expects a date written as 2026-03-14"),
        ("day", "2026", "expects a date written as 2026-03-14"),
        ("year_month", "2026-03-14", "expects a date written as 2026, 2026-03"),
        ("day", "14/03/2026", "expects a date written as 2026-03-14"),
        ("day", "2026-3-14", "expects a date written as 2026-03-14"),
        ("day", "20260314", "expects a date written as 2026-03-14"),
        ("day", 20260314, "expects a date such as 2026-03-14"),
        ("day", ["2026-03-14"], "expects a date such as 2026-03-14"),
    ],
)
def test_bad_dates_are_type_errors(name: str, raw: Any, message: str) -> None:
    with pytest.raises(AnswerError) as info:
        norm(name, raw)
    assert info.value.rule == "type"
    assert info.value.message == message


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("2026-03-14T09:30:00+01:00", "2026-03-14T09:30:00+01:00"),
        ("2026-03-14T09:30:00.987654+01:00", "2026-03-14T09:30:00+01:00"),  # no fractions
        ("  2026-03-14T09:30+01:00 ", "2026-03-14T09:30:00+01:00"),
        ("2026-03-14 09:30:00Z", "2026-03-14T09:30:00+00:00"),
        ("2026-03-14T09:30", "2026-03-14T09:30:00"),
        (
            dt.datetime(2026, 3, 14, 9, 30, 1, 999, tzinfo=dt.UTC),
            "2026-03-14T09:30:01+00:00",
        ),
    ],
)
def test_datetimes_are_iso_without_fractions(raw: Any, stored: str) -> None:
    assert norm("at", raw) == stored


@pytest.mark.parametrize("raw", ["nope", "2026-02-30T10:00", "x" * 41, 5, True, [1]])
def test_bad_datetimes_are_type_errors(raw: Any) -> None:
    assert rule_of("at", raw) == "type"


# -- choices ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "stored"),
    [
        ("colour", "red", "red"),
        ("colour", "  green ", "green"),
        ("answer", "yes", "yes-no:2:yes"),
        ("answer", "yes-no:2:no", "yes-no:2:no"),
        ("answer", " unknown ", "yes-no:2:unknown"),
    ],
)
def test_select_one_stores_qualified_codes_for_vocabularies(
    name: str, raw: str, stored: str
) -> None:
    assert norm(name, raw) == stored


@pytest.mark.parametrize(
    ("name", "raw", "rule"),
    [
        ("colour", "blue", "choice"),
        ("colour", "RED", "choice"),
        ("answer", "yes-no:1:yes", "choice"),  # an older version of the vocabulary
        ("answer", "other:2:yes", "choice"),
        ("colour", 1, "type"),
        ("colour", ["red"], "type"),
        ("colour", True, "type"),
    ],
)
def test_bad_select_one_answers(name: str, raw: Any, rule: str) -> None:
    assert rule_of(name, raw) == rule


@pytest.mark.parametrize(
    ("name", "raw", "stored"),
    [
        ("answers", ["yes"], ["yes-no:2:yes"]),
        ("answers", "yes no", ["yes-no:2:yes", "yes-no:2:no"]),
        ("answers", ["no", "yes-no:2:no", "yes", "yes"], ["yes-no:2:no", "yes-no:2:yes"]),
        ("answers", "  yes   yes  ", ["yes-no:2:yes"]),
        ("colours", ["green", "red", "green"], ["green", "red"]),
        ("colours", [" red "], ["red"]),
    ],
)
def test_select_multiple_keeps_order_and_drops_duplicates(
    name: str, raw: Any, stored: list[str]
) -> None:
    assert norm(name, raw) == stored


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (["maybe"], "choice"),
        (["yes", "maybe"], "choice"),
        ("yes maybe", "choice"),
        ([1], "type"),
        (["yes", None], "type"),
        ({"yes": True}, "type"),
        (5, "type"),
    ],
)
def test_bad_select_multiple_answers(raw: Any, rule: str) -> None:
    assert rule_of("answers", raw) == rule


def test_choice_error_quotes_at_most_60_characters_of_the_answer() -> None:
    with pytest.raises(AnswerError) as info:
        norm("colour", "z" * 500)
    assert info.value.message == f"'{'z' * 60}' is not one of its choices"


# -- geopoints -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("12.5, -1.25", {"lat": 12.5, "lon": -1.25, "precision_m": 11132}),
        ({"lat": 1, "lon": 2}, {"lat": 1.0, "lon": 2.0}),
        ({"lat": 1, "lon": 2, "precision_m": 5}, {"lat": 1.0, "lon": 2.0, "precision_m": 5}),
        ("12°30'15\"N 1°15'W", {"lat": 12.504167, "lon": -1.25, "precision_m": 1855.3}),
    ],
)
def test_geopoints(raw: Any, stored: dict[str, Any]) -> None:
    assert norm("position", raw) == stored


@pytest.mark.parametrize("raw", ["junk", "91, 0", {"lat": 1}, 5, [1, 2], {"lat": True, "lon": 1}])
def test_bad_geopoints_are_type_errors(raw: Any) -> None:
    assert rule_of("position", raw) == "type"


# -- attachments -----------------------------------------------------------------------------------


def test_one_attachment_reference_becomes_a_list() -> None:
    assert norm("files", REF) == [REF]
    assert norm("files", [REF, REF]) == [REF, REF]


def test_attachment_reference_is_copied_not_shared() -> None:
    stored = norm("files", [dict(REF)])
    assert stored == [REF] and stored[0] is not REF


@pytest.mark.parametrize(
    "change",
    [
        {"sha256": SHA.upper()},
        {"sha256": SHA[:-1]},
        {"sha256": SHA + "0"},
        {"sha256": "g" * 64},
        {"sha256": 5},
        {"name": ""},
        {"name": "x" * 256},
        {"name": "a\x00b"},
        {"name": None},
        {"media_type": "image"},
        {"media_type": "Image/JPEG"},
        {"media_type": "image/jpeg; charset=x"},
        {"media_type": ""},
        {"size": -1},
        {"size": 1.5},
        {"size": True},
        {"size": "12"},
        {"extra": 1},
    ],
)
def test_attachment_references_have_a_strict_shape(change: dict[str, Any]) -> None:
    ref = {**REF, **change}
    [key] = change
    reason = ATTACHMENT_REASONS[key]
    with pytest.raises(AnswerError, match=f"^{reason}$") as info:
        attachment_ref(ref)
    assert info.value.rule == "type"
    with pytest.raises(AnswerError, match=f"^{reason}$"):
        norm("files", ref)


ATTACHMENT_REASONS = {
    "sha256": "an attachment's sha256 must be 64 hexadecimal digits",
    "name": "an attachment needs a file name of at most 255 characters",
    "media_type": "an attachment needs a media type such as image/jpeg",
    "size": "an attachment's size must be a whole number of bytes",
    "extra": "an attachment is described by sha256, name, media_type and size",
}


@pytest.mark.parametrize("missing", ["sha256", "name", "media_type", "size"])
def test_attachment_reference_needs_every_key(missing: str) -> None:
    ref = {k: v for k, v in REF.items() if k != missing}
    assert rule_of("files", ref) == "type"
    with pytest.raises(AnswerError, match=f"^{ATTACHMENT_REASONS['extra']}$"):
        norm("files", ref)


@pytest.mark.parametrize("raw", ["photo.jpg", 5, [SHA]])
def test_attachment_must_be_a_reference(raw: Any) -> None:
    assert rule_of("files", raw) == "type"
    with pytest.raises(AnswerError, match=f"^{ATTACHMENT_REASONS['extra']}$"):
        norm("files", raw)


def test_max_files() -> None:
    assert norm("one_file", [REF]) == [REF]
    with pytest.raises(AnswerError) as info:
        norm("one_file", [REF, REF])
    assert (info.value.rule, info.value.message) == ("max_files", "takes at most 1 files")


def test_a_long_name_of_255_characters_is_accepted() -> None:
    assert attachment_ref({**REF, "name": "n" * 255})["name"] == "n" * 255


# -- fields without values -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["note", "group"])
def test_note_and_group_hold_no_value(name: str) -> None:
    assert rule_of(name, "x") == "type"
    assert norm(name, None) is None


# -- expression_value ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stored", "seen"),
    [
        ("answer", "yes-no:2:yes", "yes"),
        ("colour", "red", "red"),
        ("answers", ["yes-no:2:yes", "yes-no:2:no"], ["yes", "no"]),
        ("colours", ["red"], ["red"]),
        ("files", [REF, {**REF, "name": "b.png"}], "photo.jpg b.png"),
        ("position", {"lat": 12.5, "lon": -1.25, "precision_m": 10}, "12.5 -1.25 0 10"),
        ("position", {"lat": 12.5, "lon": -1.25}, "12.5 -1.25 0 0"),
        ("integer", 3, 3),
        ("day", "2026-03", "2026-03"),
        ("text", None, None),
        ("answer", None, None),
    ],
)
def test_expression_value_shows_short_codes_and_plain_values(
    name: str, stored: Any, seen: Any
) -> None:
    assert expression_value(FORM, FORM.field(name), stored) == seen


# -- random input ----------------------------------------------------------------------------------

ANY_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=30)
    | st.dates()
    | st.datetimes(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([f.name for _p, f in FORM.walk()]), ANY_VALUE)
def test_any_value_normalizes_or_raises_answer_error(name: str, raw: Any) -> None:
    try:
        stored = norm(name, raw)
    except AnswerError as exc:
        assert exc.rule in {"type", "choice", "max_length", "max_files"}
        return
    if stored is not None:
        assert norm(name, stored) == stored  # normalizing is idempotent


# -- prepared normalisers: the same answers and errors as normalize -----------------------------

ANSWERS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(
        ["yes", " yes ", "yes-no:2:yes", "yes-no:1:yes", "red", "Red", "green ", "", "   ", "\x00"]
    ),
    st.lists(
        st.sampled_from(["yes", "no", "yes-no:2:no", " no", "red", "green", "x", 3, None]),
        max_size=4,
    ),
    st.just("x" * 6),
    st.just({"lat": 1, "lon": 2}),
)


def _outcome(function: Any, *args: Any) -> Any:
    try:
        return ("value", function(*args))
    except AnswerError as exc:
        return ("error", exc.rule, exc.message)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([name for name, f in FORM.fields_by_name().items() if f.holds_value]), ANSWERS
)
def test_prepared_normalisers_match_normalize(name: str, raw: Any) -> None:
    f = FORM.field(name)
    assert _outcome(normalizer(FORM, f), raw) == _outcome(normalize, FORM, f, raw)
    try:
        stored = normalize(FORM, f, raw)
    except AnswerError:
        return
    assert expression_valuer(FORM, f)(stored) == expression_value(FORM, f, stored)


def test_prepared_tables_hold_nothing_of_the_answers() -> None:
    # The tables behind the prepared normalisers come from the form alone, so that no answer
    # stays in memory with the (cached) form after the vault is locked.
    for f in FORM.fields_by_name().values():
        if f.holds_value:
            prepared = normalizer(FORM, f)
            for raw in ("Zebulon Quartermaine", " green ", ["yes ", "no"]):
                with contextlib.suppress(AnswerError):
                    prepared(raw)
    assert "Zebulon" not in repr(FORM.derived)
    assert " green " not in repr(FORM.derived)
    assert "yes " not in repr(FORM.derived)
