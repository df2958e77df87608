"""The records list: one page of records matching the filters, newest received first.

Built to stay fast on millions of records:

- keyset paging: a page ends with a cursor (the last row's ``received_at`` and record id) and
  the next page reads the rows after it, by index (``an_records (received_at, record_id)``, and
  the same after form, device, country or first-level place; migration 0007); no OFFSET;
- no exact count: the matching records are counted up to :data:`COUNT_CAP` and the page says
  "more than" beyond it. With a period, they are counted in the order of ``day_to``, from the
  period's first day on (``an_records (day_to, day_from)``, alone and after country or
  first-level place): the records ending inside the period come first and all overlap it, so
  the cap is reached after a few thousand rows. Unordered, PostgreSQL over-estimates how many
  records overlap a period (two columns, estimated apart) and walks the whole table in another
  order to find them;
- each page's labels are looked up for its rows only (forms parsed once, markets of the page's
  records in one query).

What a row shows follows the reader's role: a viewer sees the months of the record's span (days
are restricted answers) and no classification (a restricted answer).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement

from fieldkit.hq.analysis import search
from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.analysis.tables import an_markets, an_records
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.tables_review import review_status
from fieldkit.hq.workspace.filters import RecordFilters, reads_restricted
from fieldkit.hq.workspace.labels import (
    FormLabels,
    month_span,
    place_label,
    review_label,
    span_label,
)
from fieldkit.i18n import _

PAGE_SIZE = 50
COUNT_CAP = 1000
"""Matching records are counted up to this; beyond, the list says "more than"."""
WINDOW = 5000
"""Newest records checked for words first, to tell common words from rare ones."""
SHORT_ID = (6, 4)
"""The first and last characters of a record id the list shows (the page of a record shows
it whole)."""


def short_id(record_id: str) -> str:
    """A record id shortened for lists: "3f9a1c…07be"."""
    head, tail = SHORT_ID
    return f"{record_id[:head]}…{record_id[-tail:]}"


_CURSOR = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)~([0-9a-f]{32})$")


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the next page starts after this row."""

    received_at: str
    record_id: str

    @property
    def token(self) -> str:
        """The cursor as the ``after`` query parameter carries it."""
        return f"{self.received_at}~{self.record_id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        found = _CURSOR.match(text.strip())
        if found is None:
            raise InvalidInputError(
                _(
                    "'{text}' is not a position in the records list: "
                    "start again from its first page."
                ).format(text=text[:60])
            )
        return cls(found[1], found[2])


@dataclass(frozen=True)
class RecordRow:
    record_id: str
    short_id: str
    form_id: str
    form_title: str
    when: str
    """The date or span (months only for a viewer)."""
    place: str
    what: str
    """The most serious act of an attack, the markets of an observation."""
    classification: str | None
    """Analysts only (a restricted answer)."""
    review: str
    review_label: str
    device_key_id: str
    device_name: str
    received_at: str


@dataclass(frozen=True)
class RecordPage:
    rows: list[RecordRow]
    next: Cursor | None
    """Where the next page starts; None on the last page."""
    count: int
    """Matching records, counted up to :data:`COUNT_CAP`."""
    more: bool
    """More than :data:`COUNT_CAP` records match."""
    first_page: bool
    at_least: bool = False
    """:attr:`count` is a lower bound: at least that many records match (common words)."""


def list_records(
    repository: Repository,
    filters: RecordFilters,
    role: str,
    language: str,
    *,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> RecordPage:
    """One page of the records matching ``filters`` as ``role`` may filter and see them."""
    cursor = Cursor.parse(after) if after else None
    r = an_records.c
    with transaction(repository) as conn:
        where, known, at_least = _selection(conn, filters, role, limit)
        keys = sa.select(r.record_id).where(where)
        if cursor is not None:
            keys = keys.where(
                sa.tuple_(r.received_at, r.record_id)
                < sa.tuple_(cursor.received_at, cursor.record_id)
            )
        keys = keys.order_by(r.received_at.desc(), r.record_id.desc()).limit(limit + 1)
        found = conn.execute(
            row_query()
            .where(r.record_id.in_(keys.scalar_subquery()))
            .order_by(r.received_at.desc(), r.record_id.desc())
        ).all()
        if known is None:
            capped = sa.select(r.record_id).where(where)
            if filters.base.date_from is not None:
                capped = capped.order_by(r.day_to)
            counted = sa.select(sa.func.count()).select_from(capped.limit(COUNT_CAP + 1).subquery())
            known = int(conn.execute(counted).scalar_one())
        page = found[:limit]
        rows = record_rows(conn, page, FormLabels(repository), role, language)
    last = page[-1] if page and len(found) > limit else None
    return RecordPage(
        rows,
        None if last is None else Cursor(last.received_at, last.record_id),
        min(known, COUNT_CAP),
        known > COUNT_CAP,
        cursor is None,
        at_least and known <= COUNT_CAP,
    )


def _selection(
    conn: sa.Connection, filters: RecordFilters, role: str, limit: int
) -> tuple[ColumnElement[bool], int | None, bool]:
    """The WHERE clause of the page, the count when it is known already, and whether that count
    is a lower bound.

    With words, the newest :data:`WINDOW` records of the other filters are checked first, record
    by record (by the search table's primary key). When they hold a page of matches, the words
    are common: the page is read along the list's order with that same check, which stops at
    its last row, and the count says "at least". Otherwise the matches are looked up in the
    search index alone, up to :data:`COUNT_CAP` + 1: when they are that few, the page reads
    just those records by id (a rare word costs what its matches cost, not a scan)."""
    if filters.q is None or not filters.terms:
        return filters.where(role), None, False
    r = an_records.c
    base = filters.where(role, full_text=False)
    dialect, terms, scope = conn.dialect.name, filters.terms, filters.scope(role)
    newest = (
        sa.select(r.record_id)
        .where(base)
        .order_by(r.received_at.desc(), r.record_id.desc())
        .limit(WINDOW)
        .subquery()
    )
    seen = sa.select(sa.func.count()).where(search.holds(dialect, newest.c.record_id, terms, scope))
    found = int(conn.execute(seen.select_from(newest)).scalar_one())
    holds = sa.and_(base, search.holds(dialect, r.record_id, terms, scope))
    if found > limit:
        return holds, min(found, COUNT_CAP + 1), True
    ids = list(conn.execute(search.matching(dialect, terms, scope).limit(COUNT_CAP + 1)).scalars())
    if len(ids) > COUNT_CAP:
        return holds, None if filters.narrowed else COUNT_CAP + 1, False
    clause = sa.and_(base, r.record_id.in_(ids))
    return clause, None if filters.narrowed else len(ids), False


def row_query() -> sa.Select[Any]:
    """The columns a row of the list is made of (:func:`record_rows`), over ``an_records``."""
    r = an_records.c
    return (
        sa.select(
            r.record_id,
            r.form_id,
            r.form_version,
            r.kind,
            r.date_start,
            r.date_end,
            r.day_from,
            r.day_to,
            r.country,
            r.admin1,
            r.most_serious_act,
            r.classification,
            r.device_key_id,
            r.received_at,
            sa.func.coalesce(review_status.c.status, "unreviewed").label("review"),
            t.devices.c.name.label("device_name"),
        )
        .select_from(an_records)
        .outerjoin(review_status, review_status.c.record_id == r.record_id)
        .outerjoin(t.devices, t.devices.c.key_id == r.device_key_id)
    )


def record_rows(
    conn: sa.Connection, found: Sequence[Any], labels: FormLabels, role: str, language: str
) -> list[RecordRow]:
    """The rows of :func:`row_query` as the list shows them to ``role``."""
    markets = _markets(conn, [row.record_id for row in found if row.kind == "market"])
    return [_row(row, markets, labels, role, language) for row in found]


def _markets(conn: sa.Connection, record_ids: list[str]) -> dict[str, list[str]]:
    if not record_ids:
        return {}
    m = an_markets.c
    found: dict[str, list[str]] = {}
    query = sa.select(m.record_id, m.market).where(m.record_id.in_(record_ids)).order_by(m.market)
    for record_id, market in conn.execute(query):
        found.setdefault(record_id, []).append(market)
    return found


def _row(
    row: Any, markets: dict[str, list[str]], labels: FormLabels, role: str, language: str
) -> RecordRow:
    restricted = reads_restricted(role)
    form_id, version = row.form_id, row.form_version
    if row.kind == "attack" and row.most_serious_act:
        what = labels.choice(form_id, version, "act_type", row.most_serious_act, language)
    else:
        what = ", ".join(
            labels.choice(form_id, version, "market", code, language)
            for code in markets.get(row.record_id, [])
        )
    classification = None
    if restricted and row.classification:
        classification = labels.choice(
            form_id, version, "classification", row.classification, language
        )
    return RecordRow(
        record_id=row.record_id,
        short_id=short_id(row.record_id),
        form_id=form_id,
        form_title=labels.title(form_id, version, language),
        when=(
            span_label(row.date_start, row.date_end)
            if restricted
            else month_span(row.day_from, row.day_to)
        ),
        place=place_label(row.country, row.admin1, language),
        what=what,
        classification=classification,
        review=row.review,
        review_label=review_label(row.review),
        device_key_id=row.device_key_id,
        device_name=row.device_name or row.device_key_id[:12],
        received_at=row.received_at,
    )


__all__ = [
    "COUNT_CAP",
    "PAGE_SIZE",
    "Cursor",
    "RecordPage",
    "RecordRow",
    "list_records",
    "record_rows",
    "row_query",
    "short_id",
]
