"""Tests for the form model (fieldkit.domain.forms): navigation, choice lists, texts, form ids."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from fieldkit.domain.formfile import FormError, form_from_data
from fieldkit.domain.forms import (
    FORM_ID_PATTERN,
    MAX_FIELDS,
    ChoiceList,
    DatePrecision,
    FieldDef,
    FieldType,
    FormDefinition,
    Sensitivity,
    is_expression,
    localized,
    slugify_form_id,
)

YES_NO = ChoiceList(
    name="yes-no",
    vocabulary=True,
    version="2",
    choices=[
        {"code": "yes", "label": {"en": "Yes", "fr": "Oui"}},
        {"code": "no", "label": {"en": "No", "fr": "Non"}},
    ],
)


def field(name: str, type: str = "text", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type, "label": {"en": name.title()}, **extra}


def make_form(*fields: dict[str, Any], **extra: Any) -> FormDefinition:
    data: dict[str, Any] = {
        "fieldkit_form": 1,
        "id": "nav",
        "version": "1",
        "title": {"en": "Navigation", "fr": "Navigation FR"},
        "languages": ["en", "fr"],
        "fields": list(fields),
        **extra,
    }
    return form_from_data(data, "inline", lambda name, version: YES_NO)


NESTED = make_form(
    field("top"),
    {
        "name": "where",
        "type": "group",
        "fields": [field("place"), {"name": "inner", "type": "group", "fields": [field("deep")]}],
    },
    {
        "name": "households",
        "type": "repeat",
        "fields": [
            field("size", "integer"),
            {"name": "hh_details", "type": "group", "fields": [field("roof")]},
            {"name": "members", "type": "repeat", "fields": [field("age", "integer")]},
        ],
    },
    field("colour", "select_one", choices="colour"),
    field("answers", "select_multiple", choices="yes-no"),
    vocabularies=["yes-no"],
    choices={
        "colour": [
            {"code": "red", "label": {"en": "Red", "fr": "Rouge"}},
            {"code": "green", "label": {"fr": "Vert", "en": "Green"}},
        ]
    },
)


# -- navigation ------------------------------------------------------------------------------------


def test_walk_yields_every_field_in_document_order_with_its_containers() -> None:
    assert [(path, f.name) for path, f in NESTED.walk()] == [
        ((), "top"),
        ((), "where"),
        (("where",), "place"),
        (("where",), "inner"),
        (("where", "inner"), "deep"),
        ((), "households"),
        (("households",), "size"),
        (("households",), "hh_details"),
        (("households", "hh_details"), "roof"),
        (("households",), "members"),
        (("households", "members"), "age"),
        ((), "colour"),
        ((), "answers"),
    ]


def test_fields_by_name_holds_every_field() -> None:
    by_name = NESTED.fields_by_name()
    assert list(by_name) == [f.name for _p, f in NESTED.walk()]
    assert by_name["age"].type is FieldType.INTEGER


def test_field_finds_nested_fields_and_raises_key_error_for_unknown_names() -> None:
    assert NESTED.field("roof").name == "roof"
    assert NESTED.field("members").type is FieldType.REPEAT
    with pytest.raises(KeyError, match="'nope'"):
        NESTED.field("nope")


@pytest.mark.parametrize(
    ("name", "scope"),
    [
        ("top", ()),
        ("where", ()),
        ("deep", ()),  # groups are not scopes
        ("households", ()),  # a repeat is not inside itself
        ("size", ("households",)),
        ("roof", ("households",)),
        ("members", ("households",)),
        ("age", ("households", "members")),
    ],
)
def test_scope_of_names_the_enclosing_repeats_outermost_first(
    name: str, scope: tuple[str, ...]
) -> None:
    assert NESTED.scope_of(name) == scope


def test_scope_of_an_unknown_field_raises_key_error() -> None:
    with pytest.raises(KeyError, match="'nope'"):
        NESTED.scope_of("nope")


def test_choice_list_for_a_select_field() -> None:
    assert NESTED.choice_list_for(NESTED.field("colour")).name == "colour"
    assert NESTED.choice_list_for(NESTED.field("answers")) == YES_NO


def test_choice_list_for_a_field_without_choices_raises_key_error() -> None:
    with pytest.raises(KeyError, match="'top'"):
        NESTED.choice_list_for(NESTED.field("top"))


def test_holds_value_and_date_precisions() -> None:
    assert NESTED.field("top").holds_value
    assert not NESTED.field("where").holds_value
    assert NESTED.field("households").holds_value
    assert FieldDef(name="d", type="date", label={"en": "D"}).date_precisions == [DatePrecision.DAY]
    assert FieldDef(
        name="d", type="date", label={"en": "D"}, precisions=["year", "month"]
    ).date_precisions == [DatePrecision.YEAR, DatePrecision.MONTH]


@pytest.mark.parametrize(
    ("required", "always", "stored"),
    [
        (True, True, True),
        (False, False, False),
        ("${x} = 1", False, "${x} = 1"),
        ("   ", False, False),
    ],
)
def test_required_may_be_a_boolean_or_an_expression(
    required: bool | str, always: bool, stored: bool | str
) -> None:
    f = FieldDef(name="a", type="text", label={"en": "A"}, required=required)
    assert f.is_required_always() is always
    assert f.required == stored


def test_fields_default_to_restricted_sensitivity() -> None:
    assert NESTED.field("top").sensitivity is Sensitivity.RESTRICTED


def test_definitions_are_frozen() -> None:
    with pytest.raises(ValidationError, match=r"Instance is frozen \[type=frozen_instance"):
        NESTED.field("top").name = "other"  # type: ignore[misc]


def test_a_form_holds_at_most_max_fields_fields() -> None:
    fields = [field(f"f{i}") for i in range(MAX_FIELDS + 1)]
    with pytest.raises(FormError, match="at most 2000 fields"):
        make_form(*fields)
    assert len(make_form(*fields[:MAX_FIELDS]).fields_by_name()) == MAX_FIELDS


# -- choice lists ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "stored"), [("yes", "yes-no:2:yes"), ("no", "yes-no:2:no"), ("x", "yes-no:2:x")]
)
def test_vocabulary_codes_are_stored_qualified(code: str, stored: str) -> None:
    assert YES_NO.stored_code(code) == stored
    assert YES_NO.short_code(stored) == code


def test_local_list_codes_are_stored_plain() -> None:
    colours = NESTED.choice_lists["colour"]
    assert colours.stored_code("red") == "red"
    assert colours.short_code("red") == "red"


@pytest.mark.parametrize(
    "stored",
    ["yes-no:1:yes", "other:2:yes", "yes-no:2", "yes", "yes-no:2:yes-no:2:yes"],
)
def test_short_code_leaves_foreign_or_short_codes_alone(stored: str) -> None:
    if stored == "yes-no:2:yes-no:2:yes":
        assert YES_NO.short_code(stored) == "yes-no:2:yes"  # only one prefix is removed
    else:
        assert YES_NO.short_code(stored) == stored


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("yes", "yes"),
        ("yes-no:2:yes", "yes"),
        ("no", "no"),
        ("yes-no:1:yes", None),  # another version of the vocabulary
        ("maybe", None),
        ("YES", None),
        ("", None),
    ],
)
def test_find_in_a_vocabulary_accepts_short_and_stored_codes(value: str, code: str | None) -> None:
    found = YES_NO.find(value)
    assert (found.code if found else None) == code


def test_find_in_a_local_list_accepts_only_plain_codes() -> None:
    colours = NESTED.choice_lists["colour"]
    found = colours.find("green")
    assert found is not None and found.label["en"] == "Green"
    assert colours.find("colour:1:green") is None
    assert colours.find("blue") is None


def test_a_vocabulary_needs_a_version() -> None:
    with pytest.raises(ValidationError, match="a vocabulary needs a version"):
        ChoiceList(name="v", vocabulary=True, choices=[{"code": "a", "label": {"en": "A"}}])


def test_choice_codes_are_unique_in_a_list() -> None:
    with pytest.raises(ValidationError, match="choice code 'a' appears twice"):
        ChoiceList(
            name="v",
            choices=[{"code": "a", "label": {"en": "A"}}, {"code": "a", "label": {"en": "B"}}],
        )


def test_a_choice_list_needs_a_choice() -> None:
    with pytest.raises(ValidationError, match=r"choices\n  List should have at least 1 item"):
        ChoiceList(name="v", choices=[])


def test_a_choice_list_key_must_match_its_name() -> None:
    with pytest.raises(ValidationError, match="choice list 'a' is named 'b'"):
        FormDefinition.model_validate(
            {
                "id": "x",
                "version": "1",
                "title": {"en": "T"},
                "languages": ["en"],
                "choice_lists": {"a": {"name": "b", "choices": [{"code": "c", "label": {}}]}},
                "fields": [field("a")],
            }
        )


# -- texts -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "fallbacks", "expected"),
    [
        ({"en": "E", "fr": "F"}, "fr", (), "F"),
        ({"en": "E", "fr": "F"}, "ar", ("fr", "en"), "F"),
        ({"en": "E", "fr": "F"}, "ar", ("de", "en"), "E"),
        ({"en": "E", "fr": "F"}, "ar", (), "E"),  # any: the first one
        ({"fr": "F", "ar": "A"}, "en", ("de",), "F"),
        ({"en": "", "fr": "F"}, "en", ("fr",), "F"),  # an empty text does not count
        ({}, "en", ("fr",), ""),
    ],
)
def test_localized_falls_back_through_the_languages(
    text: dict[str, str], language: str, fallbacks: tuple[str, ...], expected: str
) -> None:
    assert localized(text, language, fallbacks) == expected


def test_localized_any_skips_empty_texts() -> None:
    assert localized({"en": "", "fr": "F"}, "en") == "F"


def test_label_and_title_fall_back_to_the_form_languages() -> None:
    form = make_form(
        field("a", label={"en": "A en", "fr": "A fr"}),
        field("b", label={"en": "B en"}),
        {"name": "g", "type": "group", "fields": [field("c")]},
    )
    assert form.label(form.field("a"), "fr") == "A fr"
    assert form.label(form.field("b"), "fr") == "B en"
    assert form.label(form.field("a"), "ar") == "A en"
    assert form.label(form.field("g"), "en") == "g"  # no label: the name
    assert form.localized_title("fr") == "Navigation FR"
    assert form.localized_title("ar") == "Navigation"


@pytest.mark.parametrize(
    ("name", "stored", "language", "label"),
    [
        ("colour", "red", "fr", "Rouge"),
        ("colour", "green", "en", "Green"),
        ("colour", "green", "ar", "Green"),  # falls back to the default language
        ("answers", "yes-no:2:no", "fr", "Non"),
        ("answers", "yes", "en", "Yes"),
        ("colour", "blue", "en", "blue"),  # unknown: the stored code itself
    ],
)
def test_choice_label(name: str, stored: str, language: str, label: str) -> None:
    assert NESTED.choice_label(NESTED.field(name), stored, language) == label


@pytest.mark.parametrize(
    ("value", "expected"),
    [("${a} = 1", True), (" x ", True), ("", False), ("  ", False), (None, False), (True, False)],
)
def test_is_expression(value: object, expected: bool) -> None:
    assert is_expression(value) is expected


# -- form ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("  Hello World! ", "hello-world"),
        ("Form v1.2", "form-v1.2"),
        ("Attack on Activist", "attack-on-activist"),
        ("snake_case_name", "snake_case_name"),
        ("--a--", "a"),
        ("...", "form"),
        ("", "form"),
        ("مرحبا", "form"),
        ("Ça va", "a-va"),
        ("a/b\\c", "a-b-c"),
        ("x" * 100, "x" * 64),
    ],
)
def test_slugify_form_id(text: str, slug: str) -> None:
    assert slugify_form_id(text) == slug


def test_slugify_of_a_leading_underscore_is_a_valid_form_id() -> None:
    assert re.match(FORM_ID_PATTERN, slugify_form_id("_private form"))


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(blacklist_characters="_"), max_size=120))
def test_slugify_always_gives_a_valid_form_id(text: str) -> None:
    slug = slugify_form_id(text)
    assert re.match(FORM_ID_PATTERN, slug), slug


def test_identifying_containers_make_everything_inside_identifying() -> None:
    from fieldkit.domain.formfile import form_from_data

    form = form_from_data(
        {
            "fieldkit_form": 1,
            "id": "inherit",
            "version": "1",
            "title": {"en": "T"},
            "languages": ["en"],
            "fields": [
                {
                    "name": "who",
                    "type": "repeat",
                    "sensitivity": "identifying",
                    "fields": [
                        {
                            "name": "nick",
                            "type": "text",
                            "label": {"en": "N"},
                            "sensitivity": "public",
                        }
                    ],
                },
                {
                    "name": "where",
                    "type": "group",
                    "fields": [
                        {
                            "name": "town",
                            "type": "text",
                            "label": {"en": "T"},
                            "sensitivity": "public",
                        }
                    ],
                },
            ],
        },
        "inherit.yaml",
    )
    assert form.is_identifying("who") and form.is_identifying("nick")
    assert not form.is_identifying("town") and not form.is_identifying("where")
