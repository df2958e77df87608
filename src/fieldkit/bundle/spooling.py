"""Where the bundle reader puts attachments while it reads: an :data:`AttachmentSink`.

The reader hashes each attachment's plaintext as it streams through and hands the same bytes
to a writer the sink opened for it; the attachment is returned only once its hash, and then
the whole bundle, verify. On any failure the reader aborts the open writer and deletes every
file the sink wrote.

:class:`SpoolFolder` writes attachments in clear into a private folder: for tools and tests
reading a bundle on a machine of their own. HQ never uses it: its sink
(:class:`fieldkit.hq.spool.EncryptingSink`) encrypts each attachment to HQ's own keys as it
streams, so that no attachment plaintext reaches HQ's disk.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from fieldkit.bundle.errors import InvalidRequestError
from fieldkit.files import OWNER_ONLY_FILE
from fieldkit.i18n import _

SPOOL_PREFIX = "attachment-"
CREATE_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
CREATE_NEW |= getattr(os, "O_NOFOLLOW", 0)


class AttachmentWriter(Protocol):
    """Receives one attachment's bytes in order."""

    def write(self, data: bytes) -> None: ...

    def finish(self) -> Path:
        """Every byte was written: make the file complete and durable; return its path."""
        ...

    def abort(self) -> None:
        """Stop, and delete whatever was written."""
        ...


AttachmentSink = Callable[[str, int], AttachmentWriter]
"""``(sha256, size) -> AttachmentWriter`` for each attachment of a bundle, as announced by its
verified manifest (not yet checked against the bytes)."""


def new_spool_name(folder: Path, suffix: str = "") -> Path:
    """A fresh generated file name in ``folder``: never a name taken from a bundle."""
    return folder / f"{SPOOL_PREFIX}{secrets.token_hex(16)}{suffix}"


class SpoolFolder:
    """An :data:`AttachmentSink` writing each attachment in clear into ``folder``, under a
    generated name. The folder must exist and be readable by its owner only."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise InvalidRequestError(_("The spool folder for opened bundles does not exist."))
        if os.name == "posix" and folder.stat().st_mode & 0o077:
            raise InvalidRequestError(
                _("The spool folder for opened bundles must be readable by its owner only.")
            )
        self.folder = folder

    def __call__(self, sha256: str, size: int) -> AttachmentWriter:
        return _PlainFile(new_spool_name(self.folder))


class _PlainFile:
    def __init__(self, path: Path) -> None:
        self._file = os.fdopen(os.open(path, CREATE_NEW, OWNER_ONLY_FILE), "wb")
        self._path = path

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def finish(self) -> Path:
        self._file.close()
        return self._path

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        self._path.unlink(missing_ok=True)
