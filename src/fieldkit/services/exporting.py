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
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, col, select

from fieldkit.bundle import AttachmentSource, FormSource, SealedRevision, export_bundle_file
from fieldkit.bundle.writer import build_manifest, check_export_folder, new_bundle_file_name
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.records import RecordStatus, RevisionEnvelope, sha256_hex, utc_timestamp
from fieldkit.errors import ConflictError
from fieldkit.i18n import _
from fieldkit.services import enrolment as enrolment_service
from fieldkit.services import vaults
from fieldkit.services.records import mark_status
from fieldkit.vault import attachments as attachment_store
from fieldkit.vault import audit
from fieldkit.vault.models import AttachmentRow, BundleRow, FormRow, RevisionRow
from fieldkit.vault.store import Vault

log = logging.getLogger("fieldkit.services.exporting")

Progress = Callable[[int, int], None]
UNACKNOWLEDGED = (RecordStatus.FINAL.value, RecordStatus.EXPORTED.value)
RESERVED = "reserved"
WRITTEN = "written"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    sequence: int
    revisions: int
    attachments: int
    size: int


@dataclass(frozen=True)
class _Contents:
    revisions: list[SealedRevision]
    attachments: list[AttachmentSource]
    forms: list[FormSource]


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


def _chunks(vault: Vault, digest: str) -> Iterator[bytes]:
    with vault.read() as session:
        yield from attachment_store.iter_chunks(session, digest)


def _gather(vault: Vault, session: Session) -> _Contents:
    rows = session.exec(
        select(RevisionRow)
        .where(col(RevisionRow.status).in_(UNACKNOWLEDGED), col(RevisionRow.content).is_not(None))
        .order_by(col(RevisionRow.sealed_at), col(RevisionRow.record_id), col(RevisionRow.number))
    ).all()
    revisions: list[SealedRevision] = []
    hashes: set[str] = set()
    forms: set[tuple[str, str]] = set()
    for row in rows:
        content = row.content or b""
        revisions.append(
            SealedRevision(row.record_id, row.number, row.sha256, content, row.signature)
        )
        envelope = RevisionEnvelope.from_json(json.loads(content))
        hashes.update(envelope.attachments)
        forms.add((envelope.form_id, envelope.form_version))
    attachments = []
    for digest in sorted(hashes):
        stored = session.get(AttachmentRow, digest)
        if stored is None:
            raise ConflictError(
                _("An attachment ({sha}) of a sealed record is missing from the vault.").format(
                    sha=digest[:12]
                )
            )
        attachments.append(
            AttachmentSource(
                stored.sha256,
                stored.size,
                lambda d=digest: _chunks(vault, d),  # type: ignore[misc]
            )
        )
    form_sources = []
    for form_id, version in sorted(forms):
        form_row = session.get(FormRow, (form_id, version))
        if form_row is None:
            raise ConflictError(
                _("Form '{id}' version {version} is missing from the vault.").format(
                    id=form_id, version=version
                )
            )
        definition = form_row.definition.encode()
        form_sources.append(FormSource(form_id, version, sha256_hex(definition), definition))
    return _Contents(revisions, attachments, form_sources)


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
    contents: _Contents,
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
    contents: _Contents,
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


def export(vault: Vault, folder: Path, progress: Progress | None = None) -> ExportResult:
    """Write a bundle of every unacknowledged sealed revision into ``folder``."""
    check_export_folder(folder)  # before a sequence number is reserved
    key = vaults.signing_key(vault)
    with vault.write() as session:
        enrolled = enrolment_service.active_row(session)
        if enrolled is None:
            raise ConflictError(
                _(
                    "This device is not enrolled with a headquarters yet: import the enrolment "
                    "file your headquarters gave you first."
                )
            )
        contents = _gather(vault, session)
        if not contents.revisions:
            raise ConflictError(
                _("Nothing to export: headquarters has acknowledged every sealed record.")
            )
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
    return ExportResult(
        path=exported.path,
        sequence=reserved.seq,
        revisions=len(contents.revisions),
        attachments=len(contents.attachments),
        size=exported.info.ciphertext_bytes,
    )
