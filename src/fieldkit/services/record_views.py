"""Reading records back: the list's lines, a record's detail with its revisions and whether
each still checks out, and finding a record by its id or a prefix of it. Nothing here writes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from fieldkit.crypto.identity import PublicIdentity
from fieldkit.domain.records import RevisionEnvelope, revision_signing_message, sha256_hex
from fieldkit.errors import InvalidInputError, NotFoundError
from fieldkit.i18n import _, current_language
from fieldkit.services.record_summaries import in_language
from fieldkit.vault import repo
from fieldkit.vault.models import IdentityRow, RecordRow, RevisionRow
from fieldkit.vault.repo import RecordFilter
from fieldkit.vault.store import Vault

MIN_ID_PREFIX = 6
"""The fewest characters of a record id that :func:`resolve` takes for the whole id (README.md)."""


@dataclass(frozen=True)
class RevisionInfo:
    number: int
    sha256: str
    previous: str | None
    sealed_at: str
    key_id: str
    status: str
    exported_at: str | None
    bundle_seq: int | None
    acknowledged_at: str | None
    signature_valid: bool | None
    """Whether the stored content still hashes to ``sha256`` and carries its signer's signature;
    None for a purged revision, whose content (and so what was signed) is gone."""
    purged: bool

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RecordItem:
    """One line of a record list."""

    id: str
    form_id: str
    form_version: str
    status: str
    title: str
    event_date: str
    place: str
    created_at: str
    updated_at: str
    has_draft: bool
    revision_count: int

    @classmethod
    def of(cls, row: RecordRow, language: str | None = None) -> RecordItem:
        return cls.from_list_row(row, language, has_draft=row.draft is not None)

    @classmethod
    def from_list_row(
        cls, row: Any, language: str | None = None, has_draft: bool | None = None
    ) -> RecordItem:
        """From a row of ``repo.LIST_COLUMNS`` with ``has_draft``; texts in ``language`` (by
        default the language fieldkit speaks now)."""
        language = language or current_language()
        return cls(
            id=row.id,
            form_id=row.form_id,
            form_version=row.form_version,
            status=row.status,
            title=in_language(row.title, language),
            event_date=row.event_date,
            place=in_language(row.place, language),
            created_at=row.created_at,
            updated_at=row.updated_at,
            has_draft=bool(row.has_draft if has_draft is None else has_draft),
            revision_count=row.revision_count,
        )

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RecordDetail:
    item: RecordItem
    draft: dict[str, Any] | None
    sealed: dict[str, Any] | None
    revisions: list[RevisionInfo] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        """What the user sees and edits: the draft if any, else the newest sealed answers."""
        return self.draft if self.draft is not None else (self.sealed or {})

    @property
    def purged(self) -> bool:
        """Whether the content was removed from this device after headquarters acknowledged it."""
        return bool(self.revisions) and self.revisions[-1].purged

    @property
    def chain_valid(self) -> bool:
        """No revision fails its check and each names the hash of the one before it. A purged
        revision cannot be checked (its content is gone), so it is judged on the hashes that
        remain: a purge is not mistaken for tampering."""
        previous = None
        for revision in self.revisions:
            if revision.signature_valid is False or revision.previous != previous:
                return False
            previous = revision.sha256
        return True

    def to_json(self) -> dict[str, Any]:
        return self.item.to_json() | {
            "draft": self.draft,
            "data": self.sealed,
            "revisions": [r.to_json() for r in self.revisions],
            "chain_valid": self.chain_valid,
            "purged": self.purged,
        }


def resolve(session: Session, given: str) -> RecordRow:
    """A record by its id, or by an unambiguous prefix of at least ``MIN_ID_PREFIX`` characters."""
    row = repo.get_record(session, given)
    if row is not None:
        return row
    matches = (
        repo.find_record_by_prefix(session, given.lower()) if len(given) >= MIN_ID_PREFIX else []
    )
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InvalidInputError(
            _("'{id}' matches several records; give more of the id.").format(id=given[:40])
        )
    raise NotFoundError(_("No record '{id}' in this vault.").format(id=given[:40]))


def list_items(
    vault: Vault,
    filters: RecordFilter,
    limit: int | None = None,
    offset: int = 0,
    language: str | None = None,
) -> list[RecordItem]:
    with vault.read() as session:
        rows = repo.list_records(session, filters, limit, offset)
        return [RecordItem.from_list_row(row, language) for row in rows]


def count(vault: Vault, filters: RecordFilter) -> int:
    with vault.read() as session:
        return repo.count_records(session, filters)


def _verified(row: RevisionRow, signer: PublicIdentity | None) -> bool | None:
    """Whether the stored revision still hashes to its hash and carries its signer's signature;
    None when its content was purged (nothing is left to check the signature against)."""
    if row.content is None:
        return None
    content = row.content if isinstance(row.content, bytes) else None
    return bool(
        signer is not None
        and content is not None
        and signer.verify(row.signature, revision_signing_message(content))
        and sha256_hex(content) == row.sha256
    )


def _revision_info(row: RevisionRow, *, signature_valid: bool | None) -> RevisionInfo:
    return RevisionInfo(
        number=row.number,
        sha256=row.sha256,
        previous=row.previous,
        sealed_at=row.sealed_at,
        key_id=row.key_id,
        status=row.status,
        exported_at=row.exported_at,
        bundle_seq=row.bundle_seq,
        acknowledged_at=row.acknowledged_at,
        signature_valid=signature_valid,
        purged=row.content is None,
    )


def detail(vault: Vault, record_id: str, language: str | None = None) -> RecordDetail:
    with vault.read() as session:
        row = resolve(session, record_id)
        revisions = repo.revisions(session, row.id)
        signers = {
            identity.key_id: PublicIdentity(identity.public_key)
            for identity in session.exec(select(IdentityRow))
        }
    sealed = None
    if revisions and revisions[-1].content is not None:
        sealed = RevisionEnvelope.from_json(json.loads(revisions[-1].content)).data
    return RecordDetail(
        item=RecordItem.of(row, language),
        draft=json.loads(row.draft) if row.draft is not None else None,
        sealed=sealed,
        revisions=[
            _revision_info(row, signature_valid=_verified(row, signers.get(row.key_id)))
            for row in revisions
        ],
    )
