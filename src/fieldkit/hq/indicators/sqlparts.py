"""SQL pieces every indicator shares: which records are in scope, and the dimensions.

A record is counted in a period only when its whole span of possible days
(``day_from``..``day_to``) lies inside the period; a record whose span only overlaps it (a record
dated "2026" asked about 2026-Q1) is left out and counted as *uncertain*, so that no record is
counted in two periods. Records HQ's review rejected are never counted. The country and place
filters are the shared :class:`~fieldkit.hq.analysis.filters.Filters`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import ColumnElement

from fieldkit.hq.analysis import tables as a
from fieldkit.hq.analysis.filters import Filters
from fieldkit.hq.indicators.model import UNKNOWN
from fieldkit.hq.repository.tables_review import review_status

R = a.an_records

SDG_CATEGORIES = ("journalist", "trade_unionist", "human_rights_defender")
"""The victim groups of SDG indicator 16.10.1 (OHCHR)."""
ACT_SEVERITY = (
    "killing",
    "enforced_disappearance",
    "torture",
    "kidnapping",
    "arbitrary_detention",
    "other_harmful_act",
)
"""The 16.10.1 acts, most serious first: a person's acts in a period count once, as the most
serious."""
STATE_COMPLICITY = ("acquiescence", "collusion", "failure_to_protect")
ORGANISED_CRIME = "organised_criminal_group"


def not_rejected(records: sa.FromClause = R) -> ColumnElement[bool]:
    """Records HQ's review did not reject."""
    rejected = sa.select(review_status.c.record_id).where(review_status.c.status == "rejected")
    return records.c.record_id.not_in(rejected)


def inside(filters: Filters, records: sa.FromClause = R) -> ColumnElement[bool]:
    """Records wholly inside the period and matching the other filters, not rejected."""
    terms: list[ColumnElement[bool]] = [filters.clause(records), not_rejected(records)]
    if filters.date_from is not None:
        terms.append(records.c.day_from >= filters.date_from.isoformat())
    if filters.date_to is not None:
        terms.append(records.c.day_to <= filters.date_to.isoformat())
    return sa.and_(*terms)


def overlapping_only(filters: Filters, records: sa.FromClause = R) -> ColumnElement[bool]:
    """Records overlapping the period without lying inside it (uncertain), not rejected."""
    outside: list[ColumnElement[bool]] = []
    if filters.date_from is not None:
        outside.append(records.c.day_from < filters.date_from.isoformat())
    if filters.date_to is not None:
        outside.append(records.c.day_to > filters.date_to.isoformat())
    if not outside:
        return sa.false()
    return sa.and_(filters.clause(records), not_rejected(records), sa.or_(*outside))


def severity(act_type: ColumnElement[str]) -> ColumnElement[int]:
    """1 for a killing ... 6 for another harmful act (ACT_SEVERITY)."""
    return sa.case(
        *((act_type == code, rank) for rank, code in enumerate(ACT_SEVERITY, 1)), else_=99
    )


def _text(value: ColumnElement[object]) -> ColumnElement[str]:
    return sa.func.coalesce(value, UNKNOWN)


def month_of(records: sa.FromClause = R) -> ColumnElement[str]:
    """``YYYY-MM`` when the record's span lies within one month, else ``unknown``."""
    first = sa.func.substr(records.c.day_from, 1, 7)
    return sa.case((first == sa.func.substr(records.c.day_to, 1, 7), first), else_=UNKNOWN)


def _quarter(day: ColumnElement[str]) -> ColumnElement[str]:
    month = sa.cast(sa.func.substr(day, 6, 2), sa.Integer)
    number = (month + 2) // 3
    return sa.func.substr(day, 1, 4) + "-Q" + sa.cast(number, sa.String)


def quarter_of(records: sa.FromClause = R) -> ColumnElement[str]:
    """``YYYY-Qn`` when the record's span lies within one quarter, else ``unknown``."""
    first = _quarter(records.c.day_from)
    return sa.case((first == _quarter(records.c.day_to), first), else_=UNKNOWN)


def year_of(records: sa.FromClause = R) -> ColumnElement[str]:
    first = sa.func.substr(records.c.day_from, 1, 4)
    return sa.case((first == sa.func.substr(records.c.day_to, 1, 4), first), else_=UNKNOWN)


def record_dimensions(records: sa.FromClause = R) -> dict[str, ColumnElement[str]]:
    """Dimensions every record has: where, when, which form."""
    return {
        "country": _text(records.c.country),
        "admin1": _text(records.c.admin1),
        "year": year_of(records),
        "quarter": quarter_of(records),
        "month": month_of(records),
        "form": records.c.form_id,
    }


def victim_dimensions(
    victims: sa.FromClause = a.an_victims, acts: sa.FromClause = a.an_acts
) -> dict[str, ColumnElement[str]]:
    return {
        "act": _text(acts.c.act_type),
        "perpetrator": _text(acts.c.perpetrator),
        "category": _text(victims.c.category),
        "sex": _text(victims.c.sex),
        "age_group": _text(victims.c.age_group),
    }


def labelled(dims: dict[str, ColumnElement[str]], names: Sequence[str]) -> list[sa.Label[str]]:
    """The chosen dimensions as labelled columns ``d0``, ``d1``... (in ``names`` order)."""
    return [dims[name].label(f"d{n}") for n, name in enumerate(names)]


def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return sa.case((condition, 1), else_=0)
