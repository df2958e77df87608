"""An in-memory repository for unit tests: the same contract as the real ones, no database.

``store_bundle`` checks everything first and only then changes its dictionaries, so that it too
stores everything or nothing. It refuses what the SQL backend's constraints refuse (unknown
devices and forms, a link id, revision hash or record and number used twice, a receipt id used
twice), with :class:`~fieldkit.hq.errors.RepositoryError`.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Collection, Iterator
from dataclasses import replace
from typing import Any

from fieldkit.bundle import DeviceIdentityFile
from fieldkit.hq.errors import NotFoundError, RepositoryError
from fieldkit.hq.repository.base import (
    Alarm,
    BundleBatch,
    Device,
    IssuedReceipt,
    NewAlarm,
    PartChecker,
    RecordSummary,
    Repository,
    StoredBundle,
    StoredForm,
    StoredRevision,
    StoreOutcome,
    check_chain,
    check_conflicts,
    missing_between,
    no_device_error,
    other_identity_error,
    outcome,
)
from fieldkit.hq.repository.sync_fake import FakeSyncStore
from fieldkit.i18n import _


class FakeRepository(FakeSyncStore, Repository):
    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._devices: dict[str, Device] = {}
        self._bundles: dict[str, StoredBundle] = {}
        self._bundle_revisions: int = 0
        self._forms: dict[str, StoredForm] = {}
        self._sealed: dict[int, bytes] = {}
        self._revisions: dict[str, StoredRevision] = {}
        self._identifying: dict[str, tuple[int, int]] = {}
        self._attachments: dict[str, int] = {}
        self._alarms: list[Alarm] = []
        self._receipts: dict[str, IssuedReceipt] = {}

    def close(self) -> None:
        pass

    # -- devices -----------------------------------------------------------------------------------

    def add_device(self, identity: DeviceIdentityFile, registered_at: str) -> tuple[Device, bool]:
        with self._lock:
            existing = self._devices.get(identity.key_id)
            if existing is not None:
                if (existing.public_key, existing.age_recipient) != (
                    identity.public_key,
                    identity.age_recipient,
                ):
                    raise other_identity_error()
                return existing, False
            if any(d.public_key == identity.public_key for d in self._devices.values()):
                raise other_identity_error()
            device = Device.from_identity(identity, registered_at)
            self._devices[device.key_id] = device
            return device, True

    def device(self, key_id: str) -> Device | None:
        return self._devices.get(key_id)

    def devices(self) -> list[Device]:
        return sorted(self._devices.values(), key=lambda d: (d.registered_at, d.key_id))

    def revoke_device(self, key_id: str, from_sequence: int, revoked_at: str) -> Device:
        with self._lock:
            device = self._devices.get(key_id)
            if device is None:
                raise no_device_error(key_id)
            if device.revoked_from is not None and device.revoked_from <= from_sequence:
                return device
            revoked = replace(device, revoked_from=from_sequence, revoked_at=revoked_at)
            self._devices[key_id] = revoked
            return revoked

    def mark_lost(self, key_id: str, lost_at: str) -> Device:
        with self._lock:
            device = self._devices.get(key_id)
            if device is None:
                raise no_device_error(key_id)
            if device.lost_at is not None:
                return device
            lost = replace(device, lost_at=lost_at)
            self._devices[key_id] = lost
            return lost

    # -- bundles -----------------------------------------------------------------------------------

    def bundle(self, manifest_sha256: str) -> StoredBundle | None:
        return self._bundles.get(manifest_sha256)

    def bundle_at(self, device_key_id: str, sequence: int) -> StoredBundle | None:
        for stored in self._bundles.values():
            if stored.device_key_id == device_key_id and stored.sequence == sequence:
                return stored
        return None

    def last_sequence(self, device_key_id: str) -> int:
        return max(
            (b.sequence for b in self._bundles.values() if b.device_key_id == device_key_id),
            default=0,
        )

    def missing_sequences(self, device_key_id: str) -> list[int]:
        return missing_between(
            [b.sequence for b in self._bundles.values() if b.device_key_id == device_key_id]
        )

    def known_revisions(self, hashes: Collection[str]) -> set[str]:
        return {h for h in hashes if h in self._revisions}

    def store_bundle(self, batch: BundleBatch) -> StoreOutcome:
        with self._lock:
            if batch.device_key_id not in self._devices:
                raise RepositoryError(_("The bundle's device is not registered; nothing stored."))
            check_chain(
                batch,
                self.bundle_at(batch.device_key_id, batch.sequence),
                self.bundle_at(batch.device_key_id, batch.sequence - 1),
                self.bundle_at(batch.device_key_id, batch.sequence + 1),
            )
            stored_numbers = {(r.record_id, r.number): r.sha256 for r in self._revisions.values()}
            known = self.known_revisions(batch.revision_hashes)
            checker = PartChecker(check_conflicts(batch, stored_numbers, known), known)
            parts = [(part, checker.take(part)) for part in batch.parts]
            checker.finish()
            parts = [(part, taken) for part, taken in parts if taken]
            new = [r for _part, taken in parts for r in taken]
            forms = {f.sha256 for f in batch.forms} | set(self._forms)
            links = [r.link_id for r in new]
            if len(set(links)) != len(links) or set(links) & set(self._identifying):
                raise RepositoryError(_("A link id is used twice; nothing was stored."))
            numbers = {(r.record_id, r.number) for r in new}
            if len({r.sha256 for r in new}) != len(new) or len(numbers) != len(new):
                raise RepositoryError(_("A revision is in the bundle twice; nothing was stored."))
            if any(r.form_sha256 not in forms for r in new):
                raise RepositoryError(_("A revision's form is missing; nothing was stored."))
            devices = {r.device_key_id for r in new} | {a.device_key_id for a in batch.alarms}
            if not devices <= set(self._devices):
                raise RepositoryError(_("A revision's device is not registered; nothing stored."))
            for form in batch.forms:
                _check_text(form.definition)
            answers = {r.sha256: _answers(r.answers) for r in new}
            # Every check passed: from here on nothing can fail.
            first_batch = max(self._sealed, default=0) + 1
            for offset, (part, _taken) in enumerate(parts):
                self._sealed[first_batch + offset] = part.sealed.ciphertext
            for form in batch.forms:
                self._forms.setdefault(
                    form.sha256,
                    StoredForm(form.sha256, form.form_id, form.version, form.definition),
                )
            seq = max((r.seq for r in self._revisions.values()), default=0)
            placed = [(first_batch + i, r) for i, (_p, taken) in enumerate(parts) for r in taken]
            for batch_id, revision in placed:
                seq += 1
                self._revisions[revision.sha256] = StoredRevision(
                    seq=seq,
                    sha256=revision.sha256,
                    record_id=revision.record_id,
                    number=revision.number,
                    device_key_id=revision.device_key_id,
                    form_sha256=revision.form_sha256,
                    form_id=revision.form_id,
                    form_version=revision.form_version,
                    sealed_at=revision.sealed_at,
                    previous=revision.previous,
                    answers=answers[revision.sha256],
                    attachments=revision.attachments,
                    link_id=revision.link_id,
                    batch_id=batch_id,
                    position=revision.position,
                )
                self._identifying[revision.link_id] = (batch_id, revision.position)
            for attachment in batch.attachments:
                self._attachments.setdefault(attachment.sha256, attachment.size)
            result = outcome(batch, checker.inserted)
            self._bundles[batch.manifest_sha256] = StoredBundle(
                manifest_sha256=batch.manifest_sha256,
                bundle_id=batch.bundle_id,
                device_key_id=batch.device_key_id,
                sequence=batch.sequence,
                previous=batch.previous,
                created=batch.created,
                ingested_at=batch.ingested_at,
                ciphertext_sha256=batch.ciphertext_sha256,
                revisions=len(batch.revision_hashes),
                attachments=batch.attachment_count,
                accepted=result.accepted,
                known=result.known,
            )
            self._bundle_revisions += len(batch.revision_hashes)
            for alarm in batch.alarms:
                self._add_alarm(alarm, batch.ingested_at)
            return result

    # -- alarms ------------------------------------------------------------------------------------

    def add_alarm(self, alarm: NewAlarm, raised_at: str) -> None:
        with self._lock:
            if alarm.device_key_id not in self._devices:
                raise _no_alarm_device()
            self._add_alarm(alarm, raised_at)

    def _add_alarm(self, alarm: NewAlarm, raised_at: str) -> None:
        self._alarms.append(
            Alarm(
                id=len(self._alarms) + 1,
                kind=alarm.kind,
                device_key_id=alarm.device_key_id,
                sequence=alarm.sequence,
                manifest_sha256=alarm.manifest_sha256,
                detail=dict(alarm.detail),
                raised_at=raised_at,
            )
        )

    def alarms(self, device_key_id: str | None = None) -> list[Alarm]:
        return [a for a in self._alarms if device_key_id in (None, a.device_key_id)]

    # -- records -----------------------------------------------------------------------------------

    def forms(self) -> list[StoredForm]:
        return sorted(self._forms.values(), key=lambda f: (f.form_id, f.version, f.sha256))

    def form(self, sha256: str) -> StoredForm | None:
        return self._forms.get(sha256)

    def iter_revisions(
        self, *, form_id: str | None = None, latest_only: bool = False
    ) -> Iterator[StoredRevision]:
        revisions = sorted(self._revisions.values(), key=lambda r: r.seq)
        latest: dict[str, int] = {}
        for revision in revisions:
            latest[revision.record_id] = max(latest.get(revision.record_id, 0), revision.number)
        for revision in revisions:
            if form_id is not None and revision.form_id != form_id:
                continue
            if latest_only and revision.number != latest[revision.record_id]:
                continue
            yield replace(revision, answers=copy.deepcopy(revision.answers))

    def records(self, form_id: str | None = None) -> list[RecordSummary]:
        counts: dict[str, int] = {}
        for revision in self._revisions.values():
            counts[revision.record_id] = counts.get(revision.record_id, 0) + 1
        return [
            RecordSummary(r.record_id, counts[r.record_id], r)
            for r in self.iter_revisions(form_id=form_id, latest_only=True)
        ]

    def sealed_batch(self, batch_id: int) -> bytes:
        try:
            return self._sealed[batch_id]
        except KeyError:
            raise NotFoundError(_("A sealed batch is missing from the repository.")) from None

    # -- receipts ----------------------------------------------------------------------------------

    def add_receipt(self, receipt: IssuedReceipt) -> None:
        with self._lock:
            if receipt.manifest_sha256 not in self._bundles:
                raise RepositoryError(_("A receipt for a bundle that is not stored."))
            if receipt.receipt_id in self._receipts:
                raise RepositoryError(_("A receipt id is used twice; nothing was stored."))
            self._receipts[receipt.receipt_id] = receipt

    def receipts(self, manifest_sha256: str | None = None) -> list[IssuedReceipt]:
        return sorted(
            (r for r in self._receipts.values() if manifest_sha256 in (None, r.manifest_sha256)),
            key=lambda r: (r.issued, r.receipt_id),
        )

    # -- inspection --------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        return {
            "devices": len(self._devices),
            "bundles": len(self._bundles),
            "bundle_revisions": self._bundle_revisions,
            "forms": len(self._forms),
            "sealed_batches": len(self._sealed),
            "revisions": len(self._revisions),
            "identifying": len(self._identifying),
            "attachments": len(self._attachments),
            "alarms": len(self._alarms),
            "receipts": len(self._receipts),
        }


def _no_alarm_device() -> RepositoryError:
    return RepositoryError(_("The alarm's device is not registered; nothing stored."))


def _check_text(definition: bytes) -> None:
    """The SQL backend keeps form definitions as text."""
    try:
        definition.decode("utf-8")
    except UnicodeDecodeError:
        raise RepositoryError(
            _("A form definition is not UTF-8 text; nothing was stored.")
        ) from None


def _answers(text: str) -> dict[str, Any]:
    """A revision's answers as the SQL backends give them back (their JSON column)."""
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise RepositoryError(
            _("The repository refused the change (a database constraint); nothing was stored.")
        )
    return value
