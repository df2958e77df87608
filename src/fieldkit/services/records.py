"""Records: drafts saved as you go, finalizing (sealing), amending, importing, finding, showing.

Each function is one unit of work in one short session. Sealing validates the answers against
the record's own form version (clearing irrelevant answers), builds the revision envelope,
hashes its canonical JSON, chains it to the previous revision and signs it with the device key.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text, update
from sqlmodel import Session, col, select

from fieldkit.crypto.identity import SigningKey
from fieldkit.domain import validation
from fieldkit.domain.forms import FieldType, FormDefinition
from fieldkit.domain.records import (
    RecordStatus,
    RevisionEnvelope,
    attachment_hashes,
    attachment_refs,
    new_record_id,
    revision_signing_message,
    searchable_text,
    sha256_hex,
    utc_timestamp,
)
from fieldkit.errors import ConflictError, InvalidInputError, NotFoundError
from fieldkit.i18n import _, ngettext
from fieldkit.services import attachments as attachment_service
from fieldkit.services import forms as form_service
from fieldkit.services import vaults as vault_service
from fieldkit.services.datafiles import JsonLines
from fieldkit.services.record_summaries import in_language, summary_values
from fieldkit.services.record_views import (
    MIN_ID_PREFIX,
    RecordDetail,
    RecordItem,
    RevisionInfo,
    count,
    detail,
    list_items,
    resolve,
)
from fieldkit.vault import attachments as attachment_store
from fieldkit.vault import audit, repo
from fieldkit.vault.models import RecordRow, RevisionRow
from fieldkit.vault.repo import RecordFilter
from fieldkit.vault.store import Vault

__all__ = [
    "MIN_ID_PREFIX",
    "RecordDetail",
    "RecordFilter",
    "RecordItem",
    "RevisionInfo",
    "ValidationFailedError",
    "count",
    "detail",
    "in_language",
    "list_items",
    "resolve",
]

MAX_DRAFT_BYTES = 10 * 1024 * 1024
SHOWN_PROBLEMS = 5
Clock = Callable[[], dt.datetime]


class ValidationFailedError(InvalidInputError):
    """The answers break rules of the form; ``problems`` lists each field and rule."""

    def __init__(self, problems: list[validation.Problem], where: str = "") -> None:
        self.problems = problems
        self.where = where
        shown = "; ".join(f"{p.path} ({p.rule}): {p.message}" for p in problems[:SHOWN_PROBLEMS])
        if len(problems) > SHOWN_PROBLEMS:
            shown += "; " + _("and {n} more").format(n=len(problems) - SHOWN_PROBLEMS)
        prefix = f"{where}: " if where else ""
        super().__init__(prefix + _("the record is not valid: {problems}").format(problems=shown))

    def lines(self) -> list[str]:
        """Every problem, one per line: the field, the rule and what is wrong."""
        prefix = f"{self.where}: " if self.where else ""
        return [f"{prefix}{p.path} ({p.rule}): {p.message}" for p in self.problems]


# -- preparing rows ------------------------------------------------------------------------------


DRAFT_TOLERATED_RULES = frozenset({"required", "constraint", "min_count", "expression"})
"""Problems a draft may keep while the user is still typing; the others are refused at once."""


def _structural(problems: list[validation.Problem]) -> list[validation.Problem]:
    return [p for p in problems if p.rule not in DRAFT_TOLERATED_RULES]


def _check_or_raise(
    form: FormDefinition, data: Any, language: str, clock: Clock, where: str = ""
) -> dict[str, Any]:
    outcome = validation.check(form, data, language=language, clock=clock)
    if outcome.problems:
        raise ValidationFailedError(outcome.problems, where)
    return outcome.data


_DRAFT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _draft_text(data: Any) -> str:
    try:
        encoded = _DRAFT(data)
    except (TypeError, ValueError, RecursionError):
        raise InvalidInputError(
            _("The answers cannot be saved: they are not plain data.")
        ) from None
    # A character is at most 4 bytes in UTF-8: a short text need not be encoded to know.
    if len(encoded) > MAX_DRAFT_BYTES // 4 and len(encoded.encode()) > MAX_DRAFT_BYTES:
        raise InvalidInputError(_("The answers are larger than 10 MiB; shorten them."))
    return encoded


@dataclass
class _Sealed:
    revision: dict[str, Any]
    audit_entry: tuple[str, str | None, dict[str, Any] | None]


def _seal(
    form: FormDefinition,
    record_id: str,
    number: int,
    previous: str | None,
    data: dict[str, Any],
    key: SigningKey,
) -> _Sealed:
    envelope = RevisionEnvelope(
        record_id=record_id,
        number=number,
        form_id=form.id,
        form_version=form.version,
        data=data,
        attachments=tuple(attachment_hashes(form, data)),
        previous=previous,
        sealed_at=utc_timestamp(),
        device=key.key_id,
    )
    content = envelope.canonical()
    digest = sha256_hex(content)
    action = audit.Action.RECORD_FINALIZED if number == 1 else audit.Action.RECORD_AMENDED
    return _Sealed(
        revision={
            "record_id": record_id,
            "number": number,
            "content": content,
            "sha256": digest,
            "previous": previous,
            "signature": key.sign(revision_signing_message(content)),
            "key_id": key.key_id,
            "sealed_at": envelope.sealed_at,
            "status": RecordStatus.FINAL.value,
        },
        audit_entry=(action, record_id, {"revision": number, "sha256": digest}),
    )


def _require_attachments(
    session: Session, form: FormDefinition, data: Any, where: str = ""
) -> None:
    """Every attachment the answers name must be stored in this vault: a reference to a file
    that is not here could never be sealed (nor exported)."""
    checked: set[str] = set()
    for path, digest in attachment_refs(form, data):
        if digest in checked:
            continue
        if not attachment_store.exists(session, digest):
            prefix = f"{where}: " if where else ""
            raise InvalidInputError(
                prefix
                + _(
                    "{field}: the attachment {sha} is not stored in this vault; attach the file "
                    "again (fieldkit-cli record new --attach FIELD=FILE)."
                ).format(field=path, sha=digest[:12])
            )
        checked.add(digest)


@dataclass
class _NewRecord:
    row: dict[str, Any]
    search: tuple[str, str]
    sealed: _Sealed | None


def _write_new(session: Session, records: Sequence[_NewRecord]) -> None:
    """Insert prepared records, their search text, revisions and audit entries in bulk."""
    if not records:
        return
    first = repo.next_record_num(session)
    for offset, record in enumerate(records):
        record.row["num"] = first + offset
    repo.insert_records(
        session,
        [r.row for r in records],
        [(r.row["num"], r.search[0], r.search[1]) for r in records],
    )
    sealed = [r.sealed for r in records if r.sealed is not None]
    if sealed:
        repo.insert_revisions(session, [s.revision for s in sealed])
    entries: list[tuple[str, str | None, dict[str, Any] | None]] = []
    details: dict[str, dict[str, Any]] = {}  # one detail object per form, written once
    for r in records:
        form_id = r.row["form_id"]
        detail = details.get(form_id)
        if detail is None:
            detail = details[form_id] = {"form": form_id}
        entries.append((audit.Action.RECORD_CREATED, r.row["id"], detail))
        if r.sealed is not None:
            entries.append(r.sealed.audit_entry)
    audit.append_many(session, entries)


_STATUS_FINAL = RecordStatus.FINAL.value
_STATUS_DRAFT = RecordStatus.DRAFT.value


def _prepare(
    form: FormDefinition,
    data: Any,
    *,
    seal_with: SigningKey | None,
    language: str,
    clock: Clock,
    where: str = "",
    now: str | None = None,
) -> _NewRecord:
    """Rows for a new record: a draft, or sealed at once when ``seal_with`` is given; created
    ``now`` (by default, this second)."""
    if not isinstance(data, dict):
        raise InvalidInputError(
            (f"{where}: " if where else "")
            + _("the answers must be a JSON object keyed by field name.")
        )
    data = validation.with_defaults(form, data, clock)
    now = now or utc_timestamp()
    record_id = new_record_id()
    outcome = validation.check(form, data, language=language, clock=clock)
    sealed = None
    if seal_with is not None:
        if outcome.problems:
            raise ValidationFailedError(outcome.problems, where)
        sealed = _seal(form, record_id, 1, None, outcome.data, seal_with)
        draft = None
    else:
        structural = _structural(outcome.problems)
        if structural:
            raise ValidationFailedError(structural, where)
        draft = _draft_text(data)
    shown = outcome.data
    summary, search_title = summary_values(form, shown)
    row = {
        "id": record_id,
        "form_id": form.id,
        "form_version": form.version,
        "status": _STATUS_FINAL if sealed else _STATUS_DRAFT,
        "created_at": now,
        "updated_at": now,
        "draft": draft,
        "revision_count": 1 if sealed else 0,
        "head_sha256": sealed.revision["sha256"] if sealed else None,
        **summary,
    }
    return _NewRecord(row, (search_title, searchable_text(form, shown, language)), sealed)


# -- use cases ------------------------------------------------------------------------------------


def create(
    vault: Vault,
    form_id: str,
    data: dict[str, Any] | None = None,
    *,
    attachments: Sequence[tuple[str | None, Path]] = (),
    final: bool = False,
    language: str = "en",
    clock: Clock = validation.local_now,
) -> str:
    """A new record from ``data`` (and files for its attachment fields); returns its id."""
    answers = dict(data or {})
    with vault.write() as session:
        form = form_service.current(session, form_id)
        for field_name, path in attachments:
            name = field_name or _first_attachment_field(form)
            ref = attachment_service.store_file(session, path)
            answers[name] = [*(answers.get(name) or []), ref]
        key = vault_service.signing_key(vault, session) if final else None
        record = _prepare(form, answers, seal_with=key, language=language, clock=clock)
        _require_attachments(session, form, answers)
        _write_new(session, [record])
        return str(record.row["id"])


def _first_attachment_field(form: FormDefinition) -> str:
    for path, f in form.walk():
        if f.type is FieldType.ATTACHMENT and not any(
            form.field(p).type is FieldType.REPEAT for p in path
        ):
            return f.name
    raise InvalidInputError(
        _("Form '{id}' has no attachment field; files cannot be attached to it.").format(id=form.id)
    )


def import_lines(
    vault: Vault,
    form_id: str,
    lines: JsonLines,
    *,
    final: bool = False,
    language: str = "en",
    clock: Clock = validation.local_now,
) -> int:
    """Import one record per JSON line, all or nothing; an error names its line."""
    with vault.write() as session:
        form = form_service.current(session, form_id)
        key = vault_service.signing_key(vault, session) if final else None
        batch: list[_NewRecord] = []
        count = 0
        now = utc_timestamp()
        line = _("line {n}")
        for number, data in lines:
            where = line.format(n=number)
            batch.append(
                _prepare(
                    form, data, seal_with=key, language=language, clock=clock, where=where, now=now
                )
            )
            _require_attachments(session, form, data, where)
            if len(batch) >= 1000:
                _write_new(session, batch)
                count += len(batch)
                batch = []
                now = utc_timestamp()
        _write_new(session, batch)
        return count + len(batch)


def _record_form(session: Session, row: RecordRow) -> FormDefinition:
    return form_service.version(session, row.form_id, row.form_version)


def _state(session: Session, given: str) -> repo.RecordState:
    """What sealing or saving needs of the record ``given`` names (as :func:`resolve` finds it),
    read in one statement with its form's hash."""
    state = repo.record_state(session, given)
    if state is None:
        state = repo.record_state(session, resolve(session, given).id)
        if state is None:  # the record went away in between: impossible under the write lock
            raise NotFoundError(_("No record '{id}' in this vault.").format(id=given[:40]))
    return state


def _state_form(session: Session, state: repo.RecordState) -> FormDefinition:
    return form_service.version_by_digest(
        session, state.form_id, state.form_version, state.form_sha256
    )


def _amendable_content(session: Session, record_id: str) -> bytes:
    """The newest sealed content, which an amendment starts from. A record whose content was
    purged (see ``services.receipts``) cannot be amended: its answers are gone from here."""
    head = repo.head_revision(session, record_id)
    if head is None or head.content is None:
        raise ConflictError(
            _("Record {id} cannot be amended: its content was purged.").format(id=record_id[:12])
        )
    return head.content


def save_draft(
    vault: Vault,
    record_id: str,
    data: dict[str, Any],
    *,
    language: str = "en",
    clock: Clock = validation.local_now,
) -> validation.Outcome:
    """Save the answers being edited (a new record or an amendment). Returns the check's outcome,
    for showing problems beside fields; only structural problems are refused."""
    with vault.write() as session:
        state = _state(session, record_id)
        if state.draft is None and state.revision_count:  # an amendment not started as one
            _amendable_content(session, state.id)
        form = _state_form(session, state)
        outcome = validation.check(form, data, language=language, clock=clock)
        structural = _structural(outcome.problems)
        if structural:
            raise ValidationFailedError(structural)
        _require_attachments(session, form, data)
        values: dict[str, Any] = {"draft": _draft_text(data), "updated_at": utc_timestamp()}
        if state.revision_count == 0:
            summary, search_title = summary_values(form, outcome.data)
            values.update(summary)
            repo.set_search_text(
                session, state.num, search_title, searchable_text(form, outcome.data, language)
            )
        repo.update_record(session, state.num, **values)
        return outcome


def _seal_onto(
    session: Session,
    state: repo.RecordState,
    data: Any,
    language: str,
    clock: Clock,
    key: SigningKey,
) -> RevisionInfo:
    form = _state_form(session, state)
    cleaned = _check_or_raise(form, data, language, clock)
    _require_attachments(session, form, cleaned)
    number = state.revision_count + 1
    sealed = _seal(form, state.id, number, state.head_sha256, cleaned, key)
    summary, search_title = summary_values(form, cleaned)
    repo.seal_onto_record(
        session,
        sealed.revision,
        state.num,
        revision_count=number,
        head_sha256=sealed.revision["sha256"],
        status=RecordStatus.FINAL.value,
        draft=None,
        updated_at=utc_timestamp(),
        **summary,
    )
    repo.set_search_text(session, state.num, search_title, searchable_text(form, cleaned, language))
    audit.append_many(session, [sealed.audit_entry])
    revision = sealed.revision
    return RevisionInfo(
        number=number,
        sha256=revision["sha256"],
        previous=revision["previous"],
        sealed_at=revision["sealed_at"],
        key_id=revision["key_id"],
        status=revision["status"],
        exported_at=None,
        bundle_seq=None,
        acknowledged_at=None,
        signature_valid=True,
        purged=False,
    )


def finalize(
    vault: Vault, record_id: str, *, language: str = "en", clock: Clock = validation.local_now
) -> RevisionInfo:
    """Seal the record's draft as its next revision."""
    with vault.write() as session:
        state = _state(session, record_id)
        if state.draft is None:
            raise ConflictError(
                _(
                    "Record {id} has nothing to finalize: it is sealed and not being amended."
                ).format(id=state.id[:12])
            )
        key = vault_service.signing_key(vault, session)
        return _seal_onto(session, state, json.loads(state.draft), language, clock, key)


def amend(
    vault: Vault,
    record_id: str,
    data: Any,
    *,
    language: str = "en",
    clock: Clock = validation.local_now,
) -> RevisionInfo:
    """Seal ``data`` as a new revision of a sealed record."""
    with vault.write() as session:
        state = _state(session, record_id)
        if state.revision_count == 0:
            raise ConflictError(
                _("Record {id} is a draft; finalize it instead of amending it.").format(
                    id=state.id[:12]
                )
            )
        _amendable_content(session, state.id)
        return _seal_onto(
            session, state, data, language, clock, vault_service.signing_key(vault, session)
        )


def start_amendment(vault: Vault, record_id: str) -> dict[str, Any]:
    """Open a sealed record for amendment: its newest answers become a draft."""
    with vault.write() as session:
        row = resolve(session, record_id)
        if row.draft is not None:
            return dict(json.loads(row.draft))
        content = _amendable_content(session, row.id)
        data = dict(RevisionEnvelope.from_json(json.loads(content)).data)
        row.draft = _draft_text(data)
        row.updated_at = utc_timestamp()
        session.add(row)
        return data


def discard_draft(vault: Vault, record_id: str) -> bool:
    """Drop the draft. A record never sealed is deleted; True if the record is gone."""
    with vault.write() as session:
        row = resolve(session, record_id)
        if row.draft is None:
            raise ConflictError(_("Record {id} has no draft.").format(id=row.id[:12]))
        audit.append(
            session, audit.Action.DRAFT_DISCARDED, row.id, {"revisions": row.revision_count}
        )
        if row.revision_count == 0:
            session.execute(text("DELETE FROM record_fts WHERE rowid = :n"), {"n": row.num})
            session.delete(row)
            return True
        row.draft = None
        session.add(row)
        return False


def form_of(vault: Vault, record_id: str) -> FormDefinition:
    with vault.read() as session:
        return _record_form(session, resolve(session, record_id))


def imported_message(n: int) -> str:
    return ngettext("{n} record imported", "{n} records imported", n).format(n=n)


def mark_status(
    session: Session, sha256s: Iterable[str], status: RecordStatus, **values: Any
) -> int:
    """Set the status of sealed revisions (exported, acknowledged) and of their records."""
    hashes = list(sha256s)
    if not hashes:
        return 0
    result = session.execute(
        update(RevisionRow)
        .where(col(RevisionRow.sha256).in_(hashes))
        .values(status=status.value, **values)
    )
    heads = select(RevisionRow.record_id).where(col(RevisionRow.sha256).in_(hashes))
    session.execute(
        update(RecordRow)
        .where(col(RecordRow.id).in_(heads), col(RecordRow.head_sha256).in_(hashes))
        .values(status=status.value)
    )
    return int(getattr(result, "rowcount", 0) or 0)
