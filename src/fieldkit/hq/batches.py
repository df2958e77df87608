"""Turning a verified, opened bundle into the :class:`BundleBatch` the repository stores.

Each revision is split by its form's sensitivity labels (:class:`fieldkit.hq.answers.Splitter`)
while the bundle is read (:class:`RevisionPreparer`, the reader's ``on_revision``: the reader
parses each revision once, and HQ takes what it needs from that parse): the public and
restricted answers, as JSON text, go into the queryable revision row; the identifying ones,
with the original signed content and signature, into batches sealed to HQ's own recipients
(:class:`fieldkit.hq.sealing.BatchBuilder`). Attachments, encrypted to HQ's keys while the
bundle was read (:mod:`fieldkit.hq.spool`), are linked into HQ's attachment folder.

The sealed parts are made lazily, one at a time, as the repository stores them
(:attr:`BundleBatch.parts`): a bundle's parsed answers are never all in memory at once, only
its verified revision texts (bounded by the format's limits) and the text of their answers.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldkit.bundle import OpenedBundle, VerifiedForm, VerifiedRevision
from fieldkit.domain.records import utc_timestamp
from fieldkit.hq.analysis.mapping import safe_facts
from fieldkit.hq.answers import Answers, Splitter
from fieldkit.hq.repository.base import (
    BundleBatch,
    NewAttachment,
    NewForm,
    NewRevision,
    NewSealedBatch,
    RevisionKey,
    SealedPart,
)
from fieldkit.hq.repository.rows import JSON_TEXT
from fieldkit.hq.sealing import BatchBuilder, SealedEntry, place_attachment


@dataclass(frozen=True)
class PreparedRevision:
    """What HQ keeps of a parsed revision until it stores it."""

    form: VerifiedForm
    answers: str
    """The public and restricted answers, as JSON text."""
    identifying: Answers
    sealed_at: str
    previous: str | None
    attachments: tuple[str, ...]


class RevisionPreparer:
    """Splits each revision of a bundle as the reader parses it (an
    :data:`fieldkit.bundle.OnRevision`), and keeps the result by revision hash. It stores and
    writes nothing: the bundle may still turn out to be damaged."""

    def __init__(self) -> None:
        self._splitters: dict[str, Splitter] = {}
        self.prepared: dict[str, PreparedRevision] = {}

    def __call__(
        self, revision: VerifiedRevision, value: dict[str, Any], form: VerifiedForm
    ) -> None:
        self.prepared[revision.sha256] = self.prepare(value, form)

    def prepare(self, value: dict[str, Any], form: VerifiedForm) -> PreparedRevision:
        splitter = self._splitters.get(form.sha256)
        if splitter is None:
            splitter = self._splitters[form.sha256] = Splitter(form.definition)
        kept, identifying = splitter.split(value["data"])
        return PreparedRevision(
            form=form,
            answers=JSON_TEXT(kept),
            identifying=identifying,
            sealed_at=value["sealed_at"],
            previous=value["previous"],
            attachments=tuple(value["attachments"]),
        )


@dataclass(frozen=True)
class BundleRef:
    """Which bundle: its ids and place in its device's chain (no content)."""

    bundle_id: str
    manifest_sha256: str
    device_key_id: str
    sequence: int

    @classmethod
    def of(cls, opened: OpenedBundle) -> BundleRef:
        manifest = opened.manifest
        return cls(
            manifest.bundle_id, opened.manifest_sha256, manifest.device_key_id, manifest.sequence
        )


def sealed_parts(
    opened: OpenedBundle,
    revisions: Sequence[VerifiedRevision],
    recipients: Sequence[str],
    preparer: RevisionPreparer,
) -> Iterator[SealedPart]:
    """``revisions`` (of ``opened``) in sealed parts, made as they are asked for.

    A revision the preparer did not see while the bundle was read is parsed here: its content
    was checked strictly (canonical JSON, a fieldkit revision whose form the bundle carries)
    when the bundle was opened, so the plain parser reads it to the same value.
    """
    device_key_id = opened.manifest.device_key_id
    builder = BatchBuilder(recipients)
    links = _LinkIds()
    placed: list[NewRevision] = []
    for verified in revisions:
        prepared = preparer.prepared.get(verified.sha256)
        if prepared is None:
            value = json.loads(verified.content)
            form = opened.form_for(value["form"]["id"], value["form"]["version"])
            prepared = preparer.prepare(value, form)
        link = links.next()
        entry = SealedEntry(
            link, verified.sha256, prepared.identifying, verified.content, verified.signature
        )
        if not builder.fits(entry):
            yield _part(builder, placed)
            placed = []
        form = prepared.form
        placed.append(
            NewRevision(
                sha256=verified.sha256,
                record_id=verified.record_id,
                number=verified.number,
                device_key_id=device_key_id,
                form_sha256=form.sha256,
                form_id=form.form_id,
                form_version=form.version,
                sealed_at=prepared.sealed_at,
                previous=prepared.previous,
                answers=prepared.answers,
                attachments=prepared.attachments,
                link_id=link,
                position=builder.add(entry),
                facts=safe_facts(form.definition, json.loads(prepared.answers)),
            )
        )
    if placed:
        yield _part(builder, placed)


class _LinkIds:
    """Random link ids (128 bits each, as ``secrets.token_hex(16)``), drawn a few hundred at a
    time: one call to the system's random source instead of one per revision."""

    _DRAW = 256

    def __init__(self) -> None:
        self._ids: list[str] = []

    def next(self) -> str:
        if not self._ids:
            pool = secrets.token_hex(16 * self._DRAW)
            self._ids = [pool[i : i + 32] for i in range(0, len(pool), 32)]
        return self._ids.pop()


def _part(builder: BatchBuilder, placed: list[NewRevision]) -> SealedPart:
    sealed = builder.seal()
    return SealedPart(NewSealedBatch(sealed.ciphertext, sealed.links), placed)


def store_attachments(
    opened: OpenedBundle, folder: Path, written: list[Path]
) -> list[NewAttachment]:
    """Put every attachment HQ lacks into ``folder`` (they were encrypted to HQ's keys as the
    bundle was read). Each file placed is appended to ``written`` as soon as it exists, so that
    the caller can remove them if the bundle is not stored."""
    attachments = []
    for spooled in opened.attachments:
        target = place_attachment(spooled.path, spooled.sha256, folder)
        if target is not None:
            written.append(target)
        attachments.append(NewAttachment(spooled.sha256, spooled.size))
    return attachments


def build_batch(
    opened: OpenedBundle,
    known: Collection[str],
    recipients: Sequence[str],
    attachments_folder: Path,
    written: list[Path],
    preparer: RevisionPreparer | None = None,
) -> BundleBatch:
    """Everything ``opened`` adds, for :meth:`Repository.store_bundle`; attachments are
    put into place on the way (see :func:`store_attachments`), the revisions are made
    into sealed parts while they are stored (see :func:`sealed_parts`). ``preparer`` is the one
    that saw the bundle being read, if any (without, each revision is parsed again here)."""
    manifest = opened.manifest
    candidates = [r for r in opened.revisions if r.sha256 not in known]
    attachments = store_attachments(opened, attachments_folder, written)
    return BundleBatch(
        manifest_sha256=opened.manifest_sha256,
        bundle_id=manifest.bundle_id,
        device_key_id=manifest.device_key_id,
        sequence=manifest.sequence,
        previous=manifest.previous,
        created=manifest.created,
        ingested_at=utc_timestamp(),
        ciphertext_sha256=opened.ciphertext_sha256,
        revision_hashes=tuple(r.sha256 for r in opened.revisions),
        candidates=[RevisionKey(r.sha256, r.record_id, r.number) for r in candidates],
        parts=sealed_parts(opened, candidates, recipients, preparer or RevisionPreparer()),
        forms=[NewForm(f.sha256, f.form_id, f.version, f.content) for f in opened.forms],
        attachments=attachments,
        attachment_count=len(manifest.attachments),
    )
