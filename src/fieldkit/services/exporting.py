"""Exporting sealed records to headquarters as a signed, encrypted bundle.

An export takes every sealed revision that headquarters has not yet acknowledged (so exporting
again after a lost stick sends the same revisions under a new sequence number), the attachments
and forms they use, and writes one bundle into a folder: under a temporary name, flushed, renamed,
read back and verified. Only then are the revisions marked exported.

Sequence numbers. The folder is checked first; then the bundle's sequence number, id, creation
time, manifest hash and file name are reserved in the vault (state "reserved") before the file
is written, and the row becomes "written" when the revisions are marked exported.

- An export that fails (a full or read-only stick, a read-back that does not match, a source
  that changed...) removes its file and releases its reservation: the next export reuses the
  number, and headquarters sees no gap. If the file cannot be shown to be gone (the folder
  vanished with the stick), the reservation is kept, as below.
- Only a process that was killed (or a stick pulled at the wrong moment) leaves a reservation.
  Its file may have reached the stick and headquarters, so its number is never given to other
  content. The next export resumes it when it can: if the revisions still waiting, with the
  reserved id and time, make exactly the reserved manifest, it writes that same bundle again
  (same number, same manifest hash; a second copy is a replay at headquarters) under the
  reserved file name. Otherwise (records were sealed or acknowledged since, or the device was
  enrolled elsewhere) the next export takes the next number and chains to the reserved
  manifest: headquarters holds every bundle under one number at most, and reports the reserved
  number as a gap unless the killed export's file reaches it.

The same machinery writes the bundles of the network outbox (:mod:`fieldkit.services.outbox`):
:func:`export_selection` writes the revisions and attachments a caller chooses into a folder.
A USB export copies the outbox bundles that are not delivered yet onto the stick (the same bytes
under the same names: headquarters counts a second copy as a replay) and writes a new bundle only
of the revisions that are in no outbox bundle.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from fieldkit.bundle import export_bundle_file
from fieldkit.bundle.writer import build_manifest, check_export_folder, new_bundle_file_name
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.records import RecordStatus, sha256_hex, utc_timestamp
from fieldkit.errors import ConflictError
from fieldkit.files import atomic_writer, sha256_of_file
from fieldkit.i18n import _
from fieldkit.services import enrolment as enrolment_service
from fieldkit.services import vaults
from fieldkit.services.bundle_contents import (
    OUTBOX_KEPT,
    OUTBOX_OPEN,
    UNACKNOWLEDGED,
    Contents,
    ItemState,
    contents_of,
    outbox_attachments,
    outbox_seqs,
    referenced_attachments,
    unacknowledged_revisions,
)
from fieldkit.services.records import mark_status
from fieldkit.vault import audit
from fieldkit.vault.models import (
    BundleRow,
    OutboxRow,
    RevisionRow,
)
from fieldkit.vault.store import Vault

log = logging.getLogger("fieldkit.services.exporting")

Progress = Callable[[int, int], None]
RESERVED = "reserved"
WRITTEN = "written"
_COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sequence: int
    revisions: int
    attachments: int
    size: int
    copied: tuple[Path, ...] = ()
    """Outbox bundles not yet delivered that a USB export copied into the folder."""
    sha256: str = ""
    """Of the bundle file (what a network upload and its receipt are keyed by)."""


Chooser = Callable[[Session], Contents]
"""Chooses, inside the export's write transaction, what the bundle carries."""
OnWritten = Callable[[Session, "ExportResult", Contents], None]
"""Called in the transaction that marks a written bundle's revisions exported."""


def pending_count(vault: Vault) -> int:
    """How many sealed revisions headquarters has not acknowledged yet."""
    with vault.read() as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(RevisionRow)
                .where(
                    col(RevisionRow.status).in_(UNACKNOWLEDGED),
                    col(RevisionRow.content).is_not(None),
                )
            ).one()
        )


def _usb_contents(vault: Vault, session: Session) -> Contents:
    """For a USB export: the revisions in no outbox bundle (those not yet delivered are copied
    as they are), with their attachments that no such bundle carries."""
    rows = unacknowledged_revisions(session, outbox_seqs(session, OUTBOX_KEPT))
    hashes = referenced_attachments(rows) - outbox_attachments(session, OUTBOX_KEPT)
    return contents_of(vault, session, rows, hashes)


@dataclass(frozen=True)
class _Reservation:
    seq: int
    bundle_id: str
    created: str
    manifest_sha256: str
    previous: str | None
    file_name: str
    resumed: bool
    """Left by an export that was killed: its file may exist, so it is never released."""


def _manifest_sha256(
    key: SigningKey,
    recipients: tuple[str, ...],
    contents: Contents,
    *,
    sequence: int,
    previous: str | None,
    bundle_id: str,
    created: str,
) -> str:
    _manifest, encoded = build_manifest(
        device_key=key,
        sequence=sequence,
        previous=previous,
        recipients=recipients,
        revisions=contents.revisions,
        attachments=contents.attachments,
        forms=contents.forms,
        bundle_id=bundle_id,
        created=created,
    )
    return sha256_hex(encoded)


def _reserve(
    session: Session,
    key: SigningKey,
    recipients: tuple[str, ...],
    hq_key_id: str,
    contents: Contents,
) -> _Reservation:
    """Resume the reservation a killed export left, if it makes the same bundle; otherwise
    reserve the next sequence number (see the module's description)."""
    last = session.exec(select(BundleRow).order_by(col(BundleRow.seq).desc()).limit(1)).first()
    if last is not None and last.state == RESERVED and last.hq_key_id == hq_key_id:
        previous = session.exec(
            select(BundleRow.manifest_sha256).where(BundleRow.seq == last.seq - 1)
        ).first()
        same = _manifest_sha256(
            key,
            recipients,
            contents,
            sequence=last.seq,
            previous=previous,
            bundle_id=last.bundle_id,
            created=last.created_at,
        )
        if same == last.manifest_sha256:
            if not last.file_name:
                last.file_name = new_bundle_file_name()
                session.add(last)
            return _Reservation(
                last.seq,
                last.bundle_id,
                last.created_at,
                last.manifest_sha256,
                previous,
                last.file_name,
                resumed=True,
            )
    sequence = (last.seq + 1) if last else 1
    previous = last.manifest_sha256 if last else None
    bundle_id = secrets.token_hex(16)
    created = utc_timestamp()
    manifest_sha256 = _manifest_sha256(
        key,
        recipients,
        contents,
        sequence=sequence,
        previous=previous,
        bundle_id=bundle_id,
        created=created,
    )
    row = BundleRow(
        seq=sequence,
        bundle_id=bundle_id,
        manifest_sha256=manifest_sha256,
        file_name=new_bundle_file_name(),
        created_at=created,
        revisions=len(contents.revisions),
        attachments=len(contents.attachments),
        size=0,
        hq_key_id=hq_key_id,
        state=RESERVED,
    )
    session.add(row)
    session.flush()
    return _Reservation(
        sequence, bundle_id, created, manifest_sha256, previous, row.file_name, resumed=False
    )


def _release(vault: Vault, reserved: _Reservation, folder: Path) -> None:
    """After a failed export: give its sequence number back, if its file is shown to be gone."""
    if reserved.resumed:
        return
    try:
        if not folder.is_dir() or (folder / reserved.file_name).exists():
            return  # the stick went away, or the file stayed: it may hold this number
        with vault.write() as session:
            row = session.get(BundleRow, reserved.seq)
            if row is not None and row.state == RESERVED:
                session.delete(row)
    except Exception:  # the export's own error is the one to report; the number stays reserved
        log.warning("bundle %d: the reservation of a failed export was kept", reserved.seq)


def _not_enrolled() -> ConflictError:
    return ConflictError(
        _(
            "This device is not enrolled with a headquarters yet: import the enrolment "
            "file your headquarters gave you first."
        )
    )


def export_selection(
    vault: Vault,
    folder: Path,
    choose: Chooser,
    *,
    progress: Progress | None = None,
    on_written: OnWritten | None = None,
) -> ExportResult | None:
    """Write one bundle of what ``choose`` selects into ``folder`` (None if it selects nothing),
    with the reservation and sequence logic of the module's description."""
    check_export_folder(folder)  # before a sequence number is reserved
    key = vaults.signing_key(vault)
    with vault.write() as session:
        enrolled = enrolment_service.active_row(session)
        if enrolled is None:
            raise _not_enrolled()
        contents = choose(session)
        if contents.empty:
            return None
        recipients = (enrolled.ingest_recipient,) + (
            (enrolled.escrow_recipient,) if enrolled.escrow_recipient else ()
        )
        reserved = _reserve(session, key, recipients, enrolled.hq_key_id, contents)
    try:
        exported = export_bundle_file(
            folder,
            device_key=key,
            sequence=reserved.seq,
            previous=reserved.previous,
            recipients=recipients,
            revisions=contents.revisions,
            attachments=contents.attachments,
            forms=contents.forms,
            progress=progress,
            bundle_id=reserved.bundle_id,
            created=reserved.created,
            file_name=reserved.file_name,
        )
    except BaseException:
        _release(vault, reserved, folder)
        raise
    if exported.info.manifest_sha256 != reserved.manifest_sha256:  # pragma: no cover - defensive
        raise ConflictError(_("The bundle differs from the one reserved; export again."))
    result = ExportResult(
        path=exported.path,
        sequence=reserved.seq,
        revisions=len(contents.revisions),
        attachments=len(contents.attachments),
        size=exported.info.ciphertext_bytes,
        sha256=exported.info.ciphertext_sha256,
    )
    with vault.write() as session:
        row = session.get(BundleRow, reserved.seq)
        assert row is not None  # noqa: S101 - reserved in this export
        row.state = WRITTEN
        row.file_name = exported.path.name
        row.size = exported.info.ciphertext_bytes
        session.add(row)
        mark_status(
            session,
            [revision.sha256 for revision in contents.revisions],
            RecordStatus.EXPORTED,
            exported_at=utc_timestamp(),
            bundle_seq=reserved.seq,
        )
        audit.append(
            session,
            audit.Action.EXPORTED,
            None,
            {"sequence": reserved.seq, "revisions": len(contents.revisions)},
        )
        if on_written is not None:
            on_written(session, result, contents)
    return result


def outbox_folder(vault: Vault) -> Path:
    """The vault's private folder of bundles waiting to be sent over the network."""
    return vault.folder / "outbox"


def _open_outbox_items(session: Session) -> Sequence[tuple[OutboxRow, BundleRow]]:
    """The outbox items not delivered nor refused, with their bundles, oldest first."""
    return session.exec(
        select(OutboxRow, BundleRow)
        .join(BundleRow, col(BundleRow.seq) == col(OutboxRow.seq))
        .where(col(OutboxRow.state).in_(OUTBOX_OPEN))
        .order_by(col(OutboxRow.seq))
    ).all()


def set_aside_outbox_items(vault: Vault) -> int:
    """Outbox items not delivered that can no longer be sent become refused, with the reason,
    so that what they held goes into the next bundles written: those whose file is gone
    (removed by hand, a vault folder restored from a backup) and those written for another
    headquarters than the one this device is now enrolled with."""
    with vault.write() as session:
        enrolled = enrolment_service.active_row(session)
        rows = _open_outbox_items(session)
        set_aside = 0
        for row, bundle in rows:
            if enrolled is not None and bundle.hq_key_id != enrolled.hq_key_id:
                row.reason = _(
                    "it was written for another headquarters; what it held goes into a new bundle"
                )
            elif not (outbox_folder(vault) / row.file_name).is_file():
                row.reason = _(
                    "its file is missing from the outbox; what it held goes into a new bundle"
                )
            else:
                continue
            row.state = ItemState.REFUSED.value
            session.add(row)
            set_aside += 1
    return set_aside


def _copy_outbox(vault: Vault, folder: Path) -> list[tuple[Path, OutboxRow, BundleRow]]:
    """Copy the outbox bundles not yet delivered into ``folder``: the same bytes under the same
    names, checked against their SHA-256 once written (a copy already there is kept)."""
    with vault.read() as session:
        rows = _open_outbox_items(session)
    copied = []
    for item, bundle in rows:
        source = outbox_folder(vault) / item.file_name
        target = folder / item.file_name
        if not (target.is_file() and sha256_of_file(target) == item.sha256):
            with source.open("rb") as reader, atomic_writer(target) as writer:
                shutil.copyfileobj(reader, writer, _COPY_CHUNK)
            if sha256_of_file(target) != item.sha256:
                target.unlink(missing_ok=True)
                raise ConflictError(
                    _("A bundle copied to the stick does not read back intact; export again.")
                )
        copied.append((target, item, bundle))
    return copied


def export(vault: Vault, folder: Path, progress: Progress | None = None) -> ExportResult:
    """Write a bundle of every unacknowledged sealed revision into ``folder``: the outbox bundles
    not yet delivered are copied there, and a new bundle carries the revisions in none of them."""
    check_export_folder(folder)
    with vault.read() as session:
        if enrolment_service.active_row(session) is None:
            raise _not_enrolled()
    set_aside_outbox_items(vault)
    copies = _copy_outbox(vault, folder)
    result = export_selection(
        vault, folder, lambda session: _usb_contents(vault, session), progress=progress
    )
    paths = tuple(path for path, _item, _bundle in copies)
    if result is not None:
        return dataclasses.replace(result, copied=paths)
    if not copies:
        raise ConflictError(
            _("Nothing to export: headquarters has acknowledged every sealed record.")
        )
    path, item, bundle = copies[-1]
    return ExportResult(path, item.seq, bundle.revisions, bundle.attachments, item.size, paths)
