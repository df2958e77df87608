"""A revealed record's attachment, decrypted in memory for the analyst's browser.

:func:`open_attachment` serves only a file the record's newest revision refers to, only for a
session holding an active reveal of the record (the caller says so; the web layer answers 403
otherwise and never calls this). The file is decrypted from HQ's attachments folder into memory
(never written in clear), its SHA-256 checked, and described by the reference in the record's
identifying answers (name, media type).

A file is shown in the page only if it is an image of a type browsers show safely (PNG, JPEG,
GIF, WebP) AND its first bytes are those of that type: a file whose declared type is wrong, or
any other file, is offered as a download of type ``application/octet-stream`` under a name made
of its hash, so that nothing a device sent can run as a page of the workspace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.answers import merge_answers
from fieldkit.hq.errors import ConflictError, NotFoundError
from fieldkit.hq.exports.attachments import FileRef, file_refs, read_attachment
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.records import FormCache
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.rows import to_revision
from fieldkit.hq.sealing import SealedReader
from fieldkit.hq.workspace.answer_tree import IMAGE_TYPES
from fieldkit.hq.workspace.reveal import check_record_id
from fieldkit.i18n import _

DOWNLOAD_TYPE = "application/octet-stream"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SIGNATURES = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}


@dataclass(frozen=True)
class AttachmentContent:
    data: bytes
    media_type: str
    """The type to serve it as: an image type, or :data:`DOWNLOAD_TYPE`."""
    inline: bool
    """Shown in the page (an image whose bytes are what its type says)."""
    file_name: str
    """For a download: the file's hash and an extension from its type."""


def open_attachment(
    repository: Repository, keys: HqKeys, paths: HqPaths, record_id: str, sha256: str
) -> AttachmentContent:
    """Attachment ``sha256`` of ``record_id``'s newest revision, decrypted (see the module's
    description). NotFoundError for an unknown record or a file it does not refer to."""
    found = check_record_id(record_id)
    if not _SHA256.match(sha256):
        raise NotFoundError(_("The record has no attachment {sha256}.").format(sha256=sha256[:64]))
    r = t.revisions
    query = (
        sa.select(r, t.identifying.c.batch_id, t.identifying.c.position)
        .join(t.identifying, t.identifying.c.link_id == r.c.link_id)
        .where(r.c.record_id == found)
        .order_by(r.c.number.desc())
        .limit(1)
    )
    with transaction(repository) as conn:
        row = conn.execute(query).first()
    if row is None:
        raise NotFoundError(_("No record {given} at headquarters.").format(given=found))
    revision = to_revision(row)
    if sha256 not in revision.attachments:
        raise NotFoundError(_("The record has no attachment {sha256}.").format(sha256=sha256))
    entry = SealedReader(keys.ingest_identity, repository.sealed_batch).entry(
        revision.batch_id, revision.position
    )
    if entry.link != revision.link_id or entry.revision != revision.sha256:
        raise ConflictError(_("A sealed batch in the repository is damaged."))
    form = FormCache(repository).get(revision.form_sha256)
    answers = merge_answers(revision.answers, entry.identifying)
    ref = next((ref for ref in file_refs(form, answers) if ref.sha256 == sha256), None)
    data = read_attachment(paths.attachments, keys.ingest_identity, sha256)
    return describe(data, sha256, ref)


def describe(data: bytes, sha256: str, ref: FileRef | None) -> AttachmentContent:
    """How to serve ``data``: inline as its declared image type when its bytes agree, else as a
    download named by its hash."""
    declared = "" if ref is None else ref.media_type.lower()
    if declared in IMAGE_TYPES and _looks_like(declared, data):
        return AttachmentContent(data, declared, True, FileRef(sha256, declared, "").file_name)
    file_name = FileRef(sha256, declared, "" if ref is None else ref.name).file_name
    return AttachmentContent(data, DOWNLOAD_TYPE, False, file_name)


def _looks_like(media_type: str, data: bytes) -> bool:
    if media_type == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return any(data.startswith(magic) for magic in _SIGNATURES.get(media_type, ()))


__all__ = ["DOWNLOAD_TYPE", "AttachmentContent", "describe", "open_attachment"]
