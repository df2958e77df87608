"""The device's sync client against a real ``fieldkit-hq serve`` (tests/hq/sync_server.py)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import httpx

from fieldkit.bundle import read_receipt
from fieldkit.domain.records import sha256_hex
from fieldkit.hq import tls
from fieldkit.sync.client import HqClient, HqEndpoint
from fieldkit.sync.pinning import pinned_transport
from tests.hq.support import Device, Hq
from tests.hq.sync_server import Server


def endpoint(
    server: Server, hq: Hq, *, pin: str | None = None, address: str | None = None
) -> HqEndpoint:
    """What the device pinned at enrolment: HQ's TLS key and signing key (at ``address``, a
    relay's, instead of the server's own)."""
    return HqEndpoint(
        address=address or server.base_url,
        spki_sha256=pin or tls.read_pin(hq.paths.tls_cert),
        hq_signing_public_key=hq.keys.hq_signing.public.public_key,
        hq_key_id=hq.keys.hq_signing.key_id,
    )


def pinned(hq: Hq) -> httpx.HTTPTransport:
    """A transport pinning HQ's TLS key, for a test to wrap in its own."""
    return pinned_transport(tls.read_pin(hq.paths.tls_cert))


def client(server: Server, hq: Hq, device: Device, **options: Any) -> HqClient:
    options.setdefault("pause", 0.01)
    return HqClient(endpoint(server, hq), device.key, **options)


def bundle_file(hq: Hq, device: Device, folder: Path, size: int = 300_000) -> tuple[Path, str]:
    """The device's next bundle (a record and an attachment of ``size`` random bytes) in
    ``folder``, and its SHA-256."""
    made = hq.bundle(device, [device.revision()], [secrets.token_bytes(size)])
    path = folder / made.name
    data = made.read_bytes()
    path.write_bytes(data)
    made.unlink()
    return path, sha256_hex(data)


def verified_receipt(hq: Hq, device: Device, data: bytes) -> Any:
    """The receipt ``data`` read as the device reads it (decrypted, HQ's signature checked)."""
    return read_receipt(data, device.age[0], hq.keys.hq_signing.public.public_key)
