"""HQ's review of a record: a status and grades beside the sealed revisions, never changing them.

Status: ``unreviewed``, ``verified``, ``rejected`` or ``follow-up``. Grades follow the
Admiralty system of STANAG 2511: the reliability of the source, A (completely reliable) to F
(cannot be judged), and the credibility of the information, 1 (confirmed by other sources) to 6
(cannot be judged). A note is restricted text: kept in the repository like other restricted
answers, never written to the audit log.

Each review is appended to ``reviews`` (never updated), signed with HQ's Ed25519 key over the
canonical JSON of :func:`review_message` (its number in ``reviews``, and the newest revision of
the record when it was reviewed), and recorded in the audit log in the same transaction;
``review_status`` holds the current one. Grades not given are carried over from the current
review; a note belongs to the review it was given with. Setting what is already current (and no
note) changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.crypto.identity import PublicIdentity
from fieldkit.domain.records import canonical_json, sha256_hex, utc_timestamp
from fieldkit.errors import did_you_mean
from fieldkit.hq import audit
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository import tables as base
from fieldkit.hq.repository import tables_review as t
from fieldkit.hq.sqlwork import transaction
from fieldkit.i18n import _

REVIEW_KIND = "fieldkit/hq-review"
REVIEW_VERSION = 1
REVIEW_DOMAIN = b"fieldkit-hq-review-v1\n"
SOURCE_GRADES = ("A", "B", "C", "D", "E", "F")
INFO_GRADES = (1, 2, 3, 4, 5, 6)
MAX_NOTE = 4000
MIN_PREFIX = 6


class Status(StrEnum):
    UNREVIEWED = "unreviewed"
    VERIFIED = "verified"
    REJECTED = "rejected"
    FOLLOW_UP = "follow-up"


@dataclass(frozen=True)
class Review:
    id: int
    record_id: str
    revision_sha256: str
    at: str
    actor: str
    status: str
    grade_source: str | None
    grade_info: int | None
    note: str | None
    hash: str
    signature: str
    valid: bool
    """Whether its signature verifies with HQ's public key."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record_id": self.record_id,
            "revision": self.revision_sha256,
            "at": self.at,
            "by": self.actor,
            "status": self.status,
            "grade_source": self.grade_source,
            "grade_info": self.grade_info,
            "note": self.note,
            "signature_valid": self.valid,
        }


@dataclass(frozen=True)
class ReviewSheet:
    record_id: str
    current: Review | None
    history: list[Review]
    newest_revision: str
    """The record's newest revision now: a review of an older one predates new answers."""

    @property
    def status(self) -> str:
        return self.current.status if self.current else Status.UNREVIEWED.value

    @property
    def outdated(self) -> bool:
        """Whether a newer revision of the record arrived after its current review."""
        return self.current is not None and self.current.revision_sha256 != self.newest_revision


@dataclass(frozen=True)
class ReviewOutcome:
    review: Review
    changed: bool


def review_message(
    *,
    id: int,
    record_id: str,
    revision_sha256: str,
    at: str,
    actor: str,
    status: str,
    grade_source: str | None,
    grade_info: int | None,
    note: str | None,
) -> bytes:
    return canonical_json(
        {
            "kind": REVIEW_KIND,
            "v": REVIEW_VERSION,
            "id": id,
            "record_id": record_id,
            "revision": revision_sha256,
            "at": at,
            "by": actor,
            "status": status,
            "grade_source": grade_source,
            "grade_info": grade_info,
            "note": note,
        }
    )


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower())
    except ValueError:
        known = [s.value for s in Status]
        raise InvalidInputError(
            _("--status: '{value}' is not a review status.").format(value=value[:40])
            + did_you_mean(value, known)
            + " "
            + _("Choose from: {choices}.").format(choices=", ".join(known))
        ) from None


def parse_grades(source: str | None, info: str | int | None) -> tuple[str | None, int | None]:
    """The grades as stored; a value outside STANAG 2511's scales is refused."""
    grade_source = None if source is None else source.strip().upper()
    if grade_source is not None and grade_source not in SOURCE_GRADES:
        raise InvalidInputError(
            _("--grade-source: give a letter from A (reliable) to F (cannot be judged).")
        )
    grade_info: int | None = None
    if info is not None:
        try:
            grade_info = int(str(info).strip())
        except ValueError:
            grade_info = 0
        if grade_info not in INFO_GRADES:
            raise InvalidInputError(
                _("--grade-info: give a number from 1 (confirmed) to 6 (cannot be judged).")
            )
    return grade_source, grade_info


def check_note(note: str | None) -> str | None:
    if note is None:
        return None
    text = note.strip()
    if not text:
        return None
    if len(text) > MAX_NOTE:
        raise InvalidInputError(
            _("--note: at most {n} characters; nothing was changed.").format(n=MAX_NOTE)
        )
    return text


def find_record(conn: Connection, given: str) -> tuple[str, str]:
    """``(record_id, newest revision sha256)`` of a record named by its id or an unambiguous
    prefix of at least 6 characters; a one-line error otherwise."""
    wanted = given.strip().lower()
    r = base.revisions

    def newest(record: str) -> Any:
        query = sa.select(r.c.record_id, r.c.sha256).where(r.c.record_id == record)
        return conn.execute(query.order_by(r.c.number.desc()).limit(1)).first()

    row = newest(wanted)
    if row is None and len(wanted) >= MIN_PREFIX:
        query = (
            sa.select(r.c.record_id)
            .distinct()
            .where(r.c.record_id.startswith(wanted, autoescape=True))
        )
        ids = conn.execute(query.limit(2)).scalars().all()
        if len(ids) > 1:
            raise InvalidInputError(
                _("{given} names several records; give more of the record id.").format(
                    given=given[:40]
                )
            )
        if ids:
            row = newest(ids[0])
    if row is None:
        known = conn.execute(sa.select(r.c.record_id).distinct()).scalars().all()
        raise NotFoundError(
            _("No record {given} at headquarters.").format(given=given[:40])
            + did_you_mean(wanted, known)
            + " "
            + _("`fieldkit-hq records list` shows them.")
        )
    return str(row.record_id), str(row.sha256)


def set_review(
    repository: Repository,
    keys: HqKeys,
    record_id: str,
    status: str,
    *,
    actor: str,
    grade_source: str | None = None,
    grade_info: str | int | None = None,
    note: str | None = None,
    at: str | None = None,
) -> ReviewOutcome:
    """Record a review of ``record_id`` (signed, logged); see the module's description."""
    chosen = parse_status(status)
    source, info = parse_grades(grade_source, grade_info)
    text = check_note(note)
    name = audit.check_actor(actor)
    public = keys.signing_key.public
    with transaction(repository, write=True) as conn:
        found, revision = find_record(conn, record_id)
        current = _current(conn, found, public)
        source = source if source is not None or current is None else current.grade_source
        info = info if info is not None or current is None else current.grade_info
        if (
            current is not None
            and text is None
            and (current.status, current.grade_source, current.grade_info)
            == (chosen.value, source, info)
        ):
            return ReviewOutcome(current, changed=False)
        when = at or utc_timestamp()
        number = int(conn.execute(sa.select(sa.func.max(t.reviews.c.id))).scalar() or 0) + 1
        message = review_message(
            id=number,
            record_id=found,
            revision_sha256=revision,
            at=when,
            actor=name,
            status=chosen.value,
            grade_source=source,
            grade_info=info,
            note=text,
        )
        review = Review(
            id=number,
            record_id=found,
            revision_sha256=revision,
            at=when,
            actor=name,
            status=chosen.value,
            grade_source=source,
            grade_info=info,
            note=text,
            hash=sha256_hex(message),
            signature=keys.signing_key.sign(REVIEW_DOMAIN + message).hex(),
            valid=True,
        )
        conn.execute(t.reviews.insert().values(_row(review, keys.signing_key.key_id)))
        values = {
            "status": review.status,
            "grade_source": source,
            "grade_info": info,
            "updated_at": when,
            "review_id": number,
        }
        if current is None:
            conn.execute(t.review_status.insert().values(record_id=found, **values))
        else:
            conn.execute(
                t.review_status.update().where(t.review_status.c.record_id == found).values(values)
            )
        audit.append(
            conn,
            keys.signing_key,
            at=when,
            actor=name,
            action=audit.Action.REVIEW_SET,
            subject=found,
            detail={
                "status": review.status,
                "grade_source": source,
                "grade_info": info,
                "note": text is not None,
                "revision": revision,
                "signed": review.hash,
            },
        )
    return ReviewOutcome(review, changed=True)


def review_of(repository: Repository, public_key: bytes, record_id: str) -> ReviewSheet:
    """A record's current review and its history (oldest first), each signature checked."""
    public = PublicIdentity(public_key)
    with transaction(repository) as conn:
        found, newest = find_record(conn, record_id)
        rows = conn.execute(
            sa.select(t.reviews).where(t.reviews.c.record_id == found).order_by(t.reviews.c.id)
        ).all()
        status = conn.execute(
            sa.select(t.review_status.c.review_id).where(t.review_status.c.record_id == found)
        ).scalar()
    history = [_review(row, public) for row in rows]
    current = next((r for r in history if r.id == status), None)
    return ReviewSheet(found, current, history, newest)


def _current(conn: Connection, record_id: str, public: PublicIdentity) -> Review | None:
    row = conn.execute(
        sa.select(t.reviews)
        .join(t.review_status, t.review_status.c.review_id == t.reviews.c.id)
        .where(t.review_status.c.record_id == record_id)
    ).first()
    return None if row is None else _review(row, public)


def _row(review: Review, signer: str) -> dict[str, Any]:
    return {
        "id": review.id,
        "record_id": review.record_id,
        "revision_sha256": review.revision_sha256,
        "at": review.at,
        "actor": review.actor,
        "status": review.status,
        "grade_source": review.grade_source,
        "grade_info": review.grade_info,
        "note": review.note,
        "hash": review.hash,
        "signer": signer,
        "signature": review.signature,
    }


def _message_of(row: Any) -> bytes:
    return review_message(
        id=int(row.id),
        record_id=row.record_id,
        revision_sha256=row.revision_sha256,
        at=row.at,
        actor=row.actor,
        status=row.status,
        grade_source=row.grade_source,
        grade_info=row.grade_info,
        note=row.note,
    )


def _review(row: Any, public: PublicIdentity) -> Review:
    message = _message_of(row)
    valid = sha256_hex(message) == row.hash and audit.signature_ok(
        public, REVIEW_DOMAIN, message, row.signature
    )
    return Review(
        id=int(row.id),
        record_id=row.record_id,
        revision_sha256=row.revision_sha256,
        at=row.at,
        actor=row.actor,
        status=row.status,
        grade_source=row.grade_source,
        grade_info=row.grade_info,
        note=row.note,
        hash=row.hash,
        signature=row.signature,
        valid=valid,
    )


def signed_items(conn: Connection) -> Iterator[audit.SignedItem]:
    """Every review, for :func:`fieldkit.hq.audit.verify`."""
    for row in conn.execute(sa.select(t.reviews).order_by(t.reviews.c.id)):
        yield audit.SignedItem(
            domain=REVIEW_DOMAIN,
            message=_message_of(row),
            hash=row.hash,
            signature=row.signature,
            bad_signature=_("review {n} of record {record}: its signature does not verify").format(
                n=row.id, record=row.record_id
            ),
            not_logged=_("review {n} of record {record}: it is not in the audit log").format(
                n=row.id, record=row.record_id
            ),
        )


def statuses(conn: Connection) -> dict[str, str]:
    """The current status of every reviewed record (others are unreviewed)."""
    rows = conn.execute(sa.select(t.review_status.c.record_id, t.review_status.c.status))
    return {str(r.record_id): str(r.status) for r in rows}
