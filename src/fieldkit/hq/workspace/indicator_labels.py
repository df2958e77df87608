"""Words for the codes an indicator's output is written in: its dimensions, its columns and the
values they take, in the current language. A code without a label is shown as it is (a country
or place code, a form id, a quarter)."""

from __future__ import annotations

from fieldkit.i18n import N_, _

NAMES = {
    "country": N_("Country"),
    "admin1": N_("First-level place"),
    "year": N_("Year"),
    "quarter": N_("Quarter"),
    "month": N_("Month"),
    "form": N_("Form"),
    "act": N_("Act"),
    "category": N_("Victim group"),
    "sex": N_("Sex"),
    "age_group": N_("Age group"),
    "perpetrator": N_("Perpetrator"),
    "market": N_("Market"),
    "actor_type": N_("Actor type"),
    "horizon": N_("Months after the act"),
    "organised_crime": N_("Organised crime"),
    "state_complicity": N_("State complicity"),
    "justice": N_("Justice"),
    "period": N_("Period"),
    "involvement": N_("Involvement"),
    "nexus": N_("Near a market observation"),
    "verified": N_("Verified"),
    "precision_1": N_("Precision 1"),
    "admin1_status": N_("How the place is known"),
    "total": N_("Total"),
    "share": N_("Share"),
    "median_days": N_("Median days"),
    "change": N_("Change"),
}
"""Dimension and column names (the CSV keeps the codes)."""

VALUES = {
    "unknown": N_("unknown"),
    "yes": N_("yes"),
    "no": N_("no"),
    "persons": N_("persons"),
    "observations": N_("observations"),
    "records": N_("records"),
    "previous": N_("previous period"),
    "current": N_("this period"),
    "involved": N_("involved"),
    "not_involved": N_("not involved"),
    "near": N_("near"),
    "not_near": N_("not near"),
    "without_conviction": N_("without conviction"),
    "convicted": N_("convicted"),
    "coded": N_("coded"),
    "matched": N_("matched"),
    "settled": N_("settled"),
    "unmatched": N_("unmatched"),
    "missing": N_("missing"),
    "killing": N_("killing"),
    "enforced_disappearance": N_("enforced disappearance"),
    "torture": N_("torture"),
    "kidnapping": N_("kidnapping"),
    "arbitrary_detention": N_("arbitrary detention"),
    "other_harmful_act": N_("other harmful act"),
    "journalist": N_("journalist"),
    "trade_unionist": N_("trade unionist"),
    "human_rights_defender": N_("human rights defender"),
    "acquiescence": N_("acquiescence"),
    "collusion": N_("collusion"),
    "failure_to_protect": N_("failure to protect"),
    "organised_criminal_group": N_("organised criminal group"),
    "female": N_("female"),
    "male": N_("male"),
}
"""Values of dimensions and columns that are words rather than codes."""

TIERS = {"internal": N_("internal"), "release": N_("release")}


def name(code: str) -> str:
    """A dimension's or column's name."""
    found = NAMES.get(code) or VALUES.get(code)
    return _(found) if found else code


def value(code: str) -> str:
    """A value of a dimension or a column."""
    found = VALUES.get(code)
    return _(found) if found else code


def tier(code: str) -> str:
    found = TIERS.get(code)
    return _(found) if found else code


def withheld() -> str:
    """How a withheld cell reads on a page and in a chart."""
    return _("withheld")
