"""Queries of the illicit-market indicators (GI-TOC Global Organized Crime Index markets and
actor types, seen from a mission's observations) and of the violence nexus.

The unit is an observation of a market: an observation record naming two markets counts once
for each (so that counts by market add up to the table's total).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.hq.analysis import tables as a
from fieldkit.hq.analysis.filters import Filters
from fieldkit.hq.indicators import sqlparts as q
from fieldkit.hq.indicators.model import Counts, Request

R, M, ACTORS = a.an_records, a.an_markets, a.an_actors
OBSERVATIONS = "observations"
PREVIOUS, CURRENT = "previous", "current"
INVOLVED, NOT_INVOLVED = "involved", "not_involved"
NEAR, NOT_NEAR = "near", "not_near"
EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG)."""


def _dimensions() -> dict[str, sa.ColumnElement[str]]:
    return {**q.record_dimensions(R), "market": M.c.market}


def _observations(filters: Filters, by: tuple[str, ...]) -> Any:
    dims = q.labelled(_dimensions(), by)
    return (
        sa.select(*dims, sa.func.count())
        .select_from(M.join(R, R.c.record_id == M.c.record_id))
        .where(R.c.kind == "market", q.inside(filters, R))
        .group_by(*dims)
    )


def _uncertain(conn: Connection, filters: Filters) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(M.join(R, R.c.record_id == M.c.record_id))
        .where(R.c.kind == "market", q.overlapping_only(filters, R))
    )
    return int(conn.execute(query).scalar_one())


def observations(conn: Connection, request: Request) -> Counts:
    """Observations of each market in the period, by the requested dimensions."""
    counts = Counts(columns=(OBSERVATIONS,))
    for row in conn.execute(_observations(request.filters, request.by)):
        counts.add(tuple(row[:-1]), OBSERVATIONS, int(row[-1]))
    counts.uncertain = _uncertain(conn, request.filters)
    return counts


def trend(conn: Connection, request: Request) -> Counts:
    """Observations in the period against the period before it (same length)."""
    previous = request.period.previous()
    before = Filters.of_period(
        previous, country=request.filters.country, admin1=request.filters.admin1
    )
    counts = Counts(columns=(PREVIOUS, CURRENT))
    for column, filters in ((PREVIOUS, before), (CURRENT, request.filters)):
        for row in conn.execute(_observations(filters, request.by)):
            counts.add(tuple(row[:-1]), column, int(row[-1]))
    counts.uncertain = _uncertain(conn, request.filters)
    return counts


def newly_seen(conn: Connection, request: Request) -> Counts:
    """Markets observed in a first-level place in the period and never there before it: their
    observations in the period, by country, place and market."""
    by = ("country", "admin1", "market")
    dims = _dimensions()
    earlier_records = R.alias("earlier")
    earlier_markets = M.alias("earlier_markets")
    start = request.filters.date_from.isoformat() if request.filters.date_from else "0000"
    seen_before = (
        sa.select(earlier_markets.c.record_id)
        .select_from(
            earlier_markets.join(
                earlier_records, earlier_records.c.record_id == earlier_markets.c.record_id
            )
        )
        .where(
            earlier_records.c.kind == "market",
            earlier_records.c.day_from < start,
            earlier_markets.c.market == M.c.market,
            earlier_records.c.country == R.c.country,
            earlier_records.c.admin1 == R.c.admin1,
            q.not_rejected(earlier_records),
        )
    )
    labelled = q.labelled(dims, by)
    query = (
        sa.select(*labelled, sa.func.count())
        .select_from(M.join(R, R.c.record_id == M.c.record_id))
        .where(R.c.kind == "market", R.c.admin1.is_not(None), q.inside(request.filters, R))
        .where(~sa.exists(seen_before))
        .group_by(*labelled)
    )
    counts = Counts(columns=(OBSERVATIONS,))
    for row in conn.execute(query):
        counts.add(tuple(row[:-1]), OBSERVATIONS, int(row[-1]))
    counts.uncertain = _uncertain(conn, request.filters)
    return counts


def actor_shares(conn: Connection, request: Request) -> Counts:
    """Per actor type: observation records involving it, and those not (the row total is every
    observation record in scope, the same on each row of one place and time)."""
    record_dims = q.record_dimensions(R)
    other = tuple(name for name in request.by if name != "actor_type")
    dims = q.labelled(record_dims, other)
    totals_query = (
        sa.select(*dims, sa.func.count())
        .where(R.c.kind == "market", q.inside(request.filters, R))
        .group_by(*dims)
    )
    totals = {tuple(row[:-1]): int(row[-1]) for row in conn.execute(totals_query)}
    involved_query = (
        sa.select(ACTORS.c.actor_type, *dims, sa.func.count(sa.distinct(R.c.record_id)))
        .select_from(ACTORS.join(R, R.c.record_id == ACTORS.c.record_id))
        .where(R.c.kind == "market", q.inside(request.filters, R), ACTORS.c.actor_type.is_not(None))
        .group_by(ACTORS.c.actor_type, *dims)
    )
    counts = Counts(columns=(INVOLVED, NOT_INVOLVED))
    for row in conn.execute(involved_query):
        actor, key, involved = str(row[0]), tuple(row[1:-1]), int(row[-1])
        values = dict(zip(other, key, strict=True))
        full = tuple(actor if name == "actor_type" else values[name] for name in request.by)
        counts.add(full, INVOLVED, involved)
        counts.add(full, NOT_INVOLVED, totals.get(key, 0) - involved)
    counts.uncertain = _uncertain(conn, request.filters)
    return counts


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on the mean Earth sphere."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def certainly_within(a_from: str, a_to: str, b_from: str, b_to: str, days: int) -> bool:
    """Every possible day of one event lies within ``days`` of every possible day of the other
    (a record dated only "2026" is near nothing)."""
    first = (date.fromisoformat(a_to) - date.fromisoformat(b_from)).days
    second = (date.fromisoformat(b_to) - date.fromisoformat(a_from)).days
    return max(abs(first), abs(second)) <= days


def nexus(conn: Connection, request: Request) -> Counts:
    """Verified-or-not attack records in the period, split into those within ``distance_km``
    and ``days`` of a market observation (any date) and the others. Attacks without
    coordinates are not judged (``not_evaluated``)."""
    attacks = R.alias("attack")
    markets = R.alias("market")
    dims = q.labelled(q.record_dimensions(attacks), request.by)
    scope = [attacks.c.kind == "attack", q.inside(request.filters, attacks)]
    located = [attacks.c.lat.is_not(None), attacks.c.lon.is_not(None)]
    rows = conn.execute(sa.select(attacks.c.record_id, *dims).where(*scope, *located)).all()
    dlat = request.distance_km / 111.0 + 0.01
    pairs = conn.execute(
        sa.select(
            attacks.c.record_id,
            attacks.c.lat,
            attacks.c.lon,
            attacks.c.day_from,
            attacks.c.day_to,
            markets.c.lat,
            markets.c.lon,
            markets.c.day_from,
            markets.c.day_to,
        )
        .select_from(
            attacks.join(
                markets,
                sa.and_(
                    markets.c.kind == "market",
                    markets.c.lat.is_not(None),
                    markets.c.lon.is_not(None),
                    markets.c.day_from.is_not(None),
                    markets.c.lat.between(attacks.c.lat - dlat, attacks.c.lat + dlat),
                    q.not_rejected(markets),
                ),
            )
        )
        .where(*scope, *located)
    )
    near: set[str] = set()
    for record_id, lat1, lon1, af, at, lat2, lon2, mf, mt in pairs:
        if record_id in near:
            continue
        if certainly_within(af, at, mf, mt, request.days) and (
            haversine_km(lat1, lon1, lat2, lon2) <= request.distance_km
        ):
            near.add(record_id)
    counts = Counts(columns=(NEAR, NOT_NEAR))
    for row in rows:
        counts.add(tuple(row[1:]), NEAR if row[0] in near else NOT_NEAR)
    unlocated = (
        sa.select(sa.func.count())
        .select_from(attacks)
        .where(*scope, sa.or_(attacks.c.lat.is_(None), attacks.c.lon.is_(None)))
    )
    counts.not_evaluated = int(conn.execute(unlocated).scalar_one())
    return counts
