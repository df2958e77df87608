"""The outer layer: age v1 (C2SP age specification) with X25519 recipients, through pyrage.

Encryption and decryption are pyrage's. This module only parses keys, and reads the plain-text
age header far enough to count its recipient stanzas: the device uses that to check a bundle it
cannot decrypt, and HQ to check that nobody re-encrypted a bundle to more keys than the device
chose. The header's MAC is checked by pyrage, never here.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

import pyrage

from fieldkit.bundle.schema import SchemaError
from fieldkit.i18n import _

AGE_VERSION_LINE = b"age-encryption.org/v1\n"
X25519_STANZA = "X25519"
RECIPIENT = re.compile(r"age1[02-9ac-hj-np-z]{58}\Z")
IDENTITY = re.compile(r"AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}\Z")
STREAM_CHUNK = 64 * 1024
NONCE_BYTES = 16
TAG_BYTES = 16
MAX_HEADER_BYTES = 64 * 1024
_B64_LINE = 64
_B64CHARS = re.compile(rb"[A-Za-z0-9+/]*\Z")


def parse_recipient(text: Any, where: str) -> Any:
    """A pyrage X25519 recipient from its canonical ``age1...`` string."""
    if not isinstance(text, str) or not RECIPIENT.match(text):
        raise SchemaError(
            _("{field} must be an age X25519 recipient (age1...)").format(field=where)
        )
    try:
        recipient = pyrage.x25519.Recipient.from_str(text)
    except pyrage.RecipientError:
        raise SchemaError(
            _("{field} must be an age X25519 recipient (age1...)").format(field=where)
        ) from None
    if str(recipient) != text:
        raise SchemaError(_("{field} is not in canonical form").format(field=where))
    return recipient


def parse_identity(text: str) -> Any:
    """A pyrage X25519 identity from ``AGE-SECRET-KEY-1...`` (surrounding white space allowed)."""
    text = text.strip()
    if not IDENTITY.match(text):
        raise SchemaError(_("an age identity must be an X25519 secret key (AGE-SECRET-KEY-1...)"))
    try:
        return pyrage.x25519.Identity.from_str(text)
    except pyrage.IdentityError:
        raise SchemaError(
            _("an age identity must be an X25519 secret key (AGE-SECRET-KEY-1...)")
        ) from None


def recipient_of(identity: Any) -> str:
    text: str = str(identity.to_public())
    return text


def identity_from_key_file(text: str) -> str:
    """The secret key line of an ``age-keygen`` style file (comments and blank lines skipped)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if len(lines) != 1:
        raise SchemaError(_("an age key file must hold exactly one secret key"))
    parse_identity(lines[0])
    return lines[0]


def new_identity() -> tuple[str, str]:
    """A fresh X25519 identity and its recipient, as strings."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), recipient_of(identity)


@dataclass(frozen=True)
class AgeHeader:
    stanza_types: tuple[str, ...]
    length: int
    """Bytes from the start of the file to the end of the MAC line."""

    @property
    def x25519_stanzas(self) -> int:
        return sum(1 for t in self.stanza_types if t == X25519_STANZA)


def parse_header(prefix: bytes) -> AgeHeader:
    """Parse the age v1 header at the start of ``prefix`` (which must contain all of it)."""
    if not prefix.startswith(AGE_VERSION_LINE):
        raise SchemaError(_("it does not start with an age v1 header"))
    pos = len(AGE_VERSION_LINE)
    types: list[str] = []
    limit = min(len(prefix), MAX_HEADER_BYTES)

    def line() -> bytes:
        nonlocal pos
        end = prefix.find(b"\n", pos, limit)
        if end < 0:
            raise SchemaError(_("the age header is incomplete or too long"))
        text = prefix[pos:end]
        pos = end + 1
        return text

    while True:
        current = line()
        if current.startswith(b"--- "):
            _decode_b64(current[4:], 32)
            break
        if not current.startswith(b"-> "):
            raise SchemaError(_("the age header is malformed"))
        args = current[3:].split(b" ")
        if not args or any(not a or any(c < 0x21 or c > 0x7E for c in a) for a in args):
            raise SchemaError(_("the age header is malformed"))
        if args[0] == X25519_STANZA.encode():
            if len(args) != 2:
                raise SchemaError(_("the age header is malformed"))
            _decode_b64(args[1], 32)
        while True:  # body: full 64-column lines, then one shorter (maybe empty) line
            body = line()
            if not _B64CHARS.match(body) or len(body) > _B64_LINE:
                raise SchemaError(_("the age header is malformed"))
            if len(body) < _B64_LINE:
                break
        types.append(args[0].decode("ascii"))
    if not types:
        raise SchemaError(_("the age header names no recipient"))
    return AgeHeader(tuple(types), pos)


def _decode_b64(text: bytes, size: int) -> bytes:
    if not _B64CHARS.match(text):
        raise SchemaError(_("the age header is malformed"))
    try:
        raw = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise SchemaError(_("the age header is malformed")) from None
    if len(raw) != size or base64.b64encode(raw).rstrip(b"=") != text:
        raise SchemaError(_("the age header is malformed"))
    return raw


def payload_size(plaintext_bytes: int) -> int:
    """Size of the age payload (nonce and STREAM chunks) for a plaintext of this size."""
    chunks = max(1, -(-plaintext_bytes // STREAM_CHUNK))
    return NONCE_BYTES + plaintext_bytes + chunks * TAG_BYTES


def max_file_size(plaintext_bytes: int) -> int:
    """An upper bound of an age file's size for a plaintext of at most this size."""
    return MAX_HEADER_BYTES + payload_size(plaintext_bytes)
