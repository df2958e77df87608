"""Resumable uploads: a cut at any byte resumes from the server's offset; a server killed
mid-upload resumes after a restart; the same bundle twice is the same receipt; several
processes share one PostgreSQL database; a device over its rate is told when to come back."""

from __future__ import annotations

import contextlib
import hashlib
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fieldkit.hq.repository.sync import Upload as RepoUpload
from tests.hq.support import Device, Hq
from tests.hq.sync_server import (
    Server,
    Upload,
    bundle_bytes,
    enrolled,
    make_hq,
    server,
    shared_hq,
    sign_in,
)

__all__ = ["server", "shared_hq"]


class CutError(Exception):
    """The link dropped."""


def _cut_after(data: bytes, keep: int, block: int = 4096) -> Iterator[bytes]:
    """A request body that breaks off (the link drops) after ``keep`` bytes."""
    for start in range(0, keep, block):
        yield data[start : min(start + block, keep)]
    raise CutError


def _send_cut(upload: Upload, location: str, start: int, keep: int) -> None:
    headers = dict(upload.headers)
    headers["Content-Type"] = "application/offset+octet-stream"
    headers["Upload-Offset"] = str(start)
    with pytest.raises((CutError, httpx.TransportError)):
        body = _cut_after(upload.data[start:], keep)
        upload.client.patch(location, headers=headers, content=body)


def _wait_offset(upload: Upload, location: str, expected: int) -> int:
    deadline = time.monotonic() + 10
    while (offset := upload.offset(location)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return offset


def _receipt_verifies(hq: Hq, device: Device, data: bytes) -> None:
    path = hq.stick / "receipt.fkr"
    path.write_bytes(data)
    assert hq.receipt_of(device, path).accepted


def test_a_cut_at_several_offsets_resumes_from_the_servers_offset(
    server: Server, shared_hq: Hq
) -> None:
    device = enrolled(shared_hq.repository)
    data = bundle_bytes(shared_hq, device, 200_000)
    with server.client() as client:
        upload = Upload(client, sign_in(client, shared_hq, device), data)
        location = upload.create().headers["Location"]
        offset = 0
        for keep in (1, 12_345, 70_001):  # bytes that arrive before each cut
            _send_cut(upload, location, offset, keep)
            assert _wait_offset(upload, location, offset + keep) == offset + keep
            offset += keep
        answer = upload.patch(location, offset, len(data))
        assert answer.status_code == 204, answer.text
        receipt = client.get(f"/v1/receipts/{upload.sha256}", headers=upload.headers)
    _receipt_verifies(shared_hq, device, receipt.content)


def test_the_same_bundle_twice_returns_the_same_upload_and_receipt(
    server: Server, shared_hq: Hq
) -> None:
    device = enrolled(shared_hq.repository)
    data = bundle_bytes(shared_hq, device, 1000)
    with server.client() as client:
        upload = Upload(client, sign_in(client, shared_hq, device), data)
        location = upload.send()
        first = client.get(f"/v1/receipts/{upload.sha256}", headers=upload.headers)
        counts = shared_hq.repository.counts()
        again = upload.create()  # the answer was lost: the device asks again
        second = client.get(f"/v1/receipts/{upload.sha256}", headers=upload.headers)
    assert again.status_code == 201 and again.headers["Location"] == location
    assert again.headers["Upload-Offset"] == str(len(data))
    assert first.status_code == 200 and second.content == first.content
    assert shared_hq.repository.counts() == counts


def test_an_upload_whose_ingest_was_cut_off_is_ingested_when_asked_again(
    server: Server, shared_hq: Hq
) -> None:
    """The server stopped after the last byte, before the ingest was recorded: the bytes are
    kept, and the next request about the bundle ingests it."""
    device = enrolled(shared_hq.repository)
    data = bundle_bytes(shared_hq, device, 1000)
    upload_id = "c" * 32
    held = RepoUpload(
        upload_id,
        device.key.key_id,
        hashlib.sha256(data).hexdigest(),
        len(data),
        len(data),
        int(time.time()) + 3600,
    )
    shared_hq.repository.add_upload(held)
    (shared_hq.paths.uploads / f"{upload_id}.part").write_bytes(data)
    with server.client() as client:
        upload = Upload(client, sign_in(client, shared_hq, device), data)
        again = upload.create()
        receipt = client.get(f"/v1/receipts/{upload.sha256}", headers=upload.headers)
    assert again.headers["Location"] == f"/v1/uploads/{upload_id}"
    assert again.headers["Upload-Offset"] == str(len(data))
    _receipt_verifies(shared_hq, device, receipt.content)
    assert not (shared_hq.paths.uploads / f"{upload_id}.part").exists()


@pytest.mark.slow
def test_a_server_killed_mid_upload_resumes_after_a_restart(tmp_path: Path) -> None:
    hq, url = make_hq(tmp_path)
    device = enrolled(hq.repository)
    data = bundle_bytes(hq, device, 400_000)
    running = Server(hq, url, tmp_path / "server.log").start()
    try:
        with running.client() as client:
            upload = Upload(client, sign_in(client, hq, device), data)
            location = upload.create().headers["Location"]
            assert upload.patch(location, 0, 100_000).status_code == 204
            sent = threading.Event()

            def stalled() -> Iterator[bytes]:
                yield data[100_000:150_000]
                sent.set()
                time.sleep(30)  # the server dies meanwhile
                yield data[150_000:]

            headers = dict(upload.headers, **{"Upload-Offset": "100000"})
            headers["Content-Type"] = "application/offset+octet-stream"

            def patch() -> None:
                with contextlib.suppress(httpx.TransportError):
                    client.patch(location, headers=headers, content=stalled())

            worker = threading.Thread(target=patch, daemon=True)
            worker.start()
            assert sent.wait(10)
            time.sleep(0.5)
            running.stop(signal.SIGKILL)
        part = hq.paths.uploads / f"{location.rsplit('/', 1)[1]}.part"
        assert part.stat().st_size == 150_000  # written, never acknowledged
        running = Server(hq, url, tmp_path / "server.log").start()
        with running.client() as client:
            upload.client = client
            offset = upload.offset(location)  # the acknowledged offset, not the bytes on disk
            assert offset == 100_000
            assert upload.patch(location, offset, len(data)).status_code == 204
            receipt = client.get(f"/v1/receipts/{upload.sha256}", headers=upload.headers)
        _receipt_verifies(hq, device, receipt.content)
    finally:
        running.stop()
        hq.repository.close()


@pytest.mark.slow
def test_an_oversized_chunk_and_a_device_over_its_rate_are_refused(tmp_path: Path) -> None:
    hq, url = make_hq(tmp_path)
    device = enrolled(hq.repository)
    args = ("--max-chunk", "1000", "--requests-per-minute", "4")
    running = Server(hq, url, tmp_path / "server.log", *args).start()
    try:
        with running.client() as client:
            upload = Upload(client, sign_in(client, hq, device), b"x" * 5000)  # 2 requests
            location = upload.create().headers["Location"]
            too_large = upload.patch(location, 0, 2000)
            limited = client.get(f"/v1/receipts/{upload.sha256}", headers=upload.headers)
        part = hq.paths.uploads / f"{location.rsplit('/', 1)[1]}.part"
        stored = part.stat().st_size if part.exists() else 0
    finally:
        running.stop()
        hq.repository.close()
    assert too_large.status_code == 413 and too_large.json()["error"] == "too-large"
    assert stored == 0
    assert limited.status_code == 429 and limited.json()["error"] == "rate-limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 61


@pytest.mark.slow
def test_several_workers_serve_the_whole_path(tmp_path: Path) -> None:
    hq, url = make_hq(tmp_path)
    device = enrolled(hq.repository)
    data = bundle_bytes(hq, device, 200_000)
    running = Server(hq, url, tmp_path / "server.log", "--workers", "2").start()
    try:
        with running.client() as client:
            upload = Upload(client, sign_in(client, hq, device), data)
            upload.send(chunk=50_000)
            receipt = client.get(f"/v1/receipts/{upload.sha256}", headers=upload.headers)
    finally:
        running.stop()
        hq.repository.close()
    _receipt_verifies(hq, device, receipt.content)


@pytest.mark.slow
@pytest.mark.postgres
def test_an_upload_begun_on_one_process_finishes_on_another(
    tmp_path: Path, postgres_url: str
) -> None:
    hq, url = make_hq(tmp_path, postgres_url)
    device = enrolled(hq.repository)
    data = bundle_bytes(hq, device, 200_000)
    log = tmp_path / "server.log"
    first, second = Server(hq, url, log).start(), Server(hq, url, log).start()
    try:
        with first.client() as one, second.client() as other:
            upload = Upload(one, sign_in(one, hq, device), data)
            location = upload.create().headers["Location"]
            assert upload.patch(location, 0, 90_000).status_code == 204
            upload.client = other  # the token and the offset are in the shared database
            assert upload.offset(location) == 90_000
            assert upload.patch(location, 90_000, len(data)).status_code == 204
            receipt = other.get(f"/v1/receipts/{upload.sha256}", headers=upload.headers)
        _receipt_verifies(hq, device, receipt.content)
    finally:
        first.stop()
        second.stop()
        hq.repository.close()
