"""The hash-chained, append-only audit log of actions.

Each entry's hash covers its sequence number, time, action, subject, detail and the previous
entry's hash, as canonical JSON. ``verify`` recomputes the chain: an edited, deleted or reordered
entry breaks it. A deleted tail is found by cross-checking sealed revisions, each of which must
have its entry. Details name ids and counts, never record content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from fieldkit.domain.records import canonical_json, sha256_hex, utc_timestamp
from fieldkit.i18n import _
from fieldkit.vault.models import AuditRow, RevisionRow

GENESIS = "0" * 64
_HEAD = select(AuditRow.seq, AuditRow.hash).order_by(col(AuditRow.seq).desc()).limit(1)


class Action:
    VAULT_CREATED = "vault_created"
    FORM_INSTALLED = "form_installed"
    RECORD_CREATED = "record_created"
    RECORD_FINALIZED = "record_finalized"
    RECORD_AMENDED = "record_amended"
    DRAFT_DISCARDED = "draft_discarded"
    PASSPHRASE_CHANGED = "passphrase_changed"  # noqa: S105 - an action name
    FAILED_UNLOCKS = "failed_unlocks"
    EXPORTED = "exported"
    RECEIPT_IMPORTED = "receipt_imported"
    PURGED = "purged"
    ENROLLED = "enrolled"


SEALING_ACTIONS = (Action.RECORD_FINALIZED, Action.RECORD_AMENDED)


def entry_hash(
    seq: int, at: str, action: str, subject: str | None, detail: str, previous: str
) -> str:
    body = {
        "seq": seq,
        "at": at,
        "action": action,
        "subject": subject,
        "detail": json.loads(detail),
        "previous": previous,
    }
    return sha256_hex(canonical_json(body))


def append(
    session: Session, action: str, subject: str | None = None, detail: dict[str, Any] | None = None
) -> None:
    append_many(session, [(action, subject, detail)])


def append_many(
    session: Session, entries: list[tuple[str, str | None, dict[str, Any] | None]]
) -> None:
    """Append entries in order, chained to the end of the log (the caller holds the write lock,
    so the head read here is the head the entries follow). Core statements on the session's
    connection: the chain head is one row read by primary key, and the ORM adds only time."""
    connection = session.connection()
    last = connection.execute(_HEAD).first()
    seq, previous = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    at = utc_timestamp()
    rows = []
    for action, subject, detail in entries:
        seq += 1
        detail_text = json.dumps(detail or {}, sort_keys=True, separators=(",", ":"))
        digest = entry_hash(seq, at, action, subject, detail_text, previous)
        rows.append(
            {
                "seq": seq,
                "at": at,
                "action": action,
                "subject": subject,
                "detail": detail_text,
                "previous": previous,
                "hash": digest,
            }
        )
        previous = digest
    connection.execute(insert(AuditRow), rows)


@dataclass
class AuditReport:
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session) -> AuditReport:
    report = AuditReport()
    previous = GENESIS
    expected_seq = 1
    sealed: set[tuple[str, int]] = set()
    for row in session.exec(select(AuditRow).order_by(col(AuditRow.seq))):
        report.entries += 1
        if row.seq != expected_seq:
            report.problems.append(
                _(
                    "entry {seq}: expected entry {expected}; entries are missing or reordered"
                ).format(seq=row.seq, expected=expected_seq)
            )
        if row.previous != previous:
            report.problems.append(
                _("entry {seq}: does not follow the entry before it").format(seq=row.seq)
            )
        try:
            recomputed = entry_hash(
                row.seq, row.at, row.action, row.subject, row.detail, row.previous
            )
        except (ValueError, TypeError):
            recomputed = ""
        if recomputed != row.hash:
            report.problems.append(
                _("entry {seq}: its content was changed after it was written").format(seq=row.seq)
            )
        if row.action in SEALING_ACTIONS and row.subject:
            try:
                number = int(json.loads(row.detail).get("revision", 0))
            except (ValueError, TypeError, AttributeError):
                number = 0
            sealed.add((row.subject, number))
        previous = row.hash
        expected_seq = row.seq + 1
    for record_id, number in session.exec(select(RevisionRow.record_id, RevisionRow.number)):
        if (record_id, number) not in sealed:
            report.problems.append(
                _("revision {n} of record {record} has no audit entry").format(
                    n=number, record=record_id
                )
            )
    return report
