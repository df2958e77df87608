"""Receipts from headquarters, and the optional purge of what headquarters holds.

A receipt is encrypted to this device and signed by the headquarters key pinned at enrolment. Its
revisions (those HQ stored, and those it already had) become acknowledged. Importing the same
receipt again changes nothing.

With the purge policy on, the content of acknowledged records leaves the device: their sealed
answers, search text and attachments are removed, their ids, revision hashes and signatures stay.
A record with an amendment in progress, with a revision HQ has not acknowledged, or with an
attachment still waiting in the outbox (sent apart from its revision, text first), is kept whole.

The same import serves a receipt from a USB stick and one fetched over the network: the receipt
of an outbox bundle marks it delivered, whichever way it came.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, text, update
from sqlmodel import Session, col, select

from fieldkit.bundle import read_receipt
from fieldkit.domain.records import RecordStatus, RevisionEnvelope, utc_timestamp
from fieldkit.errors import ConflictError
from fieldkit.i18n import _
from fieldkit.services import enrolment as enrolment_service
from fieldkit.services import outbox
from fieldkit.services.bundle_contents import OUTBOX_OPEN, outbox_attachments
from fieldkit.services.datafiles import read_small_file
from fieldkit.services.records import mark_status
from fieldkit.vault import audit, repo
from fieldkit.vault.models import (
    AttachmentChunkRow,
    AttachmentRow,
    BundleRow,
    ReceiptRow,
    RecordRow,
    RevisionRow,
)
from fieldkit.vault.store import Vault

MAX_RECEIPT_FILE_BYTES = 16 * 1024 * 1024
SETTING_PURGE = "purge_acknowledged"


@dataclass(frozen=True)
class ReceiptResult:
    acknowledged: int
    already_imported: bool
    sequence: int
    purged_records: int


def purge_enabled(session: Session) -> bool:
    return bool(repo.get_setting(session, SETTING_PURGE, False))


def purge_policy(vault: Vault) -> bool:
    """Whether importing a receipt removes the content of what headquarters holds."""
    with vault.read() as session:
        return purge_enabled(session)


def set_purge(vault: Vault, enabled: bool) -> None:
    with vault.write() as session:
        repo.set_setting(session, SETTING_PURGE, enabled)


def import_receipt(vault: Vault, untrusted_path: Path) -> ReceiptResult:
    """Import a receipt file (from a USB stick)."""
    return import_receipt_bytes(vault, read_small_file(untrusted_path, MAX_RECEIPT_FILE_BYTES))


def import_receipt_bytes(vault: Vault, data: bytes) -> ReceiptResult:
    """Verify a receipt (its bytes, from a file or from headquarters over the network) and
    acknowledge what it says headquarters holds."""
    result = _import(vault, data)
    outbox.remove_finished_files(vault)
    return result


def _import(vault: Vault, data: bytes) -> ReceiptResult:
    if len(data) > MAX_RECEIPT_FILE_BYTES:
        raise ConflictError(_("This receipt is too large to be one from headquarters."))
    with vault.read() as session:
        enrolled = enrolment_service.active_row(session)
        identity = repo.active_identity(session)
    if enrolled is None:
        raise ConflictError(
            _("This device is not enrolled with a headquarters: no receipt can be checked.")
        )
    if identity is None or not identity.age_identity:
        raise ConflictError(_("This vault has no device key; it is damaged."))
    receipt = read_receipt(
        data, identity.age_identity, enrolled.signing_public_key, device_key_id=identity.key_id
    )
    with vault.write() as session:
        bundle = session.exec(
            select(BundleRow).where(BundleRow.bundle_id == receipt.bundle_id)
        ).first()
        if bundle is None or bundle.manifest_sha256 != receipt.manifest_sha256:
            raise ConflictError(_("This receipt is for a bundle this device did not write."))
        now = utc_timestamp()
        if session.get(ReceiptRow, receipt.receipt_id) is not None:
            outbox.mark_delivered(session, bundle.seq, now)
            return ReceiptResult(0, True, bundle.seq, 0)
        held = [*receipt.accepted, *receipt.known]
        outbox.mark_delivered(session, bundle.seq, now)
        acknowledged = mark_status(session, held, RecordStatus.ACKNOWLEDGED, acknowledged_at=now)
        bundle.acknowledged_at = now
        session.add(bundle)
        session.add(
            ReceiptRow(
                receipt_id=receipt.receipt_id,
                bundle_id=receipt.bundle_id,
                issued_at=receipt.issued,
                imported_at=now,
                accepted=len(receipt.accepted),
            )
        )
        audit.append(
            session,
            audit.Action.RECEIPT_IMPORTED,
            None,
            {"sequence": bundle.seq, "acknowledged": acknowledged},
        )
        purged = purge_acknowledged(session) if purge_enabled(session) else 0
        return ReceiptResult(acknowledged, False, bundle.seq, purged)


def purge_acknowledged(session: Session) -> int:
    """Remove the content of records that headquarters holds entirely; return how many."""
    unacknowledged = select(RevisionRow.record_id).where(
        RevisionRow.status != RecordStatus.ACKNOWLEDGED.value
    )
    with_content = select(RevisionRow.record_id).where(col(RevisionRow.content).is_not(None))
    records = session.exec(
        select(RecordRow).where(
            col(RecordRow.draft).is_(None),
            RecordRow.revision_count > 0,
            col(RecordRow.id).not_in(unacknowledged),
            col(RecordRow.id).in_(with_content),
        )
    ).all()
    waiting = outbox_attachments(session, OUTBOX_OPEN)
    if waiting and records:
        kept = _referring_to(session, [record.id for record in records], waiting)
        records = [record for record in records if record.id not in kept]
    if not records:
        return 0
    ids = [record.id for record in records]
    session.execute(
        update(RevisionRow)
        .where(col(RevisionRow.record_id).in_(ids), col(RevisionRow.content).is_not(None))
        .values(content=None)
    )
    for record in records:
        session.execute(text("DELETE FROM record_fts WHERE rowid = :n"), {"n": record.num})
        record.title = ""
        record.place = ""
        record.event_date = ""
        session.add(record)
    removed = _remove_unreferenced_attachments(session)
    audit.append(
        session, audit.Action.PURGED, None, {"records": len(records), "attachments": removed}
    )
    return len(records)


def _remove_unreferenced_attachments(session: Session) -> int:
    """Attachments no longer named by any kept revision or draft are removed."""
    referenced: set[str] = set()
    for content in session.exec(
        select(RevisionRow.content).where(col(RevisionRow.content).is_not(None))
    ):
        referenced.update(RevisionEnvelope.from_json(json.loads(content or b"{}")).attachments)
    for draft in session.exec(select(RecordRow.draft).where(col(RecordRow.draft).is_not(None))):
        referenced.update(_draft_attachments(draft or ""))
    referenced.update(outbox_attachments(session, OUTBOX_OPEN))  # not delivered yet
    stored = set(session.exec(select(AttachmentRow.sha256)))
    gone = sorted(stored - referenced)
    if gone:
        session.execute(delete(AttachmentChunkRow).where(col(AttachmentChunkRow.sha256).in_(gone)))
        session.execute(delete(AttachmentRow).where(col(AttachmentRow.sha256).in_(gone)))
    return len(gone)


def _referring_to(session: Session, record_ids: list[str], hashes: set[str]) -> set[str]:
    """The records among ``record_ids`` with a revision that refers to one of the attachments
    ``hashes`` (one query for them all)."""
    rows = session.exec(
        select(RevisionRow.record_id, RevisionRow.content).where(
            col(RevisionRow.record_id).in_(record_ids), col(RevisionRow.content).is_not(None)
        )
    )
    return {
        record_id
        for record_id, content in rows
        if hashes.intersection(RevisionEnvelope.from_json(json.loads(content or b"{}")).attachments)
    }


def _draft_attachments(draft: str) -> set[str]:
    """Hashes of attachments a draft refers to, wherever they sit in its answers."""
    return set(re.findall(r'"sha256":\s*"([0-9a-f]{64})"', draft))
