"""An unlocked vault: the engine and short sessions, one per unit of work.

The open vault also keeps the device's signing key once it was first needed, so that sealing a
record does not read and parse it from the database every time. Closing the vault (on lock) drops
it with the engine and the database key.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlmodel import Session

from fieldkit.crypto.identity import SigningKey
from fieldkit.vault.engine import create_vault_engine, database_path

WRITE_OPTION = "fieldkit_write"


def _begin(connection: Any) -> None:
    """Writers take the write lock at BEGIN, so that two writers never interleave."""
    if connection.get_execution_options().get(WRITE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


class Vault:
    """An open vault. ``read()`` and ``write()`` give short sessions; ``close()`` locks it."""

    def __init__(self, folder: Path, database_key: bytes, database: Path | None = None) -> None:
        self.folder = folder
        self._engine: Engine | None = create_vault_engine(
            database or database_path(folder), database_key
        )
        event.listen(self._engine, "begin", _begin)
        self._writer = self._engine.execution_options(**{WRITE_OPTION: True})
        self._signing_key: SigningKey | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the vault is locked")
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
        if self._engine is None:
            raise RuntimeError("the vault is locked")
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    def signing_key(self, load: Callable[[], SigningKey]) -> SigningKey:
        """The device's signing key: ``load()`` gives it the first time, then it is kept until
        :meth:`close`. (A vault has one active identity; a key rotation must call
        :meth:`forget_signing_key`.)"""
        if self._engine is None:
            raise RuntimeError("the vault is locked")
        if self._signing_key is None:
            self._signing_key = load()
        return self._signing_key

    def forget_signing_key(self) -> None:
        self._signing_key = None

    def close(self) -> None:
        """Dispose of every connection; the database key and the signing key go with them."""
        self._signing_key = None
        if self._engine is not None:
            self._engine.dispose()
        self._engine = None
        self._writer = None  # type: ignore[assignment]
