"""The HQ repository: one interface (:class:`Repository`), three backends.

- :class:`SqlRepository` on a SQLite file (``sqlite:///PATH``, the default: ``hq.sqlite3`` in
  the HQ folder) or a PostgreSQL server (``postgresql://USER@HOST/DATABASE``, through psycopg 3);
- :class:`FakeRepository`, in memory, for tests.

:func:`open_repository` opens either SQL backend from its address and brings its schema up to
date; every backend passes the same contract tests (``tests/hq/test_repository_contract.py``).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import exc

from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.repository import tables_review, tables_web  # noqa: F401 - their tables
from fieldkit.hq.repository.base import (
    TABLES,
    Alarm,
    AlarmKind,
    AlreadyStoredError,
    BundleBatch,
    BundleRefusedError,
    Device,
    IssuedReceipt,
    NewAlarm,
    NewAttachment,
    NewForm,
    NewRevision,
    NewSealedBatch,
    RecordSummary,
    Repository,
    RevisionKey,
    SealedPart,
    StoredBundle,
    StoredForm,
    StoredRevision,
    StoreOutcome,
)
from fieldkit.hq.repository.fake import FakeRepository
from fieldkit.hq.repository.sql import SqlRepository, postgres_engine, sqlite_engine
from fieldkit.i18n import _

__all__ = [
    "TABLES",
    "Alarm",
    "AlarmKind",
    "AlreadyStoredError",
    "BundleBatch",
    "BundleRefusedError",
    "Device",
    "FakeRepository",
    "IssuedReceipt",
    "NewAlarm",
    "NewAttachment",
    "NewForm",
    "NewRevision",
    "NewSealedBatch",
    "RecordSummary",
    "Repository",
    "RevisionKey",
    "SealedPart",
    "SqlRepository",
    "StoreOutcome",
    "StoredBundle",
    "StoredForm",
    "StoredRevision",
    "display_url",
    "open_repository",
    "sqlite_url",
]

SQLITE_DRIVERS = ("sqlite", "sqlite+pysqlite")
POSTGRES_DRIVERS = ("postgresql", "postgresql+psycopg")


def sqlite_url(path: Path) -> str:
    """The address of the SQLite repository file ``path`` (made absolute)."""
    return "sqlite:///" + str(Path(path).expanduser().absolute())


def open_repository(url: str) -> Repository:
    """Open the repository at ``url`` and migrate its schema to this fieldkit's.

    ``sqlite:///PATH`` (the file and its -wal and -shm files are created owner-only) or
    ``postgresql://...`` / ``postgresql+psycopg://...``. Raises
    :class:`~fieldkit.hq.errors.InvalidInputError` for any other address and
    :class:`~fieldkit.hq.errors.RepositoryError` (one line, password masked) when the database
    cannot be reached or opened, or was made by a newer fieldkit-hq.
    """
    parsed = _parse(url)
    if parsed.drivername in SQLITE_DRIVERS:
        engine = sqlite_engine(Path(parsed.database or ""))
    else:
        engine = postgres_engine(parsed.set(drivername="postgresql+psycopg"))
    try:
        return SqlRepository(engine)
    except BaseException:
        engine.dispose()
        raise


def display_url(url: str) -> str:
    """``url`` with its password masked, to show or log (never the address itself)."""
    try:
        return sa.make_url(url.strip()).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return _("(not a database address)")


def _parse(url: str) -> sa.URL:
    try:
        parsed = sa.make_url(url.strip())
    except exc.ArgumentError:
        raise _unsupported(None) from None
    if parsed.drivername in SQLITE_DRIVERS:
        if not parsed.database or parsed.database == ":memory:" or parsed.host:
            raise _unsupported(parsed)
        return parsed
    if parsed.drivername in POSTGRES_DRIVERS:
        return parsed
    raise _unsupported(parsed)


def _unsupported(parsed: sa.URL | None) -> InvalidInputError:
    shown = "" if parsed is None else parsed.render_as_string(hide_password=True) + ": "
    return InvalidInputError(
        _(
            "{shown}not a repository address fieldkit-hq can use; give sqlite:///PATH or "
            "postgresql://USER@HOST/DATABASE (also postgresql+psycopg://...)."
        ).format(shown=shown)
    )
