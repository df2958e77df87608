"""Enrolment files (HQ to device) and device identity files (device to HQ).

Both are small, plain JSON documents, not secret, each signed by the key it introduces::

    {"body": {...}, "signature": "<128 hex digits: Ed25519 over DOMAIN + canonical(body)>"}

Trust in them comes from people comparing the fingerprint each side shows (read aloud or over a
second channel), not from the file: the signature proves that whoever made the file holds the
private key, and that nothing in the body changed since. The outer JSON may be formatted in any
way; the signature covers the RFC 8785 canonical form of the body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fieldkit.bundle import errors, schema
from fieldkit.bundle.agefile import parse_recipient
from fieldkit.bundle.errors import InvalidRequestError, Kind
from fieldkit.bundle.limits import DEFAULT_LIMITS, Limits
from fieldkit.bundle.schema import HEX32, HEX64, HEX128, NewerFormatError, SchemaError
from fieldkit.crypto.identity import PublicIdentity, SigningKey, fingerprint_of, key_id_of
from fieldkit.domain.records import canonical_json, utc_timestamp
from fieldkit.i18n import _

ENROLMENT_KIND = "fieldkit/enrolment"
ENROLMENT_VERSION = 1
ENROLMENT_DOMAIN = b"fieldkit-enrolment-v1\n"
IDENTITY_KIND = "fieldkit/device-identity"
IDENTITY_VERSION = 1
IDENTITY_DOMAIN = b"fieldkit-device-identity-v1\n"

_ENROLMENT_KEYS = {
    "kind",
    "v",
    "hq_name",
    "signing_key",
    "ingest_recipient",
    "escrow_recipient",
    "address",
    "created",
}
_ENROLMENT_PIN = "tls_spki_sha256"
"""Optional (absent from enrolment files made before network sync): the SHA-256 of the public
key (SubjectPublicKeyInfo) of HQ's TLS certificate, which the device pins."""
_IDENTITY_KEYS = {"kind", "v", "key_id", "public_key", "age_recipient", "device_name", "created"}


class HqPublicKeys:
    """What HQ's public keys give, for the classes that hold them (the enrolment a device pins,
    HQ's own settings): ``signing_public_key``, ``ingest_recipient``, ``escrow_recipient``."""

    signing_public_key: bytes
    ingest_recipient: str
    escrow_recipient: str | None

    @property
    def signing_key_id(self) -> str:
        return key_id_of(self.signing_public_key)

    @property
    def fingerprint(self) -> str:
        """What the user compares, at enrolment, with the fingerprint HQ shows."""
        return fingerprint_of(self.signing_public_key)

    @property
    def recipients(self) -> tuple[str, ...]:
        """The age recipients a bundle for this HQ is encrypted to, and that HQ encrypts what it
        stores to: the ingest key and, if any, the escrow key."""
        if self.escrow_recipient is None:
            return (self.ingest_recipient,)
        return (self.ingest_recipient, self.escrow_recipient)


@dataclass(frozen=True)
class Enrolment(HqPublicKeys):
    hq_name: str
    signing_public_key: bytes
    ingest_recipient: str
    escrow_recipient: str | None
    address: str | None
    created: str
    tls_spki_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        body = {
            "kind": ENROLMENT_KIND,
            "v": ENROLMENT_VERSION,
            "hq_name": self.hq_name,
            "signing_key": self.signing_public_key.hex(),
            "ingest_recipient": self.ingest_recipient,
            "escrow_recipient": self.escrow_recipient,
            "address": self.address,
            "created": self.created,
        }
        if self.tls_spki_sha256 is not None:
            body[_ENROLMENT_PIN] = self.tls_spki_sha256
        return body


@dataclass(frozen=True)
class DeviceIdentityFile:
    key_id: str
    public_key: bytes
    age_recipient: str
    device_name: str
    created: str

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.public_key)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": IDENTITY_KIND,
            "v": IDENTITY_VERSION,
            "key_id": self.key_id,
            "public_key": self.public_key.hex(),
            "age_recipient": self.age_recipient,
            "device_name": self.device_name,
            "created": self.created,
        }


def make_enrolment(
    *,
    hq_key: SigningKey,
    hq_name: str,
    ingest_recipient: str,
    escrow_recipient: str | None = None,
    address: str | None = None,
    created: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    tls_spki_sha256: str | None = None,
) -> bytes:
    enrolment = Enrolment(
        hq_name=hq_name,
        signing_public_key=hq_key.public.public_key,
        ingest_recipient=ingest_recipient,
        escrow_recipient=escrow_recipient,
        address=address,
        created=created or utc_timestamp(),
        tls_spki_sha256=tls_spki_sha256,
    )
    body = enrolment.to_json()
    _check_own(Kind.ENROLMENT, lambda: _enrolment(body))
    return _document(body, hq_key, ENROLMENT_DOMAIN, limits)


def read_enrolment(untrusted: bytes, limits: Limits = DEFAULT_LIMITS) -> Enrolment:
    """Parse and check an enrolment file; its signature must verify with the key inside."""
    body, signature = _read_document(untrusted, Kind.ENROLMENT, ENROLMENT_KIND, limits)
    try:
        version = schema.header(body, ENROLMENT_KIND, _("the enrolment"))
        if version > ENROLMENT_VERSION:
            raise NewerFormatError(version)
        enrolment = _enrolment(body)
        if not PublicIdentity(enrolment.signing_public_key).verify(
            signature, ENROLMENT_DOMAIN + canonical_json(body)
        ):
            raise SchemaError(_("the signature does not verify"))
    except SchemaError as error:
        raise errors.from_invalid(Kind.ENROLMENT, error) from None
    return enrolment


def is_display_name(text: str) -> bool:
    """Whether ``text`` may be an ``hq_name`` or ``device_name`` (docs/bundle-format.md, 7)."""
    try:
        schema.display_text(text, "name")
    except SchemaError:
        return False
    return True


def make_device_identity_file(
    *,
    device_key: SigningKey,
    age_recipient: str,
    device_name: str,
    created: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    identity = DeviceIdentityFile(
        key_id=device_key.key_id,
        public_key=device_key.public.public_key,
        age_recipient=age_recipient,
        device_name=device_name,
        created=created or utc_timestamp(),
    )
    body = identity.to_json()
    _check_own(Kind.IDENTITY, lambda: _identity(body))
    return _document(body, device_key, IDENTITY_DOMAIN, limits)


def read_device_identity_file(
    untrusted: bytes, limits: Limits = DEFAULT_LIMITS
) -> DeviceIdentityFile:
    """Parse and check a device identity file; the device key inside must have signed it."""
    body, signature = _read_document(untrusted, Kind.IDENTITY, IDENTITY_KIND, limits)
    try:
        version = schema.header(body, IDENTITY_KIND, _("the device identity"))
        if version > IDENTITY_VERSION:
            raise NewerFormatError(version)
        identity = _identity(body)
        if not PublicIdentity(identity.public_key).verify(
            signature, IDENTITY_DOMAIN + canonical_json(body)
        ):
            raise SchemaError(_("the signature does not verify"))
    except SchemaError as error:
        raise errors.from_invalid(Kind.IDENTITY, error) from None
    return identity


def _enrolment(body: dict[str, Any]) -> Enrolment:
    pinned = isinstance(body, dict) and _ENROLMENT_PIN in body
    keys = _ENROLMENT_KEYS | {_ENROLMENT_PIN} if pinned else _ENROLMENT_KEYS
    body = schema.obj(body, keys, _("the enrolment"))
    pin = body.get(_ENROLMENT_PIN)
    if body["v"] != ENROLMENT_VERSION:
        raise SchemaError(_("the enrolment has an unknown format version"))
    escrow = body["escrow_recipient"]
    address = body["address"]
    ingest = body["ingest_recipient"]
    parse_recipient(ingest, "ingest_recipient")
    if escrow is not None:
        parse_recipient(escrow, "escrow_recipient")
        if escrow == ingest:
            raise SchemaError(_("the escrow key must differ from the ingest key"))
    return Enrolment(
        hq_name=schema.display_text(body["hq_name"], "hq_name"),
        signing_public_key=bytes.fromhex(
            schema.hex_string(body["signing_key"], HEX64, "signing_key")
        ),
        ingest_recipient=ingest,
        escrow_recipient=escrow,
        address=None if address is None else schema.url(address, "address"),
        created=schema.timestamp(body["created"], "created"),
        tls_spki_sha256=None if pin is None else schema.hex_string(pin, HEX64, _ENROLMENT_PIN),
    )


def _identity(body: dict[str, Any]) -> DeviceIdentityFile:
    body = schema.obj(body, _IDENTITY_KEYS, _("the device identity"))
    if body["v"] != IDENTITY_VERSION:
        raise SchemaError(_("the device identity has an unknown format version"))
    key_id = schema.hex_string(body["key_id"], HEX32, "key_id")
    public_key = bytes.fromhex(schema.hex_string(body["public_key"], HEX64, "public_key"))
    if key_id_of(public_key) != key_id:
        raise SchemaError(_("the key id does not match the key"))
    parse_recipient(body["age_recipient"], "age_recipient")
    return DeviceIdentityFile(
        key_id=key_id,
        public_key=public_key,
        age_recipient=body["age_recipient"],
        device_name=schema.display_text(body["device_name"], "device_name"),
        created=schema.timestamp(body["created"], "created"),
    )


def _check_own(kind: Kind, check: Callable[[], object]) -> None:
    try:
        check()
    except SchemaError as error:
        what = _("enrolment file") if kind is Kind.ENROLMENT else _("device identity file")
        raise InvalidRequestError(
            _("The {what} cannot be written: {detail}.").format(what=what, detail=error.detail)
        ) from None


def _document(body: dict[str, Any], key: SigningKey, domain: bytes, limits: Limits) -> bytes:
    signature = key.sign(domain + canonical_json(body))
    document = canonical_json({"body": body, "signature": signature.hex()}) + b"\n"
    if len(document) > limits.max_document_bytes:
        raise InvalidRequestError(_("The file would be too large; shorten the names in it."))
    return document


def _read_document(
    untrusted: bytes, kind: Kind, expected_kind: str, limits: Limits
) -> tuple[dict[str, Any], bytes]:
    if len(untrusted) > limits.max_document_bytes:
        raise errors.limit_exceeded(kind, _("the file"), limits.max_document_bytes)
    try:
        value = schema.load_json(untrusted, max_depth=3, canonical=False)
    except SchemaError as error:
        raise errors.from_invalid(kind, error) from None
    if not isinstance(value, dict) or set(value) != {"body", "signature"}:
        raise errors.not_recognised(kind)
    body = value["body"]
    if not isinstance(body, dict) or body.get("kind") != expected_kind:
        raise errors.not_recognised(kind)
    try:
        signature = bytes.fromhex(schema.hex_string(value["signature"], HEX128, "signature"))
    except SchemaError as error:
        raise errors.from_invalid(kind, error) from None
    return body, signature
