"""Factories for HQ tests: enrolled device identities and the batches ingest hands the repository.

Hashes, ids and sealed ciphertexts are random: the repository stores them without looking inside,
and what it must do with them (keep, compare, refuse) does not depend on their content.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from fieldkit.bundle import DeviceIdentityFile, make_device_identity_file, read_device_identity_file
from fieldkit.bundle.agefile import new_identity
from fieldkit.crypto.identity import SigningKey
from fieldkit.hq.repository import (
    BundleBatch,
    FakeRepository,
    NewAlarm,
    NewAttachment,
    NewForm,
    NewRevision,
    NewSealedBatch,
    Repository,
    SealedPart,
)
from fieldkit.hq.repository.rows import JSON_TEXT

INGESTED_AT = "2026-03-20T12:00:00Z"
FORM = NewForm(
    sha256="f" * 64,
    form_id="test-observation",
    version="1",
    definition=b'{"id":"test-observation","title":{"en":"TEST observation"},"version":"1"}',
)
OTHER_FORM = NewForm(
    sha256="e" * 64,
    form_id="test-attack",
    version="2",
    definition=b'{"id":"test-attack","title":{"en":"TEST attack"},"version":"2"}',
)


def sha() -> str:
    return secrets.token_hex(32)


def identity_file(name: str = "Kidal laptop 3", key: SigningKey | None = None) -> bytes:
    """A signed device identity file, as a device exports it for enrolment."""
    return make_device_identity_file(
        device_key=key or SigningKey.generate(),
        age_recipient=new_identity()[1],
        device_name=name,
        created="2026-03-01T08:00:00Z",
    )


def identity(name: str = "Kidal laptop 3", key: SigningKey | None = None) -> DeviceIdentityFile:
    """A verified device identity, as HQ reads it from the file."""
    return read_device_identity_file(identity_file(name, key))


def revision(
    device_key_id: str,
    *,
    record_id: str | None = None,
    number: int = 1,
    previous: str | None = None,
    form: NewForm = FORM,
    answers: dict[str, Any] | None = None,
    attachments: Sequence[str] = (),
    sealed_at: str = "2026-03-14T10:00:00Z",
    position: int = 0,
) -> NewRevision:
    record_id = record_id or secrets.token_hex(16)
    if answers is None:
        answers = {"narrative": f"test {record_id} {number}"}
    return NewRevision(
        sha256=sha(),
        record_id=record_id,
        number=number,
        device_key_id=device_key_id,
        form_sha256=form.sha256,
        form_id=form.form_id,
        form_version=form.version,
        sealed_at=sealed_at,
        previous=previous,
        answers=JSON_TEXT(answers),
        attachments=tuple(attachments),
        link_id=secrets.token_hex(16),
        position=position,
    )


def amend(first: NewRevision, **changes: Any) -> NewRevision:
    """The next revision of ``first``'s record."""
    changes.setdefault("number", first.number + 1)
    changes.setdefault("previous", first.sha256)
    return replace(first, sha256=sha(), link_id=secrets.token_hex(16), **changes)


def seal(revisions: Sequence[NewRevision], per_batch: int = 256) -> list[SealedPart]:
    """``revisions`` in sealed parts of ``per_batch``, with their positions, each with a
    stand-in ciphertext."""
    return [
        part([replace(r, position=i) for i, r in enumerate(revisions[start : start + per_batch])])
        for start in range(0, len(revisions), per_batch)
    ]


def part(revisions: Sequence[NewRevision]) -> SealedPart:
    """One sealed part holding ``revisions`` at the positions they name."""
    size = max((r.position for r in revisions), default=-1) + 1
    links = [secrets.token_hex(16) for _ in range(size)]
    for r in revisions:
        links[r.position] = r.link_id
    sealed = NewSealedBatch(b"age-encryption.org/v1\n" + secrets.token_bytes(48), tuple(links))
    return SealedPart(sealed, list(revisions))


def revisions_of(made: BundleBatch) -> list[NewRevision]:
    """The revisions of a batch made here (whose parts are a list)."""
    assert isinstance(made.parts, list)
    return [r for p in made.parts for r in p.revisions]


def sealed_of(made: BundleBatch) -> list[NewSealedBatch]:
    assert isinstance(made.parts, list)
    return [p.sealed for p in made.parts]


def batch(
    device_key_id: str,
    sequence: int,
    revisions: Sequence[NewRevision] = (),
    *,
    previous: str | None = None,
    known: Sequence[str] = (),
    forms: Sequence[NewForm] = (FORM,),
    attachments: Sequence[NewAttachment] = (),
    alarms: Sequence[NewAlarm] = (),
    manifest_sha256: str | None = None,
    parts: Sequence[SealedPart] | None = None,
) -> BundleBatch:
    """A bundle's batch: ``revisions`` are the new candidates, ``known`` hashes of revisions
    HQ already has; ``revisions`` are sealed in parts of 256 unless ``parts`` are given."""
    return BundleBatch(
        manifest_sha256=manifest_sha256 or sha(),
        bundle_id=secrets.token_hex(16),
        device_key_id=device_key_id,
        sequence=sequence,
        previous=previous,
        created="2026-03-15T09:00:00Z",
        ingested_at=INGESTED_AT,
        ciphertext_sha256=sha(),
        revision_hashes=tuple(r.sha256 for r in revisions) + tuple(known),
        candidates=[r.key for r in revisions],
        parts=list(seal(revisions) if parts is None else parts),
        forms=list(forms),
        attachments=list(attachments),
        attachment_count=len(attachments),
        alarms=list(alarms),
    )


@dataclass
class DeviceChain:
    """A device's bundles in order: each one chained to the one before it."""

    key_id: str
    sequence: int = 0
    previous: str | None = None
    stored: list[BundleBatch] = field(default_factory=list)

    def next(self, revisions: Sequence[NewRevision] = (), **options: Any) -> BundleBatch:
        """The device's next bundle (call :meth:`stored_ok` once it is stored)."""
        made = batch(self.key_id, self.sequence + 1, revisions, previous=self.previous, **options)
        return made

    def stored_ok(self, made: BundleBatch) -> BundleBatch:
        self.sequence, self.previous = made.sequence, made.manifest_sha256
        self.stored.append(made)
        return made

    def records(self, count: int, **options: Any) -> list[NewRevision]:
        return [revision(self.key_id, **options) for _ in range(count)]


def store(repository: Repository, chain: DeviceChain, made: BundleBatch) -> BundleBatch:
    """Store ``made``, the next bundle of ``chain``, and move the chain on."""
    repository.store_bundle(made)
    return chain.stored_ok(made)


CONSTRAINT = r"The repository refused the change \(a database constraint\); nothing was stored"
"""What the SQL backends say where the database's own constraints refuse a row."""


def refused(repository: Repository, reason: str) -> str:
    """The message ``repository`` refuses with: ``reason``; on SQL, or a database constraint."""
    return reason if isinstance(repository, FakeRepository) else f"{reason}|{CONSTRAINT}"
