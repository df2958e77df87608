"""What a signature-verifying worker process runs (see :mod:`fieldkit.hq.signatures`).

The worker is started as ``python -I -c ... main()`` and imports this module, and with it only
the Ed25519 code of :mod:`fieldkit.crypto.identity`: it stays light, so that a worker is ready
within a fraction of a second. It keeps nothing and writes nothing but its answers.

Protocol, on its standard input and output (``u32`` is unsigned 32-bit big-endian):

- first, once: the domain prefix (``u32`` length, then the bytes), then the device's Ed25519
  public key (32 bytes);
- then any number of requests: ``u32`` count, then for each revision its signature (64 bytes),
  its content's length (``u32``) and its content. The answer to each request is one byte,
  ``1`` if every signature verifies over ``prefix || content``, else ``0``;
- the end of its standard input ends the worker.
"""

from __future__ import annotations

import struct
import sys
from typing import BinaryIO

from fieldkit.crypto.identity import PublicIdentity

U32 = struct.Struct(">I")
SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32


def verify_all(public_key: bytes, prefix: bytes, items: list[tuple[bytes, bytes]]) -> bool:
    """True if every ``(signature, content)`` is ``public_key``'s signature of
    ``prefix + content``."""
    device = PublicIdentity(public_key)
    return all(device.verify(signature, prefix + content) for signature, content in items)


def encode_request(items: list[tuple[bytes, bytes]]) -> list[bytes]:
    """A request, in pieces (written one after the other: no large buffer is built)."""
    parts = [U32.pack(len(items))]
    for signature, content in items:
        parts += (signature, U32.pack(len(content)), content)
    return parts


def _read(source: BinaryIO, size: int) -> bytes | None:
    """Exactly ``size`` bytes, or None at the end of the input."""
    data = source.read(size)
    if len(data) != size:
        return None
    return data


def serve(source: BinaryIO, sink: BinaryIO) -> None:
    head = _read(source, U32.size)
    prefix = _read(source, U32.unpack(head)[0]) if head is not None else None
    public_key = _read(source, PUBLIC_KEY_BYTES)
    if prefix is None or public_key is None:
        return
    device = PublicIdentity(public_key)
    while (head := _read(source, U32.size)) is not None:
        ok = True
        for _i in range(U32.unpack(head)[0]):
            signature = _read(source, SIGNATURE_BYTES)
            length = _read(source, U32.size)
            content = None if length is None else _read(source, U32.unpack(length)[0])
            if signature is None or content is None:
                return
            ok = ok and device.verify(signature, prefix + content)
        sink.write(b"\x01" if ok else b"\x00")
        sink.flush()


def main() -> None:
    serve(sys.stdin.buffer, sys.stdout.buffer)
