"""Revealing a record's identifying answers and attachments to an analyst, with a reason.

:func:`reveal` appends a signed entry to HQ's audit log (action ``revealed``, subject the record
id, detail ``{"reason": ...}``, who and when) and nothing else: what the reveal opens, and for
how long, is the workspace's session state (the web layer grants the session a time-limited
reveal of that record once this returned). Without the entry there is no reveal: a failure to
write it leaves the record closed.

The reason is required, one line of at most :data:`MAX_REASON` characters. It is kept in the
audit log, which every analyst reads: the form asks for a purpose ("checking consent before the
protection referral"), never a name.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from fieldkit.domain.records import utc_timestamp
from fieldkit.hq import audit
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository import tables as t
from fieldkit.hq.sqlwork import transaction
from fieldkit.i18n import _

MAX_REASON = 300
"""Characters of a reason."""
MIN_REASON = 8
"""A reason shorter than this says nothing an auditor can check ("x", "test")."""
RECORD_ID = re.compile(r"^[0-9a-f]{32}$")


def check_record_id(record_id: str) -> str:
    """A record id as the workspace's URLs carry it (32 lowercase hexadecimal digits);
    NotFoundError for anything else, as for an unknown record."""
    if not RECORD_ID.match(record_id):
        raise NotFoundError(_("No record {given} at headquarters.").format(given=record_id[:40]))
    return record_id


def check_reason(reason: str) -> str:
    """The reason on one line (runs of spaces and line breaks made single spaces); refused
    when too short, too long or holding control characters."""
    text = " ".join(reason.split())
    if len(text) < MIN_REASON or len(text) > MAX_REASON or not text.isprintable():
        raise InvalidInputError(
            _(
                "Give the reason for revealing in {low} to {high} characters (what you need the "
                "identities for, not a name); nothing was revealed."
            ).format(low=MIN_REASON, high=MAX_REASON)
        )
    return text


def reveal(
    repository: Repository,
    keys: HqKeys,
    actor: str,
    record_id: str,
    reason: str,
    *,
    at: str | None = None,
) -> audit.AuditEntry:
    """Log that ``actor`` reveals ``record_id``'s identifying answers for ``reason``; returns
    the signed audit entry. NotFoundError for an unknown record, InvalidInputError for a bad
    reason; nothing is logged then."""
    found = check_record_id(record_id)
    text = check_reason(reason)
    name = audit.check_actor(actor)
    with transaction(repository, write=True) as conn:
        held = conn.execute(
            sa.select(t.revisions.c.record_id).where(t.revisions.c.record_id == found).limit(1)
        ).first()
        if held is None:
            raise NotFoundError(_("No record {given} at headquarters.").format(given=found))
        return audit.append(
            conn,
            keys.signing_key,
            at=at or utc_timestamp(),
            actor=name,
            action=audit.Action.REVEALED,
            subject=found,
            detail={"reason": text},
        )


__all__ = ["MAX_REASON", "MIN_REASON", "check_reason", "check_record_id", "reveal"]
