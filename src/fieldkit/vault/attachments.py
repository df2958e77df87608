"""Attachments, stored encrypted inside the vault database, named by their SHA-256.

The bytes are kept in 1 MiB chunks in the SQLCipher database, so they are encrypted like
everything else, written in the same transaction as the record, and never exist in clear on disk.
Originals are stored as given: never transcoded. Reading gives chunks (for bundles) or, with a
size cap, the whole attachment in memory (for thumbnails).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import BinaryIO

from sqlmodel import Session, col, select

from fieldkit.domain.records import utc_timestamp
from fieldkit.errors import ConflictError, InvalidInputError, NotFoundError
from fieldkit.i18n import _
from fieldkit.vault.models import AttachmentChunkRow, AttachmentRow

CHUNK_BYTES = 1024 * 1024


class AttachmentTooLargeError(InvalidInputError):
    pass


def _too_large(limit: int) -> AttachmentTooLargeError:
    return AttachmentTooLargeError(
        _(
            "The file is larger than the attachment limit of {mib} MiB. Choose a smaller file or "
            "raise the limit with 'fieldkit-cli settings set attachment-max-mib N'."
        ).format(mib=max(1, limit // (1024 * 1024)))
    )


def hash_stream(source: BinaryIO, max_bytes: int) -> tuple[str, int]:
    """SHA-256 and size of a stream, refusing it as soon as it passes ``max_bytes``."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        digest.update(chunk)
    return digest.hexdigest(), size


def store(
    session: Session, source: BinaryIO, media_type: str, expected_sha256: str, max_bytes: int
) -> int:
    """Store the stream whose hash was computed beforehand; return its size.

    An attachment already stored under the same hash is kept once. If the bytes read now do not
    hash to ``expected_sha256`` (the file changed in between), nothing is stored.
    """
    existing = session.get(AttachmentRow, expected_sha256)
    if existing is not None:
        return existing.size
    digest = hashlib.sha256()
    size = 0
    chunks = 0
    row = AttachmentRow(
        sha256=expected_sha256,
        size=0,
        media_type=media_type,
        chunk_count=0,
        created_at=utc_timestamp(),
    )
    session.add(row)
    session.flush()
    while chunk := source.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        digest.update(chunk)
        session.add(AttachmentChunkRow(sha256=expected_sha256, seq=chunks, data=chunk))
        chunks += 1
        if chunks % 16 == 0:
            session.flush()
    if digest.hexdigest() != expected_sha256:
        raise ConflictError(_("The file changed while it was being added; add it again."))
    row.size = size
    row.chunk_count = chunks
    session.add(row)
    session.flush()
    return size


def get(session: Session, sha256: str) -> AttachmentRow:
    row = session.get(AttachmentRow, sha256)
    if row is None:
        raise NotFoundError(_("No attachment {sha} in this vault.").format(sha=sha256[:16]))
    return row


def iter_chunks(session: Session, sha256: str) -> Iterator[bytes]:
    """The attachment's bytes, chunk by chunk, in order; memory stays at one chunk."""
    row = get(session, sha256)
    for seq in range(row.chunk_count):
        chunk = session.exec(
            select(AttachmentChunkRow.data).where(
                AttachmentChunkRow.sha256 == sha256, AttachmentChunkRow.seq == seq
            )
        ).one()
        yield chunk


def read_all(session: Session, sha256: str, max_bytes: int) -> bytes:
    """The whole attachment in memory (for a thumbnail or a viewer), up to ``max_bytes``."""
    row = get(session, sha256)
    if row.size > max_bytes:
        raise _too_large(max_bytes)
    return b"".join(iter_chunks(session, sha256))


def exists(session: Session, sha256: str) -> bool:
    return session.get(AttachmentRow, sha256) is not None


def all_hashes(session: Session) -> list[str]:
    return list(session.exec(select(AttachmentRow.sha256).order_by(col(AttachmentRow.sha256))))
