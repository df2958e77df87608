"""The sync client against a real HQ server: sign-in, upload, receipt, ping, refusals."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fieldkit.bundle.agefile import new_identity
from fieldkit.errors import InvalidInputError
from fieldkit.i18n import _, set_language
from fieldkit.sync.client import HqClient, HqEndpoint
from fieldkit.sync.errors import BundleRejectedError, DeviceRevokedError, UnknownDeviceError
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
    with client(server, shared_hq, device, chunk_size=100_000, max_chunk_size=100_000) as hq:
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


def test_the_same_bundle_again_sends_nothing_and_gets_the_same_receipt(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    with client(server, shared_hq, device) as hq:
        hq.upload(path, sha256)
        first = hq.receipt(sha256)
    seen: list[tuple[int, int]] = []
    with client(server, shared_hq, device) as hq:
        hq.upload(path, sha256, progress=lambda sent, total: seen.append((sent, total)))
        again = hq.receipt(sha256)
        assert hq.bytes_sent < 1000  # the sign-in only: HQ holds the whole bundle
    assert first is not None and first == again
    assert seen == [(path.stat().st_size, path.stat().st_size)]
    assert (
        len([b for b in shared_hq.repository.receipts() if b.device_key_id == device.key.key_id])
        == 1
    )


def test_a_revoked_device_is_told_so_and_sends_nothing(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    shared_hq.repository.revoke_device(device.key.key_id, 1, "2026-03-15T09:00:00Z")
    with client(server, shared_hq, device) as hq, pytest.raises(DeviceRevokedError) as caught:
        hq.upload(path, sha256)
    assert not caught.value.retryable and caught.value.code == "revoked-device"
    assert shared_hq.repository.device_upload(device.key.key_id, sha256) is None


def test_an_expired_session_signs_in_again(server: Server, shared_hq: Hq, tmp_path: Path) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    with client(server, shared_hq, device, chunk_size=100_000) as hq:
        assert hq.receipt(sha256) is None  # signed in
        assert shared_hq.repository.drop_tokens(device.key.key_id) == 1  # the session ends
        hq.upload(path, sha256)  # 401 bad-token: a new sign-in, then the upload
        assert shared_hq.repository.drop_tokens(device.key.key_id) == 1
        assert hq.receipt(sha256) is not None


def test_a_session_ending_between_chunks_signs_in_again_and_sends_the_chunk(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    dropped: list[int] = []

    def progress(sent: int, total: int) -> None:
        if sent == 100_000 and not dropped:  # after the first chunk, HQ ends the session
            dropped.append(shared_hq.repository.drop_tokens(device.key.key_id))

    with client(server, shared_hq, device, chunk_size=100_000, max_chunk_size=100_000) as hq:
        hq.upload(path, sha256, progress=progress)
        receipt = hq.receipt(sha256)
        sent = hq.bytes_sent
    assert dropped == [1] and receipt is not None
    assert path.stat().st_size <= sent < path.stat().st_size + 100_000 + 4096


def test_a_bundle_whose_bytes_differ_from_its_sha256_is_refused(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, _sha256 = bundle_file(shared_hq, device, tmp_path)
    declared = hashlib.sha256(b"another bundle").hexdigest()
    with client(server, shared_hq, device) as hq, pytest.raises(BundleRejectedError) as caught:
        hq.upload(path, declared)
    assert caught.value.code == "bundle-mismatch" and not caught.value.retryable
    assert "SHA-256" in caught.value.user_message
    assert shared_hq.repository.bundle_at(device.key.key_id, 1) is None


def test_a_bundle_hq_cannot_ingest_is_refused_with_the_reason(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    made = shared_hq.bundle(device, [device.revision()], recipients=[new_identity()[1]])
    path = tmp_path / made.name
    path.write_bytes(made.read_bytes())
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    with client(server, shared_hq, device) as hq, pytest.raises(BundleRejectedError) as caught:
        hq.upload(path, sha256)
    assert caught.value.code == "bundle-rejected"
    assert caught.value.reason and caught.value.reason in caught.value.user_message


def test_the_server_language_does_not_leak_into_the_device_message(
    server: Server, shared_hq: Hq
) -> None:
    device = Device()
    set_language("fr")
    try:
        with client(server, shared_hq, device) as hq, pytest.raises(UnknownDeviceError) as caught:
            hq.receipt("b" * 64)
    finally:
        set_language("en")
    assert caught.value.user_message == _fr(
        "Headquarters does not know this device: it was not enrolled there. "
        "Send headquarters this device's identity file."
    )


def _fr(text: str) -> str:
    set_language("fr")
    try:
        translated = _(text)
    finally:
        set_language("en")
    assert translated != text
    return translated


def test_an_address_without_https_is_refused(shared_hq: Hq) -> None:
    plain = HqEndpoint("http://127.0.0.1:8443", "a" * 64, b"\x00" * 32, "0" * 32)
    with pytest.raises(InvalidInputError, match="https://"):
        HqClient(plain, Device().key)
