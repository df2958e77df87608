"""Queries of the data-quality indicators: how much of what HQ holds is verified, precise,
placed, and how long it takes to reach HQ. The unit is a record (either shipped form, or any
other form with a date)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.hq.analysis import tables as a
from fieldkit.hq.indicators import sqlparts as q
from fieldkit.hq.indicators.model import Counts, Request

R = a.an_records
YES, NO = "yes", "no"
PLACE_STATUSES = ("coded", "matched", "settled", "unmatched", "missing")


def _uncertain(conn: Connection, request: Request) -> int:
    query = sa.select(sa.func.count()).where(q.overlapping_only(request.filters, R))
    return int(conn.execute(query).scalar_one())


def _split(
    condition: Callable[[], sa.ColumnElement[bool]],
) -> Callable[[Connection, Request], Counts]:
    def build(conn: Connection, request: Request) -> Counts:
        dims = q.labelled(q.record_dimensions(R), request.by)
        flag = q.flag(condition()).label("flag")
        query = (
            sa.select(*dims, flag, sa.func.count())
            .where(q.inside(request.filters, R))
            .group_by(*dims, flag)
        )
        counts = Counts(columns=(YES, NO))
        for row in conn.execute(query):
            counts.add(tuple(row[:-2]), YES if row[-2] else NO, int(row[-1]))
        counts.uncertain = _uncertain(conn, request)
        return counts

    return build


verified = _split(lambda: R.c.verification == "verified")
place_precision = _split(lambda: R.c.geo_precision == 1)
time_precision = _split(lambda: R.c.time_precision == 1)


def places(conn: Connection, request: Request) -> Counts:
    """Records by how their first-level place is known (coded ... unmatched, missing)."""
    dims = q.labelled(q.record_dimensions(R), request.by)
    query = (
        sa.select(*dims, R.c.admin1_status, sa.func.count())
        .where(q.inside(request.filters, R))
        .group_by(*dims, R.c.admin1_status)
    )
    counts = Counts(columns=PLACE_STATUSES)
    for row in conn.execute(query):
        counts.add(tuple(row[:-2]), str(row[-2]), int(row[-1]))
    counts.uncertain = _uncertain(conn, request)
    return counts


def delay(conn: Connection, request: Request) -> Counts:
    """Records, and the median of days from the event's latest possible day to the day HQ
    first received the record."""
    dims = q.labelled(q.record_dimensions(R), request.by)
    query = sa.select(R.c.day_to, R.c.received_at, *dims).where(q.inside(request.filters, R))
    delays: dict[tuple[str, ...], list[int]] = {}
    for row in conn.execute(query):
        days = (date.fromisoformat(str(row[1])[:10]) - date.fromisoformat(row[0])).days
        delays.setdefault(tuple(row[2:]), []).append(days)
    counts = Counts(columns=("records",))
    for key, values in delays.items():
        counts.add(key, "records", len(values))
        counts.statistics[key] = float(statistics.median(values))
    counts.uncertain = _uncertain(conn, request)
    return counts
