"""Pydantic's English errors never reach the user: each common type has its own sentence that
names the member and says what to do, and a generic one covers the rest."""

from __future__ import annotations

from typing import Any

import pytest

from fieldkit.domain import modelerrors
from fieldkit.domain.formfile import FormError, load_form, load_vocabulary

HEAD = "fieldkit_form: 1\nid: t\nversion: '1'\ntitle: {en: T}\nlanguages: [en]\n"
ONE_FIELD = "fields:\n  - {name: a, type: text, label: {en: A}}\n"
PYDANTIC_WORDS = ("should", "Input", "Field required", "Extra inputs", "valid ", "pattern")


def _lines(text: str, vocabulary: bool = False) -> list[str]:
    with pytest.raises(FormError) as info:
        if vocabulary:
            load_vocabulary(text, "v.yaml")
        else:
            load_form(text, "f.yaml")
    lines = info.value.lines()
    for line in lines:
        assert not any(word in line for word in PYDANTIC_WORDS), line
    return lines


def _field(attributes: str) -> str:
    return HEAD + f"fields:\n  - {{name: a, type: text, label: {{en: A}}, {attributes}}}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # missing
        (
            HEAD.replace("version: '1'\n", "") + ONE_FIELD,
            "f.yaml:1: 'version' is missing; add it",
        ),
        # string_pattern_mismatch, one sentence per pattern
        (
            HEAD.replace("id: t", "id: Bad Id") + ONE_FIELD,
            "f.yaml:2: 'id' takes lowercase letters, digits and _ . - (starting with a letter or "
            "digit, at most 64 characters); change 'Bad Id'",
        ),
        (
            HEAD + "fields:\n  - {name: a-b, type: text, label: {en: A}}\n",
            "f.yaml:7: field 'a-b': 'name' takes letters, digits and underscores (starting "
            "with a letter or underscore, at most 64 characters); change 'a-b'",
        ),
        (
            HEAD.replace("version: '1'", "version: '1 2'") + ONE_FIELD,
            "f.yaml:3: 'version' takes letters, digits and . _ - (starting with a letter or "
            "digit, at most 32 characters); change '1 2'",
        ),
        (
            HEAD
            + "choices:\n  c: [{code: 'b c', label: {en: C}}]\n"
            + "fields:\n  - {name: a, type: select_one, choices: c, label: {en: A}}\n",
            "f.yaml:7: 'code' takes letters, digits and _ . + - (not starting with . + or -, at "
            "most 128 characters); change 'b c'",
        ),
        (
            HEAD.replace("[en]", "[en, English]") + ONE_FIELD,
            "f.yaml:5: 'languages[2]' takes language codes such as en, fr or pt-BR; "
            "change 'English'",
        ),
        (  # a mapping's key: pydantic says '[key]'
            HEAD.replace("{en: T}", "{en: T, EN: T}") + ONE_FIELD,
            "f.yaml:4: 'title' takes language codes such as en, fr or pt-BR; change 'EN'",
        ),
        # string_too_long
        (
            HEAD + "fields:\n  - {name: a, type: text, label: {en: " + "x" * 4001 + "}}\n",
            "f.yaml:7: field 'a': 'en' is longer than 4000 characters; shorten it",
        ),
        # too_short and too_long (lists)
        (HEAD + "fields: []\n", "f.yaml:6: 'fields' needs at least 1 entry; add one"),
        (
            HEAD + ONE_FIELD + "summary: {title: [a, a, a, a, a]}\n",
            "f.yaml:8: 'title' holds more than 4 entries; remove some",
        ),
        # literal_error and enum
        (
            HEAD.replace("fieldkit_form: 1", "fieldkit_form: 1\nxx: 1") + ONE_FIELD,
            "f.yaml:2: 'xx' is not something fieldkit knows here; check its spelling, or remove it",
        ),
        (
            _field("sensitivity: secret"),
            "f.yaml:7: field 'a': 'sensitivity' must be one of: public, restricted, "
            "identifying; 'secret' is not one of them",
        ),
        # int_parsing, int_from_float, greater_than_equal, less_than_equal
        (_field("max_length: many"), "f.yaml:7: field 'a': 'max_length' must be a whole number"),
        (_field("max_length: 1.5"), "f.yaml:7: field 'a': 'max_length' must be a whole number"),
        (_field("max_length: 0"), "f.yaml:7: field 'a': 'max_length' must be at least 1"),
        (
            _field("max_length: 2000000"),
            "f.yaml:7: field 'a': 'max_length' must be at most 1000000",
        ),
        # a union (bool | str): one sentence for both branches
        (
            _field("required: [1]"),
            "f.yaml:7: field 'a': 'required' takes true or false, text; give it a value of one "
            "of these kinds",
        ),
        # string_type, list_type, dict_type, model_type
        (
            HEAD + "fields:\n  - {name: 5, type: text, label: {en: A}}\n",
            "f.yaml:7: field '5': 'name' must be text; put it in quotes if it looks like a number",
        ),
        (
            HEAD.replace("[en]", "en") + ONE_FIELD,
            "f.yaml:5: 'languages' must be a list: [a, b], or one line per entry starting with",
        ),
        (
            HEAD.replace("{en: T}", "T") + ONE_FIELD,
            "f.yaml:4: 'title' must be a mapping: {key: value}, or one 'key: value' line per",
        ),
        (
            HEAD + "fields:\n  - 5\n",
            "f.yaml:7: 'fields[1]' must be a mapping",
        ),
    ],
    ids=[
        "missing",
        "pattern-id",
        "pattern-name",
        "pattern-version",
        "pattern-code",
        "pattern-language",
        "pattern-dict-key",
        "string-too-long",
        "too-short",
        "too-long",
        "extra-forbidden",
        "enum",
        "int-parsing",
        "int-from-float",
        "greater-than-equal",
        "less-than-equal",
        "union",
        "string-type",
        "list-type",
        "dict-type",
        "model-type",
    ],
)
def test_each_common_error_type_is_said_in_fieldkit_words(text: str, expected: str) -> None:
    lines = _lines(text)
    assert any(line.startswith(expected) for line in lines), lines


def test_a_vocabulary_list_name_and_a_literal() -> None:
    text = "fieldkit_vocabulary: 1\nname: 'a b'\nversion: 1\nchoices: [{code: a, label: {en: A}}]\n"
    assert _lines(text, vocabulary=True) == [
        "v.yaml:2: 'name' takes letters, digits and _ . - (at most 64 characters); change 'a b'"
    ]


def _error(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "loc": ("x",), "msg": "English words", "input": "v", **extra}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (_error("literal_error", ctx={"expected": "1"}), "'m' must be one of: 1; 'v' is not"),
        (_error("bool_parsing"), "'m' must be true or false"),
        (_error("bool_type"), "'m' must be true or false"),
        (_error("string_too_short", ctx={"min_length": 2}), "'m' needs at least 2 characters"),
        (_error("float_parsing"), "'m' must be a number, such as 2.5"),
        (_error("less_than", ctx={"lt": 5}), "'m' must be less than 5"),
        (_error("greater_than", ctx={"gt": 0}), "'m' must be more than 0"),
        (_error("value_error", msg="Value error, already translated"), "already translated"),
        (_error("url_parsing"), "'m' has a value fieldkit cannot use here; see docs/forms.md"),
    ],
    ids=[
        "literal",
        "bool-parsing",
        "bool-type",
        "string-too-short",
        "float",
        "less-than",
        "greater-than",
        "own-message",
        "generic",
    ],
)
def test_message_for_each_type(error: dict[str, Any], expected: str) -> None:
    assert modelerrors.message_for(error, "m").startswith(expected)


def test_every_sentence_goes_through_gettext(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(modelerrors, "_", lambda text: "«" + text + "»")
    monkeypatch.setattr(
        modelerrors, "ngettext", lambda one, many, n: "«" + (one if n == 1 else many) + "»"
    )
    kinds = [
        "missing",
        "extra_forbidden",
        "string_pattern_mismatch",
        "string_too_long",
        "string_too_short",
        "too_long",
        "too_short",
        "literal_error",
        "enum",
        "int_parsing",
        "bool_parsing",
        "string_type",
        "list_type",
        "dict_type",
        "greater_than_equal",
        "something_new",
    ]
    for kind in kinds:
        message = modelerrors.message_for(_error(kind, ctx={"max_length": 3}), "m")
        assert message.startswith("«"), (kind, message)
    assert modelerrors.union_message("m", ["bool_type", "string_type"]).startswith("«")
