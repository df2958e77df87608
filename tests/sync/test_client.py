"""The sync client against a real HQ server: sign-in, upload, receipt, ping, refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fieldkit.sync.errors import UnknownDeviceError
from tests.hq.support import Device, Hq
from tests.hq.sync_server import Server, enrolled, server, shared_hq
from tests.sync.support import bundle_file, client, verified_receipt

__all__ = ["server", "shared_hq"]


def test_a_bundle_goes_up_and_its_receipt_comes_back_verified(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    seen: list[tuple[int, int]] = []
    with client(server, shared_hq, device, chunk_size=100_000) as hq:
        hq.ping()
        assert hq.receipt(sha256) is None  # nothing uploaded yet
        hq.upload(path, sha256, progress=lambda sent, total: seen.append((sent, total)))
        receipt = hq.receipt(sha256)
        sent = hq.bytes_sent
    size = path.stat().st_size
    assert seen[0] == (0, size) and seen[-1] == (size, size)
    assert [s for s, _t in seen] == sorted(s for s, _t in seen)
    assert len(seen) == 1 + -(-size // 100_000)  # the creation, then one call per chunk
    assert size <= sent < size + 4096  # the bundle once, plus the small JSON of the sign-in
    assert receipt is not None
    verified = verified_receipt(shared_hq, device, receipt)
    assert verified.sequence == 1 and len(verified.accepted) == 1
    assert shared_hq.repository.bundle_at(device.key.key_id, 1) is not None
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def test_an_unknown_device_is_told_so(server: Server, shared_hq: Hq, tmp_path: Path) -> None:
    device = Device()  # never enrolled
    with client(server, shared_hq, device) as hq, pytest.raises(UnknownDeviceError) as caught:
        hq.receipt("a" * 64)
    assert not caught.value.retryable
    assert "not enrolled" in caught.value.user_message
