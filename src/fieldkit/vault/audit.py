"""The hash-chained, append-only audit log of actions.

Each entry's hash covers its sequence number, time, action, subject, detail and the previous
entry's hash, as canonical JSON. ``verify`` recomputes the chain: an edited, deleted or reordered
entry breaks it. Details name ids and counts, never record content.

A chain alone cannot show that entries were cut off its end. Two checks find that:

* Every append also records the chain head (the last entry's number and hash) in the setting
  ``audit_head``, in the same transaction. A log that ends before the recorded head lost its tail,
  whatever the lost entries were (a passphrase change, failed unlocks, a discarded draft).
* Rows that audited actions create are cross-checked against the log: each record has its
  ``record_created`` entry, each sealed revision its ``record_finalized`` or ``record_amended``,
  each installed form version, written bundle, imported receipt, enrolment and device key its
  entry, and purged content its ``purged`` entry.

Someone who holds the database key can rewrite the head, the rows and the whole chain alike: the
log shows tampering by anyone without the key, or by software that edits rows but not the head.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from fieldkit.domain.records import canonical_json, sha256_hex, utc_timestamp
from fieldkit.i18n import _, ngettext
from fieldkit.vault import repo
from fieldkit.vault.models import (
    AuditRow,
    BundleRow,
    EnrolmentRow,
    FormRow,
    IdentityRow,
    ReceiptRow,
    RecordRow,
    RevisionRow,
    SettingRow,
)

GENESIS = "0" * 64
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode
_DETAIL = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
"""How a detail is stored: as ``json.dumps(detail, sort_keys=True, separators=(",", ":"))``."""
HEAD_SETTING = "audit_head"
"""The setting that records the chain head: ``{"seq": n, "hash": "<hex>"}`` of the last entry."""
_HEAD = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
_INSERT = (
    "INSERT INTO audit (seq, at, action, subject, detail, previous, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_SET_HEAD = (
    "INSERT INTO setting (key, value) VALUES (?, ?) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


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
    """The SHA-256 of the canonical JSON (RFC 8785) of the entry ``{"seq", "at", "action",
    "subject", "detail", "previous"}``, its detail parsed from the stored ``detail`` text."""
    return _hash(seq, at, action, subject, canonical_json(json.loads(detail)), previous)


def _hash(seq: int, at: str, action: str, subject: str | None, detail: bytes, previous: str) -> str:
    """:func:`entry_hash` from the detail's canonical JSON. The entry's members are written in
    RFC 8785's order (sorted keys) around it; strings, ``null`` and integers are written by the
    standard encoder exactly as RFC 8785 writes them (see ``canonical_json``), so the bytes are
    those of ``canonical_json`` of the whole entry, without walking the whole entry again for
    every record an import appends."""
    text = _ENCODE
    body = (
        f'{{"action":{text(action)},"at":{text(at)},"detail":'.encode()
        + detail
        + f',"previous":{text(previous)},"seq":{int(seq)},"subject":{text(subject)}}}'.encode()
    )
    return sha256_hex(body)


def head_value(seq: int, digest: str) -> str:
    """The stored form of the chain head."""
    return json.dumps({"seq": seq, "hash": digest}, sort_keys=True, separators=(",", ":"))


def append(
    session: Session, action: str, subject: str | None = None, detail: dict[str, Any] | None = None
) -> None:
    append_many(session, [(action, subject, detail)])


def append_many(
    session: Session, entries: list[tuple[str, str | None, dict[str, Any] | None]]
) -> None:
    """Append entries in order, chained to the end of the log (the caller holds the write lock,
    so the head read here is the head the entries follow), and record the new head in the same
    transaction. Plain SQL on the session's own connection: an append runs with every record
    sealed or imported, and SQLAlchemy's per-statement work would cost more than the writes."""
    if not entries:
        return
    cursor = repo.dbapi(session)
    last = cursor.execute(_HEAD).fetchone()
    seq, previous = (int(last[0]), str(last[1])) if last else (0, GENESIS)
    at = utc_timestamp()
    rows = []
    canonical: dict[str, bytes] = {}  # an import appends the same detail for every record
    last_detail: dict[str, Any] | None = None  # and the same object, written once
    detail_text = ""
    for action, subject, detail in entries:
        seq += 1
        if detail is None or detail is not last_detail:
            detail_text = _DETAIL(detail or {})
            last_detail = detail
        detail_bytes = canonical.get(detail_text)
        if detail_bytes is None:
            detail_bytes = canonical[detail_text] = canonical_json(json.loads(detail_text))
        digest = _hash(seq, at, action, subject, detail_bytes, previous)
        rows.append((seq, at, action, subject, detail_text, previous, digest))
        previous = digest
    cursor.executemany(_INSERT, rows)
    cursor.execute(_SET_HEAD, (HEAD_SETTING, head_value(seq, previous)))


@dataclass
class AuditReport:
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Seen:
    """What the log says happened, for the cross-checks."""

    created: set[str] = field(default_factory=set)
    sealed: set[tuple[str, int]] = field(default_factory=set)
    forms: set[tuple[str, str]] = field(default_factory=set)
    exported: set[int] = field(default_factory=set)
    receipts: Counter[int] = field(default_factory=Counter)
    enrolled: set[str] = field(default_factory=set)
    device_keys: set[str] = field(default_factory=set)
    purges: int = 0

    def note(self, action: str, subject: str | None, detail: Any) -> None:
        if not isinstance(detail, dict):
            detail = {}
        if action == Action.RECORD_CREATED and subject:
            self.created.add(subject)
        elif action in SEALING_ACTIONS and subject:
            self.sealed.add((subject, _number(detail.get("revision"))))
        elif action == Action.FORM_INSTALLED and subject:
            self.forms.add((subject, str(detail.get("version"))))
        elif action == Action.EXPORTED:
            self.exported.add(_number(detail.get("sequence")))
        elif action == Action.RECEIPT_IMPORTED:
            self.receipts[_number(detail.get("sequence"))] += 1
        elif action == Action.ENROLLED and subject:
            self.enrolled.add(subject)
        elif action == Action.VAULT_CREATED:
            self.device_keys.add(str(detail.get("key_id")))
        elif action == Action.PURGED:
            self.purges += 1


def _number(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _detail(text: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


def verify(session: Session) -> AuditReport:
    report = AuditReport()
    previous = GENESIS
    expected_seq = 1
    last_seq = 0
    seen = _Seen()
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
        seen.note(row.action, row.subject, _detail(row.detail))
        previous = row.hash
        expected_seq = row.seq + 1
        last_seq = row.seq
    report.problems.extend(_check_head(session, report.entries, last_seq, previous))
    report.problems.extend(_cross_check(session, seen))
    return report


def _check_head(session: Session, entries: int, last_seq: int, last_hash: str) -> list[str]:
    """The log must end where the last append said it ends."""
    row = session.get(SettingRow, HEAD_SETTING)
    if row is None:
        if entries:
            return [_("the recorded end of the log is missing; the log cannot be checked whole")]
        return []
    head = _detail(row.value)
    if not isinstance(head, dict):
        return [_("the recorded end of the log is damaged")]
    head_seq = _number(head.get("seq"))
    if last_seq < head_seq:
        missing = head_seq - last_seq
        return [
            ngettext(
                "the log ends at entry {last}, but entry {head} was written: "
                "{n} entry is missing from its end",
                "the log ends at entry {last}, but entry {head} was written: "
                "{n} entries are missing from its end",
                missing,
            ).format(last=last_seq, head=head_seq, n=missing)
        ]
    if last_seq > head_seq or head.get("hash") != last_hash:
        return [
            _("entry {seq}: it is not the entry recorded as the end of the log").format(
                seq=last_seq
            )
        ]
    return []


def _cross_check(session: Session, seen: _Seen) -> list[str]:
    """Rows that audited actions create must each have their entry."""
    problems: list[str] = []
    for record_id in session.exec(select(RecordRow.id).order_by(col(RecordRow.num))).all():
        if record_id not in seen.created:
            problems.append(
                _("record {record} has no audit entry for its creation").format(record=record_id)
            )
    revisions = session.exec(
        select(
            RevisionRow.record_id,
            RevisionRow.number,
            RevisionRow.bundle_seq,
            col(RevisionRow.content).is_(None),
        )
    ).all()
    for record_id, number, _bundle, _purged in revisions:
        if (record_id, number) not in seen.sealed:
            problems.append(
                _("revision {n} of record {record} has no audit entry").format(
                    n=number, record=record_id
                )
            )
    for form_id, version in session.exec(select(FormRow.form_id, FormRow.version)).all():
        if (form_id, version) not in seen.forms:
            problems.append(
                _("form '{id}' version {version} has no audit entry for its installation").format(
                    id=form_id, version=version
                )
            )
    bundles = {
        bundle_id: seq
        for seq, bundle_id in session.exec(
            select(BundleRow.seq, BundleRow.bundle_id).where(BundleRow.state == "written")
        ).all()
    }
    exported = set(bundles.values()) | {b for _r, _n, b, _p in revisions if b is not None}
    for seq in sorted(exported - seen.exported):
        problems.append(_("bundle {seq} has no audit entry for its export").format(seq=seq))
    receipts: Counter[int] = Counter()
    for bundle_id in session.exec(select(ReceiptRow.bundle_id)).all():
        receipts[bundles.get(bundle_id, 0)] += 1
    for seq, count in sorted(receipts.items()):
        if count > seen.receipts[seq]:
            problems.append(
                _("a receipt for bundle {seq} has no audit entry for its import").format(seq=seq)
            )
    for hq_key_id in session.exec(select(EnrolmentRow.hq_key_id)).all():
        if hq_key_id not in seen.enrolled:
            problems.append(
                _("the enrolment with headquarters key {key} has no audit entry").format(
                    key=hq_key_id[:16]
                )
            )
    for key_id in session.exec(select(IdentityRow.key_id)).all():
        if key_id not in seen.device_keys:
            problems.append(
                _("device key {key} has no audit entry for its creation").format(key=key_id[:16])
            )
    if not seen.purges and any(purged for _r, _n, _b, purged in revisions):
        problems.append(_("the purged content of records has no audit entry for the purge"))
    return problems
