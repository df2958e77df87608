"""An unlocked vault: the engine and short sessions, one per unit of work.

The open vault also keeps the device's signing key once it was first needed, so that sealing a
record does not read and parse it from the database every time.

Closing the vault (on lock and panic-lock) drops the signing key, makes the engine's connector
overwrite and forget the database key, and disposes of the pool. From then on nothing
reconnects: ``read()``, ``write()``, ``engine`` and ``signing_key()`` raise
:class:`VaultLockedError`, and so does anything that still holds the engine or a session and
needs a new connection (the connector refuses, also on the fresh pool that disposing puts in
place). A connection that is checked out at that moment (a unit of work running on another
thread) is left to finish its transaction, so that a save in flight is not cut off halfway; it
is closed, not pooled, when it is returned.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlcipher3.dbapi2
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session

from fieldkit.crypto.identity import SigningKey
from fieldkit.vault.engine import (
    VaultConnector,
    VaultLockedError,
    build_vault_engine,
    database_path,
)

__all__ = ["WRITE_OPTION", "Vault", "VaultLockedError"]

WRITE_OPTION = "fieldkit_write"


def _begin(connection: Any) -> None:
    """Writers take the write lock at BEGIN, so that two writers never interleave.

    Sent on the DB-API connection itself (every unit of work begins here, and SQLAlchemy's
    statement machinery costs more than the BEGIN); an error is raised as SQLAlchemy raises it
    (``sqlalchemy.exc.OperationalError`` for a database that stays locked)."""
    write = connection.get_execution_options().get(WRITE_OPTION)
    statement = "BEGIN IMMEDIATE" if write else "BEGIN"
    try:
        connection.connection.driver_connection.execute(statement)
    except sqlcipher3.dbapi2.Error as exc:
        raise DBAPIError.instance(statement, (), exc, sqlcipher3.dbapi2.Error) from exc


def _close_on_return(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    """After the lock, a connection that comes back to the pool is closed instead of kept."""
    record.invalidate()


class Vault:
    """An open vault. ``read()`` and ``write()`` give short sessions; ``close()`` locks it."""

    def __init__(self, folder: Path, database_key: bytes, database: Path | None = None) -> None:
        self.folder = folder
        self._connector: VaultConnector | None = VaultConnector(
            database or database_path(folder), database_key
        )
        try:
            self._engine: Engine | None = build_vault_engine(self._connector)
        except BaseException:
            self._connector.forget()
            raise
        event.listen(self._engine, "begin", _begin)
        self._writer: Engine | None = self._engine.execution_options(**{WRITE_OPTION: True})
        self._signing_key: SigningKey | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise VaultLockedError()
        return self._engine

    @property
    def is_open(self) -> bool:
        return self._engine is not None

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A session in one write transaction: committed on success, rolled back on error."""
        writer = self._writer
        if writer is None:
            raise VaultLockedError()
        with Session(writer, expire_on_commit=False) as session, session.begin():
            yield session

    def signing_key(self, load: Callable[[], SigningKey]) -> SigningKey:
        """The device's signing key: ``load()`` gives it the first time, then it is kept until
        :meth:`close`. (A vault has one active identity; a key rotation must call
        :meth:`forget_signing_key`.)"""
        if self._engine is None:
            raise VaultLockedError()
        if self._signing_key is None:
            self._signing_key = load()
        return self._signing_key

    def forget_signing_key(self) -> None:
        self._signing_key = None

    def close(self) -> None:
        """Lock: drop the signing key and the database key, dispose of every idle connection,
        and have the ones in use closed when they are returned (see the module's docstring).
        Closing twice is harmless."""
        engine, self._engine, self._writer = self._engine, None, None
        self._signing_key = None
        connector, self._connector = self._connector, None
        if engine is not None:
            # Before the key goes: a connection made up to that moment is closed on its return.
            event.listen(engine.pool, "checkin", _close_on_return)
        if connector is not None:
            connector.forget()
        if engine is not None:
            engine.dispose()
