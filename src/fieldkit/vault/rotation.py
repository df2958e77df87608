"""Replacing the database key: a new random key, the database re-encrypted under it, and the key
file rewritten, moving together so that a crash at any moment leaves exactly one working vault.

The database and the key file are two files, and no single rename replaces both. So the new pair
is built beside the old one and a marker file commits it:

1. Under the vault lock, one connection takes SQLite's exclusive lock on the database (it fails
   if fieldkit has the vault open anywhere else) and keeps it to the end, so that nothing can
   write to the old database meanwhile; it empties the write-ahead log into the database and
   removes it (journal mode DELETE), and copies everything with ``sqlcipher_export`` into
   ``vault.db.rotating``, encrypted under the new key; that file is flushed to disk.
2. The new key file (the new key wrapped under the new passphrase) is written to
   ``vault.key.rotating`` and flushed.
3. The marker ``rotation.commit`` is written atomically and the folder flushed: this is the
   commit. Before it, the old passphrase and the old key open the vault and the ``.rotating``
   files are leftovers; from it on, the new pair is the vault.
4. Any ``-wal`` and ``-shm`` files of the old database are removed, ``vault.db.rotating`` is
   renamed to ``vault.db`` and ``vault.key.rotating`` to ``vault.key``, the folder is flushed,
   and the marker is removed. Then the connection of step 1 lets go.

:func:`recover`, run before every unlock, finishes step 4 when the marker is there (every action
in it can be repeated) and otherwise removes the leftovers of steps 1 and 2; while a rotation
runs, it waits for its end.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filelock

from fieldkit.errors import ConflictError
from fieldkit.files import OWNER_ONLY_FILE, atomic_write_bytes, fsync_dir
from fieldkit.i18n import _
from fieldkit.vault import keyfile
from fieldkit.vault.engine import database_path, open_connection

log = logging.getLogger(__name__)

ROTATING_SUFFIX = ".rotating"
MARKER_FILE = "rotation.commit"
LOCK_FILE = "vault.lock"
BUSY_TIMEOUT_S = 2.0
RECOVERY_TIMEOUT_S = 600.0


class VaultInUseError(ConflictError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "The vault is open in another fieldkit window or command; close it there, then "
                "replace the database key again."
            )
        )


def _step(name: str) -> None:
    """Called after each step of a rotation (the crash tests stop the process here)."""


def rotated_database(folder: Path) -> Path:
    return folder / (database_path(folder).name + ROTATING_SUFFIX)


def rotated_key_file(folder: Path) -> Path:
    return folder / (keyfile.KEY_FILE + ROTATING_SUFFIX)


def marker(folder: Path) -> Path:
    return folder / MARKER_FILE


def _sidecars(database: Path) -> list[Path]:
    return [Path(f"{database}-wal"), Path(f"{database}-shm"), Path(f"{database}-journal")]


@contextlib.contextmanager
def vault_lock(folder: Path, timeout: float = BUSY_TIMEOUT_S) -> Iterator[None]:
    """The lock that rotations and their recovery take (one at a time per vault folder)."""
    lock = filelock.FileLock(str(folder / LOCK_FILE), timeout=timeout, mode=OWNER_ONLY_FILE)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise VaultInUseError() from None
    try:
        yield
    finally:
        lock.release()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))  # Windows flushes only writers
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def pending(folder: Path) -> bool:
    """A rotation was interrupted: its files or its marker are in the folder."""
    return any(
        p.exists() for p in (marker(folder), rotated_database(folder), rotated_key_file(folder))
    )


def _finish(folder: Path) -> None:
    """Step 4: install the committed pair. Each action can be repeated after a crash."""
    database = database_path(folder)
    rotated_db, rotated_key = rotated_database(folder), rotated_key_file(folder)
    if rotated_db.exists():
        for sidecar in _sidecars(database):
            sidecar.unlink(missing_ok=True)
        rotated_db.replace(database)
        _step("database-replaced")
    if rotated_key.exists():
        rotated_key.replace(keyfile.key_path(folder))
        _step("key-file-replaced")
    fsync_dir(folder)
    marker(folder).unlink(missing_ok=True)
    fsync_dir(folder)


def _discard(folder: Path) -> None:
    """Remove what an uncommitted rotation left; the old pair was never touched."""
    rotated_db = rotated_database(folder)
    for leftover in (rotated_db, *_sidecars(rotated_db), rotated_key_file(folder)):
        leftover.unlink(missing_ok=True)
    fsync_dir(folder)


def recover(folder: Path) -> None:
    """Finish a committed rotation, or undo an uncommitted one. Cheap when there is none."""
    if not pending(folder):
        return
    with vault_lock(folder, timeout=RECOVERY_TIMEOUT_S):  # a rotation running now: its end
        if marker(folder).exists():
            _finish(folder)
            log.info("an interrupted replacement of the database key was finished")
        elif pending(folder):
            _discard(folder)
            log.info("an interrupted replacement of the database key was undone")


def _export(folder: Path, old_key: bytes, new_key: bytes) -> Any:
    """Step 1: the whole database, re-encrypted under ``new_key``, in ``vault.db.rotating``.

    Returns the connection that holds SQLite's exclusive lock on the old database, its log
    emptied and removed (journal mode DELETE): until it is closed, after the new pair is in
    place, no other program can write to the old database, whose writes would be lost."""
    rotated = rotated_database(folder)
    for leftover in (rotated, *_sidecars(rotated)):
        leftover.unlink(missing_ok=True)
    # Owner-only from the start (SQLite would make it with the umask's permissions, and its -wal
    # and -shm files take the database file's).
    os.close(os.open(rotated, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY_FILE))
    conn = open_connection(database_path(folder), old_key)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}").fetchall()
        conn.execute("PRAGMA locking_mode = EXCLUSIVE").fetchall()
        try:
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("COMMIT")  # the exclusive lock stays until the connection closes
        except Exception as exc:  # the DB-API's OperationalError: another connection is open
            if "locked" in str(exc) or "busy" in str(exc):
                raise VaultInUseError() from None
            raise
        conn.execute("PRAGMA journal_mode = DELETE").fetchall()  # checkpoints, removes -wal, -shm
        version = conn.execute("PRAGMA user_version").fetchall()[0][0]
        literal = str(rotated).replace("'", "''")
        conn.execute(f"ATTACH DATABASE '{literal}' AS rotated KEY \"x'{new_key.hex()}'\"")
        conn.execute("SELECT sqlcipher_export('rotated')").fetchall()
        conn.execute(f"PRAGMA rotated.user_version = {int(version)}")
        conn.execute("DETACH DATABASE rotated")
        _fsync_file(rotated)
    except BaseException:
        conn.close()
        raise
    return conn


def rotate(folder: Path, old_key: bytes, new_key: bytes, key_file: keyfile.KeyFile) -> None:
    """Re-encrypt the vault under ``new_key`` and install ``key_file`` (which wraps it) with it.

    Nothing may have the vault open meanwhile: :class:`VaultInUseError` otherwise, and nothing
    changes. A crash leaves the old pair or the new one, see the module's docstring."""
    with vault_lock(folder):
        if marker(folder).exists():
            _finish(folder)
        _discard(folder)
        holder = None
        try:
            holder = _export(folder, old_key, new_key)
            _step("exported")
            keyfile.write_key_file_to(rotated_key_file(folder), key_file)
            _step("key-file-written")
        except BaseException:
            if holder is not None:
                holder.close()
            _discard(folder)
            raise
        try:
            atomic_write_bytes(marker(folder), b"fieldkit database key rotation: committed\n")
            _step("committed")
            _finish(folder)
        finally:
            holder.close()
        _step("finished")
