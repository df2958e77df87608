"""The record page: a record's answers, sealed revisions, attachments, reviews and relations, as
the reader's role may see them.

- Answers of the newest revision, laid out as its form (:mod:`.answer_tree`): a viewer's page is
  made from the stored answers alone (public and restricted; the tree keeps the public ones),
  never from the unsealed identifying ones; an analyst's shows identifying answers masked until
  a reveal, and their values while the session holds one.
- Revisions: each one's hash, number, device, when it was signed and received; its signature is
  verified again, on every view, with the device's registered key over the original content
  kept sealed at HQ (the content's hash must be the revision's hash), and its link to the
  revision it amends is checked.
- Attachments (analysts): listed by hash and size; their names, types and images only while
  revealed (:mod:`.attachments` serves the files).
- Reviews: the history, each signature checked (a note is restricted: analysts only); the
  current :class:`~fieldkit.hq.review.ReviewSheet` for the review panel (analysts).
- Relations and victims (:mod:`.related`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from fieldkit.crypto.identity import PublicIdentity
from fieldkit.domain.records import revision_signing_message, sha256_hex
from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.analysis.tables import an_records
from fieldkit.hq.answers import merge_answers
from fieldkit.hq.errors import ConflictError, NotFoundError
from fieldkit.hq.exports.attachments import file_refs
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.records import FormCache
from fieldkit.hq.repository import Repository, StoredRevision
from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.rows import to_revision
from fieldkit.hq.review import ReviewSheet, review_of
from fieldkit.hq.sealing import SealedEntry, SealedReader, attachment_path
from fieldkit.hq.workspace.answer_tree import (
    ANALYST,
    IMAGE_TYPES,
    REVEALED,
    VIEWER,
    Answer,
    answer_tree,
)
from fieldkit.hq.workspace.filters import reads_restricted
from fieldkit.hq.workspace.labels import FormLabels, review_label
from fieldkit.hq.workspace.record_list import RecordRow, record_rows, row_query
from fieldkit.hq.workspace.related import Related, related
from fieldkit.hq.workspace.reveal import check_record_id
from fieldkit.i18n import _


@dataclass(frozen=True)
class RevisionLine:
    number: int
    sha256: str
    device_key_id: str
    device_name: str
    signed_at: str
    received_at: str
    previous: str | None
    signature_ok: bool
    """The device's signature over the original content verified again, just now."""
    chain_ok: bool
    """It names the revision before it (the first names none)."""


@dataclass(frozen=True)
class AttachmentLine:
    sha256: str
    size: int | None
    held: bool
    """HQ holds the (encrypted) file."""
    name: str | None = None
    """Only while revealed, as the type and :attr:`image`."""
    media_type: str | None = None

    @property
    def image(self) -> bool:
        return self.media_type in IMAGE_TYPES


@dataclass(frozen=True)
class ReviewLine:
    at: str
    actor: str
    status: str
    status_label: str
    grade_source: str | None
    grade_info: int | None
    note: str | None
    """Analysts only (restricted)."""
    valid: bool
    """Its signature verifies."""


@dataclass(frozen=True)
class RecordView:
    record_id: str
    form_id: str
    form_version: str
    form_title: str
    revealed: bool
    """Identifying answers and attachment names are in this view."""
    may_reveal: bool
    summary: RecordRow | None
    """The record as the list shows it (None before ``analysis rebuild`` wrote its row)."""
    answers: list[Answer]
    masked: int
    """Identifying answers held back (until a reveal)."""
    revisions: list[RevisionLine]
    attachments: list[AttachmentLine]
    """Empty for a viewer."""
    reviews: list[ReviewLine]
    related: Related

    @property
    def newest(self) -> RevisionLine:
        return self.revisions[-1]

    @property
    def verified(self) -> bool:
        """Every revision's signature and chain verify."""
        return all(r.signature_ok and r.chain_ok for r in self.revisions)


@dataclass(frozen=True)
class RecordPage:
    """What the record page needs: the view, and for analysts the review sheet of the panel."""

    view: RecordView
    review: ReviewSheet | None


def view_record(
    repository: Repository,
    keys: HqKeys,
    paths: HqPaths,
    record_id: str,
    role: str,
    language: str,
    *,
    revealed: bool = False,
) -> RecordPage:
    """The record page of ``record_id`` for ``role`` (``revealed``: the session holds an active
    reveal of it; ignored for a viewer). NotFoundError for an unknown record."""
    found = check_record_id(record_id)
    analyst = reads_restricted(role)
    revealed = revealed and analyst
    labels = FormLabels(repository)
    with transaction(repository) as conn:
        stored = _revisions(conn, found)
        if not stored:
            raise NotFoundError(_("No record {given} at headquarters.").format(given=found))
        sizes = _sizes(conn, stored[-1][0].attachments) if analyst else {}
        summary_rows = conn.execute(row_query().where(an_records.c.record_id == found)).all()
        summary = record_rows(conn, summary_rows, labels, role, language)
        relations = related(conn, labels, found, role, language)
    reader = SealedReader(keys.ingest_identity, repository.sealed_batch)
    entries = [_entry(reader, revision) for revision, _received in stored]
    lines = _revision_lines(repository, stored, entries)
    newest, entry = stored[-1][0], entries[-1]
    form = FormCache(repository).get(newest.form_sha256)
    if not analyst:
        answers = answer_tree(form, newest.answers, VIEWER, language)
        merged: dict[str, Any] = {}
    else:
        identifying = {} if entry is None else entry.identifying
        merged = merge_answers(newest.answers, identifying)
        answers = answer_tree(form, merged, REVEALED if revealed else ANALYST, language)
    attachments: list[AttachmentLine] = []
    if analyst:
        refs = {ref.sha256: ref for ref in file_refs(form, merged)} if revealed else {}
        for sha256 in newest.attachments:
            ref = refs.get(sha256)
            attachments.append(
                AttachmentLine(
                    sha256,
                    sizes.get(sha256),
                    attachment_path(paths.attachments, sha256).is_file(),
                    None if ref is None else ref.name,
                    None if ref is None else ref.media_type,
                )
            )
    sheet = review_of(repository, keys.signing_key.public.public_key, found)
    view = RecordView(
        record_id=found,
        form_id=newest.form_id,
        form_version=newest.form_version,
        form_title=form.localized_title(language),
        revealed=revealed,
        may_reveal=analyst,
        summary=summary[0] if summary else None,
        answers=answers,
        masked=_count_masked(answers),
        revisions=lines,
        attachments=attachments,
        reviews=[_review_line(review, analyst) for review in sheet.history],
        related=relations,
    )
    return RecordPage(view, sheet if analyst else None)


def _revisions(conn: sa.Connection, record_id: str) -> list[tuple[StoredRevision, str]]:
    """The record's revisions, oldest first, each with when HQ received it."""
    r = t.revisions
    query = (
        sa.select(r, t.identifying.c.batch_id, t.identifying.c.position, t.bundles.c.ingested_at)
        .join(t.identifying, t.identifying.c.link_id == r.c.link_id)
        .join(t.bundles, t.bundles.c.manifest_sha256 == r.c.manifest_sha256)
        .where(r.c.record_id == record_id)
        .order_by(r.c.number)
    )
    return [(to_revision(row), str(row.ingested_at)) for row in conn.execute(query)]


def _sizes(conn: sa.Connection, hashes: tuple[str, ...]) -> dict[str, int]:
    if not hashes:
        return {}
    a = t.attachments.c
    query = sa.select(a.sha256, a.size).where(a.sha256.in_(hashes))
    return {str(sha256): int(size) for sha256, size in conn.execute(query)}


def _entry(reader: SealedReader, revision: StoredRevision) -> SealedEntry | None:
    """The revision's sealed entry; None when it cannot be read or is not this revision's (the
    page then says its signature could not be verified)."""
    try:
        entry = reader.entry(revision.batch_id, revision.position)
    except (ConflictError, IndexError, KeyError, ValueError):
        return None
    if entry.link != revision.link_id or entry.revision != revision.sha256:
        return None
    return entry


def _revision_lines(
    repository: Repository,
    stored: list[tuple[StoredRevision, str]],
    entries: list[SealedEntry | None],
) -> list[RevisionLine]:
    keys: dict[str, PublicIdentity | None] = {}
    names: dict[str, str] = {}
    lines: list[RevisionLine] = []
    previous: str | None = None
    for (revision, received_at), entry in zip(stored, entries, strict=True):
        key_id = revision.device_key_id
        if key_id not in keys:
            device = repository.device(key_id)
            keys[key_id] = None if device is None else PublicIdentity(device.public_key)
            names[key_id] = key_id[:12] if device is None else device.name
        public = keys[key_id]
        signature_ok = (
            entry is not None
            and public is not None
            and sha256_hex(entry.content) == revision.sha256
            and public.verify(entry.signature, revision_signing_message(entry.content))
        )
        lines.append(
            RevisionLine(
                number=revision.number,
                sha256=revision.sha256,
                device_key_id=key_id,
                device_name=names[key_id],
                signed_at=revision.sealed_at,
                received_at=received_at,
                previous=revision.previous,
                signature_ok=signature_ok,
                chain_ok=revision.previous == previous,
            )
        )
        previous = revision.sha256
    return lines


def _review_line(review: Any, analyst: bool) -> ReviewLine:
    return ReviewLine(
        at=review.at,
        actor=review.actor,
        status=review.status,
        status_label=review_label(review.status),
        grade_source=review.grade_source,
        grade_info=review.grade_info,
        note=review.note if analyst else None,
        valid=review.valid,
    )


def _count_masked(answers: list[Answer]) -> int:
    count = 0
    for answer in answers:
        if answer.shown == "masked":
            count += 1
        count += _count_masked(list(answer.children))
        for entry in answer.entries:
            count += _count_masked(list(entry))
    return count


__all__ = [
    "AttachmentLine",
    "RecordPage",
    "RecordView",
    "ReviewLine",
    "RevisionLine",
    "view_record",
]
