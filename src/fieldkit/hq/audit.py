"""HQ's audit log: every judgement HQ makes (reviews, victim links, reveals) and every
administrative action (workspace accounts added, disabled or reset; devices revoked or declared
lost) as a signed, chained entry.

An entry is the canonical JSON (RFC 8785) of::

    {"kind": "fieldkit/hq-audit", "v": 1, "id": n, "at": ..., "actor": ..., "action": ...,
     "subject": ..., "detail": {...}, "previous": <hash of entry n-1, or 64 zeros>,
     "signer": <HQ's signing key id>}

Its hash is the SHA-256 of those bytes; its signature HQ's Ed25519 signature of
:data:`AUDIT_DOMAIN` followed by them. The ``detail`` names ids, codes, counts and the hash of
the signed review or decision it records: never record content (a review's note is not in it)
and never an identity.

:func:`verify` needs only HQ's public key. It checks, in order, that ids run 1, 2, 3..., that
each entry names the previous one's hash, that its hash and signature are right and that the
review or decision it records still exists; then that every signed review and victim-link
decision verifies and has its entry in the log. It reports the first bad entry: an edited
detail, two entries swapped, a middle one deleted or a review deleted are all found. What a
chain cannot show is its last entries cut off together with the reviews or decisions they record:
someone able to delete rows can do that, but not forge or alter an entry without HQ's key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.crypto.identity import PublicIdentity, SigningKey, key_id_of
from fieldkit.domain.records import canonical_json, sha256_hex
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository import tables_review as t
from fieldkit.hq.sqlwork import transaction
from fieldkit.i18n import _

AUDIT_KIND = "fieldkit/hq-audit"
AUDIT_VERSION = 1
AUDIT_DOMAIN = b"fieldkit-hq-audit-v1\n"
GENESIS = "0" * 64
MAX_ACTOR = 100


class Action(StrEnum):
    REVIEW_SET = "review_set"
    VICTIMS_LINKED = "victims_linked"
    VICTIMS_UNLINKED = "victims_unlinked"
    VICTIMS_INDEXED = "victims_indexed"
    REVEALED = "revealed"
    """An analyst revealed a record's identifying answers and attachments in the workspace;
    the detail holds the reason given (:mod:`fieldkit.hq.workspace.reveal`)."""
    USER_ADDED = "user_added"
    """A workspace account was added; subject its name, detail its role."""
    USER_DISABLED = "user_disabled"
    """A workspace account was disabled; subject its name, detail its role."""
    USER_RESET = "user_reset"
    """A workspace account got a temporary password (second factor and lock-out cleared);
    subject its name, detail its role. Never the password."""
    DEVICE_REVOKED = "device_revoked"
    """A device was revoked; subject its key id, detail ``from_sequence`` (1: every bundle)."""
    DEVICE_LOST = "device_lost"
    """A device was declared lost (and revoked); subject its key id, detail ``from_sequence``."""


SIGNED_ACTIONS = frozenset({Action.REVIEW_SET, Action.VICTIMS_LINKED, Action.VICTIMS_UNLINKED})
"""Actions whose entry records a signed row (a review, a decision) that must still exist. The
others (reveals, administrative actions) are complete in their entry."""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    subject: str | None
    detail: dict[str, Any]
    previous: str
    hash: str
    signer: str
    signature: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "detail": self.detail,
            "previous": self.previous,
            "hash": self.hash,
            "signer": self.signer,
            "signature": self.signature,
        }


@dataclass(frozen=True)
class BadEntry:
    id: int | None
    """The first entry found wrong (None: a problem outside the log, in ``reason``)."""
    reason: str


@dataclass(frozen=True)
class AuditReport:
    entries: int
    signed_items: int
    """Reviews and victim-link decisions whose signatures and log entries were checked."""
    bad: BadEntry | None

    @property
    def ok(self) -> bool:
        return self.bad is None

    @property
    def problem(self) -> str | None:
        """The first problem found, in one line ("audit entry 7: it was changed..."); None
        when the log verifies."""
        if self.bad is None:
            return None
        where = _("audit entry {n}: ").format(n=self.bad.id) if self.bad.id is not None else ""
        return where + self.bad.reason


@dataclass(frozen=True)
class AuditPage:
    """A page of the log, newest first."""

    entries: list[AuditEntry]
    older: int | None
    """The ``before`` that gives the next (older) page; None on the last page."""
    total: int


def entry_message(
    *,
    id: int,
    at: str,
    actor: str,
    action: str,
    subject: str | None,
    detail: dict[str, Any],
    previous: str,
    signer: str,
) -> bytes:
    """The canonical bytes an entry's hash and signature cover."""
    return canonical_json(
        {
            "kind": AUDIT_KIND,
            "v": AUDIT_VERSION,
            "id": id,
            "at": at,
            "actor": actor,
            "action": action,
            "subject": subject,
            "detail": detail,
            "previous": previous,
            "signer": signer,
        }
    )


def check_actor(actor: str) -> str:
    """The actor's name, trimmed; refused when empty, too long or holding control characters."""
    name = " ".join(actor.split())
    if not name or len(name) > MAX_ACTOR or not name.isprintable():
        raise InvalidInputError(
            _("--by: give a name of 1 to {n} printable characters; nothing was changed.").format(
                n=MAX_ACTOR
            )
        )
    return name


def append(
    conn: Connection,
    key: SigningKey,
    *,
    at: str,
    actor: str,
    action: Action,
    subject: str | None,
    detail: dict[str, Any],
) -> AuditEntry:
    """Append a signed entry in the caller's write transaction (which holds the judgement lock:
    :func:`fieldkit.hq.sqlwork.transaction`)."""
    last = conn.execute(
        sa.select(t.audit_log.c.id, t.audit_log.c.hash).order_by(t.audit_log.c.id.desc()).limit(1)
    ).first()
    number, previous = (int(last.id) + 1, str(last.hash)) if last else (1, GENESIS)
    message = entry_message(
        id=number,
        at=at,
        actor=actor,
        action=action.value,
        subject=subject,
        detail=detail,
        previous=previous,
        signer=key.key_id,
    )
    entry = AuditEntry(
        id=number,
        at=at,
        actor=actor,
        action=action.value,
        subject=subject,
        detail=detail,
        previous=previous,
        hash=sha256_hex(message),
        signer=key.key_id,
        signature=key.sign(AUDIT_DOMAIN + message).hex(),
    )
    row = entry.to_json()
    row["detail"] = canonical_json(detail).decode("utf-8")
    conn.execute(t.audit_log.insert().values(**row))
    return entry


def entries(repository: Repository) -> list[AuditEntry]:
    """The whole log, oldest first."""
    with transaction(repository) as conn:
        return [_entry(row) for row in conn.execute(sa.select(t.audit_log).order_by("id"))]


PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page(repository: Repository, *, before: int | None = None, size: int = PAGE_SIZE) -> AuditPage:
    """Up to ``size`` entries, newest first, of those numbered below ``before`` (all when
    None); a page number below 1 or a size outside 1..500 is refused in one line."""
    if before is not None and before < 1:
        raise InvalidInputError(_("before: give an entry number of 1 or more."))
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidInputError(
            _("Give a page size from 1 to {n} entries.").format(n=MAX_PAGE_SIZE)
        )
    log = t.audit_log
    query = sa.select(log).order_by(log.c.id.desc()).limit(size + 1)
    if before is not None:
        query = query.where(log.c.id < before)
    with transaction(repository) as conn:
        rows = list(conn.execute(query))
        total = int(conn.execute(sa.select(sa.func.count()).select_from(log)).scalar() or 0)
    found = [_entry(row) for row in rows[:size]]
    older = found[-1].id if len(rows) > size else None
    return AuditPage(found, older, total)


def shown_detail(entry: AuditEntry) -> dict[str, Any]:
    """An entry's detail as people read it: without the hash of the signed row it records (that
    hash is for :func:`verify`)."""
    return {key: value for key, value in entry.detail.items() if key != "signed"}


def _entry(row: Any) -> AuditEntry:
    try:
        detail = json.loads(row.detail)
    except (TypeError, ValueError):
        detail = {"unreadable": True}
    return AuditEntry(
        id=int(row.id),
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject=row.subject,
        detail=detail if isinstance(detail, dict) else {"unreadable": True},
        previous=row.previous,
        hash=row.hash,
        signer=row.signer,
        signature=row.signature,
    )


def signature_ok(public: PublicIdentity, domain: bytes, message: bytes, signature: str) -> bool:
    try:
        raw = bytes.fromhex(signature)
    except (TypeError, ValueError):
        return False
    return public.verify(raw, domain + message)


def verify(repository: Repository, public_key: bytes) -> AuditReport:
    """Check the whole log, then the signed reviews and decisions against it (see above)."""
    from fieldkit.hq import review, victims

    public = PublicIdentity(public_key)
    signer = key_id_of(public_key)
    with transaction(repository) as conn:
        rows = list(conn.execute(sa.select(t.audit_log).order_by("id")))
        signed = [*review.signed_items(conn), *victims.signed_items(conn)]
    previous, expected, recorded = GENESIS, 1, set()
    held = {item.hash for item in signed}
    for row in rows:
        problem = _entry_problem(row, expected, previous, public, signer)
        signed_hash = _detail_text(row).get("signed")
        if problem is None and row.action in SIGNED_ACTIONS and signed_hash not in held:
            problem = _("the review or victim decision it records is missing")
        if problem is not None:
            return AuditReport(len(rows), 0, BadEntry(int(row.id), problem))
        recorded.add(signed_hash)
        previous, expected = row.hash, int(row.id) + 1
    for item in signed:
        if not signature_ok(public, item.domain, item.message, item.signature):
            return AuditReport(len(rows), len(signed), BadEntry(None, item.bad_signature))
        if sha256_hex(item.message) != item.hash or item.hash not in recorded:
            return AuditReport(len(rows), len(signed), BadEntry(None, item.not_logged))
    return AuditReport(len(rows), len(signed), None)


def _detail_text(row: Any) -> dict[str, Any]:
    try:
        value = json.loads(row.detail)
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _entry_problem(
    row: Any, expected: int, previous: str, public: PublicIdentity, signer: str
) -> str | None:
    if int(row.id) != expected:
        return _("expected entry {expected} here: entries were deleted or reordered").format(
            expected=expected
        )
    if row.previous != previous:
        return _("it does not follow the entry before it (deleted, reordered or replaced)")
    try:
        detail = json.loads(row.detail)
        message = entry_message(
            id=int(row.id),
            at=row.at,
            actor=row.actor,
            action=row.action,
            subject=row.subject,
            detail=detail,
            previous=row.previous,
            signer=row.signer,
        )
    except (TypeError, ValueError):
        return _("its detail is damaged")
    if row.signer != signer:
        return _("it is not signed by this headquarters' key")
    if sha256_hex(message) != row.hash or not signature_ok(
        public, AUDIT_DOMAIN, message, row.signature
    ):
        return _("it was changed after it was signed")
    return None


@dataclass(frozen=True)
class SignedItem:
    """A signed review or victim-link decision, as :func:`verify` checks it against the log."""

    domain: bytes
    message: bytes
    hash: str
    signature: str
    bad_signature: str
    """What to report when its signature does not verify (names it, in words)."""
    not_logged: str
