"""The SQLCipher engine.

Every connection is made by :func:`open_connection`, which keys the raw ``sqlcipher3``
connection before anything else runs on it, proves the key, refuses plain SQLite, and then sets
the pragmas in the order security.md gives. SQLAlchemy receives it through ``creator`` on a plain
``sqlite://`` URL with ``module=sqlcipher3.dbapi2`` and an explicit ``QueuePool``; this avoids
the traps of the ``sqlite+pysqlcipher`` dialect (a singleton-per-thread pool, connect listeners
that run before the key, an empty ``PRAGMA key`` sent after a custom creator).

The ``creator`` is a :class:`VaultConnector`, the only holder of the database key once the engine
exists. :meth:`VaultConnector.forget` (called when the vault is locked) overwrites and drops the
key; from then on every attempt to connect raises :class:`VaultLockedError`, also on the fresh pool
that ``Engine.dispose()`` puts in place of the old one, so code that still holds the engine, the
vault or a session can never reconnect.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

import sqlcipher3
import sqlcipher3.dbapi2
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import QueuePool

from fieldkit.errors import ConflictError, FieldkitError
from fieldkit.files import OWNER_ONLY_FILE
from fieldkit.i18n import _

log = logging.getLogger(__name__)

DATABASE_FILE = "vault.db"
PLAIN_SQLITE_HEADER = b"SQLite format 3\x00"

PRAGMAS_AFTER_KEY = (
    # Off, as SQLCipher's own default since 4.5: wiping every buffer SQLCipher frees halves the
    # write rate, while the same plaintext also lives in Python objects that nothing wipes.
    # Memory is protected instead by no core dumps and by locking (security.md).
    "PRAGMA cipher_memory_security = OFF",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA secure_delete = ON",
)


class PlainSQLiteError(FieldkitError):
    """The SQLite library or the database file is not encrypted."""


class DatabaseKeyError(FieldkitError):
    """The database does not open with the key from the key file."""


class VaultLockedError(ConflictError, RuntimeError):
    """The vault was locked: its key is gone and nothing can connect to it any more.

    Also a ``RuntimeError``, which is what a locked vault raised before it had a typed error."""

    def __init__(self) -> None:
        super().__init__(_("The vault is locked."))


def _quiet_sqlcipher_log() -> None:
    """SQLCipher writes its own error lines to stderr (for example on a key mismatch); fieldkit
    reports errors itself. The log level is global to the library, so it is set once, on a
    throwaway in-memory connection, and every vault connection still starts with its key."""
    probe = sqlcipher3.connect(":memory:")
    try:
        probe.execute("PRAGMA cipher_log_level = NONE").fetchall()
    finally:
        probe.close()


_quiet_sqlcipher_log()


def _raw_connect(path: str) -> Any:
    """Open a raw DB-API connection (tests replace this to observe or substitute it)."""
    return sqlcipher3.connect(path, check_same_thread=False)


def database_path(folder: Path) -> Path:
    return folder / DATABASE_FILE


def refuse_plain_database_file(path: Path) -> None:
    """A vault database that starts with SQLite's plain header is not encrypted: refuse it."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(PLAIN_SQLITE_HEADER))
    except FileNotFoundError:
        return
    if head == PLAIN_SQLITE_HEADER:
        raise PlainSQLiteError(
            _("The vault database {path} is not encrypted; fieldkit refuses to use it.").format(
                path=path
            )
        )


def open_connection(path: Path, key: bytes | bytearray) -> Any:
    """A keyed, proven, configured connection to the vault database."""
    conn = _raw_connect(str(path))
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
        except Exception as exc:  # the DB-API's own DatabaseError class varies by module
            if type(exc).__name__ in ("DatabaseError", "NotADatabaseError"):
                raise DatabaseKeyError(
                    _(
                        "The vault database does not open with this vault's key: the key file "
                        "and the database do not belong together, or the database is damaged."
                    )
                ) from None
            raise
        version = conn.execute("PRAGMA cipher_version").fetchall()
        if not version or not version[0] or not version[0][0]:
            raise PlainSQLiteError(
                _(
                    "The SQLite library in use does not encrypt (no SQLCipher); fieldkit refuses "
                    "to store anything with it. Reinstall fieldkit."
                )
            )
        for pragma in PRAGMAS_AFTER_KEY:
            conn.execute(pragma).fetchall()
        # Transactions are begun explicitly (see store.py), never implicitly by the driver.
        conn.isolation_level = None
    except BaseException:
        conn.close()
        raise
    return conn


class VaultConnector:
    """The engine's ``creator``: opens keyed connections until :meth:`forget` drops the key.

    The key is kept in a ``bytearray`` of its own, overwritten with zeros when forgotten (Python
    cannot promise that no other copy of it exists, but this one does not outlive the lock)."""

    def __init__(self, path: Path, key: bytes | bytearray) -> None:
        self.path = path
        self._key: bytearray | None = bytearray(key)
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        # Under the lock, so that forget() never overwrites the key while a connection is keyed
        # with it: a connection is either made before the lock (and closed on its return to the
        # pool, see store.py) or refused.
        with self._lock:
            if self._key is None:
                raise VaultLockedError()
            return open_connection(self.path, self._key)

    def forget(self) -> None:
        """Overwrite and drop the key; every later connection attempt raises VaultLockedError."""
        with self._lock:
            key, self._key = self._key, None
            if key is not None:
                key[:] = bytes(len(key))


def _create_owner_only(path: Path) -> None:
    """Create an empty database file readable by its owner only. SQLite gives its -wal and -shm
    files the database file's permissions, so they are owner-only too, whatever the umask."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE)
    except FileExistsError:
        return
    os.close(fd)


def build_vault_engine(connector: VaultConnector, pool_size: int = 4) -> Engine:
    """An engine whose every connection comes from ``connector`` (so from
    :func:`open_connection`)."""
    refuse_plain_database_file(connector.path)
    _create_owner_only(connector.path)
    engine = create_engine(
        "sqlite://",
        creator=connector,
        module=sqlcipher3.dbapi2,
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=4,
        pool_pre_ping=False,
    )
    # Prove the key now, so that a bad key fails here and not at the first query.
    with engine.connect():
        pass
    return engine


def create_vault_engine(path: Path, key: bytes, pool_size: int = 4) -> Engine:
    """An engine with a connector of its own (one that is never told to forget the key: the
    vault uses :func:`build_vault_engine` with a connector it keeps, see store.py)."""
    return build_vault_engine(VaultConnector(path, key), pool_size)
