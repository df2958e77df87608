"""Attack on an activist (``attack-on-activist``), versions 1 and 2, to analysis rows.

Victims. Version 2 asks, per victim, the kind (person or organisation), consent (restricted)
and a repeat of acts, each with its own perpetrator category and date. Version 1 asked one act
per victim and no perpetrator per act, and kept consent with the identifying answers. Read
through one mapping, a version 1 victim is a person with one act, whose perpetrator is the
category every perpetrator entry of the record shares, else ``unknown``; its consent and
consent scope are unknown (NULL), never guessed, and ``named_ok`` is false.

``most_serious_act`` is the most serious act of any victim, in the order
:data:`ACT_SEVERITY`; version 1's own ``main_act`` is used only when no victim has an act.
"""

from __future__ import annotations

from fieldkit.hq.analysis.facts import Facts, Kind, Row
from fieldkit.hq.analysis.reading import Reader

ACT_SEVERITY = (
    "killing",
    "enforced_disappearance",
    "torture",
    "kidnapping",
    "arbitrary_detention",
    "other_harmful_act",
)
"""SDG 16.10.1's acts, the most serious first."""
UNKNOWN = "unknown"
PUBLISH_NAMED = "publish_named"


def most_serious(acts: list[str | None]) -> str | None:
    """The most serious of ``acts`` (codes outside :data:`ACT_SEVERITY` come after them)."""
    known = [act for act in acts if act is not None]
    if not known:
        return None
    order = {act: rank for rank, act in enumerate(ACT_SEVERITY)}
    return min(known, key=lambda act: (order.get(act, len(order)), act))


def attack_facts(answers: Reader, event: Row) -> Facts:
    """The facts of an attack record; ``event`` holds its time, place and verification."""
    entries = answers.entries("perpetrators")
    perpetrators: list[Row] = [
        {
            "entry": entry,
            "category": perpetrator.code("perp_category"),
            "actor_type": perpetrator.code("perp_actor_type"),
            "involvement": perpetrator.code("perp_involvement"),
            "state_complicity": perpetrator.code("state_complicity"),
        }
        for entry, perpetrator in enumerate(entries, start=1)
    ]
    categories = {perpetrator.code("perp_category") for perpetrator in entries}
    shared: str | None = categories.pop() if len(categories) == 1 else None
    victims: list[Row] = []
    acts: list[Row] = []
    for entry, victim in enumerate(answers.entries("victims"), start=1):
        victims.append(_victim(victim, entry))
        acts.extend(_acts(victim, entry, shared or UNKNOWN))
    record = dict(event)
    record.update(
        most_serious_act=most_serious([act["act_type"] for act in acts])
        or answers.code("main_act"),
        motive=answers.code("motive"),
        work_related=answers.code("work_related"),
        linked_market=answers.code("linked_market"),
        justice_status=answers.code("justice_status"),
        justice_status_date=answers.date("justice_status_date"),
        risk_level=answers.code("risk_level"),
    )
    return Facts(
        kind=Kind.ATTACK,
        record=record,
        victims=victims,
        acts=acts,
        perpetrators=perpetrators,
    )


def _victim(victim: Reader, entry: int) -> Row:
    consent = victim.code("consent_given")
    scope = victim.codes("consent_scope") if victim.defines("consent_scope") else None
    return {
        "entry": entry,
        "kind": victim.code("victim_kind") or "person",
        "sex": victim.code("victim_sex"),
        "age_group": victim.code("victim_age"),
        "category": victim.code("victim_category"),
        "sectors": victim.joined("victim_sector"),
        "outcome": victim.code("outcome"),
        "prior_threats": victim.code("prior_threats"),
        "threats_reported": victim.code("threats_reported"),
        "consent": consent if consent in ("yes", "no") else None,
        "consent_scope": " ".join(scope) if scope else None,
        "named_ok": consent == "yes" and scope is not None and PUBLISH_NAMED in scope,
    }


def _acts(victim: Reader, entry: int, record_perpetrator: str) -> list[Row]:
    """A victim's acts: version 2's ``acts`` entries, or version 1's one act."""
    if victim.defines("acts"):
        return [
            {
                "victim": entry,
                "entry": number,
                "act_type": act.code("act_type"),
                "act_subtypes": act.joined("act_subtype"),
                "methods": act.joined("act_method"),
                "perpetrator": act.code("act_perpetrator"),
                "act_date": act.date("act_date"),
            }
            for number, act in enumerate(victim.entries("acts"), start=1)
        ]
    act_type = victim.code("act_type")
    if act_type is None:
        return []
    return [
        {
            "victim": entry,
            "entry": 1,
            "act_type": act_type,
            "act_subtypes": victim.joined("act_subtype"),
            "methods": victim.joined("method"),
            "perpetrator": record_perpetrator,
            "act_date": None,
        }
    ]
