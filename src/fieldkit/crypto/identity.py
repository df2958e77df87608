"""Ed25519 identities: the device's signing key and HQ's.

The key id is derived from the public key (so it names the key, nothing else). The fingerprint is
a longer digest grouped for reading aloud, shown on both sides at enrolment for an out-of-band
check.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

KEY_ID_BYTES = 16
FINGERPRINT_BYTES = 20


def key_id_of(public_key: bytes) -> str:
    """Short, stable identifier of a public key: 32 hexadecimal digits."""
    return hashlib.sha256(b"fieldkit-key-id\x00" + public_key).digest()[:KEY_ID_BYTES].hex()


def fingerprint_of(public_key: bytes) -> str:
    """Ten groups of four hexadecimal digits, for comparing by eye or over the phone."""
    digest = hashlib.sha256(b"fieldkit-fingerprint\x00" + public_key).digest()[:FINGERPRINT_BYTES]
    text = digest.hex().upper()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@dataclass(frozen=True)
class PublicIdentity:
    public_key: bytes

    def __post_init__(self) -> None:
        if len(self.public_key) != 32:
            raise ValueError("an Ed25519 public key is 32 bytes")

    @property
    def key_id(self) -> str:
        return key_id_of(self.public_key)

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.public_key)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True if ``signature`` is this key's signature of ``message``; never raises."""
        if not isinstance(signature, bytes) or not isinstance(message, bytes):
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


class SigningKey:
    """An Ed25519 private key. Its bytes leave this object only to be stored encrypted."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.public = PublicIdentity(raw)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> SigningKey:
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def private_bytes(self) -> bytes:
        return self._private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, message: bytes) -> bytes:
        return self._private.sign(message)

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id})"
