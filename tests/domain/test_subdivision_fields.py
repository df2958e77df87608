"""Subdivision fields (``subdivision_of``): form rules, stored answers, the country check."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fieldkit.domain import places
from fieldkit.domain.formfile import FormError, form_from_data, load_form, load_vocabulary
from fieldkit.domain.forms import ChoiceList, FieldDef, FormDefinition
from fieldkit.domain.records import searchable_text, summarize
from fieldkit.domain.validation import Outcome, check
from fieldkit.domain.values import AnswerError, expression_value, normalize
from fieldkit.i18n import set_language

VOCABULARIES = Path(__file__).parents[2] / "forms" / "vocabularies"
NOW = dt.datetime(2026, 3, 14, 12, 0, tzinfo=dt.UTC)
STORED_GAO = places.stored_subdivision("ML-7")


@cache
def countries() -> ChoiceList:
    return load_vocabulary((VOCABULARIES / "iso3166-alpha3.yaml").read_bytes(), "iso3166-alpha3")


def yes_no() -> ChoiceList:
    return ChoiceList(
        name="yes-no",
        vocabulary=True,
        version="2",
        choices=[{"code": "yes", "label": {"en": "Yes"}}, {"code": "no", "label": {"en": "No"}}],
    )


def resolve(name: str, version: str | None) -> ChoiceList | None:
    return {"iso3166-alpha3": countries(), "yes-no": yes_no()}.get(name)


def f(name: str, type: str = "text", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type, "label": {"en": name, "fr": f"{name} (fr)"}, **extra}


COUNTRY = f("country", "select_one", choices="iso3166-alpha3")
ADMIN1 = f("admin1", "select_one", subdivision_of="country")


def make_form(*fields: dict[str, Any], **extra: Any) -> FormDefinition:
    data: dict[str, Any] = {
        "fieldkit_form": 1,
        "id": "places",
        "version": "1",
        "title": {"en": "Places", "fr": "Lieux"},
        "languages": ["en", "fr"],
        "vocabularies": ["iso3166-alpha3", "yes-no"],
        "fields": list(fields) or [COUNTRY, ADMIN1],
        **extra,
    }
    return form_from_data(data, "inline", resolve)


def run(form: FormDefinition, data: Any, language: str = "en") -> Outcome:
    return check(form, data, language=language, clock=lambda: NOW)


def problems(outcome: Outcome) -> list[tuple[str, str]]:
    return [(p.path, p.rule) for p in outcome.problems]


# -- declaring the field ----------------------------------------------------------------------


def test_a_subdivision_field_needs_no_choices() -> None:
    form = make_form()
    admin1 = form.field("admin1")
    assert admin1.subdivision_of == "country"
    assert admin1.choices is None
    choice_list = form.choice_list_for(admin1)
    assert choice_list.name == "iso3166-2"
    assert choice_list.version == places.SUBDIVISION_VERSION
    assert choice_list.find("ML-7") is not None
    assert choice_list.find("FR-01") is None  # a department, not a first-level subdivision


def test_subdivision_of_only_on_select_one_without_choices() -> None:
    with pytest.raises(ValueError, match="only to a select_one field without 'choices'"):
        FieldDef(name="a", type="text", label={"en": "A"}, subdivision_of="country")
    with pytest.raises(ValueError, match="only to a select_one field without 'choices'"):
        FieldDef(name="a", type="select_multiple", label={"en": "A"}, subdivision_of="country")
    with pytest.raises(ValueError, match="only to a select_one field without 'choices'"):
        FieldDef(
            name="a", type="select_one", label={"en": "A"}, choices="x", subdivision_of="country"
        )
    with pytest.raises(ValueError, match="needs 'choices'"):
        FieldDef(name="a", type="select_one", label={"en": "A"})


def test_the_country_field_must_exist() -> None:
    with pytest.raises(FormError, match="which the form does not have"):
        make_form(COUNTRY, f("admin1", "select_one", subdivision_of="nation"))


@pytest.mark.parametrize(
    "country",
    [
        f("country"),
        f("country", "select_one", choices="yes-no"),
        f("country", "select_multiple", choices="iso3166-alpha3"),
    ],
)
def test_the_country_field_must_be_a_select_one_over_countries(country: dict[str, Any]) -> None:
    with pytest.raises(FormError, match="not a select_one over iso3166-alpha3"):
        make_form(country, ADMIN1)


def test_the_country_must_not_sit_in_a_repeat_the_subdivision_is_not_in() -> None:
    visits = {"name": "visits", "type": "repeat", "fields": [COUNTRY]}
    with pytest.raises(FormError, match="repeat group that 'admin1' is not in"):
        make_form(visits, ADMIN1)
    # Inside the same entry, or the country around the entries, is fine.
    make_form({"name": "visits", "type": "repeat", "fields": [COUNTRY, ADMIN1]})
    make_form(COUNTRY, {"name": "visits", "type": "repeat", "fields": [ADMIN1]})


def test_the_yaml_file_declares_it() -> None:
    text = """
fieldkit_form: 1
id: places
version: "1"
title: {en: Places}
languages: [en]
vocabularies: [iso3166-alpha3]
fields:
  - name: country
    type: select_one
    choices: iso3166-alpha3
    label: {en: Country}
  - name: admin1
    type: select_one
    subdivision_of: country
    label: {en: Region}
"""
    form = load_form(text, "places.yaml", resolve)
    assert form.field("admin1").subdivision_of == "country"


def test_forms_without_the_option_keep_their_json_and_digest() -> None:
    form = make_form(COUNTRY)
    dumped = form.model_dump(mode="json")
    assert "subdivision_of" not in json.dumps(dumped)
    with_option = make_form().model_dump(mode="json")
    assert with_option["fields"][1]["subdivision_of"] == "country"
    again = FormDefinition.model_validate(with_option)
    digest = hashlib.sha256(json.dumps(again.model_dump(mode="json")).encode()).hexdigest()
    assert digest == hashlib.sha256(json.dumps(with_option).encode()).hexdigest()


# -- answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["ML-7", "ml-7", " ML-7 ", STORED_GAO, f"iso3166-2:{places.SUBDIVISION_VERSION}:ml-7"]
)
def test_answers_are_stored_as_name_version_code(raw: str) -> None:
    form = make_form()
    assert normalize(form, form.field("admin1"), raw) == STORED_GAO


def test_an_answer_stored_under_an_older_version_keeps_it() -> None:
    form = make_form()
    assert normalize(form, form.field("admin1"), "iso3166-2:24.6.1:ML-7") == "iso3166-2:24.6.1:ML-7"
    outcome = run(form, {"country": "MLI", "admin1": "iso3166-2:24.6.1:ML-7"})
    assert outcome.ok, outcome.problems
    assert outcome.data["admin1"] == "iso3166-2:24.6.1:ML-7"


@pytest.mark.parametrize("raw", ["Gao", "ML-99", "FR-01", "XX"])
def test_unknown_codes_are_refused(raw: str) -> None:
    form = make_form()
    with pytest.raises(AnswerError, match="not an ISO 3166-2 region code") as caught:
        normalize(form, form.field("admin1"), raw)
    assert caught.value.rule == "choice"


def test_expressions_see_the_short_code() -> None:
    form = make_form(
        COUNTRY,
        ADMIN1,
        f("camp", relevant="${admin1} = 'ML-7'"),
        f("where", constraint="starts-with(${admin1}, 'ML-')"),
    )
    assert expression_value(form, form.field("admin1"), STORED_GAO) == "ML-7"
    outcome = run(form, {"country": "MLI", "admin1": "ML-7", "camp": "x", "where": "y"})
    assert outcome.ok, outcome.problems
    assert outcome.data["camp"] == "x"
    outcome = run(form, {"country": "MLI", "admin1": "ML-1", "camp": "x"})
    assert "camp" in outcome.irrelevant


def test_a_region_of_the_country_answered_passes() -> None:
    outcome = run(make_form(), {"country": "iso3166-alpha3:2023:MLI", "admin1": "ML-BKO"})
    assert outcome.ok, outcome.problems
    assert outcome.data == {
        "country": "iso3166-alpha3:2023:MLI",
        "admin1": places.stored_subdivision("ML-BKO"),
    }


def test_a_region_of_another_country_is_a_clear_problem() -> None:
    outcome = run(make_form(), {"country": "NER", "admin1": "ML-7"})
    assert problems(outcome) == [("admin1", "subdivision")]
    message = outcome.problems[0].message
    assert "'Gao' is not a region of Niger" in message
    assert "Choose the region again" in message


def test_a_region_without_a_country_asks_for_the_country() -> None:
    outcome = run(make_form(), {"admin1": "ML-7"})
    assert problems(outcome) == [("admin1", "subdivision")]
    assert "choose the country first" in outcome.problems[0].message


def test_the_problem_is_translated() -> None:
    set_language("fr")
    try:
        outcome = run(make_form(), {"country": "NER", "admin1": "ML-7"}, language="fr")
    finally:
        set_language("en")
    message = outcome.problems[0].message
    assert "Gao" in message and "Niger" in message
    assert "n'est pas une région" in message


def test_a_refused_country_does_not_also_fail_the_region() -> None:
    outcome = run(make_form(), {"country": "Atlantis", "admin1": "ML-7"})
    assert problems(outcome) == [("country", "choice")]


def test_inside_a_repeat_the_country_around_is_used() -> None:
    form = make_form(
        COUNTRY,
        {"name": "visits", "type": "repeat", "fields": [ADMIN1]},
    )
    outcome = run(form, {"country": "MLI", "visits": [{"admin1": "ML-7"}, {"admin1": "NE-6"}]})
    assert problems(outcome) == [("visits[2].admin1", "subdivision")]


def test_labels_and_search_name_the_region() -> None:
    form = make_form(COUNTRY, ADMIN1, summary={"place": ["country", "admin1"]})
    data = {"country": "iso3166-alpha3:2023:NER", "admin1": places.stored_subdivision("NE-1")}
    assert form.choice_label(form.field("admin1"), data["admin1"], "fr") == "Agadès"
    assert form.choice_label(form.field("admin1"), data["admin1"], "en") == "Agadez"
    assert summarize(form, data, "fr").place == "Niger, Agadès"
    assert "Agadez" in searchable_text(form, data, "en")
