"""Turning a verified, opened bundle into the :class:`BundleBatch` the repository stores.

Each revision HQ does not hold yet is split by its form's sensitivity labels
(:func:`fieldkit.hq.answers.split_answers`): the public and restricted answers go into the
queryable revision row; the identifying ones, with the original signed content and signature,
into batches sealed to HQ's own recipients (:class:`fieldkit.hq.sealing.BatchBuilder`). Spooled
attachments are encrypted into HQ's attachment folder, streamed.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from fieldkit.bundle import OpenedBundle
from fieldkit.domain.records import utc_timestamp
from fieldkit.hq.answers import split_answers
from fieldkit.hq.repository.base import (
    BundleBatch,
    NewAttachment,
    NewForm,
    NewRevision,
    NewSealedBatch,
)
from fieldkit.hq.sealing import BatchBuilder, SealedEntry, store_attachment


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


def new_revisions(
    opened: OpenedBundle, known: Collection[str], recipients: Sequence[str]
) -> tuple[list[NewRevision], list[NewSealedBatch]]:
    """The revisions of ``opened`` not in ``known``, and the sealed batches they point into."""
    forms = {form.key: form for form in opened.forms}
    builder = BatchBuilder(recipients)
    seen = set(known)
    revisions: list[NewRevision] = []
    for verified in opened.revisions:
        if verified.sha256 in seen:
            continue
        seen.add(verified.sha256)  # a revision twice in one bundle is stored once
        envelope = verified.envelope()
        form = forms[(envelope.form_id, envelope.form_version)]
        kept, identifying = split_answers(form.definition, envelope.data)
        link = secrets.token_hex(16)
        index, position = builder.add(
            SealedEntry(link, verified.sha256, identifying, verified.content, verified.signature)
        )
        revisions.append(
            NewRevision(
                sha256=verified.sha256,
                record_id=envelope.record_id,
                number=envelope.number,
                device_key_id=opened.manifest.device_key_id,
                form_sha256=form.sha256,
                form_id=form.form_id,
                form_version=form.version,
                sealed_at=envelope.sealed_at,
                previous=envelope.previous,
                answers=kept,
                attachments=envelope.attachments,
                link_id=link,
                batch=index,
                position=position,
            )
        )
    sealed = [NewSealedBatch(b.ciphertext, b.links) for b in builder.finish()]
    return revisions, sealed


def store_attachments(
    opened: OpenedBundle, folder: Path, recipients: Sequence[str], written: list[Path]
) -> list[NewAttachment]:
    """Encrypt every spooled attachment into ``folder`` (those HQ lacks) and delete the spooled
    copy. Each file written is appended to ``written`` as soon as it exists, so that the caller
    can remove them if the bundle is not stored."""
    attachments = []
    for spooled in opened.attachments:
        target = store_attachment(spooled.path, spooled.sha256, folder, recipients)
        if target is not None:
            written.append(target)
        spooled.path.unlink(missing_ok=True)
        attachments.append(NewAttachment(spooled.sha256, spooled.size))
    return attachments


def build_batch(
    opened: OpenedBundle,
    known: Collection[str],
    recipients: Sequence[str],
    attachments_folder: Path,
    written: list[Path],
) -> BundleBatch:
    """Everything ``opened`` adds, for :meth:`Repository.store_bundle`; attachments are
    encrypted into place on the way (see :func:`store_attachments`)."""
    manifest = opened.manifest
    revisions, sealed = new_revisions(opened, known, recipients)
    attachments = store_attachments(opened, attachments_folder, recipients, written)
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
        revisions=revisions,
        sealed=sealed,
        forms=[NewForm(f.sha256, f.form_id, f.version, f.content) for f in opened.forms],
        attachments=attachments,
        attachment_count=len(manifest.attachments),
    )
