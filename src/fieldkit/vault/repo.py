"""Repository functions: each takes the session of the caller's unit of work."""

from __future__ import annotations

import json
import operator
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from fieldkit.vault.engine import VaultLockedError
from fieldkit.vault.models import (
    EnrolmentRow,
    FormRow,
    IdentityRow,
    RecordRow,
    RevisionRow,
    SettingRow,
)

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


def set_search_text(session: Session, num: int, title: str, body: str) -> None:
    """Index record ``num`` for full-text search (the index lives in the encrypted database).

    Unchanged text is left alone: rewriting an FTS5 entry costs several page writes."""
    cursor = dbapi(session)
    current = cursor.execute(
        "SELECT title, body FROM record_fts WHERE rowid = ?", (num,)
    ).fetchone()
    if current is not None and tuple(current) == (title, body):
        return
    cursor.execute("DELETE FROM record_fts WHERE rowid = ?", (num,))
    cursor.execute(_INSERT_SEARCH_TEXT, (num, title, body))


def dbapi(session: Session) -> Any:
    """A cursor on the session's own DB-API connection, in the session's transaction.

    For the statements of sealing and importing, which run for every record: plain SQL with
    ``?`` parameters, without SQLAlchemy's per-statement work. The caller holds the session (and
    so the transaction) open while it uses the cursor."""
    driver = session.connection().connection.driver_connection
    if driver is None:  # the connection was closed under the session: the vault was locked
        raise VaultLockedError()
    return driver.cursor()


RECORD_COLUMNS = (
    "num",
    "id",
    "form_id",
    "form_version",
    "status",
    "created_at",
    "updated_at",
    "draft",
    "revision_count",
    "head_sha256",
    "title",
    "event_date",
    "place",
)
_INSERT_RECORD = (
    "INSERT INTO record (num, id, form_id, form_version, status, created_at, updated_at, draft, "
    "revision_count, head_sha256, title, event_date, place) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
REVISION_COLUMNS = (
    "record_id",
    "number",
    "content",
    "sha256",
    "previous",
    "signature",
    "key_id",
    "sealed_at",
    "status",
)
_INSERT_REVISION = (
    "INSERT INTO revision (record_id, number, content, sha256, previous, signature, key_id, "
    "sealed_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_SEARCH_TEXT = "INSERT INTO record_fts (rowid, title, body) VALUES (?, ?, ?)"


def next_record_num(session: Session) -> int:
    highest = dbapi(session).execute("SELECT max(num) FROM record").fetchone()[0]
    return int(highest or 0) + 1


_RECORD_VALUES = operator.itemgetter(*RECORD_COLUMNS)
"""A record row's values, in the order of ``RECORD_COLUMNS``."""


def insert_records(
    session: Session, rows: list[dict[str, Any]], search: list[tuple[int, str, str]]
) -> None:
    """New records (each row names every column of ``RECORD_COLUMNS``) and their search text."""
    cursor = dbapi(session)
    cursor.executemany(_INSERT_RECORD, [_RECORD_VALUES(row) for row in rows])
    cursor.executemany(_INSERT_SEARCH_TEXT, search)


def insert_revisions(session: Session, revisions: list[dict[str, Any]]) -> None:
    """Sealed revisions (each names every column of ``REVISION_COLUMNS``)."""
    dbapi(session).executemany(
        _INSERT_REVISION, [tuple(rev[c] for c in REVISION_COLUMNS) for rev in revisions]
    )


@dataclass(frozen=True)
class RecordState:
    """What sealing needs to know of a record, read in one statement."""

    num: int
    id: str
    form_id: str
    form_version: str
    form_sha256: str
    draft: str | None
    revision_count: int
    head_sha256: str | None


_RECORD_STATE = (
    "SELECT r.num, r.id, r.form_id, r.form_version, f.sha256, r.draft, r.revision_count, "
    "r.head_sha256 FROM record AS r "
    "JOIN form AS f ON f.form_id = r.form_id AND f.version = r.form_version WHERE r.id = ?"
)


def record_state(session: Session, record_id: str) -> RecordState | None:
    """The record with exactly this id, or None."""
    found = dbapi(session).execute(_RECORD_STATE, (record_id,)).fetchone()
    return None if found is None else RecordState(*found)


def seal_onto_record(
    session: Session, revision: dict[str, Any], num: int, /, **values: Any
) -> None:
    """Insert a sealed revision and set ``values`` on its record (found by ``num``)."""
    dbapi(session).execute(_INSERT_REVISION, tuple(revision[c] for c in REVISION_COLUMNS))
    update_record(session, num, **values)


def update_record(session: Session, num: int, /, **values: Any) -> None:
    """Set columns of record ``num``; the names are columns of ``RECORD_COLUMNS``."""
    names = [name for name in values if name in RECORD_COLUMNS and name != "num"]
    if len(names) != len(values) or not names:
        raise ValueError("not columns of a record")
    assignments = ", ".join(f"{name} = ?" for name in names)  # names checked against the list
    dbapi(session).execute(
        "UPDATE record SET " + assignments + " WHERE num = ?",  # noqa: S608
        (*(values[name] for name in names), num),
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


def active_enrolment(session: Session) -> EnrolmentRow | None:
    """The headquarters this device is enrolled with now (its pinned keys), if any."""
    return session.exec(
        select(EnrolmentRow)
        .where(EnrolmentRow.active)
        .order_by(col(EnrolmentRow.enrolled_at).desc())
    ).first()
