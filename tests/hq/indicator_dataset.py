"""A small data set whose indicator values are worked out by hand in tests/hq/test_indicators.py.

Records are answers of the shipped forms (version 1 and 2), checked and split as a device and
HQ do, stored as the repository stores an ingested bundle, with their analysis rows made by the
real mapping in the same transaction; two victims are linked as one person with
``victims.link`` and one record is rejected with ``review.set_review``, both signed as HQ does.

Attack records (all in BFA/Est = BF-08 unless said; v2 unless said):

=====  ==========  ==========================================================================
A1     2026-09-14  example v2: V1 journalist, male, 30-44, KILLING by organised crime;
                   V2 environmental defender (not a 16.10.1 group); V3 an organisation.
                   Perpetrators: organised crime (acquiescence). Verified. Justice: ongoing
                   (2026-10). Coordinates 12.179, 0.365.
A2     2026-03-10  V1 = the SAME PERSON as A1's V1 (linked): kidnapping by a state agent
                   (no complicity). Verified.
A3 v1  2026-05-20  example v1: V1 journalist, male, 30-44, killing (perpetrators differ: act
                   perpetrator unknown; one entry is organised crime, acquiescence);
                   V2 environmental defender. Verified. Justice: full justice (no date, v1).
A4     "2026"      dated to the year only: V1 trade unionist, female, 45-59, arbitrary
                   detention by a state agent (no complicity). Verified.
A5     2026-06-02  V1 human rights defender: torture, but only corroborated (not verified).
A6     2026-02-20  MLI/Kayes (ML-1): V1 human rights defender, female, 18-29, enforced
                   disappearance by a state agent with collusion. Verified.
A7     2025-12-30  V1 journalist killed: the year before.
A8     2026-04-01  V1 journalist killed, verified, but REJECTED by HQ's review.
=====  ==========  ==========================================================================

Market records (MLI/Kayes = ML-1 unless said):

=====  ======================  ====================================================================
M1     2026-10-03..04 (v2)     example: non-renewable resources + extortion; actors criminal
                               network, state-embedded actor.
M2     2026-10-20 (v2)         non-renewable resources; actor criminal network.
M3     2025-11-15 (v2)         non-renewable resources (seen before 2026 in ML-1).
M4     2026-10-03..04 (v1)     example v1 (same markets and actors as M1).
M5     2026-09-10 (v2)         BFA/Est at 12.20, 0.37 (about 2.4 km from A1 and A3): cannabis.
=====  ======================  ====================================================================
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from fieldkit.bundle.forms import form_bytes
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import sha256_hex
from fieldkit.hq import review, victims
from fieldkit.hq.analysis.mapping import safe_facts
from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository import NewForm, Repository
from tests.bundle.factory import Keys
from tests.hq import factory
from tests.hq.analysis_forms import ATTACK, MARKET, example, kept, shipped_form

CANARY_NAME = "CANARY-Indicator-Victim-Name-Zx81"
"""An identifying answer (a victim's name): it must never reach any output."""
RESTRICTED_TEXT = "Human rights section, analysis unit"
"""A restricted answer (who verified) in the analysis tables: never in an output either."""


def rid(name: str) -> str:
    """A record id of 32 hex digits, readable in failures: A1 -> 000...0a1."""
    return name.lower().replace("m", "b").rjust(32, "0")


@dataclass(frozen=True)
class Item:
    name: str
    form_id: str
    version: str
    data: dict[str, Any]
    received_at: str


def _attack_v2(**changes: Any) -> dict[str, Any]:
    data = example(ATTACK, "2")
    data.update(changes)
    return data


def _victim(
    category: str, sex: str, age: str, act: str, perpetrator: str, outcome: str
) -> dict[str, Any]:
    return {
        "victim_pseudonym": "VIC-TEST",
        "victim_kind": "person",
        "consent_given": "yes",
        "consent_scope": ["record_only"],
        "consent_by": "family" if outcome == "killed" else "victim",
        "consent_date": "2026-01-05",
        "victim_name": CANARY_NAME,
        "victim_sex": sex,
        "victim_age": age,
        "victim_category": category,
        "outcome": outcome,
        "acts": [{"act_type": act, "act_method": ["firearm"], "act_perpetrator": perpetrator}],
    }


def _one_victim(date: str, victim: dict[str, Any], perpetrator: dict[str, Any], **more: Any):
    data = _attack_v2(date_start=date, victims=[victim], perpetrators=[perpetrator], **more)
    data.pop("date_end", None)
    return data


STATE = {"perp_category": "state_agent", "perp_involvement": "carried_out"}


def items() -> list[Item]:
    a1 = _attack_v2()
    a1["victims"][0]["victim_name"] = CANARY_NAME
    a2 = _one_victim(
        "2026-03-10",
        _victim("journalist", "male", "age_30_44", "kidnapping", "state_agent", "released"),
        {**STATE, "state_complicity": "none_known"},
    )
    a3 = example(ATTACK)
    a3.update(date_start="2026-05-20", justice_status="full_justice")
    a4 = _one_victim(
        "2026",
        _victim(
            "trade_unionist",
            "female",
            "age_45_59",
            "arbitrary_detention",
            "state_agent",
            "released",
        ),
        {**STATE, "state_complicity": "none_known"},
        time_precision=None,
    )
    a4.pop("time_precision", None)
    a4.pop("coordinates", None)
    a4["geo_precision"] = "4"
    a5 = _one_victim(
        "2026-06-02",
        _victim("human_rights_defender", "male", "age_18_29", "torture", "state_agent", "injured"),
        {**STATE, "state_complicity": "none_known"},
        verification_status="corroborated",
    )
    a5.pop("verified_on", None)
    a5.pop("verified_by", None)
    a6 = _one_victim(
        "2026-02-20",
        _victim(
            "human_rights_defender",
            "female",
            "age_18_29",
            "enforced_disappearance",
            "state_agent",
            "missing",
        ),
        {**STATE, "state_complicity": "collusion"},
        country="MLI",
        admin1="ML-1",
        coordinates="14.4469, -11.4445",
    )
    killed = _victim("journalist", "male", "age_30_44", "killing", "individual", "killed")
    a7 = _one_victim(
        "2025-12-30", copy.deepcopy(killed), {**STATE, "state_complicity": "none_known"}
    )
    a8 = _one_victim(
        "2026-04-01", copy.deepcopy(killed), {**STATE, "state_complicity": "none_known"}
    )
    for data in (a2, a4, a5, a6, a7, a8):
        data["justice_status"] = "none"
        data["justice_status_date"] = "2026-11"
    m1 = example(MARKET, "2")
    m2 = example(MARKET, "2")
    m2.update(date_start="2026-10-20", market=["non_renewable_resource_crimes"])
    m2.pop("date_end", None)
    m2["actors"] = m2["actors"][:1]
    m3 = example(MARKET, "2")
    m3.update(date_start="2025-11-15", market=["non_renewable_resource_crimes"])
    m3.pop("date_end", None)
    m4 = example(MARKET)
    m5 = example(MARKET, "2")
    m5.update(
        date_start="2026-09-10",
        country="BFA",
        admin1="BF-08",
        coordinates="12.2000, 0.3700",
        market=["cannabis_trade"],
    )
    m5.pop("date_end", None)
    return [
        Item("A1", ATTACK, "2", a1, "2026-09-20T08:00:00Z"),  # 6 days after the event
        Item("A2", ATTACK, "2", a2, "2026-03-30T08:00:00Z"),  # 20 days
        Item("A3", ATTACK, "1", a3, "2026-06-29T08:00:00Z"),  # 40 days
        Item("A4", ATTACK, "2", a4, "2027-01-10T08:00:00Z"),  # 10 days after 2026-12-31
        Item("A5", ATTACK, "2", a5, "2026-06-04T08:00:00Z"),  # 2 days
        Item("A6", ATTACK, "2", a6, "2026-03-02T08:00:00Z"),  # 10 days
        Item("A7", ATTACK, "2", a7, "2026-01-04T08:00:00Z"),
        Item("A8", ATTACK, "2", a8, "2026-04-03T08:00:00Z"),
        Item("M1", MARKET, "2", m1, "2026-10-10T08:00:00Z"),
        Item("M2", MARKET, "2", m2, "2026-10-25T08:00:00Z"),
        Item("M3", MARKET, "2", m3, "2025-11-20T08:00:00Z"),
        Item("M4", MARKET, "1", m4, "2026-10-06T08:00:00Z"),
        Item("M5", MARKET, "2", m5, "2026-09-12T08:00:00Z"),
    ]


def hq_keys() -> HqKeys:
    keys = Keys()
    return HqKeys(ingest_identity=keys.hq[0], signing_key=keys.hq_signing)


def build(repository: Repository) -> dict[str, str]:
    """Store the data set in ``repository`` as ingest does (one bundle per record, ingested at
    the record's ``received_at``; analysis rows made by the real mapping in the same
    transaction), link the two victims and reject A8; returns name -> record id."""
    store(repository, items())
    secrets = hq_keys()
    victims.link(repository, secrets, f"{rid('A1')}.1", f"{rid('A2')}.1", actor="analyst")
    review.set_review(repository, secrets, rid("A8"), "rejected", actor="analyst")
    return {item.name: rid(item.name) for item in items()}


def store(repository: Repository, chosen: list[Item]) -> None:
    """Store ``chosen`` as ingest does, from a new device (one bundle per record)."""
    identity = factory.identity()
    repository.add_device(identity, "2026-01-01T00:00:00Z")
    chain = factory.DeviceChain(identity.key_id)
    known: set[str] = set()
    for item in chosen:
        form = shipped_form(item.form_id, item.version)
        described = new_form(form)
        answers = kept(form, item.data)
        made = factory.revision(
            chain.key_id, record_id=rid(item.name), form=described, answers=answers
        )
        made = replace(made, facts=safe_facts(form, answers))
        forms = [] if described.sha256 in known else [described]
        known.add(described.sha256)
        batch = chain.next([made], forms=forms)
        factory.store(repository, chain, replace(batch, ingested_at=item.received_at))


def new_form(form: FormDefinition) -> NewForm:
    content = form_bytes(form)
    return NewForm(sha256_hex(content), form.id, form.version, content)


def rows(repository: Repository, table: sa.Table) -> list[dict[str, Any]]:
    with transaction(repository) as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(table))]
