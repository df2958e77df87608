"""Transactions of the analysis use cases on the SQL repository's engine.

Analysis needs SQL (the in-memory fake repository of the tests has no analysis tables). Writes
take SQLite's write lock from their first statement (``BEGIN IMMEDIATE``, as every write of the
repository does); database errors become one-line :class:`~fieldkit.hq.errors.RepositoryError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine

from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.repository.base import Repository
from fieldkit.hq.repository.database import WRITE, database_errors
from fieldkit.hq.repository.sql import SqlRepository
from fieldkit.i18n import _


def engine_of(repository: Repository) -> Engine:
    """The engine of a SQL repository; any other repository is refused."""
    if not isinstance(repository, SqlRepository):
        raise InvalidInputError(
            _("Analysis needs a SQLite or PostgreSQL repository; this one has no tables.")
        )
    return repository.engine


@contextmanager
def transaction(repository: Repository, *, write: bool = False) -> Iterator[Connection]:
    """One transaction on the repository's database, committed when the block ends."""
    engine = engine_of(repository)
    with database_errors(engine.url), engine.connect() as connection:
        if write:
            connection.execution_options(**{WRITE: True})
        with connection.begin():
            yield connection
