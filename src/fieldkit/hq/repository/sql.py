"""The SQL backend of the HQ repository: one implementation for SQLite (a file) and PostgreSQL.

Every method takes a connection from the pool, runs one transaction and gives the connection
back; nothing stays open between calls (except while :meth:`SqlRepository.iter_revisions`
streams on PostgreSQL, see there). Engines, pragmas, error translation and migrations are in
:mod:`.database`; rows and shared queries in :mod:`.rows`.

:meth:`SqlRepository.store_bundle` runs in one write transaction: on SQLite it holds SQLite's
write lock from its first statement (``BEGIN IMMEDIATE``); on PostgreSQL it first locks the
device's row (``SELECT ... FOR UPDATE``, READ COMMITTED), so ingests of one device queue and
every statement after the lock sees what the previous ingest committed. Rows that ingests of
other devices may insert at the same time (forms, attachments) are inserted with ``ON CONFLICT
DO NOTHING`` in hash order, so that concurrent ingests neither fail nor deadlock on them.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from fieldkit.bundle import DeviceIdentityFile
from fieldkit.hq.analysis import store as analysis  # a module: it imports this package too
from fieldkit.hq.errors import NotFoundError, RepositoryError
from fieldkit.hq.repository import rows
from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.base import (
    TABLES,
    Alarm,
    AlarmKind,
    BundleBatch,
    Device,
    IssuedReceipt,
    NewAlarm,
    NewRevision,
    PartChecker,
    RecordSummary,
    Repository,
    SealedPart,
    StoredBundle,
    StoredForm,
    StoredRevision,
    StoreOutcome,
    check_chain,
    check_conflicts,
    missing_between,
    other_identity_error,
    outcome,
)
from fieldkit.hq.repository.database import (
    WRITE,
    database_errors,
    postgres_engine,
    sqlite_engine,
    upgrade,
)
from fieldkit.hq.repository.sync_sql import SqlSyncStore
from fieldkit.i18n import _

__all__ = ["PAGE", "SqlRepository", "postgres_engine", "sqlite_engine", "upgrade"]

log = logging.getLogger(__name__)

PAGE = 1000
"""Revisions per page (SQLite) or per fetch from the server-side cursor (PostgreSQL)."""


class SqlRepository(SqlSyncStore, Repository):
    """The repository on an SQLAlchemy engine (SQLite or PostgreSQL); migrates when opened."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        upgrade(engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _transaction(self, *, write: bool = False) -> Iterator[Connection]:
        with database_errors(self._engine.url), self._engine.connect() as connection:
            if write:
                connection.execution_options(**{WRITE: True})
            with connection.begin():
                yield connection

    @contextmanager
    def _custom_plans(self, conn: Connection) -> Iterator[None]:
        """PostgreSQL: plan the lookups of an ingest with their own values. psycopg prepares a
        statement run a few times, and the server then keeps one generic plan for it; a plan
        chosen while the revisions table was nearly empty (a sequential scan for ``sha256 IN
        (...)``) would make every later ingest slower as the table grows (measured: 5 to 25
        times slower by the third bundle of 10,000). The inserts after it keep their prepared
        plans."""
        if not self._postgres:
            yield
            return
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")
        yield
        conn.exec_driver_sql("SET LOCAL plan_cache_mode TO DEFAULT")

    def _insert_if_absent(self, table: sa.Table) -> sa.Insert:
        insert = postgresql.insert if self._postgres else sqlite.insert
        return insert(table).on_conflict_do_nothing()

    # -- devices -----------------------------------------------------------------------------------

    def add_device(self, identity: DeviceIdentityFile, registered_at: str) -> tuple[Device, bool]:
        new = Device.from_identity(identity, registered_at)
        with self._transaction(write=True) as conn:
            # Does nothing if the key id or the public key is registered already (also when a
            # concurrent registration of the same device has just committed).
            insert = self._insert_if_absent(t.devices).returning(t.devices.c.key_id)
            if conn.execute(insert, rows.device_row(new)).first() is not None:
                return new, True
            row = conn.execute(sa.select(t.devices).where(t.devices.c.key_id == new.key_id)).first()
        existing = None if row is None else rows.to_device(row)
        if existing is None or (existing.public_key, existing.age_recipient) != (
            new.public_key,
            new.age_recipient,
        ):
            raise other_identity_error()
        return existing, False

    def device(self, key_id: str) -> Device | None:
        with self._transaction() as conn:
            row = conn.execute(sa.select(t.devices).where(t.devices.c.key_id == key_id)).first()
        return None if row is None else rows.to_device(row)

    def devices(self) -> list[Device]:
        query = sa.select(t.devices).order_by(t.devices.c.registered_at, t.devices.c.key_id)
        with self._transaction() as conn:
            return [rows.to_device(row) for row in conn.execute(query)]

    def revoke_device(self, key_id: str, from_sequence: int, revoked_at: str) -> Device:
        with self._transaction(write=True) as conn:
            return rows.revoke_device(conn, key_id, from_sequence, revoked_at)[0]

    def mark_lost(self, key_id: str, lost_at: str) -> Device:
        with self._transaction(write=True) as conn:
            return rows.mark_lost(conn, key_id, lost_at)[0]

    # -- bundles -----------------------------------------------------------------------------------

    def bundle(self, manifest_sha256: str) -> StoredBundle | None:
        with self._transaction() as conn:
            found = rows.select_bundles(conn, t.bundles.c.manifest_sha256 == manifest_sha256)
        return found[0] if found else None

    def bundle_at(self, device_key_id: str, sequence: int) -> StoredBundle | None:
        where = sa.and_(
            t.bundles.c.device_key_id == device_key_id, t.bundles.c.sequence == sequence
        )
        with self._transaction() as conn:
            found = rows.select_bundles(conn, where)
        return found[0] if found else None

    def last_sequence(self, device_key_id: str) -> int:
        query = sa.select(sa.func.max(t.bundles.c.sequence)).where(
            t.bundles.c.device_key_id == device_key_id
        )
        with self._transaction() as conn:
            return int(conn.execute(query).scalar() or 0)

    def missing_sequences(self, device_key_id: str) -> list[int]:
        query = sa.select(t.bundles.c.sequence).where(t.bundles.c.device_key_id == device_key_id)
        with self._transaction() as conn:
            return missing_between(conn.execute(query).scalars().all())

    def known_revisions(self, hashes: Collection[str]) -> set[str]:
        with self._transaction() as conn:
            return rows.known_hashes(conn, hashes)

    def store_bundle(self, batch: BundleBatch) -> StoreOutcome:
        with self._transaction(write=True) as conn:
            lock = sa.select(t.devices.c.key_id).where(t.devices.c.key_id == batch.device_key_id)
            if conn.execute(lock.with_for_update()).first() is None:
                raise RepositoryError(_("The bundle's device is not registered; nothing stored."))
            near = sa.and_(
                t.bundles.c.device_key_id == batch.device_key_id,
                t.bundles.c.sequence.between(batch.sequence - 1, batch.sequence + 1),
            )
            around = {b.sequence: b for b in rows.select_bundles(conn, near, with_revisions=False)}
            check_chain(
                batch,
                around.get(batch.sequence),
                around.get(batch.sequence - 1),
                around.get(batch.sequence + 1),
            )
            with self._custom_plans(conn):
                known = rows.known_hashes(conn, batch.revision_hashes)
                records = {r.record_id for r in batch.candidates if r.sha256 not in known}
                stored = rows.stored_numbers(conn, records)
            parts = PartChecker(check_conflicts(batch, stored, known), known)
            self._insert_bundle(conn, batch, parts)
        result = outcome(batch, parts.inserted)
        log.debug(
            "stored bundle %s: %d revisions accepted, %d known",
            batch.manifest_sha256[:16],
            len(result.accepted),
            len(result.known),
        )
        return result

    def _insert_bundle(self, conn: Connection, batch: BundleBatch, parts: PartChecker) -> None:
        definitions = {f.sha256: (f, rows.form_text(f.definition)) for f in batch.forms}
        manifest = batch.manifest_sha256
        conn.execute(sa.insert(t.bundles), rows.bundle_row(batch))
        rows.insert_many(
            conn,
            self._insert_if_absent(t.forms),
            [
                {"sha256": h, "form_id": f.form_id, "version": f.version, "definition": text}
                for h, (f, text) in sorted(definitions.items())
            ],
        )
        for chunk in rows.chunked_parts(batch.parts, rows.INSERT_CHUNK):
            taken = [(part, parts.take(part)) for part in chunk]
            self._insert_parts(
                conn, manifest, batch.ingested_at, [(part, new) for part, new in taken if new]
            )
        parts.finish()
        accepted = set(parts.inserted)
        rows.insert_values(
            conn,
            t.bundle_revisions,
            ("manifest_sha256", "position", "revision_sha256", "accepted"),
            [
                (manifest, position, sha256, sha256 in accepted)
                for position, sha256 in enumerate(batch.revision_hashes)
            ],
        )
        sizes = {a.sha256: a.size for a in batch.attachments}
        rows.insert_many(
            conn,
            self._insert_if_absent(t.attachments),
            [
                {"sha256": h, "size": size, "manifest_sha256": manifest}
                for h, size in sorted(sizes.items())
            ],
        )
        rows.insert_many(
            conn, sa.insert(t.alarms), [rows.alarm_row(a, batch.ingested_at) for a in batch.alarms]
        )

    def _insert_parts(
        self,
        conn: Connection,
        manifest: str,
        ingested_at: str,
        parts: list[tuple[SealedPart, list[NewRevision]]],
    ) -> None:
        """Insert some parts of a bundle: their sealed batches, then their revisions, then the
        analysis rows of those that are their record's newest (:mod:`fieldkit.hq.analysis`)."""
        if not parts:
            return
        inserted = conn.execute(
            sa.insert(t.sealed_batches).returning(
                t.sealed_batches.c.id, sort_by_parameter_order=True
            ),
            [{"ciphertext": part.sealed.ciphertext} for part, _new in parts],
        )
        batch_ids = [int(row.id) for row in inserted]
        if len(batch_ids) != len(parts):
            raise RepositoryError(_("A revision's sealed batch is missing; nothing stored."))
        new = [
            (batch_id, r)
            for batch_id, (_p, taken) in zip(batch_ids, parts, strict=True)
            for r in taken
        ]
        rows.insert_values(
            conn,
            t.revisions,
            rows.REVISION_COLUMNS,
            [rows.revision_values(r, manifest, jsonb=self._postgres) for _b, r in new],
        )
        rows.insert_values(
            conn,
            t.identifying,
            ("link_id", "batch_id", "position"),
            [(r.link_id, b, r.position) for b, r in new],
        )
        analysis.write_facts(
            conn,
            (
                analysis.RecordFacts(
                    r.record_id,
                    r.number,
                    r.sha256,
                    r.form_id,
                    r.form_version,
                    r.device_key_id,
                    ingested_at,
                    r.facts,
                )
                for _b, r in new
                if r.facts is not None
            ),
        )

    # -- alarms ------------------------------------------------------------------------------------

    def add_alarm(self, alarm: NewAlarm, raised_at: str) -> None:
        with self._transaction(write=True) as conn:
            conn.execute(sa.insert(t.alarms), rows.alarm_row(alarm, raised_at))

    def alarms(self, device_key_id: str | None = None) -> list[Alarm]:
        query = sa.select(t.alarms).order_by(t.alarms.c.id)
        if device_key_id is not None:
            query = query.where(t.alarms.c.device_key_id == device_key_id)
        with self._transaction() as conn:
            found = conn.execute(query).all()
        return [
            Alarm(
                id=row.id,
                kind=AlarmKind(row.kind),
                device_key_id=row.device_key_id,
                sequence=row.sequence,
                manifest_sha256=row.manifest_sha256,
                detail=dict(row.detail),
                raised_at=row.raised_at,
            )
            for row in found
        ]

    # -- records -----------------------------------------------------------------------------------

    def forms(self) -> list[StoredForm]:
        f = t.forms.c
        with self._transaction() as conn:
            found = conn.execute(sa.select(t.forms).order_by(f.form_id, f.version, f.sha256))
            return [rows.to_form(row) for row in found]

    def form(self, sha256: str) -> StoredForm | None:
        with self._transaction() as conn:
            row = conn.execute(sa.select(t.forms).where(t.forms.c.sha256 == sha256)).first()
        return None if row is None else rows.to_form(row)

    def iter_revisions(
        self, *, form_id: str | None = None, latest_only: bool = False
    ) -> Iterator[StoredRevision]:
        """Revisions in ingest order, as the repository was when the first one is asked for.

        PostgreSQL: one read-only REPEATABLE READ transaction with a server-side cursor,
        fetched :data:`PAGE` rows at a time. The snapshot never blocks an ingest (PostgreSQL's
        readers do not block writers); the connection is held until the iterator is exhausted
        or closed. Paging by ``seq`` there would not be a snapshot: concurrent ingests of two
        devices may commit their ``seq`` numbers out of order.

        SQLite: pages of :data:`PAGE` rows by ``seq``, each page in its own short read
        transaction, so that nothing stays open while the caller works on a page (a long read
        transaction would keep WAL checkpoints from completing). Revisions are never updated
        or deleted, and SQLite's writers take turns and number new rows above every committed
        one, so the rows up to the highest ``seq`` seen at the start are exactly the repository
        at the start: later ingests neither add rows nor change which revision is the latest.
        """
        if self._postgres:
            return self._revisions_snapshot(form_id, latest_only)
        return self._revisions_pages(form_id, latest_only)

    def _revisions_snapshot(
        self, form_id: str | None, latest_only: bool
    ) -> Iterator[StoredRevision]:
        query = rows.revisions_query(form_id, latest_only, upper=None)
        with database_errors(self._engine.url), self._engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                result = conn.execution_options(stream_results=True, yield_per=PAGE).execute(query)
                for row in result:
                    yield rows.to_revision(row)

    def _revisions_pages(self, form_id: str | None, latest_only: bool) -> Iterator[StoredRevision]:
        with self._transaction() as conn:
            upper = conn.execute(sa.select(sa.func.max(t.revisions.c.seq))).scalar()
        if upper is None:
            return
        query = rows.revisions_query(form_id, latest_only, upper=upper)
        last = 0
        while True:
            with self._transaction() as conn:
                page = conn.execute(query.where(t.revisions.c.seq > last).limit(PAGE)).all()
            for row in page:
                yield rows.to_revision(row)
            if len(page) < PAGE:
                return
            last = page[-1].seq

    def records(self, form_id: str | None = None) -> list[RecordSummary]:
        r = t.revisions
        per_record = (
            sa.select(
                r.c.record_id,
                sa.func.count().label("revision_count"),
                sa.func.max(r.c.number).label("latest"),
            )
            .group_by(r.c.record_id)
            .subquery()
        )
        query = (
            sa.select(r, t.identifying.c.batch_id, t.identifying.c.position, per_record)
            .join(t.identifying, t.identifying.c.link_id == r.c.link_id)
            .join(
                per_record,
                sa.and_(per_record.c.record_id == r.c.record_id, per_record.c.latest == r.c.number),
            )
            .order_by(r.c.seq)
        )
        if form_id is not None:
            query = query.where(r.c.form_id == form_id)
        with self._transaction() as conn:
            found = conn.execute(query).all()
        return [
            RecordSummary(row.record_id, row.revision_count, rows.to_revision(row)) for row in found
        ]

    def sealed_batch(self, batch_id: int) -> bytes:
        query = sa.select(t.sealed_batches.c.ciphertext).where(t.sealed_batches.c.id == batch_id)
        with self._transaction() as conn:
            ciphertext = conn.execute(query).scalar()
        if ciphertext is None:
            raise NotFoundError(_("A sealed batch is missing from the repository."))
        return bytes(ciphertext)

    # -- receipts ----------------------------------------------------------------------------------

    def add_receipt(self, receipt: IssuedReceipt) -> None:
        stored = sa.select(t.bundles.c.manifest_sha256).where(
            t.bundles.c.manifest_sha256 == receipt.manifest_sha256
        )
        with self._transaction(write=True) as conn:
            if conn.execute(stored).first() is None:
                raise RepositoryError(_("A receipt for a bundle that is not stored."))
            conn.execute(sa.insert(t.receipts), rows.receipt_row(receipt))

    def receipts(self, manifest_sha256: str | None = None) -> list[IssuedReceipt]:
        query = sa.select(t.receipts).order_by(t.receipts.c.issued, t.receipts.c.receipt_id)
        if manifest_sha256 is not None:
            query = query.where(t.receipts.c.manifest_sha256 == manifest_sha256)
        with self._transaction() as conn:
            found = conn.execute(query).all()
        return [IssuedReceipt(**row._asdict()) for row in found]

    # -- inspection --------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        query = sa.select(
            *(
                sa.select(sa.func.count())
                .select_from(t.metadata.tables[name])
                .scalar_subquery()
                .label(name)
                for name in TABLES
            )
        )
        with self._transaction() as conn:
            row = conn.execute(query).one()
        return {name: int(value) for name, value in row._asdict().items()}
