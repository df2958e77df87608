"""Enrolment: pinning the keys of headquarters, and giving headquarters this device's identity.

Trust comes from a person comparing fingerprints: the enrolment file is self-signed, so the app
shows the HQ fingerprint and the user checks it against the one HQ gives by another channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from fieldkit.bundle import (
    Enrolment,
    is_display_name,
    make_device_identity_file,
    read_enrolment,
)
from fieldkit.domain.records import utc_timestamp
from fieldkit.errors import ConflictError, NotFoundError
from fieldkit.files import atomic_write_bytes
from fieldkit.i18n import _
from fieldkit.services import vaults
from fieldkit.services.datafiles import read_small_file
from fieldkit.vault import audit, repo
from fieldkit.vault.models import EnrolmentRow
from fieldkit.vault.store import Vault

MAX_ENROLMENT_BYTES = 64 * 1024


@dataclass(frozen=True)
class EnrolledHQ:
    hq_key_id: str
    hq_name: str
    fingerprint: str
    recipients: tuple[str, ...]
    address: str | None
    enrolled_at: str


def inspect_enrolment(untrusted_path: Path) -> Enrolment:
    """Read and verify an enrolment file without pinning it (to show its fingerprint first)."""
    return read_enrolment(read_small_file(untrusted_path, MAX_ENROLMENT_BYTES))


def _view(row: EnrolmentRow) -> EnrolledHQ:
    from fieldkit.crypto.identity import fingerprint_of

    recipients = (row.ingest_recipient,) + ((row.escrow_recipient,) if row.escrow_recipient else ())
    return EnrolledHQ(
        hq_key_id=row.hq_key_id,
        hq_name=row.hq_name,
        fingerprint=fingerprint_of(row.signing_public_key),
        recipients=recipients,
        address=row.address,
        enrolled_at=row.enrolled_at,
    )


def active_row(session: Session) -> EnrolmentRow | None:
    return repo.active_enrolment(session)


def current(vault: Vault) -> EnrolledHQ | None:
    with vault.read() as session:
        row = active_row(session)
    return None if row is None else _view(row)


def enroll(
    vault: Vault,
    untrusted_path: Path,
    *,
    replace: bool = False,
    expected_key_id: str | None = None,
) -> EnrolledHQ:
    """Pin the headquarters of an enrolment file. Enrolling with another HQ needs ``replace``.

    ``expected_key_id`` is the HQ key whose fingerprint the user compared (from
    :func:`inspect_enrolment`): a file that was swapped meanwhile is refused, not pinned.
    """
    data = read_small_file(untrusted_path, MAX_ENROLMENT_BYTES)
    enrolment = read_enrolment(data)
    if expected_key_id is not None and enrolment.signing_key_id != expected_key_id:
        raise ConflictError(
            _(
                "The enrolment file changed after you compared its fingerprint. Choose it again "
                "and compare the fingerprint once more."
            )
        )
    with vault.write() as session:
        existing = active_row(session)
        if existing is not None and existing.hq_key_id == enrolment.signing_key_id:
            existing.hq_name = enrolment.hq_name
            existing.ingest_recipient = enrolment.ingest_recipient
            existing.escrow_recipient = enrolment.escrow_recipient
            existing.address = enrolment.address
            existing.document = data
            session.add(existing)
            return _view(existing)
        if existing is not None and not replace:
            raise ConflictError(
                _(
                    "This device is already enrolled with {name} ({fingerprint}). To move it to "
                    "another headquarters, enrol again with --replace."
                ).format(name=existing.hq_name, fingerprint=_view(existing).fingerprint)
            )
        if existing is not None:
            existing.active = False
            session.add(existing)
        row = session.get(EnrolmentRow, enrolment.signing_key_id) or EnrolmentRow(
            hq_key_id=enrolment.signing_key_id,
            hq_name=enrolment.hq_name,
            signing_public_key=enrolment.signing_public_key,
            ingest_recipient=enrolment.ingest_recipient,
            document=data,
            enrolled_at=utc_timestamp(),
        )
        row.hq_name = enrolment.hq_name
        row.ingest_recipient = enrolment.ingest_recipient
        row.escrow_recipient = enrolment.escrow_recipient
        row.address = enrolment.address
        row.document = data
        row.active = True
        session.add(row)
        session.flush()
        audit.append(session, audit.Action.ENROLLED, enrolment.signing_key_id)
        return _view(row)


def identity_file_name(identity: vaults.DeviceIdentity) -> str:
    """The name the device identity file gives headquarters: the vault's device name, or,
    for a vault without one (or with one the format refuses), "Device" and the first eight
    digits of the key id, so that every vault can be registered."""
    name = identity.device_name.strip()
    if name and is_display_name(name):
        return name
    return _("Device {key_id}").format(key_id=identity.key_id[:8])


def export_identity(vault: Vault, destination: Path) -> Path:
    """Write this device's public identity file for headquarters to register."""
    identity = vaults.device_identity(vault)
    key = vaults.signing_key(vault)
    document = make_device_identity_file(
        device_key=key,
        age_recipient=identity.age_recipient,
        device_name=identity_file_name(identity),
    )
    if destination.is_dir():
        destination = destination / f"fieldkit-device-{identity.key_id[:12]}.json"
    if not destination.parent.is_dir():
        raise NotFoundError(_("{path}: its folder does not exist.").format(path=destination))
    atomic_write_bytes(destination, document, mode=0o644)
    return destination
