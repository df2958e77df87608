"""What a bundle carries: sealed revisions headquarters has not acknowledged, the attachments
they refer to and the forms they name, chosen for a USB export or for the network outbox."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import or_
from sqlmodel import Session, col, select

from fieldkit.bundle import AttachmentSource, FormSource, SealedRevision
from fieldkit.domain.records import RecordStatus, RevisionEnvelope, sha256_hex
from fieldkit.errors import ConflictError
from fieldkit.i18n import _
from fieldkit.vault import attachments as attachment_store
from fieldkit.vault.models import (
    AttachmentRow,
    FormRow,
    OutboxAttachmentRow,
    OutboxRow,
    RevisionRow,
)
from fieldkit.vault.store import Vault

UNACKNOWLEDGED = (RecordStatus.FINAL.value, RecordStatus.EXPORTED.value)


class ItemState(StrEnum):
    """The state of an outbox bundle (:mod:`fieldkit.services.outbox`)."""

    WAITING = "waiting"
    SENDING = "sending"
    AT_HQ = "at-hq"  # uploaded; its receipt is not verified yet
    DELIVERED = "delivered"
    REFUSED = "refused"


OUTBOX_OPEN = (ItemState.WAITING, ItemState.SENDING, ItemState.AT_HQ)
"""Outbox states of a bundle that is not delivered yet (nor refused)."""
OUTBOX_KEPT = (*OUTBOX_OPEN, ItemState.DELIVERED)
"""Outbox states of a bundle whose content is not to be sent again (all but refused)."""


@dataclass(frozen=True)
class Contents:
    """What one bundle carries."""

    revisions: list[SealedRevision]
    attachments: list[AttachmentSource]
    forms: list[FormSource]

    @property
    def empty(self) -> bool:
        return not self.revisions and not self.attachments


def _chunks(vault: Vault, digest: str) -> Iterator[bytes]:
    with vault.read() as session:
        yield from attachment_store.iter_chunks(session, digest)


def outbox_seqs(session: Session, states: Collection[str]) -> list[int]:
    """Sequence numbers of the outbox bundles in one of ``states``."""
    return list(session.exec(select(OutboxRow.seq).where(col(OutboxRow.state).in_(states))))


def outbox_attachments(session: Session, states: Collection[str]) -> set[str]:
    """Hashes of the attachments the outbox bundles in one of ``states`` carry."""
    return set(
        session.exec(
            select(OutboxAttachmentRow.sha256)
            .join(OutboxRow, col(OutboxRow.seq) == col(OutboxAttachmentRow.seq))
            .where(col(OutboxRow.state).in_(states))
        )
    )


def unacknowledged_revisions(
    session: Session, skip_seqs: Collection[int] = ()
) -> list[RevisionRow]:
    """Sealed revisions with content that headquarters has not acknowledged, oldest first,
    leaving out those last exported in one of the bundles ``skip_seqs``."""
    query = select(RevisionRow).where(
        col(RevisionRow.status).in_(UNACKNOWLEDGED), col(RevisionRow.content).is_not(None)
    )
    if skip_seqs:
        query = query.where(
            or_(
                col(RevisionRow.bundle_seq).is_(None),
                col(RevisionRow.bundle_seq).not_in(list(skip_seqs)),
            )
        )
    return list(
        session.exec(
            query.order_by(
                col(RevisionRow.sealed_at), col(RevisionRow.record_id), col(RevisionRow.number)
            )
        ).all()
    )


def referenced_attachments(rows: Collection[RevisionRow]) -> set[str]:
    """Hashes of the attachments the revisions ``rows`` refer to."""
    hashes: set[str] = set()
    for row in rows:
        hashes.update(RevisionEnvelope.from_json(json.loads(row.content or b"{}")).attachments)
    return hashes


def attachment_sources(
    vault: Vault, session: Session, hashes: Collection[str]
) -> list[AttachmentSource]:
    """The attachments ``hashes``, sorted, read from the vault as the bundle is written."""
    sources = []
    for digest in sorted(hashes):
        stored = session.get(AttachmentRow, digest)
        if stored is None:
            raise ConflictError(
                _("An attachment ({sha}) of a sealed record is missing from the vault.").format(
                    sha=digest[:12]
                )
            )
        sources.append(
            AttachmentSource(
                stored.sha256,
                stored.size,
                lambda d=digest: _chunks(vault, d),  # type: ignore[misc]
            )
        )
    return sources


def contents_of(
    vault: Vault, session: Session, rows: Collection[RevisionRow], attachments: Collection[str]
) -> Contents:
    """A bundle's contents: the revisions ``rows``, the forms they name, the ``attachments``."""
    revisions: list[SealedRevision] = []
    forms: set[tuple[str, str]] = set()
    for row in rows:
        content = row.content or b""
        revisions.append(
            SealedRevision(row.record_id, row.number, row.sha256, content, row.signature)
        )
        envelope = RevisionEnvelope.from_json(json.loads(content))
        forms.add((envelope.form_id, envelope.form_version))
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
    return Contents(revisions, attachment_sources(vault, session, attachments), form_sources)
