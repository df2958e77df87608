"""Tests for checking a record's answers against its form (fieldkit.domain.validation)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from fieldkit.domain.formfile import form_from_data, load_form
from fieldkit.domain.forms import ChoiceList, FormDefinition
from fieldkit.domain.validation import (
    MAX_REPEAT_INSTANCES,
    Outcome,
    Problem,
    check,
    default_value,
    with_defaults,
)
from tests.conftest import DATA, all_types_answers

NOW = dt.datetime(2026, 3, 14, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))

YES_NO = ChoiceList(
    name="yes-no",
    vocabulary=True,
    version="2",
    choices=[{"code": "yes", "label": {"en": "Yes"}}, {"code": "no", "label": {"en": "No"}}],
)


def clock() -> dt.datetime:
    return NOW


def make_form(*fields: dict[str, Any], **extra: Any) -> FormDefinition:
    data: dict[str, Any] = {
        "fieldkit_form": 1,
        "id": "checks",
        "version": "1",
        "title": {"en": "Checks", "fr": "Contrôles"},
        "languages": ["en", "fr", "ar"],
        "vocabularies": ["yes-no"],
        "fields": list(fields),
        **extra,
    }
    return form_from_data(data, "inline", lambda name, version: YES_NO)


def f(name: str, type: str = "text", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type, "label": {"en": name}, **extra}


def group(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "group", "fields": list(fields), **extra}


def repeat(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "repeat", "fields": list(fields), **extra}


def run(form: FormDefinition, data: Any, **options: Any) -> Outcome:
    return check(form, data, clock=clock, **options)


def problems(outcome: Outcome) -> list[tuple[str, str]]:
    return [(p.path, p.rule) for p in outcome.problems]


# -- the outcome -----------------------------------------------------------------------------------


def test_good_answers_pass_and_are_normalised() -> None:
    form = make_form(f("n", "integer"), f("when", "date"), f("ok", "select_one", choices="yes-no"))
    outcome = run(form, {"n": "12", "when": " 2026-03-14 ", "ok": "yes"})
    assert outcome.ok
    assert outcome.problems == []
    assert outcome.data == {"n": 12, "when": "2026-03-14", "ok": "yes-no:2:yes"}
    assert outcome.irrelevant == set()


def test_empty_answers_are_dropped_from_the_data() -> None:
    form = make_form(f("a"), f("b", "integer"), f("c", "select_multiple", choices="yes-no"))
    assert run(form, {"a": "  ", "b": None, "c": []}).data == {}


def test_a_bad_answer_is_reported_with_its_rule_and_left_out() -> None:
    form = make_form(f("n", "integer"), f("c", "select_one", choices="yes-no"))
    outcome = run(form, {"n": "twelve", "c": "maybe"})
    assert not outcome.ok
    assert problems(outcome) == [("n", "type"), ("c", "choice")]
    assert outcome.data == {}
    assert outcome.problems[0] == Problem("n", "n", "type", "expects a whole number")
    assert outcome.problems[0].describe() == "n: expects a whole number"


@pytest.mark.parametrize("data", [[1], "answers", None, 5])
def test_answers_must_be_an_object(data: Any) -> None:
    outcome = run(make_form(f("a")), data)
    assert problems(outcome) == [("/", "type")]
    assert outcome.data == {}


def test_unknown_fields_are_reported() -> None:
    outcome = run(make_form(f("a")), {"a": "x", "zz": 1})
    assert problems(outcome) == [("zz", "unknown")]
    assert outcome.data == {"a": "x"}


def test_notes_and_groups_hold_no_answer() -> None:
    form = make_form({"name": "n", "type": "note", "label": {"en": "N"}}, group("g", f("a")))
    outcome = run(form, {"n": "x", "g": {"a": "nested"}, "a": "beside"})
    assert problems(outcome) == [("n", "type"), ("g", "type")]
    assert outcome.data == {"a": "beside"}  # a group's fields sit beside it
    assert run(form, {"n": "", "g": None}).ok


# -- required --------------------------------------------------------------------------------------


def test_required_answers() -> None:
    form = make_form(f("a", required=True), f("b"))
    assert problems(run(form, {})) == [("a", "required")]
    assert problems(run(form, {"a": "  "})) == [("a", "required")]
    assert run(form, {"a": "x"}).ok
    assert run(form, {}).problems[0].message == "is required"


@pytest.mark.parametrize(
    ("n", "required"), [(3, True), (1, False), (None, False)], ids=["true", "false", "empty"]
)
def test_required_may_be_an_expression(n: int | None, required: bool) -> None:
    form = make_form(f("n", "integer"), f("why", required="${n} > 2"))
    data = {} if n is None else {"n": n}
    assert problems(run(form, data)) == ([("why", "required")] if required else [])


def test_a_bad_answer_is_not_also_reported_as_missing() -> None:
    form = make_form(f("n", "integer", required=True))
    assert problems(run(form, {"n": "x"})) == [("n", "type")]


# -- constraints -----------------------------------------------------------------------------------

CONSTRAINED = make_form(
    f(
        "age",
        "integer",
        constraint=". >= 0 and . < 130",
        constraint_message={"en": "Between 0 and 129.", "fr": "Entre 0 et 129."},
    ),
    f("weight", "decimal", constraint=". > 0", constraint_message={"fr": "Positif."}),
    f("count", "integer", constraint=". < 10"),
)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Between 0 and 129."),
        ("fr", "Entre 0 et 129."),
        ("ar", "Between 0 and 129."),  # no Arabic: the form's default language
        (None, "Between 0 and 129."),
    ],
)
def test_constraint_message_is_in_the_chosen_language(language: str | None, message: str) -> None:
    outcome = run(CONSTRAINED, {"age": 200}, language=language)
    assert [(p.path, p.rule, p.message) for p in outcome.problems] == [
        ("age", "constraint", message)
    ]
    assert outcome.data == {"age": 200}  # a value that breaks a constraint is kept


def test_constraint_message_falls_back_to_any_language_then_to_a_generic_text() -> None:
    outcome = run(CONSTRAINED, {"weight": -1, "count": 12}, language="en")
    assert [(p.field, p.message) for p in outcome.problems] == [
        ("weight", "Positif."),
        ("count", "does not meet its constraint"),
    ]


def test_constraints_are_not_checked_on_empty_answers() -> None:
    assert run(CONSTRAINED, {"age": None}).ok


def test_constraint_sees_short_choice_codes() -> None:
    form = make_form(
        f("flags", "select_multiple", choices="yes-no", constraint="not(selected(., 'no'))"),
        f("one", "select_one", choices="yes-no", constraint=". = 'yes'"),
    )
    assert run(form, {"flags": ["yes"], "one": "yes-no:2:yes"}).ok
    assert problems(run(form, {"flags": ["yes", "no"], "one": "no"})) == [
        ("flags", "constraint"),
        ("one", "constraint"),
    ]


def test_constraint_uses_the_clock_for_today() -> None:
    form = make_form(f("when", "date", constraint=". <= today()"))
    assert run(form, {"when": "2026-03-14"}).ok  # the clock's own (local) date
    assert problems(run(form, {"when": "2026-03-15"})) == [("when", "constraint")]


def test_constraint_may_compare_with_another_field() -> None:
    form = make_form(
        f("start", "date"),
        f("end", "date", constraint=". >= ${start}", constraint_message={"en": "Ends first."}),
    )
    assert run(form, {"start": "2026-03-01", "end": "2026-03-02"}).ok
    outcome = run(form, {"start": "2026-03-03", "end": "2026-03-02"})
    assert [p.message for p in outcome.problems] == ["Ends first."]


# -- relevance -------------------------------------------------------------------------------------


def test_an_irrelevant_answer_is_cleared_and_its_path_listed() -> None:
    form = make_form(f("a", "integer"), f("b", relevant="${a} = 1"))
    outcome = run(form, {"a": 2, "b": "x"})
    assert outcome.ok
    assert outcome.data == {"a": 2}
    assert outcome.irrelevant == {"b"}
    assert run(form, {"a": 1, "b": "x"}).data == {"a": 1, "b": "x"}


def test_an_irrelevant_field_is_not_required() -> None:
    form = make_form(f("a", "integer"), f("b", relevant="${a} = 1", required=True))
    assert run(form, {"a": 2}).ok
    assert problems(run(form, {"a": 1})) == [("b", "required")]


def test_an_irrelevant_field_is_not_constrained() -> None:
    form = make_form(f("a", "integer"), f("b", "integer", relevant="${a} = 1", constraint=". > 5"))
    assert run(form, {"a": 2, "b": 1}).ok


CHAIN = [
    f("a", "integer"),
    f("b", "integer", relevant="${a} > 1"),
    f("c", relevant="${b} > 1"),
    f("d", relevant="string-length(${c}) > 0", required=True),
]


@pytest.mark.parametrize("order", ["document", "reversed"])
def test_relevance_chains_clear_to_a_fixpoint(order: str) -> None:
    form = make_form(*(CHAIN if order == "document" else reversed(CHAIN)))
    full = {"a": 5, "b": 5, "c": "x", "d": "y"}
    assert run(form, full).data == full
    outcome = run(form, {**full, "a": 0})
    assert outcome.data == {"a": 0}
    assert outcome.irrelevant == {"b", "c", "d"}
    assert outcome.ok  # d is required only while relevant


def test_a_field_that_becomes_relevant_again_is_not_listed_as_irrelevant() -> None:
    form = make_form(f("a", relevant="${b} = ''"), f("b", relevant="${a} = ''"))
    outcome = run(form, {"a": "1", "b": "2"})
    assert outcome.data == {"b": "2"}
    assert outcome.irrelevant == {"a"}


def test_a_long_reverse_relevance_chain_is_cleared_completely() -> None:
    n = 40  # a chain written against document order clears one field per pass
    fields = [f(f"x{i}", relevant=f"${{x{i - 1}}} != ''") for i in range(n, 0, -1)]
    form = make_form(*fields, f("x0"))
    outcome = run(form, {f"x{i}": "v" for i in range(1, n + 1)})
    assert outcome.data == {}
    assert outcome.irrelevant == {f"x{i}" for i in range(1, n + 1)}


def test_a_hidden_group_hides_everything_inside_it() -> None:
    form = make_form(
        f("a", "integer"),
        group(
            "g",
            f("x"),
            group("inner", f("y", required=True)),
            repeat("r", f("z"), min_count=1),
            relevant="${a} = 1",
        ),
        f("after", required=True),
    )
    outcome = run(form, {"a": 2, "x": "1", "y": "2", "r": [{"z": "3"}], "after": "q"})
    assert outcome.ok, outcome.problems
    assert outcome.data == {"a": 2, "after": "q"}
    assert outcome.irrelevant == {"g", "x", "inner", "y", "r"}
    shown = run(form, {"a": 1, "x": "1"})
    assert problems(shown) == [("y", "required"), ("r", "min_count"), ("after", "required")]
    assert shown.irrelevant == set()


def test_a_hidden_repeat_loses_its_entries() -> None:
    form = make_form(f("a", "integer"), repeat("r", f("x"), relevant="${a} = 1", min_count=1))
    hidden = run(form, {"a": 2, "r": [{"x": "1"}]})
    assert hidden.ok
    assert hidden.data == {"a": 2}
    assert hidden.irrelevant == {"r"}
    assert problems(run(form, {"a": 1, "r": []})) == [("r", "min_count")]


# -- repeats ---------------------------------------------------------------------------------------

PEOPLE = make_form(
    f("adults_only", "select_one", choices="yes-no"),
    repeat(
        "people",
        f(
            "age",
            "integer",
            required=True,
            constraint=". < 130",
            constraint_message={"en": "Too old.", "fr": "Trop âgé."},
        ),
        f("guardian", relevant="${age} < 18", required=True),
        f("why_minor", relevant="${adults_only} = 'yes' and ${age} < 18"),
        f("rank", "integer", constraint=". <= count(${people})"),
        group("contact", f("phone", relevant="${age} >= 18")),
        label={"en": "Person"},
        min_count=1,
        max_count=3,
    ),
    f("total", "integer", constraint=". = count(${people})"),
    f("total_age", "integer", constraint=". = sum(${age})"),
    f("youngest", "integer", constraint=". = min(${age})"),
)


def test_a_field_inside_a_repeat_sees_its_own_instance() -> None:
    outcome = run(
        PEOPLE,
        {"people": [{"age": 34, "guardian": "no one"}, {"age": 15}, {"age": 12, "guardian": "U"}]},
    )
    assert problems(outcome) == [("people[2].guardian", "required")]
    assert outcome.irrelevant == {
        "people[1].guardian",
        "people[2].phone",
        "people[3].phone",
        *(f"people[{i}].why_minor" for i in (1, 2, 3)),  # adults_only is not answered
    }
    assert outcome.data["people"][0] == {"age": 34}  # the irrelevant guardian is cleared


def test_a_field_inside_a_repeat_sees_fields_outside_it() -> None:
    data = {"adults_only": "yes", "people": [{"age": 15, "guardian": "U", "why_minor": "w"}]}
    assert run(PEOPLE, data).data["people"] == [{"age": 15, "guardian": "U", "why_minor": "w"}]
    data["adults_only"] = "no"
    outcome = run(PEOPLE, data)
    assert outcome.data["people"] == [{"age": 15, "guardian": "U"}]
    assert "people[1].why_minor" in outcome.irrelevant


def test_inside_a_repeat_the_repeat_itself_counts_every_entry() -> None:
    data = {"people": [{"age": 30, "rank": 2}, {"age": 40, "rank": 3}]}
    assert problems(run(PEOPLE, data)) == [("people[2].rank", "constraint")]


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [("total", 3, 2), ("total_age", 64, 63), ("youngest", 10, 30)],
)
def test_from_outside_a_repeat_its_fields_are_a_nodeset(field: str, good: int, bad: int) -> None:
    people = [{"age": 30}, {"age": 24}, {"age": 10, "guardian": "G"}]
    assert run(PEOPLE, {"people": people, field: good}).ok
    outcome = run(PEOPLE, {"people": people, field: bad})
    assert problems(outcome) == [(field, "constraint")]


def test_repeat_problems_name_the_instance_counting_from_one() -> None:
    outcome = run(
        PEOPLE,
        {"people": [{"age": 34}, {"age": 200}, {"age": "old"}]},
        language="fr",
    )
    found = [(p.path, p.field, p.rule, p.message) for p in outcome.problems]
    assert found[:2] == [
        ("people[3].age", "age", "type", "expects a whole number"),  # while reading answers
        ("people[2].age", "age", "constraint", "Trop âgé."),  # while checking rules
    ]
    assert {p.path for p in outcome.problems} == {"people[2].age", "people[3].age"}


@pytest.mark.parametrize(
    ("people", "expected"),
    [
        ([], [("people", "min_count")]),
        (None, [("people", "min_count")]),
        ([{"age": 1, "guardian": "g"}] * 3, []),
        ([{"age": 1, "guardian": "g"}] * 4, [("people", "max_count")]),
    ],
)
def test_repeat_counts(people: Any, expected: list[tuple[str, str]]) -> None:
    data = {} if people is None else {"people": people}
    assert problems(run(PEOPLE, data)) == expected


def test_count_messages() -> None:
    form = make_form(repeat("r", f("x"), min_count=2, max_count=3))
    assert [p.message for p in run(form, {"r": [{}]}).problems] == ["needs at least 2 entries"]
    assert [p.message for p in run(form, {"r": [{}] * 4}).problems] == ["takes at most 3 entries"]
    one = make_form(repeat("r", f("x"), min_count=1))
    assert [p.message for p in run(one, {}).problems] == ["needs at least one entry"]


@pytest.mark.parametrize(
    ("required", "data", "expected"),
    [
        (True, {}, [("r", "min_count")]),
        (True, {"r": [{"x": "1"}]}, []),
        ("${a} = 1", {"a": 1}, [("r", "min_count")]),
        ("${a} = 1", {"a": 2}, []),
    ],
)
def test_a_required_repeat_needs_an_entry(
    required: bool | str, data: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    form = make_form(f("a", "integer"), repeat("r", f("x"), required=required))
    assert problems(run(form, data)) == expected


def test_too_many_repeat_entries_are_refused_without_reading_them() -> None:
    form = make_form(repeat("r", f("x", "integer")))
    outcome = run(form, {"r": [{"x": "bad"}] * (MAX_REPEAT_INSTANCES + 1)})
    assert problems(outcome) == [("r", "max_count")]
    assert outcome.data == {"r": []}


def test_unknown_fields_inside_a_repeat_are_reported_with_their_instance() -> None:
    outcome = run(
        PEOPLE, {"people": [{"age": 40}, {"age": 40, "name": "Alice", "total": 1}], "total": 2}
    )
    assert problems(outcome) == [("people[2].name", "unknown"), ("people[2].total", "unknown")]
    assert outcome.data["people"] == [{"age": 40}, {"age": 40}]


@pytest.mark.parametrize(
    ("people", "expected"),
    [
        ({"age": 40}, [("people", "type"), ("people", "min_count")]),
        ("Alice", [("people", "type"), ("people", "min_count")]),
        (["Alice"], [("people[1]", "type"), ("people[1].age", "required")]),
        ([{"age": 40}, 5], [("people[2]", "type"), ("people[2].age", "required")]),
    ],
)
def test_wrong_container_types_are_reported(people: Any, expected: list[tuple[str, str]]) -> None:
    assert problems(run(PEOPLE, {"people": people})) == expected


def test_fields_of_a_repeat_may_not_be_answered_outside_it() -> None:
    assert problems(run(PEOPLE, {"age": 30, "people": [{"age": 30}]})) == [("age", "unknown")]


def test_nested_repeats_scope_to_their_own_instances() -> None:
    form = make_form(
        repeat(
            "households",
            f("size", "integer"),
            repeat("members", f("age", "integer", constraint=". <= ${size} * 100")),
        ),
        f("total", "integer", constraint=". = sum(${age})"),
        f("members_count", "integer", constraint=". = count(${members})"),
    )
    data = {
        "households": [
            {"size": 1, "members": [{"age": 50}, {"age": 150}]},
            {"size": 2, "members": [{"age": 150}]},
        ],
        "total": 350,
        "members_count": 3,
    }
    outcome = run(form, data)
    assert problems(outcome) == [("households[1].members[2].age", "constraint")]
    assert outcome.data == data


def test_a_group_inside_a_repeat_hides_per_instance() -> None:
    form = make_form(
        repeat("r", f("kind"), group("details", f("what", required=True), relevant="${kind} = 'x'"))
    )
    outcome = run(form, {"r": [{"kind": "x"}, {"kind": "y", "what": "dropped"}]})
    assert problems(outcome) == [("r[1].what", "required")]
    assert outcome.irrelevant == {"r[2].details", "r[2].what"}
    assert outcome.data == {"r": [{"kind": "x"}, {"kind": "y"}]}


# -- defaults --------------------------------------------------------------------------------------

DEFAULTS = make_form(
    f("day", "date", default="=today()"),
    f("at", "datetime", default="=now()"),
    f("greeting", default="hello"),
    f("n", "integer", default=5),
    f("sum", "integer", default="=1 + 1"),
    f("joined", default="=concat('a', 'b')"),
    f("plain"),
    group("g", f("inside", default="in a group")),
    repeat("r", f("kid", default="kid"), f("kid_day", "date", default="=today()")),
)


def test_default_value_with_a_fixed_clock() -> None:
    assert default_value(DEFAULTS.field("day"), clock) == "2026-03-14"  # the clock's local date
    assert default_value(DEFAULTS.field("at"), clock) == "2026-03-14T23:30:00-05:00"
    assert default_value(DEFAULTS.field("greeting"), clock) == "hello"
    assert default_value(DEFAULTS.field("n"), clock) == 5
    assert default_value(DEFAULTS.field("sum"), clock) == 2
    assert default_value(DEFAULTS.field("joined"), clock) == "ab"
    assert default_value(DEFAULTS.field("plain"), clock) is None


def test_with_defaults_fills_only_unanswered_fields() -> None:
    filled = with_defaults(DEFAULTS, {"greeting": "mine"}, clock)
    assert filled == {
        "day": "2026-03-14",
        "at": "2026-03-14T23:30:00-05:00",
        "greeting": "mine",
        "n": 5,
        "sum": 2,
        "joined": "ab",
        "inside": "in a group",
    }


def test_with_defaults_fills_each_repeat_entry_and_leaves_junk_alone() -> None:
    data = {"r": [{}, {"kid": "given"}, "junk"]}
    filled = with_defaults(DEFAULTS, data, clock)
    assert filled["r"] == [
        {"kid": "kid", "kid_day": "2026-03-14"},
        {"kid": "given", "kid_day": "2026-03-14"},
        "junk",
    ]
    assert data == {"r": [{}, {"kid": "given"}, "junk"]}  # the input is not changed


def test_with_defaults_adds_no_repeat_entries() -> None:
    assert "r" not in with_defaults(DEFAULTS, {}, clock)
    assert with_defaults(DEFAULTS, {"r": None}, clock)["r"] is None


def test_defaults_pass_the_check() -> None:
    outcome = run(DEFAULTS, with_defaults(DEFAULTS, {"r": [{}]}, clock))
    assert outcome.ok, outcome.problems
    assert outcome.data["sum"] == 2
    assert outcome.data["r"] == [{"kid": "kid", "kid_day": "2026-03-14"}]


def test_the_all_types_form_checks_its_sample_answers() -> None:
    yes_no = ChoiceList(
        name="fieldkit-yes-no",
        vocabulary=True,
        version="1",
        choices=[{"code": "yes", "label": {"en": "Yes"}}, {"code": "no", "label": {"en": "No"}}],
    )
    path = DATA / "forms" / "all-types.yaml"
    form = load_form(path.read_text("utf-8"), path.name, lambda name, version: yes_no)
    outcome = run(form, all_types_answers())
    assert outcome.ok, outcome.problems
    assert outcome.data["people"] == [{"age": 34}, {"age": 15, "minor_guardian": "Uncle"}]
    assert outcome.irrelevant == {"colour_other", "people[1].minor_guardian"}
    bad = run(form, all_types_answers(count=-1, people=[{"age": 140}]), language="fr")
    assert [(p.path, p.message) for p in bad.problems] == [
        ("count", "Ne doit pas être négatif."),
        ("people[1].age", "Trop âgé."),
    ]
