"""HQ's spool: a private folder per bundle being ingested, under ``spool/`` in the HQ folder.

No attachment plaintext is ever written there, nor anywhere on HQ's disk: the bundle reader
hands each attachment's bytes, as it decrypts and hashes them, to an :class:`EncryptingSink`,
which streams them into pyrage's age encryption to HQ's own recipients (the ingest key and
the escrow key, as attachments are stored). pyrage's ``encrypt_io`` reads from a file-like
object while the reader pushes bytes, so the encryption runs in a thread fed through a queue
of at most :data:`QUEUE_CHUNKS` chunks: memory stays bounded whatever the attachment's size.
Once the bundle is stored, the encrypted file is linked into ``attachments/`` as it is.

Each ingest holds an exclusive lock on the lock file in its own folder for as long as it runs
(``flock`` on POSIX, ``msvcrt.locking`` on Windows: the system releases it when the process
ends, however it ends). A folder whose lock can be taken belongs to a run that died (killed,
power loss) and :func:`remove_dead_folders` removes it when the next ingest starts; a live
run's folder is left alone. ``spool.lock`` (beside ``spool/``) is held while a folder is made
and locked, and while dead ones are removed, so that a folder is never taken for dead before
its run locks it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyrage

from fieldkit.bundle import AttachmentWriter
from fieldkit.bundle.agefile import parse_recipient
from fieldkit.bundle.spooling import CREATE_NEW, new_spool_name
from fieldkit.files import OWNER_ONLY_FILE
from fieldkit.hq.paths import HqPaths

FOLDER_PREFIX = "bundle-"
LOCK_NAME = "lock"
QUEUE_CHUNKS = 4
"""Chunks (of at most 1 MiB, the container's DATA frames) waiting to be encrypted."""
_WAIT_S = 0.2


# -- locks ---------------------------------------------------------------------------------------


def _open_lock(path: Path) -> int:
    return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), OWNER_ONLY_FILE)


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False if another holds it."""
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _wait_lock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)


@contextlib.contextmanager
def _spool_locked(paths: HqPaths) -> Iterator[None]:
    fd = _open_lock(paths.spool_lock)
    try:
        _wait_lock(fd)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def run_folder(paths: HqPaths) -> Iterator[Path]:
    """A new private folder under ``spool/``, locked by this process until the block ends,
    then removed."""
    with _spool_locked(paths):
        folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX, dir=paths.spool))
        fd = _open_lock(folder / LOCK_NAME)
        _try_lock(fd)  # a file nobody else has seen yet: always free
    try:
        yield folder
    finally:
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)


def remove_dead_folders(paths: HqPaths) -> int:
    """Remove the folders under ``spool/`` whose run has died (their lock is free); return
    how many. Folders of ingests still running are left alone."""
    removed = 0
    with _spool_locked(paths):
        for folder in sorted(paths.spool.glob(f"{FOLDER_PREFIX}*")):
            if folder.is_symlink() or not folder.is_dir() or _is_held(folder / LOCK_NAME):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _is_held(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return False  # never locked: its run died before (folders are locked as they are made)
    except OSError:
        return True  # cannot tell: keep it
    try:
        return not _try_lock(fd)
    finally:
        os.close(fd)


# -- streamed encryption -------------------------------------------------------------------------


class SpoolWriteError(OSError):
    """HQ could not write an encrypted attachment into its spool (a full or failing disk)."""


class EncryptingSink:
    """An :data:`fieldkit.bundle.AttachmentSink` that encrypts each attachment to
    ``recipients`` into ``folder`` as it streams (files named ``attachment-<random>.age``)."""

    def __init__(self, folder: Path, recipients: Sequence[str]) -> None:
        self._folder = folder
        self._recipients = [parse_recipient(r, "recipient") for r in recipients]

    def __call__(self, sha256: str, size: int) -> AttachmentWriter:
        try:
            return _EncryptingWriter(new_spool_name(self._folder, ".age"), self._recipients)
        except OSError as error:
            raise SpoolWriteError(error.errno, error.strerror) from None


class _Pipe:
    """A file-like reader for pyrage, fed chunk by chunk from another thread; ``None`` ends it."""

    def __init__(self) -> None:
        self.chunks: queue.Queue[bytes | None] = queue.Queue(QUEUE_CHUNKS)
        self.closed = threading.Event()
        """Set once the reading side has stopped, for whatever reason."""
        self._current = b""
        self._offset = 0
        self._ended = False

    def put(self, chunk: bytes | None) -> bool:
        """Queue ``chunk``, waiting for room; False if the reading side has stopped."""
        while not self.closed.is_set():
            with contextlib.suppress(queue.Full):
                self.chunks.put(chunk, timeout=_WAIT_S)
                return True
        return False

    def read(self, size: int = -1) -> bytes:
        while self._offset >= len(self._current):
            if self._ended:
                return b""
            chunk = self.chunks.get()
            if chunk is None:
                self._ended = True
                return b""
            self._current, self._offset = chunk, 0
        end = len(self._current) if size < 0 else self._offset + size
        data = self._current[self._offset : end]
        self._offset += len(data)
        return data


class _EncryptingWriter:
    def __init__(self, path: Path, recipients: list[pyrage.x25519.Recipient]) -> None:
        self._path = path
        self._out = os.fdopen(os.open(path, CREATE_NEW, OWNER_ONLY_FILE), "wb")
        self._pipe = _Pipe()
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._encrypt, args=(recipients,), name="fieldkit-encrypt", daemon=True
        )
        self._thread.start()

    def _encrypt(self, recipients: list[pyrage.x25519.Recipient]) -> None:
        try:
            pyrage.encrypt_io(self._pipe, self._out, recipients)
        except BaseException as error:  # handed to the reading thread
            self._error = error
        finally:
            self._pipe.closed.set()

    def write(self, data: bytes) -> None:
        if not self._pipe.put(data):
            self._fail()

    def finish(self) -> Path:
        self._pipe.put(None)
        self._thread.join()
        if self._error is not None:
            self._fail()
        try:
            self._out.flush()
            os.fsync(self._out.fileno())
            self._out.close()
        except OSError as error:
            self.abort()
            raise SpoolWriteError(error.errno, error.strerror) from None
        return self._path

    def abort(self) -> None:
        self._pipe.put(None)
        self._thread.join()
        with contextlib.suppress(OSError):
            self._out.close()
        self._path.unlink(missing_ok=True)

    def _fail(self) -> None:
        error = self._error
        self.abort()
        if isinstance(error, OSError) and error.errno is not None:
            raise SpoolWriteError(error.errno, error.strerror)
        raise SpoolWriteError(errno.EIO, str(error))
