"""Transactions on the SQL repository for HQ's own judgements (audit log, reviews, victims).

These use cases run on :class:`~fieldkit.hq.repository.SqlRepository` (SQLite or PostgreSQL):
they write several tables in one transaction, with the same error translation and write lock
as the repository (``BEGIN IMMEDIATE`` on SQLite). The in-memory test repository has no engine
and is refused in one line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fieldkit.hq.errors import ConflictError
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.database import WRITE, database_errors
from fieldkit.i18n import _

JUDGEMENT_LOCK = 0x666B_6871_0005
"""PostgreSQL advisory lock key: writers of the audit log (and so of reviews and victim links)
take turns, so that each entry chains to the one before it."""


def engine_of(repository: Repository) -> Engine:
    engine = getattr(repository, "engine", None)
    if not isinstance(engine, Engine):
        raise ConflictError(
            _("This needs the SQL repository (SQLite or PostgreSQL); nothing was changed.")
        )
    return engine


@contextmanager
def transaction(repository: Repository, *, write: bool = False) -> Iterator[Connection]:
    """One transaction; a write one holds the judgement lock from its start."""
    engine = engine_of(repository)
    with database_errors(engine.url), engine.connect() as connection:
        if write:
            connection.execution_options(**{WRITE: True})
        with connection.begin():
            if write and connection.dialect.name == "postgresql":
                connection.execute(sa.select(sa.func.pg_advisory_xact_lock(JUDGEMENT_LOCK)))
            yield connection
