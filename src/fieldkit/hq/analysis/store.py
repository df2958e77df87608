"""Writing records' facts into the analysis tables, inside the caller's transaction.

:func:`write_facts` is called by the SQL repository while it stores a bundle (in the bundle's
own transaction: the revision and its rows are stored together or not at all) and by
:func:`fieldkit.hq.analysis.rebuild.rebuild`. A record's rows are replaced only by those of a
newer revision (at ingest) or of the same or a newer one (rebuild): an older revision arriving
later, or a rebuild reading a snapshot older than a concurrent ingest, changes nothing.

``received_at`` is the earliest ingest time of any of the record's revisions (kept across
replacements). A victim's ``person_id`` (set by victim linking) is kept when the record's rows
are replaced. Free-text places that matched nothing are looked up in ``place_settlements``.
A record's full-text search documents (:mod:`fieldkit.hq.analysis.search`) are replaced with
its rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.domain.places import normalise_place
from fieldkit.hq.analysis import search
from fieldkit.hq.analysis import tables as a
from fieldkit.hq.analysis.facts import Facts, PlaceStatus, Row
from fieldkit.hq.errors import RepositoryError
from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.rows import chunks, insert_values
from fieldkit.i18n import _


@dataclass(frozen=True)
class RecordFacts:
    """A record's facts with the ids of the revision they were made from."""

    record_id: str
    revision: int
    revision_sha256: str
    form_id: str
    form_version: str
    device_key_id: str
    received_at: str
    facts: Facts


def write_facts(conn: Connection, items: Iterable[RecordFacts], *, rebuild: bool = False) -> int:
    """Write the rows of ``items`` whose revision is newer than the one the record's rows come
    from (``rebuild``: or the same); returns how many records were written.

    Two transactions may write rows of the same record at once (PostgreSQL: ingests of two
    devices that both hold the record). A record's ``an_records`` row is inserted with ``ON
    CONFLICT DO NOTHING``, which waits for the other transaction: if that one wrote the record
    first, the record is judged again against what it committed."""
    newest: dict[str, RecordFacts] = {}
    for item in items:
        held = newest.get(item.record_id)
        if held is None or item.revision > held.revision:
            newest[item.record_id] = item
    written, lost = _write(conn, newest, rebuild)
    if lost:
        again, lost = _write(conn, {item.record_id: item for item in lost}, rebuild)
        written += again
    if lost:
        raise RepositoryError(
            _("The repository refused the change (a database constraint); nothing was stored.")
        )
    return written


def _write(
    conn: Connection, newest: dict[str, RecordFacts], rebuild: bool
) -> tuple[int, list[RecordFacts]]:
    """Write what is newer than the rows held; returns how many records were written and those
    another transaction wrote meanwhile (to judge again)."""
    if not newest:
        return 0, []
    current = _current(conn, newest)
    chosen: list[RecordFacts] = []
    for record_id, item in sorted(newest.items()):
        stored = current.get(record_id)
        if stored is None or stored[0] < item.revision or (rebuild and stored[0] == item.revision):
            chosen.append(item)
    if not chosen:
        return 0, []
    held = [item.record_id for item in chosen if item.record_id in current]
    received = {record_id: current[record_id][1] for record_id in held}
    earlier = [i.record_id for i in chosen if i.revision > 1 and i.record_id not in current]
    if earlier and not rebuild:  # revisions stored before these rows existed
        received.update(first_received(conn, earlier))
    persons = _linked_persons(conn, held)
    settled = _settlements(conn, [item.facts.record for item in chosen])
    delete_rows(conn, held)
    rows = _rows(chosen, received, persons, settled)
    inserted = _insert_records(conn, rows.pop(a.an_records))
    layout = _layout()
    for table, table_rows in rows.items():
        if len(inserted) < len(chosen):
            at = layout.record_at[table]
            table_rows = [row for row in table_rows if row[at] in inserted]
        insert_values(conn, table, layout.columns[table], table_rows)
    search.insert_documents(
        conn, ((i.record_id, i.facts.search) for i in chosen if i.record_id in inserted)
    )
    return len(inserted), [item for item in chosen if item.record_id not in inserted]


@dataclass(frozen=True)
class _Layout:
    """Each analysis table's columns, in the order of the value tuples :func:`_rows` makes
    (made on first use: the tables' module may still be importing when this one is)."""

    columns: dict[sa.Table, tuple[str, ...]]
    record_at: dict[sa.Table, int]
    """Where ``record_id`` is in each table's tuples."""
    entries: dict[sa.Table, tuple[str, ...]]
    """The columns after ``record_id`` (always first) of the tables of one row per entry, in
    the order of :func:`_entry_facts`."""


@cache
def _layout() -> _Layout:
    columns = {table: tuple(table.c.keys()) for table in a.ANALYSIS_TABLES}
    entry_tables = (a.an_perpetrators, a.an_sources, a.an_actors, a.an_quantities, a.an_exploited)
    return _Layout(
        columns,
        {table: names.index("record_id") for table, names in columns.items()},
        {table: columns[table][1:] for table in entry_tables},
    )


def _entry_facts(facts: Facts) -> tuple[list[Row], ...]:
    """The facts of :attr:`_Layout.entries`' tables, in its order."""
    return facts.perpetrators, facts.sources, facts.actors, facts.quantities, facts.exploited


def _insert_records(conn: Connection, rows: list[tuple[Any, ...]]) -> set[str]:
    """Insert ``an_records`` rows, skipping those whose record has a row by now; returns the
    records inserted.

    SQLite: writers take turns (the write lock is held from the transaction's first
    statement), so no row can have appeared since :func:`_current` read them: a plain insert.
    PostgreSQL: COPY into a temporary table, then ``INSERT ... ON CONFLICT DO NOTHING
    RETURNING``, which waits for a concurrent transaction inserting the same record."""
    if not rows:
        return set()
    table = a.an_records
    columns = _layout().columns[table]
    at = _layout().record_at[table]
    if conn.dialect.name != "postgresql":
        insert_values(conn, table, columns, rows)
        return {str(row[at]) for row in rows}
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {_NEW_RECORDS} (LIKE an_records) ON COMMIT DELETE ROWS"
    )
    conn.exec_driver_sql(f"TRUNCATE {_NEW_RECORDS}")
    insert_values(conn, sa.table(_NEW_RECORDS), columns, rows)
    inserted = conn.exec_driver_sql(
        f"INSERT INTO an_records SELECT * FROM {_NEW_RECORDS} "  # noqa: S608 - fixed names
        "ON CONFLICT DO NOTHING RETURNING record_id"
    )
    return {str(record_id) for record_id in inserted.scalars()}


_NEW_RECORDS = "fieldkit_new_an_records"
"""PostgreSQL: the temporary table :func:`_insert_records` copies new rows into."""


def delete_rows(conn: Connection, record_ids: Sequence[str]) -> None:
    """Delete every analysis row and search document of these records."""
    search.delete_documents(conn, record_ids)
    for chunk in chunks(record_ids):
        for table in (*a.CHILD_TABLES, a.an_records):
            conn.execute(table.delete().where(table.c.record_id.in_(chunk)))


def _current(conn: Connection, records: Iterable[str]) -> dict[str, tuple[int, str]]:
    """For the records that have rows: (revision, received_at). PostgreSQL: the rows are
    locked until the transaction ends, so that no other transaction replaces them between this
    judgement and the replacement (a row another one replaced meanwhile reads as absent, and
    the insert's conflict then has the record judged again)."""
    r = a.an_records.c
    found: dict[str, tuple[int, str]] = {}
    for chunk in chunks(records):
        query = (
            sa.select(r.record_id, r.revision, r.received_at)
            .where(r.record_id.in_(chunk))
            .with_for_update()
        )
        for record_id, revision, received_at in conn.execute(query):
            found[record_id] = (revision, received_at)
    return found


def _linked_persons(conn: Connection, record_ids: Sequence[str]) -> dict[str, str]:
    """victim_id -> person_id of these records' victims linked to another person."""
    v = a.an_victims.c
    found: dict[str, str] = {}
    for chunk in chunks(record_ids):
        query = sa.select(v.victim_id, v.person_id).where(
            v.record_id.in_(chunk), v.person_id != v.victim_id
        )
        found.update((str(victim), str(person)) for victim, person in conn.execute(query))
    return found


def _settlements(conn: Connection, records: Sequence[Row]) -> dict[tuple[str, str], str]:
    """(country, normalised text) -> code, for the unmatched places among ``records``."""
    wanted = {
        (record["country"], normalise_place(record["admin1_text"]))
        for record in records
        if record.get("admin1_status") == PlaceStatus.UNMATCHED
        and record.get("country")
        and record.get("admin1_text")
    }
    if not wanted:
        return {}
    if conn.dialect.name == "postgresql":
        # A settlement made while this transaction runs must not miss its rows: settling waits
        # for this lock (its upsert conflicts with it) and then sees the rows written here, or
        # this waits for the settlement to commit and then reads it.
        conn.exec_driver_sql("LOCK TABLE place_settlements IN SHARE MODE")
    s = a.place_settlements.c
    found: dict[tuple[str, str], str] = {}
    for country in sorted({country for country, _text in wanted}):
        texts = [text for c, text in wanted if c == country]
        for chunk in chunks(texts):
            query = sa.select(s.text_norm, s.admin1).where(
                s.country == country, s.text_norm.in_(chunk)
            )
            found.update({(country, text): code for text, code in conn.execute(query)})
    return found


def _record_row(
    item: RecordFacts, received_at: str, settled: dict[tuple[str, str], str]
) -> tuple[Any, ...]:
    row: dict[str, Any] = dict(item.facts.record)
    if row.get("admin1_status") == PlaceStatus.UNMATCHED:
        code = settled.get((row["country"], normalise_place(row["admin1_text"])))
        if code is not None:
            row.update(admin1=code, admin1_status=PlaceStatus.SETTLED)
    row.update(
        record_id=item.record_id,
        revision_sha256=item.revision_sha256,
        revision=item.revision,
        form_id=item.form_id,
        form_version=item.form_version,
        kind=item.facts.kind,
        device_key_id=item.device_key_id,
        received_at=received_at,
    )
    return tuple(map(row.get, _layout().columns[a.an_records]))


def _rows(
    chosen: Sequence[RecordFacts],
    received: dict[str, str],
    persons: dict[str, str],
    settled: dict[tuple[str, str], str],
) -> dict[sa.Table, list[tuple[Any, ...]]]:
    """The rows of every analysis table for ``chosen`` (``received``: when HQ first stored a
    revision of a record, if before this one), as value tuples in the order of the table's
    columns (:class:`_Layout`; a key of a fact that names no column is left out)."""
    layout = _layout()
    rows: dict[sa.Table, list[tuple[Any, ...]]] = {table: [] for table in a.ANALYSIS_TABLES}
    records, markets, commodities = rows[a.an_records], rows[a.an_markets], rows[a.an_commodities]
    victim_columns, act_columns = layout.columns[a.an_victims], layout.columns[a.an_acts]
    entry_tables = [(rows[table], columns) for table, columns in layout.entries.items()]
    for item in chosen:
        record_id = item.record_id
        first = min(received.get(record_id, item.received_at), item.received_at)
        records.append(_record_row(item, first, settled))
        facts = item.facts
        for victim in facts.victims:
            victim_id = f"{record_id}.{victim['entry']}"
            person = persons.get(victim_id, victim_id)
            row = {**victim, "record_id": record_id, "victim_id": victim_id, "person_id": person}
            rows[a.an_victims].append(tuple(map(row.get, victim_columns)))
        for act in facts.acts:
            row = {k: v for k, v in act.items() if k != "victim"}
            row.update(record_id=record_id, victim_id=f"{record_id}.{act['victim']}")
            rows[a.an_acts].append(tuple(map(row.get, act_columns)))
        for (table_rows, columns), entries in zip(entry_tables, _entry_facts(facts), strict=True):
            table_rows.extend((record_id, *map(entry.get, columns)) for entry in entries)
        markets.extend((record_id, market) for market in facts.markets)
        commodities.extend((record_id, commodity) for commodity in facts.commodities)
    return rows


def first_received(conn: Connection, record_ids: Sequence[str]) -> dict[str, str]:
    """For each record, when HQ first stored one of its revisions (its bundle's ingest time)."""
    r, b = t.revisions.c, t.bundles.c
    found: dict[str, str] = {}
    for chunk in chunks(record_ids):
        query = (
            sa.select(r.record_id, sa.func.min(b.ingested_at))
            .join_from(t.revisions, t.bundles, r.manifest_sha256 == b.manifest_sha256)
            .where(r.record_id.in_(chunk))
            .group_by(r.record_id)
        )
        found.update((str(record_id), str(first)) for record_id, first in conn.execute(query))
    return found
