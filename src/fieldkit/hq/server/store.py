"""Where upload bytes wait until the upload is complete: one small interface.

:class:`FolderUploadStore` keeps each upload as ``uploads/<id>.part`` under the HQ folder (still
the encrypted bundle as the device sent it: nothing here is plaintext). The repository, not the
file, holds the acknowledged offset: bytes past it (a request cut, a server killed mid-write) are
cut off before the next append, so a resumed upload continues exactly at the offset the server
reported. For several hosts, the folder can be a shared volume, or another implementation can
keep parts in an object store (each PATCH a part of a multipart upload, ``local_copy`` fetching
the whole object into the spool for ingest); see ``docs/sync.md``.
"""

from __future__ import annotations

import ctypes
import io
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO

from filelock import FileLock, Timeout

from fieldkit.files import make_private_dir
from fieldkit.hq.server.errors import Code, SyncError
from fieldkit.i18n import _


class UploadStore(ABC):
    @abstractmethod
    def writer(self, upload_id: str, offset: int) -> AbstractContextManager[BinaryIO]:
        """A context manager: exclusive write access to the upload, positioned at ``offset``
        (anything stored past it is dropped). Refuses with BUSY while another request writes."""

    @abstractmethod
    def local_copy(self, upload_id: str) -> AbstractContextManager[Path]:
        """A context manager: the whole upload as a local file, for ingest."""

    @abstractmethod
    def delete(self, upload_id: str) -> None: ...


class FolderUploadStore(UploadStore):
    def __init__(self, folder: Path) -> None:
        make_private_dir(folder)
        self._folder = folder

    def _path(self, upload_id: str) -> Path:
        return self._folder / f"{upload_id}.part"

    @contextmanager
    def writer(self, upload_id: str, offset: int) -> Iterator[BinaryIO]:
        lock = FileLock(self._folder / f"{upload_id}.lock", timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise SyncError(
                Code.BUSY, _("Another request is writing this upload; try again shortly.")
            ) from None
        try:
            fd = os.open(self._path(upload_id), os.O_RDWR | os.O_CREAT, 0o600)
            with _PartFile(io.FileIO(fd, "r+")) as handle:
                if os.fstat(fd).st_size != offset:
                    handle.truncate(offset)
                handle.seek(offset)
                yield handle
                handle.flush()
                _sync_data(handle.fileno())
        finally:
            lock.release()

    @contextmanager
    def local_copy(self, upload_id: str) -> Iterator[Path]:
        yield self._path(upload_id)

    def delete(self, upload_id: str) -> None:
        self._path(upload_id).unlink(missing_ok=True)
        (self._folder / f"{upload_id}.lock").unlink(missing_ok=True)


WRITEBACK_BYTES = 8 * 1024 * 1024
"""While a chunk is written, the disk is asked to begin writing it out every this many bytes:
the fdatasync at the chunk's end (still before its offset is recorded) then waits for the last
few MiB only, not for the whole chunk, while the device waits for the answer."""


class _PartFile(io.BufferedRandom):
    """An upload's file, whose written bytes the disk begins to write out as they come (a hint:
    only the fdatasync at the end makes them durable)."""

    def __init__(self, raw: io.FileIO) -> None:
        super().__init__(raw)
        self._unsynced = 0  # bytes written since the last hint
        self._from: int | None = None  # where they begin

    def write(self, data: bytes | bytearray | memoryview, /) -> int:  # type: ignore[override]
        if self._from is None:
            self._from = self.tell()
        written = super().write(data)
        self._unsynced += written
        if self._unsynced >= WRITEBACK_BYTES and _BEGIN_WRITEBACK is not None:
            self.flush()
            _BEGIN_WRITEBACK(self.fileno(), self._from)
            self._from += self._unsynced
            self._unsynced = 0
        return written

    def truncate(self, size: int | None = None, /) -> int:
        self._from, self._unsynced = None, 0
        return super().truncate(size)


def _writeback_starter() -> Callable[[int, int], None] | None:
    """``sync_file_range(fd, start, 0, SYNC_FILE_RANGE_WRITE)`` where the system has it
    (Linux): begin writing out the file's dirty bytes from ``start`` on, without waiting."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        call = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    call.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    call.restype = ctypes.c_int
    write = 2  # SYNC_FILE_RANGE_WRITE

    def begin(fd: int, start: int) -> None:
        call(fd, start, 0, write)  # a failure only means no head start: fdatasync follows

    return begin


_BEGIN_WRITEBACK = _writeback_starter()


def _sync_data(fd: int) -> None:
    """Make the file's bytes and its size durable (``fdatasync`` where there is one: the other
    metadata, such as times, need not reach the disk first)."""
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)
