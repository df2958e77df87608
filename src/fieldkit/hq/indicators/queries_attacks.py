"""Queries of the indicators on attacks on activists: SDG 16.10.1, its shares, killings and
disappearances per quarter, impunity.

The unit is a PERSON, counted once per period: a victim's ``person_id`` joins the victims HQ
linked as one person (in any number of records). Of a person's acts in the period, the most
serious (killing > enforced disappearance > torture > kidnapping > arbitrary detention > other
harmful act; then the earliest, then the first recorded) is the one the person is counted under,
with that act's perpetrator and that record's place and date. A case counts when its record is
verified (the OHCHR standard, "reasonable grounds to believe"), the victim is a person of one of
the three 16.10.1 groups, and HQ's review did not reject the record.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.engine import Connection

from fieldkit.hq.analysis import tables as a
from fieldkit.hq.indicators import sqlparts as q
from fieldkit.hq.indicators.model import Counts, Request

V, ACTS, P, R = a.an_victims, a.an_acts, a.an_perpetrators, a.an_records
YES, NO = "yes", "no"
WITHOUT, CONVICTED = "without_conviction", "convicted"


def _record_flags() -> sa.Subquery:
    """Per record: 1 when a perpetrator entry is an organised criminal group (``oc``), or
    reports state complicity (``sc``)."""
    return (
        sa.select(
            P.c.record_id,
            sa.func.max(q.flag(P.c.category == q.ORGANISED_CRIME)).label("oc"),
            sa.func.max(q.flag(P.c.state_complicity.in_(q.STATE_COMPLICITY))).label("sc"),
        )
        .group_by(P.c.record_id)
        .subquery("record_flags")
    )


def _case_conditions(acts: Sequence[str]) -> list[ColumnElement[bool]]:
    return [
        R.c.kind == "attack",
        R.c.verification == "verified",
        V.c.kind == "person",
        V.c.category.in_(q.SDG_CATEGORIES),
        ACTS.c.act_type.in_(acts),
    ]


def persons(
    request: Request,
    by: Sequence[str],
    acts: Sequence[str] = q.ACT_SEVERITY,
    *,
    flags: bool = False,
) -> sa.Subquery:
    """One row per (person, act) in the period, ``rn`` = 1 on the act the person is counted
    under, with dimensions ``d0``... of that row. With ``flags``, ``oc`` and ``sc`` are 1 when
    any of the person's counted acts is attributed to organised crime / has state complicity
    reported."""
    dims = {**q.record_dimensions(R), **q.victim_dimensions(V, ACTS)}
    order = (q.severity(ACTS.c.act_type), R.c.day_from, V.c.victim_id, ACTS.c.entry)
    joined = ACTS.join(V, V.c.victim_id == ACTS.c.victim_id).join(
        R, R.c.record_id == ACTS.c.record_id
    )
    extra: list[sa.ColumnElement[Any]] = []
    if flags:
        found = _record_flags()
        joined = joined.outerjoin(found, found.c.record_id == R.c.record_id)
        oc = sa.or_(ACTS.c.perpetrator == q.ORGANISED_CRIME, sa.func.coalesce(found.c.oc, 0) == 1)
        sc = sa.func.coalesce(found.c.sc, 0) == 1
        extra = [
            sa.func.max(q.flag(oc)).over(partition_by=V.c.person_id).label("oc"),
            sa.func.max(q.flag(sc)).over(partition_by=V.c.person_id).label("sc"),
        ]
    return (
        sa.select(
            V.c.person_id,
            sa.func.row_number().over(partition_by=V.c.person_id, order_by=order).label("rn"),
            *extra,
            ACTS.c.act_type,
            R.c.day_to,
            R.c.justice_status,
            R.c.justice_status_date,
            *q.labelled(dims, by),
        )
        .select_from(joined)
        .where(q.inside(request.filters, R), *_case_conditions(acts))
        .subquery("persons")
    )


def uncertain_persons(
    conn: Connection, request: Request, acts: Sequence[str] = q.ACT_SEVERITY
) -> int:
    """Persons with acts only in records that overlap the period without lying inside it."""
    acts_in, victims_in, records_in = ACTS.alias("a_in"), V.alias("v_in"), R.alias("r_in")
    counted = (
        sa.select(victims_in.c.person_id)
        .select_from(
            acts_in.join(victims_in, victims_in.c.victim_id == acts_in.c.victim_id).join(
                records_in, records_in.c.record_id == acts_in.c.record_id
            )
        )
        .where(
            victims_in.c.person_id == V.c.person_id,
            q.inside(request.filters, records_in),
            records_in.c.kind == "attack",
            records_in.c.verification == "verified",
            victims_in.c.kind == "person",
            victims_in.c.category.in_(q.SDG_CATEGORIES),
            acts_in.c.act_type.in_(acts),
        )
    )
    query = (
        sa.select(sa.func.count(sa.distinct(V.c.person_id)))
        .select_from(
            ACTS.join(V, V.c.victim_id == ACTS.c.victim_id).join(
                R, R.c.record_id == ACTS.c.record_id
            )
        )
        .where(q.overlapping_only(request.filters, R), *_case_conditions(acts))
        .where(~sa.exists(counted))
    )
    return int(conn.execute(query).scalar_one())


def _dims(subquery: sa.Subquery, count: int) -> list[sa.ColumnElement[str]]:
    return [subquery.c[f"d{n}"] for n in range(count)]


def sdg16101(conn: Connection, request: Request) -> Counts:
    """Persons, by the requested dimensions."""
    cases = persons(request, request.by)
    dims = _dims(cases, len(request.by))
    query = sa.select(*dims, sa.func.count()).where(cases.c.rn == 1).group_by(*dims)
    counts = Counts(columns=("persons",))
    for row in conn.execute(query):
        counts.add(tuple(row[:-1]), "persons", int(row[-1]))
    counts.uncertain = uncertain_persons(conn, request)
    return counts


def _share(conn: Connection, request: Request, flag_column: str) -> Counts:
    cases = persons(request, request.by, flags=True)
    dims = _dims(cases, len(request.by))
    flag = cases.c[flag_column]
    query = sa.select(*dims, flag, sa.func.count()).where(cases.c.rn == 1).group_by(*dims, flag)
    counts = Counts(columns=(YES, NO))
    for row in conn.execute(query):
        counts.add(tuple(row[:-2]), YES if row[-2] else NO, int(row[-1]))
    counts.uncertain = uncertain_persons(conn, request)
    return counts


def sdg16101_organised_crime(conn: Connection, request: Request) -> Counts:
    """Persons whose counted acts are attributed to an organised criminal group (yes/no)."""
    return _share(conn, request, "oc")


def sdg16101_state_complicity(conn: Connection, request: Request) -> Counts:
    """Persons whose records report state complicity (acquiescence, collusion, failure to
    protect) with a perpetrator (yes/no)."""
    return _share(conn, request, "sc")


KILLING_DISAPPEARANCE = ("killing", "enforced_disappearance")


def killings_disappearances(conn: Connection, request: Request) -> Counts:
    """Persons killed or disappeared (the more serious when both), by quarter."""
    by = ("quarter", *request.by)
    cases = persons(request, by, KILLING_DISAPPEARANCE)
    dims = _dims(cases, len(by))
    query = (
        sa.select(*dims, cases.c.act_type, sa.func.count())
        .where(cases.c.rn == 1)
        .group_by(*dims, cases.c.act_type)
    )
    counts = Counts(columns=KILLING_DISAPPEARANCE)
    for row in conn.execute(query):
        counts.add(tuple(row[:-2]), str(row[-2]), int(row[-1]))
    counts.uncertain = uncertain_persons(conn, request, KILLING_DISAPPEARANCE)
    return counts


HORIZONS = (12, 24)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _impunity(conn: Connection, request: Request, acts: Sequence[str]) -> Counts:
    """Per horizon (12, 24 months after the act's latest possible day), the persons whose case
    is old enough, split into ``convicted`` (full justice known by then) and the rest."""
    cases = persons(request, request.by, acts)
    dims = _dims(cases, len(request.by))
    query = sa.select(
        cases.c.day_to, cases.c.justice_status, cases.c.justice_status_date, *dims
    ).where(cases.c.rn == 1)
    counts = Counts(columns=(WITHOUT, CONVICTED))
    for row in conn.execute(query):
        day_to, status, status_date = row[0], row[1], row[2]
        event = date.fromisoformat(day_to)
        for months in HORIZONS:
            deadline = add_months(event, months)
            if deadline > request.as_of:
                continue  # too recent to judge at this horizon
            convicted = status == "full_justice" and (
                status_date is None or _last_day(status_date) <= deadline
            )
            key = (str(months), *(str(v) for v in row[3:]))
            counts.add(key, CONVICTED if convicted else WITHOUT)
    counts.uncertain = uncertain_persons(conn, request, acts)
    return counts


def _last_day(value: str) -> date:
    """A partial date's latest possible day: a conviction dated "2027" is known by 2027-12-31
    only (impunity is not understated)."""
    if len(value) >= 10:
        return date.fromisoformat(value[:10])
    if len(value) == 7:
        return add_months(date.fromisoformat(value + "-01"), 1) - timedelta(days=1)
    return date(int(value[:4]), 12, 31)


def impunity_killings(conn: Connection, request: Request) -> Counts:
    return _impunity(conn, request, ("killing",))


def impunity_cases(conn: Connection, request: Request) -> Counts:
    return _impunity(conn, request, q.ACT_SEVERITY)
