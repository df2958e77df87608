"""Published forms (``.fkf``): a form definition HQ signed, for devices to install.

The file is not encrypted (a form holds no record content) and uses the container framing::

    "FKFORM" 0x01  PUBLICATION-frame  FORM-frame  SIGNATURE-frame  END-frame

PUBLICATION is the canonical JSON of the publication (form id, version, SHA-256 and size of the
definition, publication time, HQ key id); FORM is the form's canonical JSON, exactly as a vault
stores it and a bundle carries it; SIGNATURE is HQ's Ed25519 public key and its signature over
``PUBLISHED_FORM_DOMAIN + publication``. The signature covers the definition through its hash.
A device installs the form only if the public key is the HQ signing key it pinned at enrolment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fieldkit.bundle import errors, schema
from fieldkit.bundle.container import (
    FORMAT_VERSION,
    PUBLIC_KEY_BYTES,
    PUBLISHED_FORM_MAGIC,
    SIGNATURE_FRAME_BYTES,
    FrameParser,
    FrameType,
    frame,
)
from fieldkit.bundle.errors import InvalidRequestError, Kind
from fieldkit.bundle.forms import check_form, form_bytes
from fieldkit.bundle.limits import DEFAULT_LIMITS, Limits
from fieldkit.bundle.manifest import FormEntry
from fieldkit.bundle.schema import HEX32, HEX64, NewerFormatError, SchemaError, SizeLimitError
from fieldkit.crypto.identity import PublicIdentity, SigningKey, key_id_of
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import canonical_json, sha256_hex, utc_timestamp
from fieldkit.i18n import _

PUBLISHED_FORM_KIND = "fieldkit/published-form"
PUBLISHED_FORM_VERSION = 1
PUBLISHED_FORM_DOMAIN = b"fieldkit-published-form-v1\n"
PUBLISHED_FORM_SUFFIX = ".fkf"
MAX_PUBLICATION_BYTES = 4096
_KEYS = {"kind", "v", "form", "version", "sha256", "size", "published", "hq"}


@dataclass(frozen=True)
class PublishedForm:
    """A form HQ signed, verified against the key the reader trusts."""

    form_id: str
    version: str
    sha256: str
    size: int
    published: str
    hq_key_id: str
    definition: FormDefinition

    def to_json(self) -> dict[str, Any]:
        """The publication: what HQ signs."""
        return {
            "kind": PUBLISHED_FORM_KIND,
            "v": PUBLISHED_FORM_VERSION,
            "form": self.form_id,
            "version": self.version,
            "sha256": self.sha256,
            "size": self.size,
            "published": self.published,
            "hq": self.hq_key_id,
        }


def published_form_file_name(form: FormDefinition) -> str:
    """``<id>-<version>.fkf``: the form id and version allow no path separator."""
    return f"{form.id}-{form.version}{PUBLISHED_FORM_SUFFIX}"


def make_published_form(
    *,
    hq_key: SigningKey,
    form: FormDefinition,
    published: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """The signed form file for ``form``."""
    content = form_bytes(form)
    if len(content) > limits.max_form_bytes:
        raise errors.limit_exceeded(
            Kind.PUBLISHED_FORM, _("the form definition"), limits.max_form_bytes
        )
    publication = PublishedForm(
        form_id=form.id,
        version=form.version,
        sha256=sha256_hex(content),
        size=len(content),
        published=published or utc_timestamp(),
        hq_key_id=hq_key.key_id,
        definition=form,
    )
    body = canonical_json(publication.to_json())
    try:
        _parse_body(body, limits)
    except SchemaError as error:
        raise InvalidRequestError(
            _("The signed form cannot be written: {detail}.").format(detail=error.detail)
        ) from None
    signature = hq_key.sign(PUBLISHED_FORM_DOMAIN + body)
    return b"".join(
        (
            PUBLISHED_FORM_MAGIC,
            bytes([FORMAT_VERSION]),
            frame(FrameType.PUBLICATION, body),
            frame(FrameType.FORM, content),
            frame(FrameType.SIGNATURE, hq_key.public.public_key + signature),
            frame(FrameType.END, b""),
        )
    )


def max_published_form_bytes(limits: Limits = DEFAULT_LIMITS) -> int:
    """The largest file a reader accepts: the magic, four frames and their payloads."""
    overhead = len(PUBLISHED_FORM_MAGIC) + 1 + 4 * 9
    return overhead + MAX_PUBLICATION_BYTES + limits.max_form_bytes + SIGNATURE_FRAME_BYTES


def read_published_form(
    untrusted: bytes, hq_signing_public: bytes, *, limits: Limits = DEFAULT_LIMITS
) -> PublishedForm:
    """Check a signed form file against the HQ signing key the reader trusts.

    Raises NotRecognisedError (not a signed form), UntrustedSignerError (signed by another key),
    DamagedError (a failed check: signature, hash, definition), LimitExceededError or
    NewerVersionError.
    """
    if len(untrusted) > max_published_form_bytes(limits):
        raise errors.limit_exceeded(
            Kind.PUBLISHED_FORM, _("the file"), max_published_form_bytes(limits)
        )
    handler = _Handler(limits)
    try:
        parser = FrameParser(PUBLISHED_FORM_MAGIC, handler)
        parser.feed(untrusted)
        parser.close()
        body, content, public_key, signature = handler.parts()
        if public_key != hq_signing_public:
            raise errors.untrusted_form_signer()
        if not PublicIdentity(public_key).verify(signature, PUBLISHED_FORM_DOMAIN + body):
            raise SchemaError(_("the signature does not verify"))
        publication = _parse_body(body, limits)
        if publication.hq_key_id != key_id_of(public_key):
            raise SchemaError(_("the publication names another key than its signer"))
        entry = FormEntry(
            publication.form_id, publication.version, publication.sha256, publication.size
        )
        verified = check_form(content, entry, limits)
    except SchemaError as error:
        raise errors.from_invalid(Kind.PUBLISHED_FORM, error) from None
    return PublishedForm(
        form_id=publication.form_id,
        version=publication.version,
        sha256=publication.sha256,
        size=publication.size,
        published=publication.published,
        hq_key_id=publication.hq_key_id,
        definition=verified.definition,
    )


@dataclass(frozen=True)
class _Publication:
    form_id: str
    version: str
    sha256: str
    size: int
    published: str
    hq_key_id: str


def _parse_body(body: bytes, limits: Limits) -> _Publication:
    value = schema.load_json(body, max_depth=2, canonical=True)
    version = schema.header(value, PUBLISHED_FORM_KIND, _("the publication"))
    if version > PUBLISHED_FORM_VERSION:
        raise NewerFormatError(version)
    value = schema.obj(value, _KEYS, _("the publication"))
    if value["v"] != PUBLISHED_FORM_VERSION:
        raise SchemaError(_("the publication has an unknown format version"))
    form_id, form_version = value["form"], value["version"]
    if not isinstance(form_id, str) or not isinstance(form_version, str):
        raise SchemaError(_("the publication must name the form's id and version"))
    return _Publication(
        form_id=form_id,
        version=form_version,
        sha256=schema.hex_string(value["sha256"], HEX64, "sha256"),
        size=schema.integer(value["size"], 1, limits.max_form_bytes, "size"),
        published=schema.timestamp(value["published"], "published"),
        hq_key_id=schema.hex_string(value["hq"], HEX32, "hq"),
    )


class _Handler:
    """PUBLICATION, FORM, SIGNATURE, END: in this order, each once."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._expected = [
            FrameType.PUBLICATION,
            FrameType.FORM,
            FrameType.SIGNATURE,
            FrameType.END,
        ]
        self._current: FrameType | None = None
        self._payloads: dict[FrameType, bytes] = {}

    def version(self, version: int) -> None:
        if version > FORMAT_VERSION:
            raise NewerFormatError(version)
        if version != FORMAT_VERSION:
            raise SchemaError(_("the container has an unknown format version"))

    def begin(self, frame_type: int, length: int) -> bool:
        if not self._expected or frame_type != self._expected[0]:
            raise SchemaError(_("an item is missing, extra or out of order"))
        self._current = self._expected.pop(0)
        if self._current == FrameType.PUBLICATION and length > MAX_PUBLICATION_BYTES:
            raise SizeLimitError(_("the publication"), MAX_PUBLICATION_BYTES)
        if self._current == FrameType.FORM and length > self._limits.max_form_bytes:
            raise SizeLimitError(_("the form definition"), self._limits.max_form_bytes)
        if self._current == FrameType.SIGNATURE and length != SIGNATURE_FRAME_BYTES:
            raise SchemaError(_("the signature has the wrong size"))
        if self._current == FrameType.END and length != 0:
            raise SchemaError(_("there are bytes after the end"))
        return True

    def payload(self, data: bytes) -> None:
        if self._current is not None:
            self._payloads[self._current] = data

    def chunk(self, data: memoryview) -> None:  # pragma: no cover - every frame is buffered
        raise SchemaError(_("an item is missing, extra or out of order"))

    def end(self) -> None:
        pass

    def parts(self) -> tuple[bytes, bytes, bytes, bytes]:
        if self._expected:
            raise SchemaError(_("it ends before its last item"))
        signature = self._payloads[FrameType.SIGNATURE]
        return (
            self._payloads[FrameType.PUBLICATION],
            self._payloads[FrameType.FORM],
            signature[:PUBLIC_KEY_BYTES],
            signature[PUBLIC_KEY_BYTES:],
        )
