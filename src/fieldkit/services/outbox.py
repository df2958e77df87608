"""The outbox: bundles written for network sync, waiting in the vault's private folder.

Sealing a record changes nothing here; :func:`prepare` writes what waits into new bundles with
the same machinery as a USB export (:func:`fieldkit.services.exporting.export_selection`), so
they take their places in the device's one chain of sequence numbers. Text first (the default):
one bundle of the revisions alone, then the attachments they refer to in bundles of their own,
each at most :data:`ATTACHMENT_BUNDLE_BYTES` of attachments where one attachment allows.

An item is delivered only once headquarters' signed receipt for it has been verified and
imported (:mod:`fieldkit.services.receipts`, from the network or from a USB stick); its file is
then removed. A bundle headquarters refused stays listed, with the reason, and what it carried
goes into the next bundles prepared.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from fieldkit.domain.records import utc_timestamp
from fieldkit.files import make_private_dir
from fieldkit.services import exporting
from fieldkit.services.bundle_contents import (
    OUTBOX_KEPT,
    OUTBOX_OPEN,
    Contents,
    contents_of,
    outbox_attachments,
    outbox_seqs,
    referenced_attachments,
    unacknowledged_revisions,
)
from fieldkit.services.bundle_contents import ItemState as ItemState  # re-exported
from fieldkit.vault.models import (
    AttachmentRow,
    BundleRow,
    OutboxAttachmentRow,
    OutboxRow,
    RevisionRow,
)
from fieldkit.vault.store import Vault

log = logging.getLogger("fieldkit.services.outbox")

ATTACHMENT_BUNDLE_BYTES = 64 * 1024 * 1024
"""The most attachment bytes one attachments bundle carries (unless one attachment is larger)."""
RECORDS = "records"
ATTACHMENTS = "attachments"


@dataclass(frozen=True)
class OutboxItem:
    sequence: int
    kind: str  # "records" or "attachments"
    revisions: int
    attachments: int
    size: int
    sent: int  # bytes headquarters holds
    state: ItemState
    reason: str | None  # why headquarters refused it
    created_at: str
    delivered_at: str | None
    sha256: str = ""
    file_name: str = ""


def _item(row: OutboxRow, bundle: BundleRow) -> OutboxItem:
    return OutboxItem(
        sequence=row.seq,
        kind=row.kind,
        revisions=bundle.revisions,
        attachments=bundle.attachments,
        size=row.size,
        sent=row.sent,
        state=ItemState(row.state),
        reason=row.reason,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
        sha256=row.sha256,
        file_name=row.file_name,
    )


def folder(vault: Vault) -> Path:
    return exporting.outbox_folder(vault)


def path_of(vault: Vault, item: OutboxItem) -> Path:
    return folder(vault) / item.file_name


def _items(vault: Vault, query: Select[OutboxRow, BundleRow]) -> list[OutboxItem]:
    with vault.read() as session:
        rows = session.exec(query).all()
    return [_item(row, bundle) for row, bundle in rows]


def _with_bundles() -> Select[OutboxRow, BundleRow]:
    return select(OutboxRow, BundleRow).join(BundleRow, col(BundleRow.seq) == col(OutboxRow.seq))


def status(vault: Vault) -> list[OutboxItem]:
    """Every outbox item, newest first (delivered ones stay listed)."""
    return _items(vault, _with_bundles().order_by(col(OutboxRow.seq).desc()))


def _get(session: Session, sequence: int) -> OutboxItem:
    row = session.get(OutboxRow, sequence)
    bundle = session.get(BundleRow, sequence)
    if row is None or bundle is None:  # pragma: no cover - items are never deleted
        raise LookupError(sequence)
    return _item(row, bundle)


def get(vault: Vault, sequence: int) -> OutboxItem:
    with vault.read() as session:
        return _get(session, sequence)


def update(
    vault: Vault,
    sequence: int,
    *,
    state: ItemState | None = None,
    sent: int | None = None,
    reason: str | None = None,
) -> OutboxItem:
    """Record what an upload reached; a delivered item is never changed back."""
    with vault.write() as session:
        row = session.get(OutboxRow, sequence)
        if row is None:  # pragma: no cover - items are never deleted
            raise LookupError(sequence)
        if row.state != ItemState.DELIVERED:
            if state is not None:
                row.state = state.value
                if state == ItemState.AT_HQ and row.uploaded_at is None:
                    row.uploaded_at = utc_timestamp()
            if sent is not None:
                row.sent = sent
            if reason is not None:
                row.reason = reason
            session.add(row)
        return _get(session, sequence)


def mark_delivered(session: Session, sequence: int, at: str) -> bool:
    """In a receipt's import: its bundle, if it is an outbox item, is delivered."""
    row = session.get(OutboxRow, sequence)
    if row is None or row.state == ItemState.DELIVERED:
        return False
    row.state = ItemState.DELIVERED.value
    row.sent = row.size
    row.delivered_at = at
    session.add(row)
    return True


def remove_finished_files(vault: Vault) -> None:
    """Delete the files of delivered and refused items (what they held is at HQ, or goes into
    new bundles). Only the files still in the outbox folder are looked up: delivered items stay
    listed for good, their files are long gone."""
    try:
        present = [entry.name for entry in os.scandir(folder(vault)) if entry.is_file()]
    except FileNotFoundError:  # nothing was ever prepared
        return
    except OSError:  # a later sync tries again
        log.warning("the outbox folder could not be read")
        return
    if not present:
        return
    with vault.read() as session:
        names = list(
            session.exec(
                select(OutboxRow.file_name).where(
                    col(OutboxRow.state).in_((ItemState.DELIVERED, ItemState.REFUSED)),
                    col(OutboxRow.file_name).in_(present),
                )
            )
        )
    for name in names:
        try:
            (folder(vault) / name).unlink(missing_ok=True)
        except OSError:  # a later sync tries again
            log.warning("an outbox file could not be removed")


def set_aside(vault: Vault) -> int:
    """Items not delivered that can no longer be sent (their file is gone, or they were written
    for another headquarters) become refused, so that :func:`prepare` writes what they held
    again."""
    return exporting.set_aside_outbox_items(vault)


def waiting_attachments(session: Session) -> set[str]:
    """Attachments still to send: those unacknowledged revisions refer to, and those of refused
    attachment bundles still in the vault, less those an outbox bundle (not refused) carries."""
    needed = referenced_attachments(unacknowledged_revisions(session))
    refused = set(
        session.exec(
            select(OutboxAttachmentRow.sha256)
            .join(OutboxRow, col(OutboxRow.seq) == col(OutboxAttachmentRow.seq))
            .where(OutboxRow.state == ItemState.REFUSED.value)
        )
    )
    stored = set(
        session.exec(select(AttachmentRow.sha256).where(col(AttachmentRow.sha256).in_(refused)))
    )
    return (needed | stored) - outbox_attachments(session, OUTBOX_KEPT)


def _groups(session: Session, hashes: set[str], limit: int) -> list[list[str]]:
    """Attachments in groups of at most ``limit`` bytes (one larger attachment goes alone)."""
    sizes = dict(
        session.exec(
            select(AttachmentRow.sha256, AttachmentRow.size).where(
                col(AttachmentRow.sha256).in_(hashes)
            )
        ).all()
    )
    groups: list[list[str]] = []
    total = 0
    for digest in sorted(hashes, key=lambda d: (sizes.get(d, 0), d)):
        size = sizes.get(digest, 0)
        if not groups or (total + size > limit and groups[-1]):
            groups.append([])
            total = 0
        groups[-1].append(digest)
        total += size
    return groups


def _on_written(kind: str) -> exporting.OnWritten:
    def record(session: Session, result: exporting.ExportResult, contents: Contents) -> None:
        session.add(
            OutboxRow(
                seq=result.sequence,
                kind=kind,
                file_name=result.path.name,
                sha256=result.sha256,
                size=result.size,
                created_at=utc_timestamp(),
            )
        )
        session.flush()
        for attachment in contents.attachments:
            session.add(OutboxAttachmentRow(seq=result.sequence, sha256=attachment.sha256))

    return record


def prepare(vault: Vault, *, text_first: bool = True) -> list[OutboxItem]:
    """Write what waits (sealed revisions in no outbox bundle, attachments still to send) into
    new outbox bundles; the new items, in the order they are to be sent."""
    make_private_dir(folder(vault))
    made: list[exporting.ExportResult] = []

    def new_revisions(session: Session) -> list[RevisionRow]:
        return unacknowledged_revisions(session, outbox_seqs(session, OUTBOX_KEPT))

    def write(choose: exporting.Chooser, kind: str) -> None:
        result = exporting.export_selection(
            vault, folder(vault), choose, on_written=_on_written(kind)
        )
        if result is not None:
            made.append(result)

    if text_first:
        write(lambda session: contents_of(vault, session, new_revisions(session), ()), RECORDS)
        with vault.read() as session:
            groups = _groups(session, waiting_attachments(session), ATTACHMENT_BUNDLE_BYTES)
        for group in groups:
            write(
                lambda session, group=group: contents_of(  # type: ignore[misc]
                    vault, session, (), set(group) - outbox_attachments(session, OUTBOX_KEPT)
                ),
                ATTACHMENTS,
            )
    else:

        def everything(session: Session) -> Contents:
            rows = new_revisions(session)
            return contents_of(vault, session, rows, waiting_attachments(session))

        with vault.read() as session:
            has_revisions = bool(new_revisions(session))
        write(everything, RECORDS if has_revisions else ATTACHMENTS)
    return [get(vault, result.sequence) for result in made]


def open_items(vault: Vault) -> list[OutboxItem]:
    """Items not delivered nor refused, in the order they are sent: records bundles first, then
    by sequence number."""
    return _items(
        vault,
        _with_bundles()
        .where(col(OutboxRow.state).in_(OUTBOX_OPEN))
        .order_by(col(OutboxRow.kind) != RECORDS, col(OutboxRow.seq)),
    )
