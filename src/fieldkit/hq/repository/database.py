"""Engines, error translation and schema migrations of the SQL repository backend.

SQLite. The driver's own transaction handling is switched off and fieldkit emits ``BEGIN``
itself: ``BEGIN IMMEDIATE`` for every write (a connection with the :data:`WRITE` execution
option), so that a writer takes SQLite's write lock before it reads what it will decide on (two
ingests queue on the busy timeout instead of one of them failing when it upgrades a read lock),
and a deferred ``BEGIN`` for reads. In WAL mode readers never block the writer, nor the writer
the readers. Every connection sets :data:`SQLITE_PRAGMAS`.

PostgreSQL: psycopg 3, READ COMMITTED, a pre-ping on every checkout of the pool.

Errors of the database become :class:`~fieldkit.hq.errors.RepositoryError` with one line: never
a traceback, never the driver's text about a refused row (it may quote values), never a password.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import exc
from sqlalchemy.engine import Connection, Engine

import fieldkit.hq.migrations
from fieldkit.files import OWNER_ONLY_FILE
from fieldkit.hq.errors import RepositoryError
from fieldkit.i18n import _

log = logging.getLogger(__name__)

MIGRATIONS = Path(fieldkit.hq.migrations.__file__).resolve().parent
BUSY_TIMEOUT_MS = 60_000
"""How long a SQLite writer waits for another one (an ingest of a large bundle) to finish."""
SQLITE_PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
)
CONNECT_TIMEOUT_S = 10
MIGRATION_LOCK = 0x666B_6871_0001
"""PostgreSQL advisory lock key: two HQ processes opening a new database migrate one at a time."""
WRITE = "fieldkit_write"
"""Execution option of a connection whose transaction writes (SQLite: ``BEGIN IMMEDIATE``)."""


def sqlite_engine(path: Path) -> Engine:
    """An engine on the SQLite file ``path``, created owner-only if it does not exist.

    SQLite gives the -wal and -shm files the database file's permissions, so they are
    owner-only too, whatever the umask.
    """
    _create_owner_only(path)
    engine = sa.create_engine(
        sa.URL.create("sqlite+pysqlite", database=str(path)),
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
    )
    sa.event.listen(engine, "connect", _configure_sqlite)
    sa.event.listen(engine, "begin", _begin_sqlite)
    return engine


def postgres_engine(url: sa.URL) -> Engine:
    """An engine on a PostgreSQL server (psycopg 3); ``url`` names the ``postgresql+psycopg``
    driver. Nothing connects until the repository opens."""
    return sa.create_engine(
        url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )


def _create_owner_only(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
    except FileExistsError:
        return
    except OSError as error:
        raise RepositoryError(
            _("The repository database {path} cannot be created: {reason}.").format(
                path=path, reason=error.strerror or type(error).__name__
            )
        ) from None
    os.close(fd)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # fieldkit emits BEGIN itself (_begin_sqlite)
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    write = connection.get_execution_options().get(WRITE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _where(url: sa.URL) -> str:
    if url.get_backend_name() == "sqlite":
        return url.database or ""
    return url.render_as_string(hide_password=True)


@contextmanager
def database_errors(url: sa.URL) -> Iterator[None]:
    """Turn the database's errors into one-line :class:`RepositoryError` messages."""
    try:
        yield
    except (exc.IntegrityError, exc.DataError) as error:
        log.warning("the repository refused a change (%s)", type(error.orig).__name__)
        raise RepositoryError(
            _("The repository refused the change (a database constraint); nothing was stored.")
        ) from None
    except exc.DBAPIError as error:
        reason = (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0]
        if url.password:
            reason = reason.replace(str(url.password), "***")
        raise RepositoryError(
            _("The repository database {where} cannot be used: {reason}").format(
                where=_where(url), reason=reason
            )
        ) from None
    except exc.SQLAlchemyError as error:
        log.warning("the repository could not run a statement (%s)", type(error).__name__)
        raise RepositoryError(
            _("The repository could not store or read a value; nothing was stored.")
        ) from None


# -- migrations ------------------------------------------------------------------------------------


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def schema_revisions() -> list[str]:
    """Every schema revision this fieldkit knows, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def current_schema(engine: Engine) -> tuple[str, ...]:
    """The schema revision(s) the database is stamped with (empty for a new database)."""
    with database_errors(engine.url), engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine) -> None:
    """Bring the schema up to the newest revision, in one transaction; run on every opening.

    A database stamped with a revision this fieldkit does not know (made by a newer one) is
    refused and left as it is.
    """
    known = schema_revisions()
    with database_errors(engine.url), engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            current = MigrationContext.configure(connection).get_current_heads()
            newer = [revision for revision in current if revision not in known]
            if newer:
                raise RepositoryError(
                    _(
                        "The repository database {where} was made by a newer fieldkit-hq "
                        "(schema {revision}); update fieldkit-hq to open it."
                    ).format(where=_where(engine.url), revision=", ".join(newer))
                )
            if tuple(current) != (known[-1],):
                command.upgrade(alembic_config(connection), "head")
