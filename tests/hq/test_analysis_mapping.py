"""The analysis mapping on real version 1 records of the shipped forms (as HQ stores them),
and its derivations: partial dates, ACLED time precision, most serious act, perpetrator per act,
places; identifying answers never read."""

from __future__ import annotations

import copy
from dataclasses import asdict
from typing import Any

import pytest

from fieldkit.domain.forms import FormDefinition
from fieldkit.hq.analysis.attack import most_serious
from fieldkit.hq.analysis.common import day_range, time_precision
from fieldkit.hq.analysis.mapping import facts, safe_facts
from fieldkit.hq.analysis.reading import Reader, partial_date, short_code
from fieldkit.hq.answers import split_answers
from tests.hq.analysis_forms import ATTACK, MARKET, example, kept, shipped_form, stored

CANARY = "CANARY-Victim-Name-Q7x"


def attack_v1(**changes: Any) -> dict[str, Any]:
    data = example(ATTACK)
    data.update(changes)
    return data


def test_attack_version_1_record() -> None:
    form = shipped_form(ATTACK, "1")
    found = facts(form, kept(form, attack_v1()))
    assert found.kind == "attack"
    record = found.record
    assert record["date_start"] == "2026-09-14" and record["date_end"] is None
    assert (record["day_from"], record["day_to"]) == ("2026-09-14", "2026-09-14")
    assert record["time_precision"] == 1  # copied from the answer
    assert (record["country"], record["admin1_text"]) == ("BFA", "Est")
    assert (record["admin1"], record["admin1_status"]) == ("BF-08", "matched")
    assert (record["lat"], record["lon"], record["geo_precision"]) == (12.179, 0.365, 2)
    assert record["most_serious_act"] == "killing"
    assert (record["sources"], record["independent_sources"]) == (3, None)
    assert record["verification"] == "verified"
    assert record["classification"] == "strictly_confidential"
    assert (record["motive"], record["risk_level"]) == ("economic", "high")
    assert [v["category"] for v in found.victims] == ["journalist", "environmental_land_defender"]
    first = found.victims[0]
    assert first["sectors"] == "anti_corruption environment"
    assert (first["sex"], first["age_group"], first["kind"]) == ("male", "age_30_44", "person")
    # Version 1 kept consent with the identifying answers: unknown, never guessed.
    assert {(v["consent"], v["consent_scope"], v["named_ok"]) for v in found.victims} == {
        (None, None, False)
    }
    assert [(a["victim"], a["entry"], a["act_type"]) for a in found.acts] == [
        (1, 1, "killing"),
        (2, 1, "other_harmful_act"),
    ]
    assert found.acts[1]["act_subtypes"] == "assault death_threat"
    assert found.acts[1]["methods"] == "beating"
    # The two perpetrator entries differ in category: no act can be given one.
    assert {a["perpetrator"] for a in found.acts} == {"unknown"}
    assert [p["category"] for p in found.perpetrators] == ["organised_criminal_group", "unknown"]
    assert [s["reliability"] for s in found.sources] == ["B", "C", "A"]
    assert {s["independent"] for s in found.sources} == {None}


def test_version_1_acts_take_the_category_all_perpetrators_share() -> None:
    form = shipped_form(ATTACK, "1")
    data = attack_v1()
    data["perpetrators"][1] = dict(data["perpetrators"][0], perp_involvement="carried_out")
    found = facts(form, kept(form, data))
    assert {a["perpetrator"] for a in found.acts} == {"organised_criminal_group"}


def test_market_version_1_record() -> None:
    form = shipped_form(MARKET, "1")
    found = facts(form, kept(form, example(MARKET)))
    record = found.record
    assert found.kind == "market"
    assert (record["day_from"], record["day_to"]) == ("2026-10-03", "2026-10-04")
    assert (record["admin1"], record["admin1_status"]) == ("ML-1", "matched")
    assert record["activity_stage"] == "extraction_production checkpoint_taxation"
    assert record["state_response"] == "none"
    assert record["value_usd"] == 160000.0
    assert (record["persons_exploited"], record["children_involved"]) == (40, 9)
    assert (record["arms_observed"], record["arms_seized"], record["fatalities"]) == (7, 0, 0)
    assert record["sources"] == 2
    assert found.markets == ["non_renewable_resource_crimes", "extortion_protection_racketeering"]
    assert found.commodities == ["gold", "fuel"]
    assert [(q["commodity"], q["quantity"], q["unit"]) for q in found.quantities] == [
        ("gold", 2.5, "kg"),
        ("fuel", 1200.0, "l"),
    ]
    assert [(e["sex"], e["age_group"], e["count"]) for e in found.exploited] == [
        ("male", "adult", 25),
        ("male", "child", 6),
        ("female", "child", 3),
    ]
    assert [(a["actor_type"], a["role"]) for a in found.actors] == [
        ("criminal_network", "leader"),
        ("state_embedded_actor", "facilitator"),
    ]
    assert found.victims == [] and found.acts == []


@pytest.mark.parametrize(
    ("typed", "code", "status"),
    [
        ("KAYES", "ML-1", "matched"),
        ("  tombouctou ", "ML-6", "matched"),
        ("Somewhere north", None, "unmatched"),
    ],
)
def test_version_1_regions_are_matched_or_left_unmatched(
    typed: str, code: str | None, status: str
) -> None:
    form = shipped_form(MARKET, "1")
    record = facts(form, kept(form, dict(example(MARKET), admin1=typed))).record
    assert (record["admin1"], record["admin1_status"]) == (code, status)
    assert record["admin1_text"] == typed.strip()


def test_identifying_answers_are_never_read_even_when_present() -> None:
    """Given every answer, identifying ones included, nothing identifying comes out: version
    1's consent stays unknown and no canary appears anywhere."""
    form = shipped_form(ATTACK, "1")
    data = attack_v1()
    data["victims"][0].update(victim_name=CANARY, victim_contact=CANARY)
    data["information"][0]["source_pseudonym"] = "SRC-9999"
    everything = stored(form, data)
    assert split_answers(form, everything)[1]  # there are identifying answers to leave out
    found = facts(form, everything)
    assert CANARY not in repr(asdict(found)) and "SRC-9999" not in repr(asdict(found))
    assert found.victims[0]["consent"] is None and found.victims[0]["consent_scope"] is None


def test_another_form_has_the_common_columns_only(test_form: FormDefinition) -> None:
    found = facts(test_form, {"narrative": "anything"})
    assert found.kind == "other"
    assert found.record == {"admin1_status": "missing"}
    assert found.victims == found.sources == []


@pytest.fixture
def test_form() -> FormDefinition:
    from tests.bundle.factory import TEST_FORM

    return TEST_FORM


def test_odd_answers_leave_their_columns_empty() -> None:
    """HQ does not re-check answers: a value of the wrong shape reads as unanswered."""
    form = shipped_form(MARKET, "1")
    answers = copy.deepcopy(kept(form, example(MARKET)))
    answers.update(
        value_usd="a lot",
        fatalities=2.5,
        coordinates={"lat": 95.0, "lon": 2.0},
        date_start="2026-02-30",
        amounts=[{"quantity": True}, "not an entry"],
        market="not a list",
    )
    found = safe_facts(form, answers)
    record = found.record
    assert record["value_usd"] is None and record["fatalities"] is None
    assert record["lat"] is None and record["lon"] is None
    assert record["date_start"] is None and record["day_from"] is None
    assert [q["quantity"] for q in found.quantities] == [None, None]
    assert found.markets == ["not a list"]  # one code, as a select-one would be read


@pytest.mark.parametrize(
    ("start", "end", "days", "precision"),
    [
        ("2026-03-14", None, ("2026-03-14", "2026-03-14"), 1),
        ("2026-03-14", "2026-03-14", ("2026-03-14", "2026-03-14"), 1),
        ("2026-03-14", "2026-03-17", ("2026-03-14", "2026-03-17"), 2),
        ("2026-03-14", "2026-03-20", ("2026-03-14", "2026-03-20"), 2),
        ("2026-03-14", "2026-03-21", ("2026-03-14", "2026-03-21"), 3),
        ("2026-02", None, ("2026-02-01", "2026-02-28"), 3),
        ("2024-02", None, ("2024-02-01", "2024-02-29"), 3),
        ("2026-03-28", "2026-04-20", ("2026-03-28", "2026-04-20"), 3),
        ("2026-03", "2026-03-05", ("2026-03-01", "2026-03-05"), 3),
        ("2026-03", "2026-05", ("2026-03-01", "2026-05-31"), 4),
        ("2026", None, ("2026-01-01", "2026-12-31"), 4),
        ("2026-03-14", "2026-01-01", ("2026-03-14", "2026-03-14"), 1),
        (None, None, None, None),
    ],
)
def test_partial_dates_give_days_and_precision(
    start: str | None, end: str | None, days: tuple[str, str] | None, precision: int | None
) -> None:
    assert day_range(start, end) == days
    assert time_precision(start, end) == precision


def test_small_readers() -> None:
    assert short_code("sdg16101-act-type:2021:killing") == "killing"
    assert short_code("iso3166-2:24.6.1:ML-7") == "ML-7"
    assert short_code("killing") == "killing"
    assert short_code(3) is None and short_code("") is None
    assert [partial_date(d) for d in ("2026", "2026-13", "2026-02-29", "26-01-01")] == [
        "2026",
        None,
        None,
        None,
    ]
    assert most_serious(["other_harmful_act", "torture", None, "kidnapping"]) == "torture"
    assert most_serious([None]) is None


def test_reader_refuses_identifying_and_unknown_fields() -> None:
    form = shipped_form(ATTACK, "1")
    reader = Reader(form, {"motive": "fieldkit-motive:1:economic", "consent_given": "x"})
    assert reader.code("motive") == "economic"
    assert reader.raw("consent_given") is None  # identifying in version 1
    assert reader.raw("not_a_field") is None


def test_attack_version_2_record() -> None:
    """Version 2: acts per victim with their own perpetrator and date, organisation victims,
    consent (restricted now), independent sources, derived time precision."""
    form = shipped_form(ATTACK, "2")
    found = facts(form, kept(form, example(ATTACK, "2")))
    record = found.record
    assert (record["date_start"], record["time_precision"]) == ("2026-09-14", 1)
    assert (record["sources"], record["independent_sources"]) == (3, 2)
    assert [s["independent"] for s in found.sources] == [True, False, True]
    assert record["verified_by"] == "Human rights section, analysis unit"
    assert record["verified_on"] == "2026-09-25"
    assert record["justice_status_date"] == "2026-10"
    assert record["most_serious_act"] == "killing"
    assert record["admin1"] is not None and record["admin1_status"] in ("coded", "matched")
    assert [v["kind"] for v in found.victims] == ["person", "person", "organisation"]
    assert [v["consent"] for v in found.victims] == ["yes", "yes", "yes"]
    assert [v["consent_scope"] for v in found.victims] == [
        "share_mission share_protection",
        "record_only",
        "share_mission publish_anonymised",
    ]
    assert [v["named_ok"] for v in found.victims] == [False, False, False]
    assert [(a["victim"], a["act_type"], a["perpetrator"], a["act_date"]) for a in found.acts] == [
        (1, "killing", "organised_criminal_group", None),
        (2, "other_harmful_act", "organised_criminal_group", None),
        (3, "other_harmful_act", "unknown", "2026-09"),
    ]
    assert found.acts[2]["methods"] == "arson"


def test_version_2_most_serious_act_and_named_consent() -> None:
    form = shipped_form(ATTACK, "2")
    data = example(ATTACK, "2")
    data["victims"][0]["acts"] = [
        {"act_type": "arbitrary_detention", "act_perpetrator": "state_agent"},
        {"act_type": "torture", "act_perpetrator": "state_agent", "act_date": "2026-09-15"},
    ]
    data["victims"][0]["outcome"] = "injured"
    data["victims"][1]["consent_scope"] = ["share_mission", "publish_named"]
    answers = stored(form, data)
    found = facts(form, split_answers(form, answers)[0])
    assert found.record["most_serious_act"] == "torture"
    assert [(a["victim"], a["entry"]) for a in found.acts][:2] == [(1, 1), (1, 2)]
    assert [v["named_ok"] for v in found.victims] == [False, True, False]


@pytest.mark.parametrize(("start", "end", "precision"), [("2026-09", None, 3), ("2026", None, 4)])
def test_version_2_derives_the_time_precision(start: str, end: str | None, precision: int) -> None:
    form = shipped_form(MARKET, "2")
    data = example(MARKET, "2")
    data.update(date_start=start)
    data.pop("date_end", None)
    record = facts(form, kept(form, data)).record
    assert (record["date_start"], record["time_precision"]) == (start, precision)
    assert record["independent_sources"] == 2


def test_both_versions_give_the_same_rows_where_they_agree() -> None:
    """The same market observation in version 1 and 2: one mapping, the same facts except what
    version 2 added (independence of sources, verifier) and the time precision: version 1's
    observer chose 1 for two known days, the derived one is 2 (within a week)."""
    one = facts(shipped_form(MARKET, "1"), kept(shipped_form(MARKET, "1"), example(MARKET)))
    two_form = shipped_form(MARKET, "2")
    two = facts(two_form, kept(two_form, example(MARKET, "2")))
    added = {"independent_sources", "verified_by", "verified_on", "time_precision"}
    assert (one.record["time_precision"], two.record["time_precision"]) == (1, 2)
    assert {k: v for k, v in one.record.items() if k not in added} == {
        k: v for k, v in two.record.items() if k not in added
    }
    assert one.markets == two.markets and one.quantities == two.quantities
    assert one.exploited == two.exploited and one.actors == two.actors


def test_each_analysis_module_imports_first() -> None:
    """The repository and the analysis package import each other: any of them may be the
    first one a program imports."""
    import subprocess
    import sys

    modules = [
        "fieldkit.hq.analysis.store",
        "fieldkit.hq.analysis.tables",
        "fieldkit.hq.analysis.rebuild",
        "fieldkit.hq.analysis.places",
        "fieldkit.hq.analysis.views",
        "fieldkit.hq.analysis.mapping",
        "fieldkit.hq.repository.tables",
        "fieldkit.hq.repository.base",
    ]
    for module in modules:
        done = subprocess.run(
            [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, (module, done.stderr[-500:])
