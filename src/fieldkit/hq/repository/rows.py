"""Rows of the repository's tables and the dataclasses of :mod:`.base`, and the queries that
several methods of :class:`~fieldkit.hq.repository.sql.SqlRepository` share."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.engine import Connection, Row

from fieldkit.hq.errors import RepositoryError
from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.base import (
    BundleBatch,
    Device,
    IssuedReceipt,
    NewAlarm,
    NewRevision,
    SealedPart,
    StoredBundle,
    StoredForm,
    StoredRevision,
    no_device_error,
)
from fieldkit.i18n import _

CHUNK = 500
"""Values per ``IN (...)`` list (far below SQLite's limit on parameters)."""
INSERT_CHUNK = 1000
"""Revisions inserted per statement while a bundle is stored (bounds what is held at once)."""


def chunks(values: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def known_hashes(conn: Connection, hashes: Collection[str]) -> set[str]:
    column = t.revisions.c.sha256
    found: set[str] = set()
    for chunk in chunks(hashes):
        found.update(conn.execute(sa.select(column).where(column.in_(chunk))).scalars())
    return found


def stored_numbers(conn: Connection, record_ids: Collection[str]) -> dict[tuple[str, int], str]:
    r = t.revisions.c
    stored: dict[tuple[str, int], str] = {}
    for chunk in chunks(record_ids):
        query = sa.select(r.record_id, r.number, r.sha256).where(r.record_id.in_(chunk))
        for record_id, number, sha256 in conn.execute(query):
            stored[(record_id, number)] = sha256
    return stored


def chunked_parts(parts: Iterable[SealedPart], size: int) -> Iterator[list[SealedPart]]:
    """``parts`` gathered into lists of about ``size`` revisions (at least one part each)."""
    chunk: list[SealedPart] = []
    count = 0
    for part in parts:
        chunk.append(part)
        count += len(part.revisions)
        if count >= size:
            yield chunk
            chunk, count = [], 0
    if chunk:
        yield chunk


JSON_TEXT = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
"""The text a JSON column is given by :func:`insert_values` (compact; read back as any JSON)."""


def insert_values(
    conn: Connection,
    table: sa.TableClause,
    columns: Sequence[str],
    values: Sequence[tuple[Any, ...]],
) -> None:
    """Insert ``values`` (tuples in the order of ``columns``) with the driver's own bulk path
    (SQLite: one executemany; PostgreSQL: one COPY), without SQLAlchemy's work per row and
    value (a bundle inserts tens of thousands of rows). Values go to the driver as they are:
    JSON columns as text (:data:`JSON_TEXT`)."""
    if not values:
        return
    quote = conn.dialect.identifier_preparer.quote
    if conn.dialect.name == "postgresql":
        _copy_values(conn, quote(table.name), [quote(name) for name in columns], values)
        return
    mark = "?"  # sqlite3's parameter style
    statement = "INSERT INTO {table} ({columns}) VALUES ({marks})".format(  # noqa: S608
        table=quote(table.name),  # names from the schema, values as parameters
        columns=", ".join(quote(name) for name in columns),
        marks=", ".join([mark] * len(columns)),
    )
    conn.exec_driver_sql(statement, list(values))


def _copy_values(
    conn: Connection, table: str, columns: list[str], values: Sequence[tuple[Any, ...]]
) -> None:
    """PostgreSQL: ``COPY ... FROM STDIN`` on the transaction's own connection (one statement
    for all the rows instead of one round of the pipeline per row). A row the table's
    constraints refuse fails the COPY, and the transaction, like an INSERT would."""
    driver = conn.connection.driver_connection
    assert driver is not None  # noqa: S101 - an open connection has one
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    dbapi = conn.dialect.loaded_dbapi
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except dbapi.Error as error:  # as SQLAlchemy raises it, for database_errors to translate
        raise exc.DBAPIError.instance(
            statement, None, error, dbapi.Error, dialect=conn.dialect
        ) from None


def insert_many(conn: Connection, statement: sa.Insert, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of the same keys) with one executemany."""
    if rows:  # an empty parameter list would insert one row of defaults
        conn.execute(statement, list(rows))


def select_bundles(
    conn: Connection, where: sa.ColumnElement[bool], *, with_revisions: bool = True
) -> list[StoredBundle]:
    """The bundles matching ``where``; without ``with_revisions``, ``accepted`` and ``known``
    are left empty (the chain checks need neither, and a bundle may list 100,000 revisions)."""
    found = []
    for row in conn.execute(sa.select(t.bundles).where(where)).all():
        accepted: set[str] = set()
        known: set[str] = set()
        if with_revisions:
            b = t.bundle_revisions.c
            query = sa.select(b.revision_sha256, b.accepted).where(
                b.manifest_sha256 == row.manifest_sha256
            )
            for sha256, was_accepted in conn.execute(query):
                (accepted if was_accepted else known).add(sha256)
        found.append(
            StoredBundle(
                **row._asdict(), accepted=tuple(sorted(accepted)), known=tuple(sorted(known))
            )
        )
    return found


def revisions_query(form_id: str | None, latest_only: bool, upper: int | None) -> sa.Select[Any]:
    r = t.revisions
    query = sa.select(r, t.identifying.c.batch_id, t.identifying.c.position).join(
        t.identifying, t.identifying.c.link_id == r.c.link_id
    )
    if upper is not None:
        query = query.where(r.c.seq <= upper)
    if form_id is not None:
        query = query.where(r.c.form_id == form_id)
    if latest_only:
        newer = t.revisions.alias("newer")
        conditions = [newer.c.record_id == r.c.record_id, newer.c.number > r.c.number]
        if upper is not None:
            conditions.append(newer.c.seq <= upper)
        query = query.where(~sa.exists().where(*conditions))
    return query.order_by(r.c.seq)


def form_text(definition: bytes) -> str:
    try:
        return definition.decode("utf-8")
    except UnicodeDecodeError:
        raise RepositoryError(
            _("A form definition is not UTF-8 text; nothing was stored.")
        ) from None


def device_row(device: Device) -> dict[str, Any]:
    return {
        "key_id": device.key_id,
        "public_key": device.public_key.hex(),
        "age_recipient": device.age_recipient,
        "name": device.name,
        "identity_created": device.identity_created,
        "registered_at": device.registered_at,
        "revoked_from": device.revoked_from,
        "revoked_at": device.revoked_at,
        "lost_at": device.lost_at,
    }


def to_device(row: Row[Any]) -> Device:
    values = row._asdict()
    values["public_key"] = bytes.fromhex(values["public_key"])
    return Device(**values)


def _locked_device(conn: Connection, key_id: str) -> Device:
    query = sa.select(t.devices).where(t.devices.c.key_id == key_id).with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise no_device_error(key_id)
    return to_device(row)


def revoke_device(
    conn: Connection, key_id: str, from_sequence: int, revoked_at: str
) -> tuple[Device, bool]:
    """Revoke the device from ``from_sequence`` on in the caller's transaction (only ever
    widening); the device as it is now and whether this changed it."""
    device = _locked_device(conn, key_id)
    if device.revoked_from is not None and device.revoked_from <= from_sequence:
        return device, False
    conn.execute(
        t.devices.update()
        .where(t.devices.c.key_id == key_id)
        .values(revoked_from=from_sequence, revoked_at=revoked_at)
    )
    return replace(device, revoked_from=from_sequence, revoked_at=revoked_at), True


def mark_lost(conn: Connection, key_id: str, lost_at: str) -> tuple[Device, bool]:
    """Mark the device lost in the caller's transaction (a device lost already keeps its first
    time); the device as it is now and whether this changed it."""
    device = _locked_device(conn, key_id)
    if device.lost_at is not None:
        return device, False
    conn.execute(t.devices.update().where(t.devices.c.key_id == key_id).values(lost_at=lost_at))
    return replace(device, lost_at=lost_at), True


def bundle_row(batch: BundleBatch) -> dict[str, Any]:
    return {
        "manifest_sha256": batch.manifest_sha256,
        "bundle_id": batch.bundle_id,
        "device_key_id": batch.device_key_id,
        "sequence": batch.sequence,
        "previous": batch.previous,
        "created": batch.created,
        "ingested_at": batch.ingested_at,
        "ciphertext_sha256": batch.ciphertext_sha256,
        "revisions": len(batch.revision_hashes),
        "attachments": batch.attachment_count,
    }


REVISION_COLUMNS = (
    "sha256",
    "record_id",
    "number",
    "device_key_id",
    "form_sha256",
    "form_id",
    "form_version",
    "sealed_at",
    "previous",
    "answers",
    "attachments",
    "link_id",
    "manifest_sha256",
)


def revision_values(
    revision: NewRevision, manifest_sha256: str, *, jsonb: bool = False
) -> tuple[Any, ...]:
    """A revision's row for :func:`insert_values`, in the order of :data:`REVISION_COLUMNS`;
    ``jsonb``: for PostgreSQL's ``jsonb`` answers (see :func:`stored_answers`)."""
    return (
        revision.sha256,
        revision.record_id,
        revision.number,
        revision.device_key_id,
        revision.form_sha256,
        revision.form_id,
        revision.form_version,
        revision.sealed_at,
        revision.previous,
        stored_answers(revision.answers) if jsonb else revision.answers,
        JSON_TEXT(list(revision.attachments)),
        revision.link_id,
        manifest_sha256,
    )


_NUL_ESCAPE = "\\u0000"


def stored_answers(text: str) -> str:
    """The JSON text stored in ``revisions.answers`` for answers given as JSON text.

    PostgreSQL's ``jsonb`` refuses ``\\u0000`` (a NUL character in a string), which the bundle
    format allows; there, such answers (rare: no form input gives one) are stored as the wrapper
    ``{"fieldkit:json": "<the exact JSON text>"}``, which holds no NUL, and :func:`read_answers`
    unwraps it (SQLite's ``json`` keeps the text as it is). Answers never have a key with a
    ``:`` (field names cannot hold one), so the wrapper is never mistaken for answers. (The
    device's signature is over the revision's original content, sealed apart; neither form
    changes what it verifies.)
    """
    if _NUL_ESCAPE not in text:
        return text
    return JSON_TEXT({t.WRAPPED_ANSWERS: text})


def read_answers(value: Any) -> Any:
    """The answers read from ``revisions.answers``: unwrapped if :func:`stored_answers`
    wrapped them."""
    if isinstance(value, dict) and len(value) == 1 and t.WRAPPED_ANSWERS in value:
        wrapped = value[t.WRAPPED_ANSWERS]
        if isinstance(wrapped, str):
            return json.loads(wrapped)
    return value


def to_revision(row: Row[Any]) -> StoredRevision:
    return StoredRevision(
        seq=row.seq,
        sha256=row.sha256,
        record_id=row.record_id,
        number=row.number,
        device_key_id=row.device_key_id,
        form_sha256=row.form_sha256,
        form_id=row.form_id,
        form_version=row.form_version,
        sealed_at=row.sealed_at,
        previous=row.previous,
        answers=read_answers(row.answers),
        attachments=tuple(row.attachments),
        link_id=row.link_id,
        batch_id=row.batch_id,
        position=row.position,
    )


def to_form(row: Row[Any]) -> StoredForm:
    return StoredForm(row.sha256, row.form_id, row.version, row.definition.encode("utf-8"))


def alarm_row(alarm: NewAlarm, raised_at: str) -> dict[str, Any]:
    return {
        "kind": alarm.kind.value,
        "device_key_id": alarm.device_key_id,
        "sequence": alarm.sequence,
        "manifest_sha256": alarm.manifest_sha256,
        "detail": dict(alarm.detail),
        "raised_at": raised_at,
    }


def receipt_row(receipt: IssuedReceipt) -> dict[str, Any]:
    return {
        "receipt_id": receipt.receipt_id,
        "manifest_sha256": receipt.manifest_sha256,
        "device_key_id": receipt.device_key_id,
        "sequence": receipt.sequence,
        "issued": receipt.issued,
        "accepted": receipt.accepted,
        "known": receipt.known,
        "file_name": receipt.file_name,
    }
