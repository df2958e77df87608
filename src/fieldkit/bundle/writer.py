"""Writing bundles on the device: streamed, with flat memory whatever the attachments' sizes.

The manifest comes first and lists every hash and size, so the caller gives them up front
(revisions, forms and attachments are stored by hash). The writer checks every revision and form
before it writes a byte, and checks every attachment's bytes against the declared hash and size
while it streams them; on any mismatch it stops, and :func:`export_bundle_file` leaves no bundle
behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyrage

from fieldkit.bundle import errors
from fieldkit.bundle.agefile import parse_header, parse_recipient, payload_size
from fieldkit.bundle.container import (
    BUNDLE_MAGIC,
    FORMAT_VERSION,
    FrameType,
    data_frame_sizes,
    frame_header,
)
from fieldkit.bundle.digest import ThreadedSha256
from fieldkit.bundle.errors import InvalidRequestError, Kind, SourceChangedError
from fieldkit.bundle.forms import check_form
from fieldkit.bundle.limits import DEFAULT_LIMITS, MIB, Limits
from fieldkit.bundle.manifest import (
    AttachmentEntry,
    FormEntry,
    Manifest,
    RevisionEntry,
    check_revision,
    parse_manifest,
    signed_message,
)
from fieldkit.bundle.schema import SchemaError, SizeLimitError
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.records import revision_signing_message, sha256_hex, utc_timestamp
from fieldkit.errors import NotFoundError
from fieldkit.files import atomic_writer, fsync_dir, remove_stale_temporaries
from fieldkit.i18n import _

BUNDLE_SUFFIX = ".fkb"
_BUNDLE_NAME = re.compile(r"[0-9a-f]{32}\.fkb\Z")
PROGRESS_STEP = 4 * MIB
READ_BACK_CHUNK = 1 * MIB
STALE_TEMPORARY_S = 5 * 60.0
"""A temporary file on the stick that no export holds is a leftover once this old (a younger one
may be an export in another process that has only just created it)."""

ProgressCallback = Callable[[int, int], None]
"""``(bytes_done, bytes_total)`` of the inner plaintext; called from the writing thread."""


@dataclass(frozen=True)
class SealedRevision:
    """A sealed revision as the vault holds it: its canonical JSON and the device's signature."""

    record_id: str
    number: int
    sha256: str
    content: bytes
    signature: bytes


@dataclass(frozen=True)
class FormSource:
    """A form definition the revisions use, as the vault stores it: its canonical JSON
    (``canonical_json(form.model_dump(mode="json"))``) and that JSON's SHA-256."""

    form_id: str
    version: str
    sha256: str
    definition: bytes


@dataclass(frozen=True)
class AttachmentSource:
    """An attachment to stream: ``open_chunks`` is called once, while the bundle is written."""

    sha256: str
    size: int
    open_chunks: Callable[[], Iterable[bytes]]


@dataclass(frozen=True)
class BundleInfo:
    bundle_id: str
    manifest_sha256: str
    sequence: int
    created: str
    recipients: tuple[str, ...]
    revisions: int
    attachments: int
    plaintext_bytes: int
    ciphertext_bytes: int
    ciphertext_sha256: str


@dataclass(frozen=True)
class ExportedBundle:
    path: Path
    info: BundleInfo


def new_bundle_file_name() -> str:
    """A random name: it says nothing about the device, the time or the content."""
    return secrets.token_hex(16) + BUNDLE_SUFFIX


def is_bundle_file_name(name: str) -> bool:
    """True for names :func:`new_bundle_file_name` makes; never for temporary files."""
    return bool(_BUNDLE_NAME.match(name))


def find_bundle_files(folder: Path) -> list[Path]:
    """Regular files in ``folder`` named like bundles (temporary and other files are skipped)."""
    return [
        p
        for p in sorted(folder.iterdir())
        if is_bundle_file_name(p.name) and not p.is_symlink() and p.is_file()
    ]


def build_manifest(
    *,
    device_key: SigningKey,
    sequence: int,
    previous: str | None,
    recipients: Sequence[str],
    revisions: Sequence[SealedRevision],
    attachments: Sequence[AttachmentSource],
    forms: Sequence[FormSource] = (),
    limits: Limits = DEFAULT_LIMITS,
    bundle_id: str | None = None,
    created: str | None = None,
) -> tuple[Manifest, bytes]:
    """The manifest and its canonical bytes, after checking everything HQ will check.

    ``forms`` must be exactly the forms the revisions name (in any order; the manifest sorts
    them by id and version).
    """
    rev_entries: list[RevisionEntry] = []
    named: set[tuple[str, str]] = set()
    for rev in revisions:
        entry = RevisionEntry(rev.record_id, rev.number, rev.sha256, len(rev.content))
        if sha256_hex(rev.content) != rev.sha256:
            raise _source_changed()
        if not device_key.public.verify(rev.signature, revision_signing_message(rev.content)):
            raise InvalidRequestError(
                _("A revision's signature does not verify with this device's key.")
            )
        try:
            named.add(check_revision(rev.content, entry, device_key.key_id, limits)[0])
        except SizeLimitError as error:
            raise errors.from_invalid(Kind.BUNDLE, error) from None
        except SchemaError as error:
            raise _invalid_request(error) from None
        rev_entries.append(entry)
    form_entries = _form_entries(forms, named, limits)
    manifest = Manifest(
        bundle_id=bundle_id or secrets.token_hex(16),
        created=created or utc_timestamp(),
        device_key_id=device_key.key_id,
        device_public_key=device_key.public.public_key,
        sequence=sequence,
        previous=previous,
        recipients=tuple(recipients),
        revisions=tuple(rev_entries),
        attachments=tuple(AttachmentEntry(a.sha256, a.size) for a in attachments),
        forms=form_entries,
    )
    encoded = manifest.canonical()
    if len(encoded) > limits.max_manifest_bytes:
        raise errors.limit_exceeded(Kind.BUNDLE, _("the manifest"), limits.max_manifest_bytes)
    try:  # the reader's own checks: a device never writes what HQ would refuse
        parse_manifest(encoded, limits)
    except SizeLimitError as error:
        raise errors.from_invalid(Kind.BUNDLE, error) from None
    except SchemaError as error:
        raise _invalid_request(error) from None
    return manifest, encoded


def _form_entries(
    forms: Sequence[FormSource], named: set[tuple[str, str]], limits: Limits
) -> tuple[FormEntry, ...]:
    """Manifest entries for ``forms``, checked as HQ will check them, sorted."""
    entries: dict[tuple[str, str], FormEntry] = {}
    for form in forms:
        entry = FormEntry(form.form_id, form.version, form.sha256, len(form.definition))
        if sha256_hex(form.definition) != form.sha256:
            raise _source_changed()
        if entry.key in entries:
            raise InvalidRequestError(_("The bundle cannot be written: a form is given twice."))
        if entry.size > limits.max_form_bytes:
            raise errors.limit_exceeded(Kind.BUNDLE, _("the size of a form"), limits.max_form_bytes)
        try:
            check_form(form.definition, entry, limits)
        except SchemaError as error:
            raise _invalid_request(error) from None
        entries[entry.key] = entry
    if set(entries) - named:
        raise InvalidRequestError(
            _("The bundle cannot be written: a form is given that no revision uses.")
        )
    if named - set(entries):
        raise InvalidRequestError(
            _("The bundle cannot be written: a revision's form definition is missing.")
        )
    return tuple(entries[key] for key in sorted(entries))


def write_bundle(
    out: BinaryIO,
    *,
    device_key: SigningKey,
    sequence: int,
    previous: str | None,
    recipients: Sequence[str],
    revisions: Sequence[SealedRevision],
    attachments: Sequence[AttachmentSource],
    forms: Sequence[FormSource] = (),
    limits: Limits = DEFAULT_LIMITS,
    progress: ProgressCallback | None = None,
    bundle_id: str | None = None,
    created: str | None = None,
) -> BundleInfo:
    """Encrypt a bundle to ``recipients`` into ``out``.

    ``forms`` are the definitions of the forms the revisions name (exactly those). ``revisions``,
    ``forms`` and ``attachments`` are read twice (for the manifest, then for the content): pass
    sequences, not one-shot iterators. On an exception, what was written to ``out`` is garbage
    and must be discarded (:func:`export_bundle_file` does).
    """
    manifest, encoded = build_manifest(
        device_key=device_key,
        sequence=sequence,
        previous=previous,
        recipients=recipients,
        revisions=revisions,
        attachments=attachments,
        forms=forms,
        limits=limits,
        bundle_id=bundle_id,
        created=created,
    )
    signature = device_key.sign(signed_message(encoded))
    total = manifest.plaintext_bytes(len(encoded))
    pieces = _plaintext(
        manifest, encoded, device_key.public.public_key + signature, revisions, forms, attachments
    )
    source = _PullReader(pieces, total, progress)
    sink = _HashingWriter(out)
    age_recipients = [parse_recipient(r, "recipients") for r in recipients]
    try:
        pyrage.encrypt_io(source, sink, age_recipients)
    except BaseException:
        sink.digest.close()
        if source.error is not None:
            raise source.error from None
        raise
    ciphertext_sha256 = sink.digest.hexdigest()
    if source.error is not None:  # pragma: no cover - pyrage reported success after a failure
        raise source.error
    if source.done != total:
        raise InvalidRequestError(_("The bundle could not be encrypted."))
    return BundleInfo(
        bundle_id=manifest.bundle_id,
        manifest_sha256=sha256_hex(encoded),
        sequence=manifest.sequence,
        created=manifest.created,
        recipients=manifest.recipients,
        revisions=len(manifest.revisions),
        attachments=len(manifest.attachments),
        plaintext_bytes=total,
        ciphertext_bytes=sink.count,
        ciphertext_sha256=ciphertext_sha256,
    )


def check_export_folder(folder: Path) -> None:
    """Refuse a folder to export to that does not exist (or a stick that is not mounted)."""
    if not folder.is_dir():
        raise NotFoundError(_("The folder to export to does not exist or is not mounted."))


def export_bundle_file(
    folder: Path,
    *,
    device_key: SigningKey,
    sequence: int,
    previous: str | None,
    recipients: Sequence[str],
    revisions: Sequence[SealedRevision],
    attachments: Sequence[AttachmentSource],
    forms: Sequence[FormSource] = (),
    limits: Limits = DEFAULT_LIMITS,
    progress: ProgressCallback | None = None,
    bundle_id: str | None = None,
    created: str | None = None,
    file_name: str | None = None,
) -> ExportedBundle:
    """Write a bundle into ``folder`` durably, read it back and verify it.

    The file is named ``file_name`` (a bundle file name), by default a new random one; a file of
    that name is replaced only once the new one is complete. Temporary files of interrupted
    exports in ``folder`` are removed first: those no export holds any more (see
    :func:`fieldkit.files.atomic_writer`) and last written ``STALE_TEMPORARY_S`` ago or earlier;
    another export writing to the same stick keeps its file. When this returns, the bundle is on
    the medium and reads back intact; on any failure, the file this call wrote is removed again
    (a file that was there before it is left as it was).
    """
    check_export_folder(folder)
    if file_name is not None and not is_bundle_file_name(file_name):
        raise InvalidRequestError(_("The bundle cannot be written: its file name is not valid."))
    remove_stale_temporaries(folder, older_than_s=STALE_TEMPORARY_S)
    path = folder / (file_name or new_bundle_file_name())
    there_before = _file_id(path)
    try:
        with atomic_writer(path) as handle:
            info = write_bundle(
                handle,
                device_key=device_key,
                sequence=sequence,
                previous=previous,
                recipients=recipients,
                revisions=revisions,
                attachments=attachments,
                forms=forms,
                limits=limits,
                progress=progress,
                bundle_id=bundle_id,
                created=created,
            )
        verify_bundle_file(path, info)
    except BaseException:
        _remove_if_written(path, there_before)
        raise
    return ExportedBundle(path, info)


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_dev, status.st_ino)


def _remove_if_written(path: Path, there_before: tuple[int, int] | None) -> None:
    """After a failed export: remove the file it renamed into place, if it got that far."""
    written = _file_id(path)
    if written is None or written == there_before:
        return
    with contextlib.suppress(OSError):  # the caller's error says what went wrong
        path.unlink()
        fsync_dir(path.parent)


def verify_bundle_file(path: Path, info: BundleInfo) -> None:
    """Check, without any secret key, that ``path`` holds exactly the bundle just written.

    The device cannot decrypt its own bundle; it checks what it can: the bytes on the medium
    hash to what it wrote, the age header is well formed with one X25519 stanza per recipient,
    and the file's size is what an age file of this plaintext size must be.
    """
    digest = ThreadedSha256()  # hashing overlaps with reading the medium
    size = 0
    prefix = bytearray()
    try:
        with path.open("rb") as handle:
            _drop_cached_pages(handle.fileno())
            while chunk := handle.read(READ_BACK_CHUNK):
                if len(prefix) < READ_BACK_CHUNK:
                    prefix += chunk[: READ_BACK_CHUNK - len(prefix)]
                digest.update(chunk)
                size += len(chunk)
        read_back = digest.hexdigest()
    finally:
        digest.close()
    if size != info.ciphertext_bytes or read_back != info.ciphertext_sha256:
        raise _read_back_failed()
    try:
        header = parse_header(bytes(prefix))
    except SchemaError:
        raise _read_back_failed() from None
    if header.x25519_stanzas != len(info.recipients):
        raise _read_back_failed()
    if header.length + payload_size(info.plaintext_bytes) != size:
        raise _read_back_failed()


def _drop_cached_pages(fd: int) -> None:
    """Ask the OS to read the file again from the medium rather than from its cache."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def _read_back_failed() -> errors.ExportVerificationError:
    return errors.ExportVerificationError(
        _(
            "The bundle did not read back intact from the export folder and was removed. Check "
            "the USB stick or disk and export again."
        )
    )


def _source_changed() -> SourceChangedError:
    return SourceChangedError(
        _(
            "A revision or attachment in the vault does not match its recorded hash or size; no "
            "bundle was written. Check the vault's integrity."
        )
    )


def _invalid_request(error: SchemaError) -> InvalidRequestError:
    return InvalidRequestError(
        _("The bundle cannot be written: {detail}.").format(detail=error.detail)
    )


def _plaintext(
    manifest: Manifest,
    encoded: bytes,
    signature_payload: bytes,
    revisions: Sequence[SealedRevision],
    forms: Sequence[FormSource],
    attachments: Sequence[AttachmentSource],
) -> Iterator[bytes | memoryview]:
    yield BUNDLE_MAGIC + bytes([FORMAT_VERSION])
    yield frame_header(FrameType.MANIFEST, len(encoded))
    yield encoded
    yield frame_header(FrameType.SIGNATURE, len(signature_payload)) + signature_payload
    if len(revisions) != len(manifest.revisions) or len(attachments) != len(manifest.attachments):
        raise _source_changed()
    for entry, rev in zip(manifest.revisions, revisions, strict=True):
        if len(rev.content) != entry.size or sha256_hex(rev.content) != entry.sha256:
            raise _source_changed()
        yield frame_header(FrameType.REVISION, len(rev.signature) + entry.size) + rev.signature
        yield rev.content
    by_key = {(f.form_id, f.version): f for f in forms}
    for form_entry in manifest.forms:
        form = by_key.get(form_entry.key)
        if form is None or sha256_hex(form.definition) != form_entry.sha256:
            raise _source_changed()
        yield frame_header(FrameType.FORM, form_entry.size) + form.definition
    for attachment, source in zip(manifest.attachments, attachments, strict=True):
        header = bytes.fromhex(attachment.sha256) + attachment.size.to_bytes(8, "big")
        yield frame_header(FrameType.ATTACHMENT, len(header)) + header
        yield from _data_frames(attachment, source)
    yield frame_header(FrameType.END, 0)


def _data_frames(entry: AttachmentEntry, source: AttachmentSource) -> Iterator[bytes | memoryview]:
    digest = ThreadedSha256()
    try:
        sizes = data_frame_sizes(entry.size)
        left_in_frame = 0
        for chunk in source.open_chunks():
            piece = chunk if isinstance(chunk, bytes) else bytes(chunk)
            digest.update(piece)
            view = memoryview(piece)
            while view:
                if left_in_frame == 0:
                    next_size = next(sizes, None)
                    if next_size is None:  # more bytes than declared
                        raise _source_changed()
                    yield frame_header(FrameType.DATA, next_size)
                    left_in_frame = next_size
                part = view[:left_in_frame]
                view = view[len(part) :]
                left_in_frame -= len(part)
                yield part
        if left_in_frame or next(sizes, None) is not None or digest.hexdigest() != entry.sha256:
            raise _source_changed()
    finally:
        digest.close()


class _PullReader:
    """A file-like ``read`` over an iterator of byte pieces, for ``pyrage.encrypt_io``.

    pyrage turns an exception raised here into a string; the original is kept in ``error``.
    """

    def __init__(
        self,
        pieces: Iterator[bytes | memoryview],
        total: int,
        progress: ProgressCallback | None,
    ) -> None:
        self._pieces = pieces
        self._current = memoryview(b"")
        self._total = total
        self._progress = progress
        self._reported = 0
        self.done = 0
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            while not self._current:
                piece = next(self._pieces, None)
                if piece is None:
                    return b""
                self._current = memoryview(piece)
            if size < 0 or size > len(self._current):
                size = len(self._current)
            out = self._current[:size].tobytes()
            self._current = self._current[size:]
            self.done += size
            if self._progress is not None and (
                self.done - self._reported >= PROGRESS_STEP or self.done == self._total
            ):
                self._reported = self.done
                self._progress(self.done, self._total)
            return out
        except BaseException as error:
            self.error = error
            raise


class _HashingWriter:
    """Passes ciphertext to ``out`` and hashes and counts exactly what ``out`` accepted."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.digest = ThreadedSha256()
        self.count = 0

    def write(self, data: bytes) -> int:
        written = self._out.write(data)
        self.digest.update(data if written == len(data) else memoryview(data)[:written])
        self.count += written
        return written

    def flush(self) -> None:
        self._out.flush()
