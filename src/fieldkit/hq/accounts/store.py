"""Transactions of the account use cases, and the clock they read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from fieldkit.domain.records import utc_timestamp
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.database import WRITE, database_errors
from fieldkit.hq.sqlwork import engine_of


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(moment: dt.datetime) -> str:
    """How times are stored: ``2026-12-08T02:22:01Z`` (compares as text)."""
    return utc_timestamp(moment)


def parse_stamp(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@contextmanager
def transaction(repository: Repository, *, write: bool = False) -> Iterator[Connection]:
    """One transaction on the SQL repository (a write one takes SQLite's write lock first).

    Unlike HQ's judgements, accounts and sessions need no lock of their own on PostgreSQL:
    every change is one row's, decided by the row itself."""
    engine = engine_of(repository)
    with database_errors(engine.url), engine.connect() as connection:
        if write:
            connection.execution_options(**{WRITE: True})
        with connection.begin():
            yield connection
