"""Repository functions: each takes the session of the caller's unit of work."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from fieldkit.vault.models import FormRow, IdentityRow, RecordRow, RevisionRow, SettingRow

# -- forms --------------------------------------------------------------------------------------


def get_form(session: Session, form_id: str, version: str) -> FormRow | None:
    return session.get(FormRow, (form_id, version))


def form_versions(session: Session, form_id: str) -> list[FormRow]:
    rows = session.exec(
        select(FormRow).where(FormRow.form_id == form_id).order_by(col(FormRow.installed_at))
    )
    return list(rows)


def version_order(version: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order: "10" comes after "9", and "2024.12" after "2024.3"."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.findall(r"\d+|[^\d]+", version)
    )


def current_form_version(session: Session, form_id: str) -> tuple[str, str] | None:
    """(version, SHA-256) of the form version offered for new records: the highest active one."""
    found = session.exec(
        select(FormRow.version, FormRow.sha256).where(FormRow.form_id == form_id, FormRow.active)
    ).all()
    if not found:
        return None
    version, digest = max(found, key=lambda row: version_order(row[0]))
    return version, digest


def all_forms(session: Session) -> list[FormRow]:
    return list(
        session.exec(select(FormRow).order_by(col(FormRow.form_id), col(FormRow.installed_at)))
    )


# -- records ------------------------------------------------------------------------------------


def get_record(session: Session, record_id: str) -> RecordRow | None:
    return session.exec(select(RecordRow).where(RecordRow.id == record_id)).first()


def find_record_by_prefix(session: Session, prefix: str) -> list[RecordRow]:
    """Records whose id starts with ``prefix`` (users may type a short id)."""
    if not re.fullmatch(r"[0-9a-f]{4,32}", prefix):
        return []
    return list(
        session.exec(select(RecordRow).where(col(RecordRow.id).startswith(prefix)).limit(2))
    )


def set_search_text(session: Session, record: RecordRow, title: str, body: str) -> None:
    """Index a record for full-text search (the index lives in the encrypted database).

    Unchanged text is left alone: rewriting an FTS5 entry costs several page writes."""
    connection = session.connection()
    current = connection.exec_driver_sql(
        "SELECT title, body FROM record_fts WHERE rowid = ?", (record.num,)
    ).first()
    if current is not None and tuple(current) == (title, body):
        return
    connection.exec_driver_sql("DELETE FROM record_fts WHERE rowid = ?", (record.num,))
    connection.exec_driver_sql(
        "INSERT INTO record_fts(rowid, title, body) VALUES (?, ?, ?)", (record.num, title, body)
    )


_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(untrusted: str) -> str | None:
    """A safe FTS5 query from what a user typed: every word must appear (as a prefix)."""
    words = _WORD.findall(untrusted)[:16]
    if not words:
        return None
    return " AND ".join(f'"{word}"*' for word in words)


@dataclass(frozen=True)
class RecordFilter:
    form_id: str | None = None
    status: str | None = None
    search: str | None = None
    date_from: str | None = None
    date_to: str | None = None


def _filtered(query: Any, filters: RecordFilter) -> Any:
    if filters.form_id:
        query = query.where(RecordRow.form_id == filters.form_id)
    if filters.status:
        query = query.where(RecordRow.status == filters.status)
    # Event dates may be reduced ("2026-03", "2026"): a record is kept when its period overlaps
    # the range, which comparing on the shorter of the two prefixes gives.
    if filters.date_from:
        query = query.where(
            RecordRow.event_date != "",
            RecordRow.event_date
            >= func.substr(filters.date_from, 1, func.length(RecordRow.event_date)),
        )
    if filters.date_to:
        query = query.where(
            RecordRow.event_date != "",
            func.substr(RecordRow.event_date, 1, len(filters.date_to)) <= filters.date_to,
        )
    if filters.search:
        match = fts_query(filters.search)
        if match is None:
            return query.where(text("0"))
        # The unary plus keeps SQLite from looking records up by the search hits and sorting
        # them all: it walks the newest-first index instead and stops at the page's end.
        query = query.where(
            text(
                "+record.num IN (SELECT rowid FROM record_fts WHERE record_fts MATCH :match)"
            ).bindparams(match=match)
        )
    return query


LIST_COLUMNS = (
    RecordRow.id,
    RecordRow.form_id,
    RecordRow.form_version,
    RecordRow.status,
    RecordRow.title,
    RecordRow.event_date,
    RecordRow.place,
    RecordRow.created_at,
    RecordRow.updated_at,
    RecordRow.revision_count,
)


def list_records(
    session: Session, filters: RecordFilter, limit: int | None = None, offset: int = 0
) -> list[Any]:
    """Rows for a record list, newest first: the list columns and ``has_draft``, never the
    answers themselves (loading them would read every candidate's whole draft)."""
    columns: list[Any] = [*LIST_COLUMNS, col(RecordRow.draft).is_not(None).label("has_draft")]
    query = _filtered(sa_select(*columns), filters).order_by(
        col(RecordRow.updated_at).desc(), col(RecordRow.num).desc()
    )
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return list(session.execute(query))


def count_records(session: Session, filters: RecordFilter) -> int:
    if filters.search and filters == RecordFilter(search=filters.search):
        match = fts_query(filters.search)
        if match is None:
            return 0
        found = session.connection().execute(
            text("SELECT count(*) FROM record_fts WHERE record_fts MATCH :match"), {"match": match}
        )
        return int(found.scalar_one())
    return int(session.exec(_filtered(select(func.count()).select_from(RecordRow), filters)).one())


def counts_by_form_and_status(session: Session) -> dict[str, dict[str, int]]:
    rows = session.exec(
        select(RecordRow.form_id, RecordRow.status, func.count()).group_by(
            RecordRow.form_id, RecordRow.status
        )
    )
    counts: dict[str, dict[str, int]] = {}
    for form_id, status, n in rows:
        counts.setdefault(form_id, {})[status] = n
    return counts


# -- revisions ----------------------------------------------------------------------------------


def revisions(session: Session, record_id: str) -> list[RevisionRow]:
    return list(
        session.exec(
            select(RevisionRow)
            .where(RevisionRow.record_id == record_id)
            .order_by(col(RevisionRow.number))
        )
    )


def head_revision(session: Session, record_id: str) -> RevisionRow | None:
    return session.exec(
        select(RevisionRow)
        .where(RevisionRow.record_id == record_id)
        .order_by(col(RevisionRow.number).desc())
        .limit(1)
    ).first()


# -- identity and settings ----------------------------------------------------------------------


def active_identity(session: Session) -> IdentityRow | None:
    return session.exec(select(IdentityRow).where(IdentityRow.active)).first()


def get_setting(session: Session, key: str, default: Any = None) -> Any:
    row = session.get(SettingRow, key)
    return default if row is None else json.loads(row.value)


def set_setting(session: Session, key: str, value: Any) -> None:
    row = session.get(SettingRow, key) or SettingRow(key=key, value="null")
    row.value = json.dumps(value)
    session.add(row)
