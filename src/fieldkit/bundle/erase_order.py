"""Erase orders: HQ's signed instruction to a device it declared lost to erase its vault.

An order is a small JSON object, sent in the sync server's ``lost-device`` refusal::

    {"device": KEY_ID, "hq": HQ_SIGNING_KEY_ID, "issued": "YYYY-MM-DDTHH:MM:SSZ",
     "signature": 128 hex digits}

``signature`` is HQ's Ed25519 signature over ``ERASE_ORDER_DOMAIN + canonical JSON`` (RFC 8785)
of the other three members. A device obeys an order only if the signature verifies with the HQ
signing key it pinned at enrolment, ``hq`` is that key's id, and ``device`` is its own key id: an
order is good for one device and one HQ, and nobody but HQ can make one. It is not secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fieldkit.bundle import errors, schema
from fieldkit.bundle.errors import InvalidRequestError, Kind
from fieldkit.bundle.schema import HEX32, SchemaError
from fieldkit.crypto.identity import PublicIdentity, SigningKey, key_id_of
from fieldkit.domain.records import canonical_json
from fieldkit.i18n import _

ERASE_ORDER_DOMAIN = b"fieldkit-sync-erase-v1\n"
_KEYS = {"device", "hq", "issued", "signature"}
_HEX128 = re.compile(r"[0-9a-f]{128}\Z")


@dataclass(frozen=True)
class EraseOrder:
    """An erase order that verified: for ``device``, signed by HQ's key ``hq_key_id``."""

    device_key_id: str
    hq_key_id: str
    issued: str
    signature: str

    def to_json(self) -> dict[str, str]:
        return {
            "device": self.device_key_id,
            "hq": self.hq_key_id,
            "issued": self.issued,
            "signature": self.signature,
        }


def erase_order_message(device_key_id: str, hq_key_id: str, issued: str) -> bytes:
    """What HQ signs."""
    body = {"device": device_key_id, "hq": hq_key_id, "issued": issued}
    return ERASE_ORDER_DOMAIN + canonical_json(body)


def make_erase_order(hq_signing_key: SigningKey, device_key_id: str, issued: str) -> dict[str, str]:
    """HQ's signed order for the device ``device_key_id`` (declared lost at ``issued``)."""
    try:
        schema.hex_string(device_key_id, HEX32, "device")
        schema.timestamp(issued, "issued")
    except SchemaError as error:
        raise InvalidRequestError(
            _("An erase order cannot be made: {detail}.").format(detail=error.detail)
        ) from None
    message = erase_order_message(device_key_id, hq_signing_key.key_id, issued)
    signature = hq_signing_key.sign(message).hex()
    return EraseOrder(device_key_id, hq_signing_key.key_id, issued, signature).to_json()


def verify_erase_order(
    order: object, hq_signing_public_key: bytes, device_key_id: str
) -> EraseOrder:
    """The order, if HQ (``hq_signing_public_key``) signed it for ``device_key_id``.

    Raises :class:`~fieldkit.bundle.errors.DamagedError` for a malformed order or a signature
    that does not verify, :class:`~fieldkit.bundle.errors.UntrustedSignerError` for an order of
    another HQ key or for another device."""
    try:
        body: dict[str, Any] = schema.obj(order, _KEYS, "erase order")
        device = schema.hex_string(body["device"], HEX32, "device")
        hq = schema.hex_string(body["hq"], HEX32, "hq")
        issued = schema.timestamp(body["issued"], "issued")
        signature = schema.hex_string(body["signature"], _HEX128, "signature")
    except SchemaError as error:
        raise errors.from_invalid(Kind.ERASE_ORDER, error) from None
    if hq != key_id_of(hq_signing_public_key):
        raise errors.untrusted_erase_order()
    message = erase_order_message(device, hq, issued)
    if not PublicIdentity(hq_signing_public_key).verify(bytes.fromhex(signature), message):
        raise errors.damaged(Kind.ERASE_ORDER, _("the signature does not verify"))
    if device != device_key_id:
        raise errors.erase_order_for_another_device()
    return EraseOrder(device, hq, issued, signature)
