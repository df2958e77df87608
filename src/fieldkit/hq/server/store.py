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

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator
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
            with os.fdopen(fd, "r+b") as handle:
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


def _sync_data(fd: int) -> None:
    """Make the file's bytes and its size durable (``fdatasync`` where there is one: the other
    metadata, such as times, need not reach the disk first)."""
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)
