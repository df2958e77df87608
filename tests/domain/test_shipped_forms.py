"""The two shipped forms (forms/*.yaml, version 2) and their controlled vocabularies
(forms/vocabularies/). Version 1, kept in forms/previous/, is checked in test_previous_forms.py.

Checks that they load, that every text is in English, French and Arabic, that the controlled lists
hold what docs/data-model.md says, that sensitivity labels match it, and that the example
records in tests/data/records/v2 behave: the valid ones pass, each invalid one breaks one named
rule.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from fieldkit.bundle.vocabularies import VocabularyLibrary
from fieldkit.domain.formfile import load_form, load_vocabulary, read_yaml
from fieldkit.domain.forms import (
    ChoiceList,
    FieldType,
    FormDefinition,
    Sensitivity,
    label_sort_key,
    localized,
)
from fieldkit.domain.records import summarize
from fieldkit.domain.validation import check, with_defaults

ROOT = Path(__file__).resolve().parents[2]
FORMS_DIR = ROOT / "forms"
VOCABULARY_DIR = FORMS_DIR / "vocabularies"
RECORDS_DIR = ROOT / "tests" / "data" / "records" / "v2"

FORM_IDS = ("illicit-market-observation", "attack-on-activist")
LANGUAGES = ("en", "fr", "ar")
ARABIC_LETTER = re.compile(r"[\u0600-\u06FF]")
LATIN_LETTER = re.compile(r"[A-Za-zÀ-ÿ]")
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def clock() -> dt.datetime:
    return NOW


VOCABULARY_FILES = sorted(VOCABULARY_DIR.glob("*.yaml"))


@cache
def vocabularies() -> dict[str, ChoiceList]:
    return {
        path.stem: load_vocabulary(path.read_text("utf-8"), path.name) for path in VOCABULARY_FILES
    }


LIBRARY = VocabularyLibrary(VOCABULARY_DIR)
resolver = LIBRARY.resolve


@cache
def form(form_id: str) -> FormDefinition:
    path = FORMS_DIR / f"{form_id}.yaml"
    return load_form(path.read_text("utf-8"), path.name, vocabularies=resolver)


def record(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDS_DIR / f"{name}.json").read_text("utf-8"))
    return data


def problems_of(form_id: str, data: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(p.path, p.field, p.rule) for p in check(form(form_id), data, clock=clock).problems]


# -- loading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_form_loads_with_its_stable_id(form_id: str) -> None:
    loaded = form(form_id)
    assert loaded.id == form_id
    assert loaded.version == "2"
    assert loaded.languages == list(LANGUAGES)
    assert len(loaded.fields_by_name()) > 40


def test_every_vocabulary_file_loads_and_is_named_after_its_file() -> None:
    assert len(VOCABULARY_FILES) >= 35
    for path in VOCABULARY_FILES:
        vocabulary = vocabularies()[path.stem]
        assert vocabulary.name == path.stem, path.name
        assert vocabulary.vocabulary and vocabulary.version, path.name
        assert vocabulary.source and len(vocabulary.source) > 10, path.name


@pytest.mark.parametrize("path", VOCABULARY_FILES, ids=lambda p: p.stem)
def test_every_choice_has_english_french_and_arabic_labels(path: Path) -> None:
    vocabulary = vocabularies()[path.stem]
    for choice in vocabulary.choices:
        assert set(choice.label) == set(LANGUAGES), (path.stem, choice.code)
        assert all(choice.label[lang].strip() for lang in LANGUAGES), (path.stem, choice.code)
        assert ARABIC_LETTER.search(choice.label["ar"]), (
            path.stem,
            choice.code,
            choice.label["ar"],
        )
        assert LATIN_LETTER.search(choice.label["fr"]), (path.stem, choice.code)


def test_every_vocabulary_is_used_by_a_shipped_form() -> None:
    used = {name for form_id in FORM_IDS for name in form(form_id).choice_lists}
    assert set(vocabularies()) <= used, sorted(set(vocabularies()) - used)


def test_forms_use_only_vocabularies_not_form_local_lists() -> None:
    for form_id in FORM_IDS:
        _data, _lines = read_yaml((FORMS_DIR / f"{form_id}.yaml").read_text("utf-8"), form_id)
        assert "choices" not in _data, form_id
        assert all(lst.vocabulary for lst in form(form_id).choice_lists.values()), form_id


# -- texts in three languages ---------------------------------------------------------------------


def _texts(loaded: FormDefinition) -> list[tuple[str, str, dict[str, str]]]:
    texts = [
        ("form", "title", dict(loaded.title)),
        ("form", "description", dict(loaded.description)),
    ]
    for _path, field in loaded.walk():
        for attribute in ("label", "hint", "constraint_message"):
            text = getattr(field, attribute)
            if text or attribute == "label":
                texts.append((field.name, attribute, dict(text)))
        if field.constraint:
            texts.append(
                (field.name, "constraint_message (needed)", dict(field.constraint_message))
            )
    return texts


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_label_hint_and_message_is_in_english_french_and_arabic(form_id: str) -> None:
    for name, attribute, text in _texts(form(form_id)):
        assert set(text) == set(LANGUAGES), (name, attribute, sorted(text))
        assert all(text[lang].strip() for lang in LANGUAGES), (name, attribute)
        assert ARABIC_LETTER.search(text["ar"]), (name, attribute, text["ar"])
        assert not ARABIC_LETTER.search(text["fr"] + text["en"]), (name, attribute)


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_narrative_is_required_and_says_no_names_in_every_language(form_id: str) -> None:
    narrative = form(form_id).field("narrative")
    assert narrative.type is FieldType.LONG_TEXT
    assert narrative.required is True
    assert "No names" in narrative.hint["en"]
    assert "Aucun nom" in narrative.hint["fr"]
    assert "لا أسماء" in narrative.hint["ar"]


# -- form design ---------------------------------------------------------------------------------


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_field_names_are_short_snake_case(form_id: str) -> None:
    for name in form(form_id).fields_by_name():
        assert SNAKE_CASE.match(name) and len(name) <= 32, name


# Select fields whose "other" choice needs no free text: sex (never ask more) and a quantity's
# commodity (already specified with the commodities).
NO_OTHER_TEXT = {"victim_sex", "expl_sex", "amount_commodity"}


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_other_choice_reveals_a_required_specify_text(form_id: str) -> None:
    loaded = form(form_id)
    relevants = [(f.relevant or "", f) for _p, f in loaded.walk()]
    for _path, field in loaded.walk():
        if field.choices is None or field.name in NO_OTHER_TEXT:
            continue
        if loaded.choice_lists[field.choices].find("other") is None:
            continue
        triggers = (f"selected(${{{field.name}}}, 'other')", f"${{{field.name}}} = 'other'")
        revealed = [f for relevant, f in relevants if relevant in triggers]
        assert revealed, f"{field.name} has an 'other' choice but no specify text"
        assert all(f.type is FieldType.TEXT and f.required is True for f in revealed), field.name


@pytest.mark.parametrize(
    ("form_id", "repeat", "minimum"),
    [
        ("illicit-market-observation", "information", 1),
        ("attack-on-activist", "information", 1),
        ("attack-on-activist", "victims", 1),
        ("attack-on-activist", "perpetrators", 1),
        ("attack-on-activist", "acts", 1),
    ],
)
def test_required_repeats_need_an_entry(form_id: str, repeat: str, minimum: int) -> None:
    field = form(form_id).field(repeat)
    assert field.type is FieldType.REPEAT
    assert field.min_count == minimum


def test_attack_form_is_event_then_victims_then_perpetrators() -> None:
    top = [f.name for f in form("attack-on-activist").fields]
    assert top.index("event_time") < top.index("victims") < top.index("perpetrators")


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_admin1_is_a_region_of_the_country_answered(form_id: str) -> None:
    admin1 = form(form_id).field("admin1")
    assert admin1.type is FieldType.SELECT_ONE
    assert admin1.subdivision_of == "country" and admin1.choices is None


def test_acts_are_a_repeat_inside_each_victim() -> None:
    attack = form("attack-on-activist")
    assert attack.scope_of("act_type") == ("victims", "acts")
    acts = attack.field("acts")
    assert [f.name for f in acts.fields] == [
        "act_type",
        "act_subtype",
        "act_method",
        "act_method_other",
        "act_perpetrator",
        "act_date",
    ]
    assert attack.field("act_perpetrator").choices == "sdg16101-perpetrator-category"
    assert attack.field("act_date").required is False


# The field names of version 2 that headquarters' analysis reads: fixed, never renamed.
V2_NAMES = {
    "date_start",
    "date_end",
    "country",
    "admin1",
    "admin2",
    "place_name",
    "coordinates",
    "geo_precision",
    "location_type",
    "information",
    "source_independent",
    "verification_status",
    "verified_by",
    "verified_on",
}
V2_ATTACK_NAMES = {
    "victims",
    "victim_pseudonym",
    "victim_kind",
    "org_type",
    "consent_given",
    "consent_scope",
    "consent_by",
    "consent_date",
    "victim_identity",
    "victim_name",
    "victim_contact",
    "victim_photo",
    "victim_sex",
    "victim_age",
    "victim_category",
    "victim_category_other",
    "victim_sector",
    "victim_sector_other",
    "outcome",
    "prior_threats",
    "threats_reported",
    "acts",
    "act_type",
    "act_subtype",
    "act_method",
    "act_perpetrator",
    "act_date",
    "perpetrators",
    "justice_status",
    "justice_status_date",
}


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_version_two_has_the_fixed_field_names_and_not_the_removed_ones(form_id: str) -> None:
    names = set(form(form_id).fields_by_name())
    wanted = V2_NAMES | (V2_ATTACK_NAMES if form_id == "attack-on-activist" else set())
    assert wanted <= names, sorted(wanted - names)
    assert not {"time_precision", "n_sources", "main_act", "method"} & names
    assert "acled-time-precision" not in form(form_id).choice_lists
    for name in ("date_start", "date_end"):
        assert form(form_id).field(name).precisions == ["day", "month", "year"]


# -- controlled lists ----------------------------------------------------------------------------

GITOC_MARKETS = {
    "human_trafficking",
    "human_smuggling",
    "extortion_protection_racketeering",
    "arms_trafficking",
    "counterfeit_goods",
    "excisable_goods",
    "flora_crimes",
    "fauna_crimes",
    "non_renewable_resource_crimes",
    "heroin_trade",
    "cocaine_trade",
    "cannabis_trade",
    "synthetic_drug_trade",
    "cyber_dependent_crimes",
    "financial_crimes",
}


def test_gitoc_markets_are_the_fifteen_plus_cultural_property_and_other() -> None:
    codes = [choice.code for choice in vocabularies()["gitoc-market"].choices]
    assert len(GITOC_MARKETS) == 15
    assert set(codes) == GITOC_MARKETS | {"cultural_property", "other"}
    assert len(codes) == 17


def test_iso_country_list_is_complete() -> None:
    countries = vocabularies()["iso3166-alpha3"]
    codes = [choice.code for choice in countries.choices]
    assert len(codes) > 245
    assert len(codes) == 249
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in codes)
    sahel_and_neighbours = {
        "MLI",
        "NER",
        "BFA",
        "TCD",
        "MRT",
        "SEN",
        "GIN",
        "CIV",
        "NGA",
        "CMR",
        "CAF",
        "COD",
        "SDN",
        "SSD",
        "LBY",
        "DZA",
        "ESH",
        "PSE",
        "SYR",
        "YEM",
    }
    assert sahel_and_neighbours <= set(codes)
    assert countries.find("CIV").label["fr"] == "Côte d'Ivoire"
    assert countries.find("TCD").label["ar"] == "تشاد"


@pytest.mark.parametrize(
    ("vocabulary", "codes"),
    [
        ("acled-geo-precision", ["1", "2", "3", "4"]),
        ("stanag2511-reliability", ["A", "B", "C", "D", "E", "F"]),
        ("stanag2511-credibility", ["1", "2", "3", "4", "5", "6"]),
        ("ohchr-verification-status", ["unverified", "corroborated", "verified"]),
        ("un-classification", ["unclassified", "confidential", "strictly_confidential"]),
        (
            "sdg16101-act-type",
            [
                "killing",
                "enforced_disappearance",
                "torture",
                "kidnapping",
                "arbitrary_detention",
                "other_harmful_act",
            ],
        ),
        (
            "sdg16101-other-harmful-act",
            [
                "attempted_killing",
                "assault",
                "sexual_violence",
                "death_threat",
                "harassment",
                "surveillance",
                "judicial_harassment",
                "smear_campaign",
                "arson_property_attack",
                "forced_displacement",
                "digital_attack",
            ],
        ),
        (
            "huridocs-degree-of-involvement",
            [
                "carried_out",
                "ordered",
                "planned",
                "accomplice",
                "present",
                "suspected",
                "failure_to_protect",
                "unknown",
            ],
        ),
        (
            "huridocs-source-connection",
            [
                "victim",
                "witness",
                "perpetrator",
                "related",
                "third_party",
                "service_provider",
                "unknown",
            ],
        ),
        (
            "gitoc-actor-type",
            [
                "mafia_style_group",
                "criminal_network",
                "state_embedded_actor",
                "foreign_actor",
                "private_sector_actor",
                "state_forces",
                "armed_group",
                "unknown",
            ],
        ),
        (
            "sdg16101-perpetrator-category",
            [
                "state_agent",
                "organised_criminal_group",
                "armed_group",
                "company_private_security",
                "individual",
                "unknown",
            ],
        ),
        (
            "fieldkit-state-complicity",
            ["none_known", "acquiescence", "collusion", "failure_to_protect"],
        ),
        (
            "sdg16101-victim-category",
            [
                "journalist",
                "trade_unionist",
                "human_rights_defender",
                "local_official",
                "justice_sector",
                "community_leader",
                "environmental_land_defender",
                "other",
            ],
        ),
        (
            "sdg16101-age-group",
            [
                "age_0_4",
                "age_5_14",
                "age_15_17",
                "under_18",
                "age_18_29",
                "age_30_44",
                "age_45_59",
                "age_60_plus",
                "unknown",
            ],
        ),
        ("sdg-sex", ["female", "male", "other", "unknown"]),
        ("fieldkit-attack-outcome", ["killed", "injured", "missing", "released", "unharmed"]),
        (
            "fieldkit-consent-scope",
            [
                "record_only",
                "share_mission",
                "share_protection",
                "share_authorities",
                "publish_anonymised",
                "publish_named",
            ],
        ),
        (
            "fieldkit-state-response",
            ["none", "seizure", "arrest", "prosecution", "complicity_observed", "unknown"],
        ),
        ("fieldkit-quantity-unit", ["kg", "t", "m3", "l", "head", "pieces", "persons", "vessels"]),
        ("fieldkit-victim-kind", ["person", "organisation"]),
        ("fieldkit-organisation-type", ["media_outlet", "trade_union", "ngo", "other"]),
    ],
)
def test_controlled_list_holds_the_data_model_values(vocabulary: str, codes: list[str]) -> None:
    assert [choice.code for choice in vocabularies()[vocabulary].choices] == codes


def test_commodities_and_location_types_include_the_data_model_values() -> None:
    commodities = {c.code for c in vocabularies()["fieldkit-commodity"].choices}
    assert {
        "gold",
        "diamonds",
        "tin_tantalum_tungsten",
        "fuel",
        "timber",
        "charcoal",
        "ivory",
        "pangolin",
        "fish",
        "heroin",
        "cocaine",
        "cannabis",
        "methamphetamine",
        "captagon",
        "tramadol",
        "counterfeit_medicines",
        "tobacco",
        "small_arms",
        "ammunition",
        "persons",
        "other",
    } == commodities
    places = {c.code for c in vocabularies()["fieldkit-location-type"].choices}
    assert {
        "checkpoint",
        "border_crossing",
        "mining_site",
        "port_landing_site",
        "market",
        "road",
        "forest",
        "river",
        "airstrip",
        "media_office",
        "ngo_office",
        "union_office",
        "court",
        "un_premises",
    } <= places


# -- sensitivity ---------------------------------------------------------------------------------

A, B = FORM_IDS
PUBLIC, RESTRICTED, IDENTIFYING = (
    Sensitivity.PUBLIC,
    Sensitivity.RESTRICTED,
    Sensitivity.IDENTIFYING,
)

SENSITIVITY = [
    # shared parts: public only at admin-1 and month
    *[(form_id, "country", PUBLIC) for form_id in FORM_IDS],
    *[(form_id, "admin1", PUBLIC) for form_id in FORM_IDS],
    *[(form_id, "admin2", RESTRICTED) for form_id in FORM_IDS],
    *[(form_id, "place_name", RESTRICTED) for form_id in FORM_IDS],
    *[(form_id, "coordinates", RESTRICTED) for form_id in FORM_IDS],
    *[(form_id, "date_start", RESTRICTED) for form_id in FORM_IDS],
    *[(form_id, "date_end", RESTRICTED) for form_id in FORM_IDS],
    *[(form_id, "source_pseudonym", IDENTIFYING) for form_id in FORM_IDS],
    *[(form_id, "source_reliability", RESTRICTED) for form_id in FORM_IDS],
    *[(form_id, "info_credibility", RESTRICTED) for form_id in FORM_IDS],
    *[(form_id, "verification_status", PUBLIC) for form_id in FORM_IDS],
    *[(form_id, "source_independent", RESTRICTED) for form_id in FORM_IDS],
    *[(form_id, "verified_by", RESTRICTED) for form_id in FORM_IDS],
    *[(form_id, "verified_on", RESTRICTED) for form_id in FORM_IDS],
    *[(form_id, "narrative", RESTRICTED) for form_id in FORM_IDS],
    *[(form_id, "attachments", IDENTIFYING) for form_id in FORM_IDS],
    # form A
    (A, "collection_method", RESTRICTED),
    (A, "market", PUBLIC),
    (A, "commodity", PUBLIC),
    (A, "activity_stage", PUBLIC),
    (A, "quantity", PUBLIC),
    (A, "unit", PUBLIC),
    (A, "value_usd", RESTRICTED),
    (A, "route_origin", RESTRICTED),
    (A, "route_transit", RESTRICTED),
    (A, "route_destination", RESTRICTED),
    (A, "persons_exploited", RESTRICTED),
    (A, "children_involved", RESTRICTED),
    (A, "expl_count", RESTRICTED),
    (A, "arms_observed", RESTRICTED),
    (A, "arms_seized", RESTRICTED),
    (A, "arms_traced", RESTRICTED),
    (A, "actors", RESTRICTED),
    (A, "actor_id", RESTRICTED),
    (A, "actor_type", RESTRICTED),
    (A, "fatalities", PUBLIC),
    (A, "linked_attacks", PUBLIC),
    (A, "state_response", PUBLIC),
    # form B
    (B, "victim_pseudonym", PUBLIC),
    (B, "victim_kind", PUBLIC),
    (B, "org_type", PUBLIC),
    (B, "victim_name", IDENTIFYING),
    (B, "victim_contact", IDENTIFYING),
    (B, "victim_photo", IDENTIFYING),
    (B, "victim_sex", RESTRICTED),
    (B, "victim_age", RESTRICTED),
    (B, "victim_category", PUBLIC),
    (B, "victim_sector", PUBLIC),
    (B, "act_type", PUBLIC),
    (B, "act_subtype", PUBLIC),
    (B, "act_method", PUBLIC),
    (B, "act_perpetrator", PUBLIC),
    (B, "act_date", RESTRICTED),
    (B, "outcome", PUBLIC),
    (B, "prior_threats", RESTRICTED),
    (B, "threats_reported", RESTRICTED),
    (B, "perp_category", PUBLIC),
    (B, "perp_actor_type", RESTRICTED),
    (B, "perp_involvement", RESTRICTED),
    (B, "state_complicity", RESTRICTED),
    (B, "motive", PUBLIC),
    (B, "work_related", PUBLIC),
    (B, "linked_market", PUBLIC),
    (B, "justice_status", PUBLIC),
    (B, "justice_status_date", RESTRICTED),
    (B, "consent_given", RESTRICTED),
    (B, "consent_scope", RESTRICTED),
    (B, "consent_by", RESTRICTED),
    (B, "consent_date", RESTRICTED),
    (B, "risk_level", RESTRICTED),
    (B, "protection_response", RESTRICTED),
]


@pytest.mark.parametrize(("form_id", "name", "expected"), SENSITIVITY)
def test_sensitivity_matches_the_data_model(form_id: str, name: str, expected: Sensitivity) -> None:
    assert form(form_id).field(name).sensitivity is expected


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_no_exact_date_free_text_or_coordinate_is_public(form_id: str) -> None:
    for _path, field in form(form_id).walk():
        if field.type in (
            FieldType.DATE,
            FieldType.DATETIME,
            FieldType.GEOPOINT,
            FieldType.LONG_TEXT,
            FieldType.ATTACHMENT,
        ):
            assert field.sensitivity is not PUBLIC, field.name
        if field.type is FieldType.TEXT and field.name.endswith("_other"):
            assert field.sensitivity is not PUBLIC, field.name


def test_each_victim_gets_a_fresh_pseudonym_that_meets_its_pattern() -> None:
    attack = form("attack-on-activist")
    field = attack.field("victim_pseudonym")
    assert field.required is True
    assert field.constraint and "regex(" in field.constraint
    filled = with_defaults(attack, {"victims": [{}, {}]})
    first, second = (victim["victim_pseudonym"] for victim in filled["victims"])
    assert first != second
    outcome = check(attack, filled)
    assert not [p for p in outcome.problems if p.field == "victim_pseudonym"]


# -- example records -----------------------------------------------------------------------------


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_valid_example_record_passes(form_id: str) -> None:
    data = record(f"{form_id}.valid")
    outcome = check(form(form_id), data, clock=clock)
    assert outcome.problems == []
    assert outcome.data["information"], form_id


def test_valid_records_store_vocabulary_codes_with_name_and_version() -> None:
    observed = check(form(A), record(f"{A}.valid"), clock=clock).data
    assert observed["market"][0] == "gitoc-market:2023.2:non_renewable_resource_crimes"
    assert observed["country"] == "iso3166-alpha3:2023:MLI"
    assert observed["admin1"].startswith("iso3166-2:") and observed["admin1"].endswith(":ML-1")
    assert observed["information"][0]["source_reliability"] == "stanag2511-reliability:1:B"
    assert observed["information"][0]["source_independent"] == "fieldkit-yes-no:1:yes"
    attack = check(form(B), record(f"{B}.valid"), clock=clock).data
    assert attack["victims"][0]["acts"][0]["act_type"] == "sdg16101-act-type:2021.2:killing"
    assert attack["victims"][2]["victim_kind"] == "fieldkit-victim-kind:1:organisation"


INVALID = [
    (A, "invalid-date-order", "date_end", "date_end", "constraint"),
    (
        A,
        "invalid-corroborated-one-source",
        "verification_status",
        "verification_status",
        "constraint",
    ),
    (A, "invalid-precision4-with-coordinates", "geo_precision", "geo_precision", "constraint"),
    (A, "invalid-quantity-without-unit", "amounts[2].unit", "unit", "required"),
    (A, "invalid-children-exceed-total", "children_involved", "children_involved", "constraint"),
    (B, "invalid-no-perpetrator", "perpetrators", "perpetrators", "min_count"),
    (B, "invalid-subtype-missing", "victims[2].acts[1].act_subtype", "act_subtype", "required"),
    (B, "invalid-killing-not-killed", "victims[1].outcome", "outcome", "constraint"),
    (B, "invalid-consent-scope-missing", "victims[2].consent_scope", "consent_scope", "required"),
    (
        B,
        "invalid-verified-one-independent",
        "verification_status",
        "verification_status",
        "constraint",
    ),
    (B, "invalid-precision4-with-coordinates", "geo_precision", "geo_precision", "constraint"),
    (B, "invalid-organisation-tortured", "victims[3].acts[1].act_type", "act_type", "constraint"),
    (B, "invalid-victim-without-act", "victims[2].acts", "acts", "min_count"),
]


@pytest.mark.parametrize(("form_id", "suffix", "path", "name", "rule"), INVALID)
def test_invalid_example_record_breaks_exactly_its_rule(
    form_id: str, suffix: str, path: str, name: str, rule: str
) -> None:
    assert problems_of(form_id, record(f"{form_id}.{suffix}")) == [(path, name, rule)]


def test_every_invalid_example_file_is_covered() -> None:
    files = {p.name.removesuffix(".json") for p in RECORDS_DIR.glob("*.invalid-*.json")}
    assert files == {f"{form_id}.{suffix}" for form_id, suffix, *_rest in INVALID}


# -- rules, one change to a valid record at a time ----------------------------------------------


def _apply(data: dict[str, Any], where: str, value: Any) -> None:
    """Set the answer at ``where`` (``victims.0.outcome``); value None removes the answer."""
    *parents, last = where.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is None:
        node.pop(last, None)
    else:
        node[last] = value


# (form, {where: new value}, [(path, rule), ...] expected problems)
MUTATIONS: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    (A, {"date_start": "2026-12-01", "date_end": None}, [("date_start", "constraint")]),  # future
    (A, {"date_start": "2026-10"}, []),  # only the month is known: the date says so itself
    (A, {"date_start": "2026", "date_end": None}, []),  # only the year
    (A, {"date_start": "2026-10-03T10:00"}, [("date_start", "type")]),
    (A, {"geo_precision": "4", "coordinates": None}, []),  # only the region: no coordinates
    (A, {"geo_precision": "4"}, [("geo_precision", "constraint")]),
    (A, {"geo_precision": "3"}, []),
    (A, {"admin1": "BF-08"}, [("admin1", "subdivision")]),  # a region of another country
    (A, {"admin1": "Kayes"}, [("admin1", "choice")]),  # a name, not a code
    (A, {"admin1": None}, [("admin1", "required")]),
    (A, {"value_usd": -5}, [("value_usd", "constraint")]),
    (A, {"fatalities": -1}, [("fatalities", "constraint")]),
    (A, {"linked_attacks": "record 12"}, [("linked_attacks", "constraint")]),
    (A, {"route_transit": ["SEN", "MLI"]}, [("route_transit", "constraint")]),
    (A, {"state_response": ["none", "arrest"]}, [("state_response", "constraint")]),
    (A, {"state_response": ["seizure", "arrest"]}, []),
    (A, {"amounts.0.amount_commodity": "ivory"}, [("amounts[1].amount_commodity", "constraint")]),
    (A, {"amounts.0.unit": "persons"}, [("amounts[1].unit", "constraint")]),
    (A, {"amounts.0.quantity": 0}, [("amounts[1].quantity", "constraint")]),
    (A, {"arms_traced": 3}, [("arms_traced", "constraint")]),
    (A, {"persons_exploited": 30}, [("persons_exploited", "constraint")]),
    (
        A,
        {"exploited_groups.0.expl_form": "other"},
        [("exploited_groups[1].expl_form_other", "required")],
    ),
    (A, {"market": ["other"]}, [("market_other", "required")]),
    (A, {"market": None}, [("market", "required")]),
    (A, {"activity_stage": None}, [("activity_stage", "required")]),
    (A, {"actors.0.actor_id": "Big Boss"}, [("actors[1].actor_id", "constraint")]),
    (
        A,
        {"information.0.source_pseudonym": "+223 76 12 34 56"},
        [("information[1].source_pseudonym", "constraint")],
    ),
    (
        A,
        {"information.0.source_pseudonym": "someone@example.org"},
        [("information[1].source_pseudonym", "constraint")],
    ),
    (
        A,
        {"information": []},  # and 'corroborated' is left without its two independent sources
        [("information", "min_count"), ("verification_status", "constraint")],
    ),
    (A, {"information.1.source_type": "other"}, [("information[2].source_type_other", "required")]),
    (A, {"narrative": None}, [("narrative", "required")]),
    (A, {"retention_date": "2026-01-01"}, [("retention_date", "constraint")]),
    (A, {"verification_status": None}, [("verification_status", "required")]),
    (A, {"verification_status": "unverified", "information.1.source_independent": "no"}, []),
    (
        A,
        {"verification_status": "verified", "information.1.source_independent": "no"},
        [
            ("verification_status", "constraint"),
            ("verified_by", "required"),
            ("verified_on", "required"),
        ],
    ),
    (
        A,
        {
            "verification_status": "verified",
            "verified_by": "HQ analysis",
            "verified_on": "2026-10-20",
        },
        [],
    ),
    (
        A,
        {"verification_status": "corroborated", "verified_on": "2026-10-01"},
        [("verified_on", "constraint")],
    ),
    (
        B,
        {"information.1.source_independent": None},
        [("information[2].source_independent", "required")],
    ),
    (B, {"victims.0.victim_pseudonym": "Awa"}, [("victims[1].victim_pseudonym", "constraint")]),
    (B, {"victims.0.victim_pseudonym": None}, [("victims[1].victim_pseudonym", "required")]),
    (B, {"victims.0.consent_by": "victim"}, [("victims[1].consent_by", "constraint")]),
    (B, {"victims.1.consent_by": "not_applicable"}, [("victims[2].consent_by", "constraint")]),
    (
        B,
        {"victims.1.consent_scope": ["record_only", "publish_named"]},
        [("victims[2].consent_scope", "constraint")],
    ),
    (B, {"victims.1.consent_date": "2027-01-01"}, [("victims[2].consent_date", "constraint")]),
    (B, {"victims.0.victim_category": "other"}, [("victims[1].victim_category_other", "required")]),
    (B, {"victims.0.victim_sex": None}, [("victims[1].victim_sex", "required")]),
    (
        B,
        {"perpetrators.0.perp_actor_type": None},
        [("perpetrators[1].perp_actor_type", "required")],
    ),
    (
        B,
        {"perpetrators.0.perp_actor_type": "state_forces"},
        [("perpetrators[1].perp_actor_type", "constraint")],
    ),
    (B, {"victims": []}, [("victims", "min_count")]),
    (B, {"geo_precision": "1"}, []),  # coordinates and place are given
    (B, {"geo_precision": "4", "coordinates": None}, []),
    (B, {"geo_precision": "4"}, [("geo_precision", "constraint")]),
    (B, {"verified_on": None}, [("verified_on", "required")]),  # 'verified' needs the date
    (B, {"verified_by": None}, [("verified_by", "required")]),
    (B, {"verified_on": "2026-12-01"}, [("verified_on", "constraint")]),
    (
        B,
        {"information.2.source_independent": "no"},  # one independent source left
        [("verification_status", "constraint")],
    ),
    (B, {"information.2.source_independent": "no", "verification_status": "unverified"}, []),
    (B, {"victims.0.victim_kind": None}, [("victims[1].victim_kind", "required")]),
    (B, {"victims.2.org_type": None}, [("victims[3].org_type", "required")]),
    (B, {"victims.2.org_type": "other"}, [("victims[3].org_type_other", "required")]),
    (B, {"victims.1.victim_age": "age_15_17"}, []),  # a band of the new version
    (B, {"victims.1.victim_age": "under_18"}, []),  # the old code is still valid
    (B, {"victims.1.victim_age": None}, [("victims[2].victim_age", "required")]),
    (B, {"victims.0.outcome": None}, [("victims[1].outcome", "required")]),
    (B, {"victims.1.acts": []}, [("victims[2].acts", "min_count")]),
    (
        B,
        {"victims.1.acts.0.act_perpetrator": None},
        [("victims[2].acts[1].act_perpetrator", "required")],
    ),
    (
        B,
        {"victims.0.acts.0.act_method": ["other"]},
        [("victims[1].acts[1].act_method_other", "required")],
    ),
    (
        B,
        {"victims.2.acts.0.act_date": "2027-01"},
        [("victims[3].acts[1].act_date", "constraint")],
    ),
    (B, {"victims.2.acts.0.act_type": "killing"}, [("victims[3].acts[1].act_type", "constraint")]),
    (B, {"justice_status_date": None}, [("justice_status_date", "required")]),
    (B, {"justice_status": None, "justice_status_date": None}, []),
    (B, {"work_related": None}, [("work_related", "required")]),
    (B, {"risk_level": None}, [("risk_level", "required")]),
]


def _mutation_id(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return str(value) if isinstance(value, str) else ""


@pytest.mark.parametrize(("form_id", "changes", "expected"), MUTATIONS, ids=_mutation_id)
def test_rule(form_id: str, changes: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    data = copy.deepcopy(record(f"{form_id}.valid"))
    for where, value in changes.items():
        _apply(data, where, value)
    found = [(path, rule) for path, _name, rule in problems_of(form_id, data)]
    assert found == expected


def test_geo_precision_one_needs_coordinates_or_place() -> None:
    data = copy.deepcopy(record(f"{B}.valid"))
    data["geo_precision"] = "1"
    del data["coordinates"], data["place_name"]
    assert problems_of(B, data) == [("geo_precision", "geo_precision", "constraint")]


# -- relevance -----------------------------------------------------------------------------------


def test_act_subtype_is_cleared_when_act_type_is_not_other_harmful_act() -> None:
    data = copy.deepcopy(record(f"{B}.valid"))
    data["victims"][0]["acts"][0]["act_subtype"] = ["assault"]  # victim 1 was killed
    outcome = check(form(B), data, clock=clock)
    assert outcome.problems == []
    assert "act_subtype" not in outcome.data["victims"][0]["acts"][0]
    assert "victims[1].acts[1].act_subtype" in outcome.irrelevant
    assert outcome.data["victims"][1]["acts"][0]["act_subtype"]  # victim 2's is kept


def test_a_victim_can_suffer_several_acts_by_different_perpetrators() -> None:
    data = copy.deepcopy(record(f"{B}.valid"))
    data["victims"][1]["acts"].append(
        {
            "act_type": "arbitrary_detention",
            "act_perpetrator": "state_agent",
            "act_date": "2026-09-15",
        }
    )
    outcome = check(form(B), data, clock=clock)
    assert outcome.problems == []
    acts = outcome.data["victims"][1]["acts"]
    assert [a["act_type"].rsplit(":", 1)[1] for a in acts] == [
        "other_harmful_act",
        "arbitrary_detention",
    ]
    assert acts[1]["act_perpetrator"] == "sdg16101-perpetrator-category:2021.2:state_agent"


def test_killing_among_a_victims_acts_needs_the_outcome_killed_for_that_victim_only() -> None:
    data = copy.deepcopy(record(f"{B}.valid"))
    data["victims"][1]["acts"].append({"act_type": "killing", "act_perpetrator": "unknown"})
    found = [(path, rule) for path, _name, rule in problems_of(B, data)]
    assert found == [("victims[2].outcome", "constraint")]


def test_an_organisation_victim_skips_sex_age_and_outcome() -> None:
    data = copy.deepcopy(record(f"{B}.valid"))
    organisation = data["victims"][2]
    organisation.update(victim_sex="female", victim_age="age_30_44", outcome="injured")
    outcome = check(form(B), data, clock=clock)
    assert outcome.problems == []
    kept = outcome.data["victims"][2]
    for name in ("victim_sex", "victim_age", "outcome"):
        assert name not in kept, name
        assert f"victims[3].{name}" in outcome.irrelevant
    assert outcome.data["victims"][0]["victim_sex"] == "sdg-sex:2021.2:male"
    person = data["victims"][0]
    del person["victim_sex"], person["victim_age"]
    found = [(path, rule) for path, _name, rule in problems_of(B, data)]
    assert found == [("victims[1].victim_sex", "required"), ("victims[1].victim_age", "required")]


def test_org_type_is_cleared_for_a_person() -> None:
    data = copy.deepcopy(record(f"{B}.valid"))
    data["victims"][0]["org_type"] = "ngo"
    outcome = check(form(B), data, clock=clock)
    assert outcome.problems == []
    assert "org_type" not in outcome.data["victims"][0]


def test_verifier_and_date_are_cleared_for_an_unverified_record() -> None:
    data = copy.deepcopy(record(f"{B}.valid"))
    data["verification_status"] = "unverified"
    outcome = check(form(B), data, clock=clock)
    assert outcome.problems == []
    assert "verified_by" not in outcome.data and "verified_on" not in outcome.data


def test_consent_answers_are_restricted_and_identity_stays_identifying() -> None:
    attack = form(B)
    for name in ("consent_given", "consent_scope", "consent_by", "consent_date"):
        assert not attack.is_identifying(name), name
    for name in ("victim_name", "victim_contact", "victim_photo"):
        assert attack.is_identifying(name), name


def test_without_consent_no_identity_or_consent_details_are_kept() -> None:
    data = copy.deepcopy(record(f"{B}.valid"))
    victim = data["victims"][1]
    victim.update(consent_given="no", victim_name="Test Person", victim_contact="+000 00 00 00")
    outcome = check(form(B), data, clock=clock)
    assert outcome.problems == []
    kept = outcome.data["victims"][1]
    for name in ("victim_name", "victim_contact", "consent_scope", "consent_by", "consent_date"):
        assert name not in kept, name


def test_threats_reported_is_cleared_when_there_were_no_prior_threats() -> None:
    data = copy.deepcopy(record(f"{B}.valid"))
    data["victims"][0]["prior_threats"] = "none"
    outcome = check(form(B), data, clock=clock)
    assert outcome.problems == []
    assert "threats_reported" not in outcome.data["victims"][0]


def test_actor_type_of_a_non_criminal_perpetrator_is_cleared() -> None:
    data = copy.deepcopy(record(f"{B}.valid"))
    data["perpetrators"][0]["perp_category"] = "armed_group"
    outcome = check(form(B), data, clock=clock)
    assert outcome.problems == []
    assert "perp_actor_type" not in outcome.data["perpetrators"][0]


def test_persons_exploited_are_cleared_when_none_were_seen() -> None:
    data = copy.deepcopy(record(f"{A}.valid"))
    data["persons_seen"] = "no"
    outcome = check(form(A), data, clock=clock)
    assert outcome.problems == []
    for name in ("persons_exploited", "children_involved", "exploited_groups"):
        assert name not in outcome.data, name


def test_quantities_are_cleared_without_commodities() -> None:
    data = copy.deepcopy(record(f"{A}.valid"))
    del data["commodity"]
    outcome = check(form(A), data, clock=clock)
    assert outcome.problems == []
    assert "amounts" not in outcome.data


# -- summaries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("form_id", FORM_IDS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_summary_has_a_title_and_never_an_identifying_value(form_id: str, language: str) -> None:
    loaded = form(form_id)
    data = copy.deepcopy(record(f"{form_id}.valid"))
    secret = "Zzsecret Identity"
    data["information"][0]["source_pseudonym"] = "SRC-SECRET"
    if form_id == B:
        data["victims"][0]["victim_name"] = secret
    cleaned = check(loaded, data, clock=clock).data
    summary = summarize(loaded, cleaned, language)
    assert summary.title and summary.title != loaded.localized_title(language)
    assert summary.date and summary.place
    shown = " ".join((summary.title, summary.date, summary.place))
    assert secret not in shown and "SRC-SECRET" not in shown
    for name in [*loaded.summary.title, *loaded.summary.place, loaded.summary.date]:
        assert name is not None
        assert loaded.field(name).sensitivity is not IDENTIFYING, name


@pytest.mark.parametrize(
    ("language", "names"),
    [
        ("en", ["Åland Islands", "Albania", "Egypt", "Spain", "United Arab Emirates"]),
        ("fr", ["Égypte", "Émirats arabes unis", "Espagne", "Îles d'Åland", "Irlande"]),
        ("ar", ["إسبانيا", "أفغانستان", "الإمارات العربية المتحدة", "مصر"]),
    ],
)
def test_country_names_sort_by_label_ignoring_accents_and_case(
    language: str, names: list[str]
) -> None:
    countries = form("illicit-market-observation").choice_lists["iso3166-alpha3"]
    assert countries.lists_countries
    assert not form("illicit-market-observation").choice_lists["gitoc-market"].lists_countries
    labels = [localized(c.label, language) for c in countries.choices]
    assert set(names) <= set(labels)
    assert sorted(names, key=label_sort_key) == names
    assert label_sort_key("Égypte") == label_sort_key("egypte")


@pytest.mark.parametrize(
    ("acts", "title"),
    [
        ([["other_harmful_act"], ["arbitrary_detention", "torture"]], "Torture · Economic"),
        ([["kidnapping"], ["arbitrary_detention"]], "Kidnapping · Economic"),
        ([["other_harmful_act"], ["enforced_disappearance", "killing"]], "Killing · Economic"),
        ([["other_harmful_act"], ["other_harmful_act"]], "Other harmful act · Economic"),
    ],
)
def test_summary_title_is_the_most_serious_act_of_all_victims(
    acts: list[list[str]], title: str
) -> None:
    data = copy.deepcopy(record(f"{B}.valid"))
    data["victims"] = data["victims"][1:]  # drop the killing
    for victim, kinds in zip(data["victims"], acts, strict=True):
        victim["acts"] = [
            {"act_type": kind, "act_subtype": ["assault"], "act_perpetrator": "unknown"}
            for kind in kinds
        ]
    for victim, kinds in zip(data["victims"], acts, strict=True):
        killed = "killing" in kinds
        victim.update(victim_kind="person", victim_sex="female", victim_age="age_30_44")
        victim.update(outcome="killed" if killed else "injured")
        victim.update(consent_by="family" if killed else "victim")
        victim.pop("org_type", None)
    cleaned = check(form(B), data, clock=clock)
    assert cleaned.problems == []
    assert summarize(form(B), cleaned.data, "en").title == title
