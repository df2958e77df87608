"""Receipts: HQ's signed answer to a bundle, encrypted to the device that sent it.

A receipt names the bundle (id, manifest hash, device, sequence) and lists the revision hashes HQ
accepted and those it already had. HQ signs ``RECEIPT_DOMAIN + body`` with its Ed25519 signing
key; the device verifies it against the key it pinned at enrolment. The signed receipt is
encrypted with age to the device's own X25519 recipient, so a receipt lost on a USB stick says
nothing about the device or the counts.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyrage

from fieldkit.bundle import errors, schema
from fieldkit.bundle.agefile import parse_identity, parse_recipient
from fieldkit.bundle.container import (
    FORMAT_VERSION,
    PUBLIC_KEY_BYTES,
    RECEIPT_MAGIC,
    SIGNATURE_FRAME_BYTES,
    FrameParser,
    FrameType,
    frame,
)
from fieldkit.bundle.errors import InvalidRequestError, Kind
from fieldkit.bundle.limits import DEFAULT_LIMITS, Limits
from fieldkit.bundle.manifest import MAX_SEQUENCE
from fieldkit.bundle.schema import (
    HEX32,
    HEX64,
    NewerFormatError,
    SchemaError,
    SizeLimitError,
)
from fieldkit.crypto.identity import PublicIdentity, SigningKey, key_id_of
from fieldkit.domain.records import canonical_json, utc_timestamp
from fieldkit.i18n import _

RECEIPT_KIND = "fieldkit/receipt"
RECEIPT_VERSION = 1
RECEIPT_DOMAIN = b"fieldkit-receipt-v1\n"
RECEIPT_SUFFIX = ".fkr"
_KEYS = {
    "kind",
    "v",
    "receipt",
    "bundle",
    "manifest_sha256",
    "device",
    "sequence",
    "accepted",
    "known",
    "issued",
    "hq",
}


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    bundle_id: str
    manifest_sha256: str
    device_key_id: str
    sequence: int
    accepted: tuple[str, ...]
    """SHA-256 of each revision HQ stored from this bundle."""
    known: tuple[str, ...]
    """SHA-256 of each revision of this bundle that HQ already had."""
    issued: str
    hq_key_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": RECEIPT_KIND,
            "v": RECEIPT_VERSION,
            "receipt": self.receipt_id,
            "bundle": self.bundle_id,
            "manifest_sha256": self.manifest_sha256,
            "device": self.device_key_id,
            "sequence": self.sequence,
            "accepted": list(self.accepted),
            "known": list(self.known),
            "issued": self.issued,
            "hq": self.hq_key_id,
        }


def new_receipt_file_name() -> str:
    return secrets.token_hex(16) + RECEIPT_SUFFIX


def make_receipt(
    *,
    hq_key: SigningKey,
    device_recipient: str,
    bundle_id: str,
    manifest_sha256: str,
    device_key_id: str,
    sequence: int,
    accepted: Iterable[str],
    known: Iterable[str],
    receipt_id: str | None = None,
    issued: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """A signed receipt, encrypted to ``device_recipient`` (the device's age recipient)."""
    receipt = Receipt(
        receipt_id=receipt_id or secrets.token_hex(16),
        bundle_id=bundle_id,
        manifest_sha256=manifest_sha256,
        device_key_id=device_key_id,
        sequence=sequence,
        accepted=tuple(sorted(set(accepted))),
        known=tuple(sorted(set(known))),
        issued=issued or utc_timestamp(),
        hq_key_id=hq_key.key_id,
    )
    body = canonical_json(receipt.to_json())
    try:
        recipient = parse_recipient(device_recipient, "device_recipient")
        _parse_body(body, limits)
    except SchemaError as error:
        raise InvalidRequestError(
            _("The receipt cannot be written: {detail}.").format(detail=error.detail)
        ) from None
    signature = hq_key.sign(RECEIPT_DOMAIN + body)
    plaintext = b"".join(
        (
            RECEIPT_MAGIC,
            bytes([FORMAT_VERSION]),
            frame(FrameType.RECEIPT, body),
            frame(FrameType.SIGNATURE, hq_key.public.public_key + signature),
            frame(FrameType.END, b""),
        )
    )
    encrypted: bytes = pyrage.encrypt(plaintext, [recipient])
    if len(encrypted) > limits.max_receipt_bytes:
        raise errors.limit_exceeded(Kind.RECEIPT, _("the receipt"), limits.max_receipt_bytes)
    return encrypted


def read_receipt(
    untrusted: bytes,
    device_identity: str,
    hq_signing_public: bytes,
    *,
    device_key_id: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Receipt:
    """Decrypt and verify a receipt against the HQ signing key pinned at enrolment.

    With ``device_key_id``, the receipt must also be addressed to that device key.
    """
    if len(untrusted) > limits.max_receipt_bytes:
        raise errors.limit_exceeded(Kind.RECEIPT, _("the receipt"), limits.max_receipt_bytes)
    try:
        identity = parse_identity(device_identity)
    except SchemaError as error:
        raise InvalidRequestError(error.detail) from None
    try:
        plaintext: bytes = pyrage.decrypt(untrusted, [identity])
    except (pyrage.DecryptError, OSError, ValueError):
        raise errors.not_recognised(Kind.RECEIPT) from None
    handler = _ReceiptHandler(limits)
    try:
        parser = FrameParser(RECEIPT_MAGIC, handler)
        parser.feed(plaintext)
        parser.close()
        body, public_key, signature = handler.parts()
        if public_key != hq_signing_public:
            raise errors.untrusted_headquarters()
        if not PublicIdentity(public_key).verify(signature, RECEIPT_DOMAIN + body):
            raise SchemaError(_("the signature does not verify"))
        receipt = _parse_body(body, limits)
        if receipt.hq_key_id != key_id_of(public_key):
            raise SchemaError(_("the receipt names another key than its signer"))
    except SchemaError as error:
        raise errors.from_invalid(Kind.RECEIPT, error) from None
    if device_key_id is not None and receipt.device_key_id != device_key_id:
        raise errors.damaged(Kind.RECEIPT, _("it is addressed to another device key"))
    return receipt


def _parse_body(body: bytes, limits: Limits) -> Receipt:
    value = schema.load_json(body, max_depth=3, canonical=True)
    version = schema.header(value, RECEIPT_KIND, _("the receipt"))
    if version > RECEIPT_VERSION:
        raise NewerFormatError(version)
    value = schema.obj(value, _KEYS, _("the receipt"))
    accepted = _hashes(value["accepted"], "accepted", limits)
    known = _hashes(value["known"], "known", limits)
    if set(accepted) & set(known):
        raise SchemaError(_("a revision is both accepted and already known"))
    return Receipt(
        receipt_id=schema.hex_string(value["receipt"], HEX32, "receipt"),
        bundle_id=schema.hex_string(value["bundle"], HEX32, "bundle"),
        manifest_sha256=schema.hex_string(value["manifest_sha256"], HEX64, "manifest_sha256"),
        device_key_id=schema.hex_string(value["device"], HEX32, "device"),
        sequence=schema.integer(value["sequence"], 1, MAX_SEQUENCE, "sequence"),
        accepted=accepted,
        known=known,
        issued=schema.timestamp(value["issued"], "issued"),
        hq_key_id=schema.hex_string(value["hq"], HEX32, "hq"),
    )


def _hashes(value: Any, where: str, limits: Limits) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise SchemaError(_("{field} must be a list").format(field=where))
    if len(value) > limits.max_revisions:
        raise SizeLimitError(_("the number of revisions"), limits.max_revisions)
    for item in value:
        schema.hex_string(item, HEX64, where)
    if value != sorted(set(value)):
        raise SchemaError(_("{field} must be sorted and without repeats").format(field=where))
    return tuple(value)


class _ReceiptHandler:
    """RECEIPT, SIGNATURE, END: in this order, each once."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._expected = [FrameType.RECEIPT, FrameType.SIGNATURE, FrameType.END]
        self._current: FrameType | None = None
        self._body = b""
        self._signature = b""

    def version(self, version: int) -> None:
        if version > FORMAT_VERSION:
            raise NewerFormatError(version)
        if version != FORMAT_VERSION:
            raise SchemaError(_("the container has an unknown format version"))

    def begin(self, frame_type: int, length: int) -> bool:
        if not self._expected or frame_type != self._expected[0]:
            raise SchemaError(_("an item is missing, extra or out of order"))
        self._current = self._expected.pop(0)
        if self._current == FrameType.RECEIPT and length > self._limits.max_receipt_bytes:
            raise SizeLimitError(_("the receipt"), self._limits.max_receipt_bytes)
        if self._current == FrameType.SIGNATURE and length != SIGNATURE_FRAME_BYTES:
            raise SchemaError(_("the signature has the wrong size"))
        if self._current == FrameType.END and length != 0:
            raise SchemaError(_("there are bytes after the end"))
        return True

    def payload(self, data: bytes) -> None:
        if self._current == FrameType.RECEIPT:
            self._body = data
        elif self._current == FrameType.SIGNATURE:
            self._signature = data

    def chunk(self, data: memoryview) -> None:  # pragma: no cover - every frame is buffered
        raise SchemaError(_("an item is missing, extra or out of order"))

    def end(self) -> None:
        pass

    def parts(self) -> tuple[bytes, bytes, bytes]:
        if self._expected:
            raise SchemaError(_("it ends before its last item"))
        return (
            self._body,
            self._signature[:PUBLIC_KEY_BYTES],
            self._signature[PUBLIC_KEY_BYTES:],
        )
