"""Identifying answers kept apart: the fast splitter gives exactly what the plain walk over the
form's sensitivity labels gives, and merging puts every answer back."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.domain.forms import FieldType, FormDefinition
from fieldkit.hq.answers import Splitter, merge_answers, split_answers
from tests.hq.support import CANARY_CONTACT, CANARY_NAME, FORM_V1, canary_answers


def _reference(form: FormDefinition, values: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """The rule, written out plainly (as fieldkit.hq.answers first had it)."""
    kept: dict[str, Any] = {}
    identifying: dict[str, Any] = {}
    for name, value in values.items():
        field = form.index.by_name.get(name)
        if field is None or form.is_identifying(name):
            identifying[name] = value
        elif field.type is FieldType.REPEAT:
            if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
                identifying[name] = value
                continue
            parts = [_reference(form, instance) for instance in value]
            kept[name] = [k for k, _i in parts]
            if any(i for _k, i in parts):
                identifying[name] = [i for _k, i in parts]
        else:
            kept[name] = value
    return kept, identifying


NAMES = ["subject", "narrative", "count", "witness_name", "victims", "age", "contact", "photos"]
NAMES += ["position", "unknown_name"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(NAMES), inner, max_size=4),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=8))
def test_the_splitter_is_the_plain_rule(values: dict[str, Any]) -> None:
    expected = _reference(FORM_V1, values)
    assert Splitter(FORM_V1).split(values) == expected
    assert split_answers(FORM_V1, values) == expected
    assert merge_answers(*expected) == values


def test_identifying_answers_inside_repeats_are_kept_apart() -> None:
    answers = canary_answers()
    kept, identifying = Splitter(FORM_V1).split(answers)
    assert "witness_name" not in kept and identifying["witness_name"] == CANARY_NAME
    assert all("contact" not in victim for victim in kept["victims"])
    assert CANARY_CONTACT in {v.get("contact") for v in identifying["victims"]}
    assert merge_answers(kept, identifying) == answers
    plain = {"subject": "x", "victims": [{"age": 3}, {}], "count": 2}
    assert Splitter(FORM_V1).split(plain) == (plain, {})
