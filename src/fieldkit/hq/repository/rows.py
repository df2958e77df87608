"""Rows of the repository's tables and the dataclasses of :mod:`.base`, and the queries that
several methods of :class:`~fieldkit.hq.repository.sql.SqlRepository` share."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from fieldkit.hq.errors import RepositoryError
from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.base import (
    BundleBatch,
    Device,
    IssuedReceipt,
    NewAlarm,
    NewRevision,
    StoredBundle,
    StoredForm,
    StoredRevision,
)
from fieldkit.i18n import _

CHUNK = 500
"""Values per ``IN (...)`` list (far below SQLite's limit on parameters)."""


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
    }


def to_device(row: Row[Any]) -> Device:
    values = row._asdict()
    values["public_key"] = bytes.fromhex(values["public_key"])
    return Device(**values)


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


def revision_row(revision: NewRevision, manifest_sha256: str) -> dict[str, Any]:
    return {
        "sha256": revision.sha256,
        "record_id": revision.record_id,
        "number": revision.number,
        "device_key_id": revision.device_key_id,
        "form_sha256": revision.form_sha256,
        "form_id": revision.form_id,
        "form_version": revision.form_version,
        "sealed_at": revision.sealed_at,
        "previous": revision.previous,
        "answers": revision.answers,
        "attachments": list(revision.attachments),
        "link_id": revision.link_id,
        "manifest_sha256": manifest_sha256,
    }


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
        answers=row.answers,
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
