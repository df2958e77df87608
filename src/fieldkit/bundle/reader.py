"""Opening bundles at HQ: decrypt, verify and spool, all in one streamed pass.

pyrage decrypts the untrusted stream and pushes plaintext into a :class:`FrameParser`, which
checks every frame as it arrives:

1. the magic and version;
2. the manifest frame (bounded, kept as bytes, not parsed);
3. the signature frame: the signer must be trusted by the caller, the signature over the manifest
   must verify, and only then is the manifest parsed and checked (schema, limits, the recipients
   the device chose against the age header and our keys, then the caller's ``check_manifest``);
4. every following frame must be exactly the next one the manifest announces, with the length it
   announces; revisions are hashed, their signatures handed to the signature checks, and kept
   in memory as bytes; the form definitions they name follow, checked and parsed; then each
   revision's content is parsed and checked (and handed, with its form, to the caller's
   ``on_revision``, if any); attachments are hashed as they stream into the writers of the
   caller's attachment sink (:mod:`fieldkit.bundle.spooling`: files with generated names in a
   private spool folder, or HQ's sink, which encrypts them to HQ's keys as they stream);
5. the END frame, then nothing: and pyrage must report the age stream complete and authentic.

Revision signatures are verified by a :class:`SignatureChecks` while the stream goes on: by
default one at a time as they come; a caller may pass its own, which verifies them elsewhere (HQ
verifies a large bundle's signatures in worker processes, on the other cores:
``cryptography`` holds the GIL while it verifies Ed25519, so threads would not help). Every result
is collected at the END frame, before anything is returned.

Revisions are kept as their verified bytes only, not as parsed trees: a parsed revision takes
several times the memory of its text, so the bundle's revisions stay within the memory the
format's limits announce (``max_revisions_total_bytes``). Their contents are parsed once the
forms are known, one at a time, so that a caller (HQ) can take from each parsed revision what
it needs, with its form at hand, without parsing it again (``on_revision``).

Only then is an :class:`OpenedBundle` returned. On any failure every file the sink wrote is
deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import pyrage

from fieldkit.bundle import errors
from fieldkit.bundle.agefile import (
    MAX_HEADER_BYTES,
    max_file_size,
    parse_header,
    parse_identity,
    recipient_of,
)
from fieldkit.bundle.container import (
    ATTACHMENT_FRAME_BYTES,
    BUNDLE_MAGIC,
    FORMAT_VERSION,
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
    SIGNATURE_FRAME_BYTES,
    FrameParser,
    FrameType,
    data_frame_count,
    data_frame_sizes,
)
from fieldkit.bundle.errors import BundleError, InvalidRequestError, Kind
from fieldkit.bundle.forms import VerifiedForm, check_form
from fieldkit.bundle.limits import DEFAULT_LIMITS, Limits
from fieldkit.bundle.manifest import (
    AttachmentEntry,
    FormEntry,
    Manifest,
    RevisionEntry,
    check_revision,
    parse_manifest,
    signed_message,
)
from fieldkit.bundle.schema import NewerFormatError, SchemaError, SizeLimitError
from fieldkit.bundle.spooling import AttachmentSink, AttachmentWriter, SpoolFolder
from fieldkit.crypto.identity import PublicIdentity
from fieldkit.domain.records import RevisionEnvelope, revision_signing_message, sha256_hex
from fieldkit.i18n import _

IsTrusted = Callable[[str, bytes], bool]
"""``(key_id, public_key) -> bool``: is this device key enrolled and not revoked?"""
CheckManifest = Callable[[Manifest], None]
"""Called once the manifest verified, before the rest is read; raise a BundleError to refuse.

It runs before the age stream is authenticated (a truncated or altered copy is found only at
its end), so it may only refuse what no copy of the bundle could make acceptable (a device
revoked from this sequence number on), and must store and write nothing. Whatever depends on
the bundles HQ holds (replay, fork) is decided once :func:`open_bundle` has returned."""
_READ_SIZE = 64 * 1024


class SignatureChecks(Protocol):
    """Verifies the revision signatures of one bundle (made by a :data:`SignatureChecker`).

    ``add`` may verify at once or later; each method returns False as soon as it knows that a
    signature does not verify. ``finish`` returns True only once every signature added has
    verified. ``close`` is called once, after ``finish`` or on any failure, and stops whatever
    runs in the background.
    """

    def add(self, signature: bytes, content: bytes) -> bool: ...

    def finish(self) -> bool: ...

    def close(self) -> None: ...


OnRevision = Callable[["VerifiedRevision", dict[str, Any], VerifiedForm], None]
"""Called with each revision, its parsed content and its form, in the bundle's order, once the
content has been checked. It runs before the age stream is authenticated: it may compute and
keep what it likes in memory, but must store and write nothing (the bundle may still fail)."""
SignatureChecker = Callable[[PublicIdentity, int], SignatureChecks]
"""``(device key, number of revisions) -> SignatureChecks`` for one bundle. The checks verify
``signature`` over :func:`~fieldkit.domain.records.revision_signing_message` of ``content``."""


@dataclass(frozen=True)
class VerifiedRevision:
    record_id: str
    number: int
    sha256: str
    content: bytes
    """The canonical JSON exactly as the device sealed it."""
    signature: bytes

    def envelope(self) -> RevisionEnvelope:
        """The content, parsed (it was checked strictly when the bundle was opened)."""
        return RevisionEnvelope.from_json(json.loads(self.content))


@dataclass(frozen=True)
class SpooledAttachment:
    sha256: str
    size: int
    path: Path
    """The file the caller's attachment sink wrote it to (in clear for a :class:`SpoolFolder`;
    HQ's sink writes it encrypted); the plaintext was verified against sha256."""


@dataclass(frozen=True)
class OpenedBundle:
    manifest: Manifest
    manifest_sha256: str
    device: PublicIdentity
    revisions: tuple[VerifiedRevision, ...]
    attachments: tuple[SpooledAttachment, ...]
    plaintext_bytes: int
    ciphertext_bytes: int
    ciphertext_sha256: str
    forms: tuple[VerifiedForm, ...] = ()
    """The form definitions the revisions name, sorted by (id, version); each revision's form
    is among them."""

    def form_for(self, form_id: str, version: str) -> VerifiedForm:
        """The bundle's definition of form ``form_id`` version ``version`` (KeyError if absent)."""
        for form in self.forms:
            if form.key == (form_id, version):
                return form
        raise KeyError((form_id, version))

    def discard(self) -> None:
        """Delete the attachment files the sink wrote."""
        for attachment in self.attachments:
            attachment.path.unlink(missing_ok=True)


def open_bundle(
    untrusted: BinaryIO,
    identities: Sequence[str],
    is_trusted: IsTrusted,
    attachments_to: Path | AttachmentSink,
    limits: Limits = DEFAULT_LIMITS,
    check_manifest: CheckManifest | None = None,
    signature_checker: SignatureChecker | None = None,
    on_revision: OnRevision | None = None,
) -> OpenedBundle:
    """Decrypt and verify a whole bundle; raise a :class:`BundleError` if anything is wrong.

    ``identities`` are age X25519 secret keys (HQ's ingest key, or the escrow key).
    ``attachments_to`` is an :data:`AttachmentSink`, or a private folder to spool attachments
    into in clear (a :class:`SpoolFolder`); nothing else is written anywhere. The caller deletes
    the attachment files after use (:meth:`OpenedBundle.discard`).
    ``signature_checker`` verifies the revision signatures (default: one by one, on this thread).
    ``on_revision`` sees each revision's parsed content (see :data:`OnRevision`).
    """
    if not identities:
        raise InvalidRequestError(_("No headquarters key was given to open the bundle with."))
    sink = SpoolFolder(attachments_to) if isinstance(attachments_to, Path) else attachments_to
    try:
        age_identities = [parse_identity(text) for text in identities]
    except SchemaError as error:
        raise InvalidRequestError(error.detail) from None
    ciphertext = _Ciphertext(untrusted, max_file_size(limits.max_total_bytes), limits)
    handler = _BundleHandler(
        limits=limits,
        is_trusted=is_trusted,
        our_recipients={recipient_of(i) for i in age_identities},
        header_bytes=ciphertext.header_bytes,
        sink=sink,
        check_manifest=check_manifest,
        signature_checker=signature_checker or InlineSignatureChecks,
        on_revision=on_revision,
    )
    parser = FrameParser(BUNDLE_MAGIC, handler)
    plaintext = _Sink(parser)
    try:
        pyrage.decrypt_io(ciphertext, plaintext, age_identities)
        parser.close()
        manifest, device = handler.result()
    except BaseException as raised:
        handler.discard()
        raise _translate(raised, plaintext.error or ciphertext.error, ciphertext) from None
    return OpenedBundle(
        manifest=manifest,
        manifest_sha256=sha256_hex(handler.manifest_bytes),
        device=device,
        revisions=tuple(handler.revisions),
        attachments=tuple(handler.attachments),
        forms=tuple(handler.forms),
        plaintext_bytes=plaintext.count,
        ciphertext_bytes=ciphertext.count,
        ciphertext_sha256=ciphertext.digest.hexdigest(),
    )


def _translate(raised: BaseException, ours: BaseException | None, ct: _Ciphertext) -> BaseException:
    """The error to show for a failed open; errors of our own I/O pass through unchanged."""
    error = ours or raised
    if isinstance(error, BundleError):
        return error
    if isinstance(error, SchemaError):
        return errors.from_invalid(Kind.BUNDLE, error)
    if ours is not None or not isinstance(raised, pyrage.DecryptError | OSError):
        return error  # a local disk or device error, an interrupt, or the caller's own exception
    if isinstance(raised, pyrage.DecryptError):
        if "no matching keys" in str(raised).lower():
            return errors.not_recognised(Kind.BUNDLE)
        try:
            parse_header(ct.header_bytes())
        except SchemaError:
            return errors.not_recognised(Kind.BUNDLE)
    return errors.damaged(Kind.BUNDLE, _("it is truncated, or its encrypted bytes were altered"))


class _Ciphertext:
    """Reads the untrusted stream for pyrage: counts, caps, hashes, keeps the age header."""

    def __init__(self, source: BinaryIO, cap: int, limits: Limits) -> None:
        self._source = source
        self._cap = cap
        self._limits = limits
        self._prefix = bytearray()
        self.digest = hashlib.sha256()
        self.count = 0
        self.error: BaseException | None = None

    def header_bytes(self) -> bytes:
        return bytes(self._prefix)

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._source.read(size if size >= 0 else _READ_SIZE)
            if not data:
                return b""
            self.count += len(data)
            if self.count > self._cap:
                raise SizeLimitError(_("the size of the bundle"), self._limits.max_total_bytes)
            if len(self._prefix) < MAX_HEADER_BYTES:
                self._prefix += data[: MAX_HEADER_BYTES - len(self._prefix)]
            self.digest.update(data)
            return bytes(data)
        except BaseException as error:
            self.error = error
            raise


class _Sink:
    """Receives plaintext from pyrage and feeds it to the parser; keeps the first error."""

    def __init__(self, parser: FrameParser) -> None:
        self._parser = parser
        self.count = 0
        self.error: BaseException | None = None

    def write(self, data: bytes) -> int:
        if self.error is not None:
            raise self.error
        try:
            self._parser.feed(data)
        except BaseException as error:
            self.error = error
            raise
        self.count += len(data)
        return len(data)

    def flush(self) -> None:
        pass


@dataclass(frozen=True)
class _Step:
    frame_type: FrameType
    length: int
    revision: RevisionEntry | None = None
    form: FormEntry | None = None
    attachment: AttachmentEntry | None = None
    last_data: bool = False


class InlineSignatureChecks:
    """Verifies each revision signature at once, on the calling thread."""

    def __init__(self, device: PublicIdentity, _revisions: int) -> None:
        self._device = device

    def add(self, signature: bytes, content: bytes) -> bool:
        return self._device.verify(signature, revision_signing_message(content))

    def finish(self) -> bool:
        return True

    def close(self) -> None:
        pass


def _bad_revision_signature() -> SchemaError:
    return SchemaError(_("a revision's signature does not verify"))


class _BundleHandler:
    """Knows which frame must come next; verifies each one; streams attachments to the sink."""

    def __init__(
        self,
        *,
        limits: Limits,
        is_trusted: IsTrusted,
        our_recipients: set[str],
        header_bytes: Callable[[], bytes],
        sink: AttachmentSink,
        check_manifest: CheckManifest | None,
        signature_checker: SignatureChecker,
        on_revision: OnRevision | None,
    ) -> None:
        self._limits = limits
        self._is_trusted = is_trusted
        self._our_recipients = our_recipients
        self._header_bytes = header_bytes
        self._sink = sink
        self._check_manifest = check_manifest
        self._signature_checker = signature_checker
        self._on_revision = on_revision
        self._plan: Iterator[_Step] | None = None
        self._step: _Step | None = None
        self._manifest: Manifest | None = None
        self._device: PublicIdentity | None = None
        self._signatures: SignatureChecks | None = None
        self._forms_listed: frozenset[tuple[str, str]] = frozenset()
        self._revisions_checked = False
        self._writer: AttachmentWriter | None = None
        self._digest = hashlib.sha256()
        self._written: list[Path] = []
        self._ended = False
        self.manifest_bytes = b""
        self.revisions: list[VerifiedRevision] = []
        self.forms: list[VerifiedForm] = []
        self.attachments: list[SpooledAttachment] = []

    # -- FrameHandler -------------------------------------------------------------------------

    def version(self, version: int) -> None:
        if version > FORMAT_VERSION:
            raise NewerFormatError(version)
        if version != FORMAT_VERSION:
            raise SchemaError(_("the container has an unknown format version"))

    def begin(self, frame_type: int, length: int) -> bool:
        if self._plan is None:
            return self._begin_signed_part(frame_type, length)
        step = next(self._plan, None)
        if step is None:
            raise SchemaError(_("there are bytes after the end"))
        if frame_type != step.frame_type:
            raise SchemaError(_("an item is missing, extra or out of order"))
        if length != step.length:
            raise SchemaError(_("an item's size does not match the manifest"))
        if step.frame_type not in (FrameType.REVISION, FrameType.FORM):
            self._check_revisions()
        self._step = step
        return step.frame_type != FrameType.DATA

    def payload(self, data: bytes) -> None:
        step = self._step
        if self._plan is None:
            self._take_signed_part(data)
        elif step is not None and step.revision is not None:
            self._take_revision(step.revision, data)
        elif step is not None and step.form is not None:
            self.forms.append(check_form(data, step.form, self._limits))
        elif step is not None and step.attachment is not None:
            if step.frame_type == FrameType.ATTACHMENT:
                self._take_attachment_header(step.attachment, data)
        elif step is not None and step.frame_type == FrameType.END:
            if self._signatures is None or not self._signatures.finish():
                raise _bad_revision_signature()
            self._ended = True

    def chunk(self, data: memoryview) -> None:
        if self._writer is None:  # pragma: no cover - the plan opens a writer before DATA frames
            raise SchemaError(_("an item is missing, extra or out of order"))
        self._digest.update(data)
        self._writer.write(bytes(data))

    def end(self) -> None:
        step = self._step
        if step is not None and step.attachment is not None and step.last_data:
            self._finish_attachment(step.attachment)

    # -- the signed part ------------------------------------------------------------------------

    def _begin_signed_part(self, frame_type: int, length: int) -> bool:
        if not self.manifest_bytes:
            if frame_type != FrameType.MANIFEST:
                raise SchemaError(_("it does not start with a manifest"))
            if length > self._limits.max_manifest_bytes:
                raise SizeLimitError(_("the manifest"), self._limits.max_manifest_bytes)
            if length < 2:
                raise SchemaError(_("the manifest is empty"))
            return True
        if frame_type != FrameType.SIGNATURE or length != SIGNATURE_FRAME_BYTES:
            raise SchemaError(_("the manifest is not followed by its signature"))
        return True

    def _take_signed_part(self, data: bytes) -> None:
        if not self.manifest_bytes:
            self.manifest_bytes = data
            return
        public_key, signature = data[:PUBLIC_KEY_BYTES], data[PUBLIC_KEY_BYTES:]
        device = PublicIdentity(public_key)
        # Signature first: without the private key nobody learns whether a key is enrolled.
        if not device.verify(signature, signed_message(self.manifest_bytes)):
            raise SchemaError(_("the manifest's signature does not verify"))
        if not self._is_trusted(device.key_id, public_key):
            raise errors.untrusted_device(device.key_id)
        manifest = parse_manifest(self.manifest_bytes, self._limits)
        if manifest.device_public_key != public_key:
            raise SchemaError(_("the manifest names another device than its signer"))
        if not self._our_recipients.intersection(manifest.recipients):
            raise SchemaError(_("it was re-encrypted to keys its device did not choose"))
        header = parse_header(self._header_bytes())
        if header.x25519_stanzas != len(manifest.recipients):
            raise SchemaError(_("it was re-encrypted to keys its device did not choose"))
        if self._check_manifest is not None:
            self._check_manifest(manifest)
        self._manifest, self._device = manifest, device
        self._forms_listed = frozenset(f.key for f in manifest.forms)
        self._signatures = self._signature_checker(device, len(manifest.revisions))
        self._plan = _plan(manifest)

    # -- revisions and attachments ------------------------------------------------------------

    def _take_revision(self, entry: RevisionEntry, data: bytes) -> None:
        if self._signatures is None:  # pragma: no cover - plan order
            raise SchemaError(_("an item is missing, extra or out of order"))
        signature, content = data[:SIGNATURE_BYTES], data[SIGNATURE_BYTES:]
        if sha256_hex(content) != entry.sha256:
            raise SchemaError(_("a revision does not match its hash in the manifest"))
        if not self._signatures.add(signature, content):
            raise _bad_revision_signature()
        self.revisions.append(
            VerifiedRevision(entry.record_id, entry.number, entry.sha256, content, signature)
        )

    def _check_revisions(self) -> None:
        """After the forms: check each revision's content (bound to the verified manifest by its
        hash, so it is parsed while its signature may still be being verified), and that the
        bundle carries exactly the forms its revisions name."""
        if self._revisions_checked:
            return
        if self._manifest is None:  # pragma: no cover - plan order
            raise SchemaError(_("an item is missing, extra or out of order"))
        forms = {form.key: form for form in self.forms}
        named: set[tuple[str, str]] = set()
        device_key_id = self._manifest.device_key_id
        for entry, revision in zip(self._manifest.revisions, self.revisions, strict=True):
            key, value = check_revision(revision.content, entry, device_key_id, self._limits)
            form = forms.get(key)
            if form is None:
                raise SchemaError(_("a revision names a form that is not in the bundle"))
            named.add(key)
            if self._on_revision is not None:
                self._on_revision(revision, value, form)
        if named != self._forms_listed:
            raise SchemaError(_("the bundle carries a form that none of its revisions uses"))
        self._revisions_checked = True

    def _take_attachment_header(self, entry: AttachmentEntry, data: bytes) -> None:
        expected = bytes.fromhex(entry.sha256) + entry.size.to_bytes(8, "big")
        if data != expected:
            raise SchemaError(_("an attachment does not match its manifest entry"))
        self._digest = hashlib.sha256()
        self._writer = self._sink(entry.sha256, entry.size)
        if entry.size == 0:
            self._finish_attachment(entry)

    def _finish_attachment(self, entry: AttachmentEntry) -> None:
        writer, self._writer = self._writer, None
        if writer is None:  # pragma: no cover - plan order
            raise SchemaError(_("an item is missing, extra or out of order"))
        if self._digest.hexdigest() != entry.sha256:
            writer.abort()
            raise SchemaError(_("an attachment does not match its hash in the manifest"))
        path = writer.finish()
        self._written.append(path)
        self.attachments.append(SpooledAttachment(entry.sha256, entry.size, path))

    # -- outcome --------------------------------------------------------------------------------

    def result(self) -> tuple[Manifest, PublicIdentity]:
        if not self._ended or self._manifest is None or self._device is None:
            raise SchemaError(_("it ends before its last item"))
        self._close_signatures()
        return self._manifest, self._device

    def _close_signatures(self) -> None:
        signatures, self._signatures = self._signatures, None
        if signatures is not None:
            signatures.close()

    def discard(self) -> None:
        self._close_signatures()
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.abort()
        for path in self._written:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        self._written.clear()
        self.revisions.clear()
        self.forms.clear()
        self.attachments.clear()


def _plan(manifest: Manifest) -> Iterator[_Step]:
    """Every frame that must follow the signature, in order, with its exact length."""
    for revision in manifest.revisions:
        yield _Step(FrameType.REVISION, SIGNATURE_BYTES + revision.size, revision=revision)
    for form in manifest.forms:
        yield _Step(FrameType.FORM, form.size, form=form)
    for attachment in manifest.attachments:
        yield _Step(FrameType.ATTACHMENT, ATTACHMENT_FRAME_BYTES, attachment=attachment)
        count = data_frame_count(attachment.size)
        for index, size in enumerate(data_frame_sizes(attachment.size), start=1):
            yield _Step(FrameType.DATA, size, attachment=attachment, last_data=index == count)
    yield _Step(FrameType.END, 0)
