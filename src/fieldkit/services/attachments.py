"""Adding files to records, and reading them back into memory for viewing."""

from __future__ import annotations

import mimetypes
import os
import re
import stat
from pathlib import Path
from typing import Any

from sqlmodel import Session

from fieldkit.errors import InvalidInputError, reading_file
from fieldkit.i18n import _
from fieldkit.vault import attachments as store
from fieldkit.vault import repo
from fieldkit.vault.store import Vault

SETTING_MAX_BYTES = "attachment_max_bytes"
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
PREVIEW_MAX_BYTES = 64 * 1024 * 1024
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def max_bytes(session: Session) -> int:
    return int(repo.get_setting(session, SETTING_MAX_BYTES, DEFAULT_MAX_BYTES))


def set_max_bytes(vault: Vault, value: int) -> None:
    if not 1024 * 1024 <= value <= 64 * 1024 * 1024 * 1024:
        raise InvalidInputError(_("The attachment limit must be between 1 MiB and 64 GiB."))
    with vault.write() as session:
        repo.set_setting(session, SETTING_MAX_BYTES, value)


def display_name(name: str) -> str:
    """A file name safe to show and store: no folders, no control characters, at most 255."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip() or "attachment"
    return cleaned[-255:]


def media_type_of(name: str) -> str:
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def store_file(session: Session, untrusted_path: Path) -> dict[str, Any]:
    """Store a file in the vault (within the caller's transaction); return its reference."""
    limit = max_bytes(session)
    with reading_file(untrusted_path), untrusted_path.open("rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise InvalidInputError(_("{path}: not a regular file.").format(path=untrusted_path))
        digest, size = store.hash_stream(handle, limit)
        handle.seek(0)
        media_type = media_type_of(untrusted_path.name)
        store.store(session, handle, media_type, digest, limit)
    return {
        "sha256": digest,
        "name": display_name(untrusted_path.name),
        "media_type": media_type,
        "size": size,
    }


def add_file(vault: Vault, untrusted_path: Path) -> dict[str, Any]:
    """Store a file in the vault in its own unit of work; return the reference to put in answers."""
    with vault.write() as session:
        return store_file(session, untrusted_path)


def read_for_preview(vault: Vault, sha256: str, limit: int = PREVIEW_MAX_BYTES) -> bytes:
    """An attachment's bytes, in memory only (thumbnails, viewers): never written to disk."""
    with vault.read() as session:
        return store.read_all(session, sha256, limit)
