"""Durable, atomic file writing.

A file is written under a temporary name in its destination folder, flushed to disk, renamed over
the destination, and the folder is flushed too. A crash or a pulled USB stick leaves either the
old file or the complete new one, never a half-written file under the real name.

While it is written, the temporary file is held with an exclusive lock (``flock``, where the
platform has it; on Windows an open file cannot be deleted anyway), so that cleaning up leftovers
never deletes a write in progress in another process.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

OWNER_ONLY_FILE = 0o600
OWNER_ONLY_DIR = 0o700
TEMP_PREFIX = ".fieldkit-tmp-"


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries to disk (a no-op where the platform cannot)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_of_file(path: Path, block: int = 1 << 20) -> str:
    """The SHA-256 (lowercase hex) of the file at ``path``, read ``block`` bytes at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def make_private_dir(folder: Path) -> None:
    """Create ``folder`` (and parents) readable by its owner only."""
    folder.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY_DIR)
    if os.name == "posix":
        folder.chmod(OWNER_ONLY_DIR)


@contextlib.contextmanager
def atomic_writer(destination: Path, mode: int = OWNER_ONLY_FILE) -> Iterator[BinaryIO]:
    """Yield a file to write; on success it replaces ``destination`` atomically and durably.

    On any exception the temporary file is removed and ``destination`` is untouched.
    """
    folder = destination.parent
    temp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    _lock(fd)  # held until the file is closed: the temporary is not a leftover while it is written
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        temp.replace(destination)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    fsync_dir(folder)


def atomic_write_bytes(destination: Path, data: bytes, mode: int = OWNER_ONLY_FILE) -> None:
    with atomic_writer(destination, mode) as handle:
        handle.write(data)


def remove_stale_temporaries(folder: Path, older_than_s: float = 0.0) -> int:
    """Delete temporary files left by interrupted atomic writes; return how many.

    A temporary file that a write in progress holds (its lock, see :func:`atomic_writer`) is kept,
    whatever its age. With ``older_than_s``, so is any file last written less than that many
    seconds ago: a write in another process that has just created its file, or runs on a file
    system without locks, keeps it."""
    removed = 0
    cutoff = time.time() - older_than_s
    for leftover in folder.glob(f"{TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            if older_than_s and leftover.stat().st_mtime > cutoff:
                continue
            if _held(leftover):
                continue
            leftover.unlink()
            removed += 1
    return removed


def _lock(fd: int) -> None:
    """Hold an exclusive lock on an open file (where the platform and file system have locks)."""
    if sys.platform == "win32":
        return
    import fcntl

    with contextlib.suppress(OSError):  # a file system without locks: the age check remains
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _held(path: Path) -> bool:
    """Whether a write in progress holds ``path`` (a file that cannot be checked counts as held)."""
    if sys.platform == "win32":
        return False  # an open file cannot be deleted on Windows: unlink fails and it stays
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False  # a file system without locks: the age check decides
    finally:
        os.close(fd)
    return False
