"""The HQ repository: one interface, several backends (SQLite, PostgreSQL, an in-memory fake).

Every backend passes the same contract tests (``tests/hq/test_repository_contract.py``). Values
going in and out are plain frozen dataclasses; no ORM object leaves a backend.

The one write that matters, :meth:`Repository.store_bundle`, stores a whole bundle (its row,
its forms, the revisions HQ did not have yet with their answers, the links to their sealed
identifying answers, attachment metadata, alarms) in one transaction: everything or nothing.
A bundle's revisions come in parts (:class:`SealedPart`: one sealed batch and the revisions it
holds the identifying answers of), which may be produced while the transaction runs, so that a
large bundle's rows and sealed batches are never all in memory at once.
It serialises with other ingests of the same device (a row lock on the device in PostgreSQL,
SQLite's write lock), re-checks the device's chain inside the transaction, and decides there
which revisions are new ("accepted") and which HQ already had ("known").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fieldkit.bundle import DeviceIdentityFile
from fieldkit.crypto.identity import fingerprint_of
from fieldkit.errors import ConflictError, FieldkitError, NotFoundError
from fieldkit.hq.analysis.facts import Facts
from fieldkit.hq.errors import RepositoryError
from fieldkit.hq.repository.sync import SyncStore
from fieldkit.i18n import _

TABLES = (
    "devices",
    "bundles",
    "bundle_revisions",
    "forms",
    "sealed_batches",
    "revisions",
    "identifying",
    "attachments",
    "alarms",
    "receipts",
)
"""Every table (the keys of :meth:`Repository.counts`)."""


@dataclass(frozen=True)
class Device:
    key_id: str
    public_key: bytes
    age_recipient: str
    name: str
    identity_created: str
    registered_at: str
    revoked_from: int | None = None
    """Bundles with this sequence number or a higher one are refused; 1 means entirely."""
    revoked_at: str | None = None
    lost_at: str | None = None
    """When HQ declared the device lost: its sync requests get a signed erase order."""

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.public_key)

    def trusted_for(self, sequence: int) -> bool:
        return self.revoked_from is None or sequence < self.revoked_from

    @classmethod
    def from_identity(cls, identity: DeviceIdentityFile, registered_at: str) -> Device:
        return cls(
            key_id=identity.key_id,
            public_key=identity.public_key,
            age_recipient=identity.age_recipient,
            name=identity.device_name,
            identity_created=identity.created,
            registered_at=registered_at,
        )


@dataclass(frozen=True)
class StoredBundle:
    manifest_sha256: str
    bundle_id: str
    device_key_id: str
    sequence: int
    previous: str | None
    created: str
    ingested_at: str
    ciphertext_sha256: str
    revisions: int
    attachments: int
    accepted: tuple[str, ...]
    """Revision hashes this bundle added, sorted."""
    known: tuple[str, ...]
    """Revision hashes of this bundle HQ already had, sorted."""


class AlarmKind(StrEnum):
    FORK = "fork"
    """Two different bundles with the same device and sequence number."""
    CHAIN = "chain"
    """A bundle whose 'previous' hash does not match the device's stored bundle before it."""
    GAP = "gap"
    """Sequence numbers skipped: bundles missing (lost, or not brought in yet)."""
    CONFLICT = "conflict"
    """Two different revisions with the same record and revision number."""


@dataclass(frozen=True)
class NewAlarm:
    kind: AlarmKind
    device_key_id: str
    sequence: int | None
    manifest_sha256: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    """Ids and numbers only (never content): e.g. the other manifest hash, missing numbers."""


@dataclass(frozen=True)
class Alarm:
    id: int
    kind: AlarmKind
    device_key_id: str
    sequence: int | None
    manifest_sha256: str | None
    detail: dict[str, Any]
    raised_at: str


@dataclass(frozen=True)
class NewForm:
    sha256: str
    form_id: str
    version: str
    definition: bytes


@dataclass(frozen=True)
class StoredForm:
    sha256: str
    form_id: str
    version: str
    definition: bytes


@dataclass(frozen=True)
class NewRevision:
    sha256: str
    record_id: str
    number: int
    device_key_id: str
    form_sha256: str
    form_id: str
    form_version: str
    sealed_at: str
    previous: str | None
    answers: str
    """Public and restricted answers only, as the JSON text of an object (ingest encodes them
    while it reads the bundle); identifying ones are in the sealed batch."""
    attachments: tuple[str, ...]
    link_id: str
    """Random: links the revision to its sealed entry (identifying answers, original)."""
    position: int
    """Its entry's index in the sealed batch of its :class:`SealedPart`."""
    facts: Facts | None = None
    """Its analysis rows (:mod:`fieldkit.hq.analysis`), made from the answers while the bundle
    was read; the SQL repository writes them with the revision if it is its record's newest."""

    @property
    def key(self) -> RevisionKey:
        return RevisionKey(self.sha256, self.record_id, self.number)


@dataclass(frozen=True)
class RevisionKey:
    """Which revision: enough to decide, before any answer is at hand, whether it is new."""

    sha256: str
    record_id: str
    number: int


@dataclass(frozen=True)
class NewSealedBatch:
    ciphertext: bytes
    links: tuple[str, ...]
    """The link id of each entry, in order."""


@dataclass(frozen=True)
class SealedPart:
    """One sealed batch, and the revisions whose identifying answers (and originals) it holds:
    ``sealed.links[r.position] == r.link_id`` for each."""

    sealed: NewSealedBatch
    revisions: Sequence[NewRevision]


@dataclass(frozen=True)
class NewAttachment:
    sha256: str
    size: int


@dataclass(frozen=True)
class BundleBatch:
    """Everything one bundle adds, stored by :meth:`Repository.store_bundle` or not at all."""

    manifest_sha256: str
    bundle_id: str
    device_key_id: str
    sequence: int
    previous: str | None
    created: str
    ingested_at: str
    ciphertext_sha256: str
    revision_hashes: tuple[str, ...]
    """Every revision of the bundle, in manifest order (new or not)."""
    candidates: Sequence[RevisionKey]
    """The revisions HQ did not have when the batch was built."""
    parts: Iterable[SealedPart]
    """The candidates with their answers, in sealed parts, each candidate once. May be a one-shot
    iterator that does its work (parsing, sealing) as :meth:`Repository.store_bundle` asks for
    the next part; an exception it raises stores nothing."""
    forms: Sequence[NewForm]
    attachments: Sequence[NewAttachment]
    attachment_count: int
    alarms: Sequence[NewAlarm] = ()


@dataclass(frozen=True)
class StoreOutcome:
    accepted: tuple[str, ...]
    known: tuple[str, ...]


@dataclass(frozen=True)
class StoredRevision:
    seq: int
    """Ingest order."""
    sha256: str
    record_id: str
    number: int
    device_key_id: str
    form_sha256: str
    form_id: str
    form_version: str
    sealed_at: str
    previous: str | None
    answers: dict[str, Any]
    attachments: tuple[str, ...]
    link_id: str
    batch_id: int
    position: int


@dataclass(frozen=True)
class RecordSummary:
    record_id: str
    revisions: int
    latest: StoredRevision


@dataclass(frozen=True)
class IssuedReceipt:
    receipt_id: str
    manifest_sha256: str
    device_key_id: str
    sequence: int
    issued: str
    accepted: int
    known: int
    file_name: str


class BundleRefusedError(FieldkitError):
    """store_bundle found, inside its transaction, that the bundle must be refused with an alarm:
    another manifest at its sequence number (FORK), a broken chain (CHAIN), or a revision that
    differs from a stored one with the same record and number (CONFLICT)."""

    def __init__(self, kind: AlarmKind, other: str | None) -> None:
        super().__init__(
            _("The bundle conflicts with what headquarters holds ({kind}).").format(kind=kind.value)
        )
        self.kind = kind
        self.other = other
        """The conflicting manifest or revision hash HQ holds."""


class AlreadyStoredError(FieldkitError):
    """store_bundle found the same bundle already stored (a concurrent ingest of it)."""

    def __init__(self) -> None:
        super().__init__(_("The bundle was already ingested."))


class Repository(SyncStore, ABC):
    """What HQ needs from its store (and the sync server's state, :class:`SyncStore`). Methods
    are short units of work; none keeps a session."""

    # -- life cycle ------------------------------------------------------------------------------

    @abstractmethod
    def close(self) -> None: ...

    # -- devices -----------------------------------------------------------------------------------

    @abstractmethod
    def add_device(self, identity: DeviceIdentityFile, registered_at: str) -> tuple[Device, bool]:
        """Register a verified identity file; return the device and whether it is new.

        Registering a key again changes nothing (a revoked device stays revoked). A key id
        registered with another public key or age recipient is a :class:`ConflictError`.
        """

    @abstractmethod
    def device(self, key_id: str) -> Device | None: ...

    @abstractmethod
    def devices(self) -> list[Device]:
        """Every device, by registration time."""

    @abstractmethod
    def revoke_device(self, key_id: str, from_sequence: int, revoked_at: str) -> Device:
        """Refuse the device's bundles from ``from_sequence`` on (1: entirely). Revocation only
        ever widens: a later call with a higher number keeps the lower one."""

    @abstractmethod
    def mark_lost(self, key_id: str, lost_at: str) -> Device:
        """Record that the device was declared lost at ``lost_at``; a device declared lost
        already keeps its first time (the erase order it is sent stays the same)."""

    # -- bundles -----------------------------------------------------------------------------------

    @abstractmethod
    def bundle(self, manifest_sha256: str) -> StoredBundle | None:
        """The stored bundle with this manifest hash (a replay if it exists)."""

    @abstractmethod
    def bundle_at(self, device_key_id: str, sequence: int) -> StoredBundle | None: ...

    def manifest_at(self, device_key_id: str, sequence: int) -> str | None:
        """The manifest hash recorded for (device, sequence)."""
        stored = self.bundle_at(device_key_id, sequence)
        return None if stored is None else stored.manifest_sha256

    @abstractmethod
    def last_sequence(self, device_key_id: str) -> int:
        """The device's highest stored sequence number (0 if none)."""

    @abstractmethod
    def missing_sequences(self, device_key_id: str) -> list[int]:
        """Sequence numbers from 1 to the last that HQ has no bundle for."""

    @abstractmethod
    def known_revisions(self, hashes: Collection[str]) -> set[str]:
        """Which of ``hashes`` HQ already holds."""

    @abstractmethod
    def store_bundle(self, batch: BundleBatch) -> StoreOutcome:
        """Store a whole bundle atomically (see the module's description).

        Raises :class:`AlreadyStoredError` if the same manifest is stored by now,
        :class:`BundleRefusedError` if (device, sequence) holds another manifest, the previous or
        next bundle's hash does not match, or a new revision conflicts with a stored one;
        :class:`~fieldkit.hq.errors.RepositoryError` if a constraint refuses a row. Nothing is
        stored in any of these cases.
        """

    # -- alarms ------------------------------------------------------------------------------------

    @abstractmethod
    def add_alarm(self, alarm: NewAlarm, raised_at: str) -> None:
        """Record an alarm on its own (for a rejected bundle, nothing else is stored). The
        alarm's device must be registered, else :class:`~fieldkit.hq.errors.RepositoryError`."""

    @abstractmethod
    def alarms(self, device_key_id: str | None = None) -> list[Alarm]:
        """Alarms, oldest first."""

    # -- records -----------------------------------------------------------------------------------

    @abstractmethod
    def forms(self) -> list[StoredForm]: ...

    @abstractmethod
    def form(self, sha256: str) -> StoredForm | None: ...

    @abstractmethod
    def iter_revisions(
        self, *, form_id: str | None = None, latest_only: bool = False
    ) -> Iterator[StoredRevision]:
        """Revisions in ingest order, streamed; ``latest_only``: each record's newest only."""

    @abstractmethod
    def records(self, form_id: str | None = None) -> list[RecordSummary]:
        """One entry per record (its newest revision), in ingest order."""

    @abstractmethod
    def sealed_batch(self, batch_id: int) -> bytes:
        """The age ciphertext of a sealed batch."""

    # -- receipts ----------------------------------------------------------------------------------

    @abstractmethod
    def add_receipt(self, receipt: IssuedReceipt) -> None:
        """Record an issued receipt. A receipt for a bundle that is not stored, or a receipt id
        used already, is a :class:`~fieldkit.hq.errors.RepositoryError`."""

    @abstractmethod
    def receipts(self, manifest_sha256: str | None = None) -> list[IssuedReceipt]:
        """Receipts, by issue time (then receipt id)."""

    # -- inspection --------------------------------------------------------------------------------

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Rows per table (:data:`TABLES`)."""


def missing_between(sequences: Collection[int]) -> list[int]:
    """Numbers from 1 to max(sequences) that are not in ``sequences``."""
    if not sequences:
        return []
    present = set(sequences)
    return [n for n in range(1, max(present) + 1) if n not in present]


def check_conflicts(
    batch: BundleBatch, stored: dict[tuple[str, int], str], known: set[str]
) -> list[RevisionKey]:
    """The candidates to insert: not known already, and not in conflict with a stored revision
    (``stored`` maps (record, number) to the hash HQ holds for the candidates' records)."""
    new = []
    for revision in batch.candidates:
        if revision.sha256 in known:
            continue
        other = stored.get((revision.record_id, revision.number))
        if other is not None and other != revision.sha256:
            raise BundleRefusedError(AlarmKind.CONFLICT, other)
        new.append(revision)
    return new


class PartChecker:
    """Checks the parts of a batch as they come against the candidates to insert (``new``):
    each revision is one of them, given once, at its place in its sealed batch; at the end,
    every one of them was given. A revision that became known since the batch was built (a
    concurrent ingest stored it) is skipped."""

    def __init__(self, new: Iterable[RevisionKey], known: Collection[str]) -> None:
        self._pending = {key.sha256: key for key in new}
        self._known = known
        self.inserted: list[str] = []
        self.inserted_set: set[str] = set()

    def take(self, part: SealedPart) -> list[NewRevision]:
        """The revisions of ``part`` to insert; raises RepositoryError if ``part`` is wrong."""
        links = part.sealed.links
        taken = []
        for revision in part.revisions:
            if not 0 <= revision.position < len(links) or links[revision.position] != (
                revision.link_id
            ):
                raise RepositoryError(_("A revision's sealed entry is missing; nothing stored."))
            key = self._pending.pop(revision.sha256, None)
            if key is None and revision.sha256 in self._known:
                continue
            if key is None and revision.sha256 not in self.inserted_set:
                raise RepositoryError(
                    _("A revision is not among the bundle's new ones; nothing was stored.")
                )
            if key != revision.key:
                raise RepositoryError(_("A revision is in the bundle twice; nothing was stored."))
            taken.append(revision)
        self.inserted.extend(r.sha256 for r in taken)
        self.inserted_set.update(r.sha256 for r in taken)
        return taken

    def finish(self) -> None:
        if self._pending:
            raise RepositoryError(_("A revision's sealed entry is missing; nothing stored."))


def outcome(batch: BundleBatch, inserted: Collection[str]) -> StoreOutcome:
    inserted = set(inserted)
    return StoreOutcome(
        accepted=tuple(sorted(inserted)),
        known=tuple(sorted(set(batch.revision_hashes) - inserted)),
    )


def check_chain(
    batch: BundleBatch,
    at_sequence: StoredBundle | None,
    before: StoredBundle | None,
    after: StoredBundle | None,
) -> None:
    """The checks store_bundle repeats inside its transaction (shared by every backend)."""
    if at_sequence is not None:
        if at_sequence.manifest_sha256 == batch.manifest_sha256:
            raise AlreadyStoredError()
        raise BundleRefusedError(AlarmKind.FORK, at_sequence.manifest_sha256)
    if before is not None and batch.previous != before.manifest_sha256:
        raise BundleRefusedError(AlarmKind.CHAIN, before.manifest_sha256)
    if after is not None and after.previous != batch.manifest_sha256:
        raise BundleRefusedError(AlarmKind.CHAIN, after.manifest_sha256)


def no_device_error(key_id: str) -> NotFoundError:
    return NotFoundError(_("No device with key id {key_id} is registered.").format(key_id=key_id))


def other_identity_error() -> ConflictError:
    return ConflictError(
        _(
            "A device with this key id is registered with another key or receipt key; nothing "
            "was changed."
        )
    )
