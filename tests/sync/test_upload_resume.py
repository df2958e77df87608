"""Uploads resume from HQ's offset: after a link cut mid-chunk (in the same call, or in a later
one), after a stop asked by the user, after a damaged chunk; a chunk HQ finds too large is made
smaller, a bundle HQ finds too large is refused."""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from fieldkit.crypto.identity import SigningKey
from fieldkit.hq.lost import declare_lost
from fieldkit.hq.repository import sqlite_url
from fieldkit.sync.client import HqClient
from fieldkit.sync.errors import (
    BundleRejectedError,
    DeviceLostError,
    NotReachableError,
    SyncCancelledError,
)
from tests.hq.support import Hq
from tests.hq.sync_server import Server, enrolled, server, shared_hq
from tests.sync.fakes import CuttingRelay, Wrapping
from tests.sync.support import bundle_file, client, endpoint, pinned, verified_receipt

__all__ = ["server", "shared_hq"]

CHUNK = 100_000


def _relayed(
    server: Server, hq: Hq, relay: CuttingRelay, key: SigningKey, attempts: int = 5
) -> HqClient:
    """A client that reaches HQ through ``relay`` (the pin is HQ's: TLS passes through)."""
    moved = endpoint(server, hq, address=relay.address)
    return HqClient(
        moved, key, chunk_size=CHUNK, max_chunk_size=CHUNK, pause=0.01, attempts=attempts
    )


def test_a_cut_mid_chunk_resumes_from_hqs_offset_in_the_same_call(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    size = path.stat().st_size
    seen: list[int] = []
    with (
        CuttingRelay(server.port, cut_after=250_000) as relay,
        _relayed(server, shared_hq, relay, key=device.key) as hq,
    ):
        hq.upload(path, sha256, progress=lambda sent, total: seen.append(sent))
        receipt = hq.receipt(sha256)
        sent = hq.bytes_sent
    assert relay.cuts == 1
    assert size < sent < size + CHUNK + 4096  # the cut chunk again, nothing more
    assert seen[-1] == size and 200_000 in seen
    assert receipt is not None and verified_receipt(shared_hq, device, receipt).sequence == 1


def test_an_upload_given_up_resumes_in_a_later_call(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    size = path.stat().st_size
    with (
        CuttingRelay(server.port, cut_after=[250_000, 30_000], times=100) as relay,
        _relayed(server, shared_hq, relay, key=device.key, attempts=2) as hq,
        pytest.raises(NotReachableError) as caught,
    ):
        hq.upload(path, sha256)
    assert caught.value.retryable and relay.cuts >= 2
    held = shared_hq.repository.device_upload(device.key.key_id, sha256)
    assert held is not None and 0 < held.offset < size
    with client(server, shared_hq, device, chunk_size=CHUNK) as hq:
        hq.upload(path, sha256)
        assert hq.bytes_sent < size - held.offset + 4096  # only what HQ did not hold
        assert hq.receipt(sha256) is not None


def test_a_stop_between_chunks_keeps_what_hq_holds(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    stop = threading.Event()

    def progress(sent: int, total: int) -> None:
        if sent >= 2 * CHUNK:
            stop.set()

    with (
        client(server, shared_hq, device, chunk_size=CHUNK, max_chunk_size=CHUNK) as hq,
        pytest.raises(SyncCancelledError),
    ):
        hq.upload(path, sha256, progress=progress, cancel=stop)
    held = shared_hq.repository.device_upload(device.key.key_id, sha256)
    assert held is not None and held.offset == 2 * CHUNK
    with client(server, shared_hq, device, chunk_size=CHUNK) as hq:
        hq.upload(path, sha256)
        assert hq.receipt(sha256) is not None


class Corrupting(Wrapping):
    """Flips a byte in the body of the first ``times`` chunks (after their checksum was made)."""

    def __init__(self, inner: httpx.BaseTransport, times: int) -> None:
        super().__init__(inner)
        self.times = times
        self.corrupted = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and self.corrupted < self.times:
            self.corrupted += 1
            body = b"".join(request.stream)  # type: ignore[union-attr]
            damaged = bytes([body[0] ^ 1]) + body[1:]
            request = httpx.Request(
                request.method, request.url, headers=request.headers, content=damaged
            )
        return self.inner.handle_request(request)


@pytest.mark.parametrize("times", [1, 100])
def test_a_damaged_chunk_is_sent_again_and_never_stored(
    server: Server, shared_hq: Hq, tmp_path: Path, times: int
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    transport = Corrupting(pinned(shared_hq), times)
    with client(server, shared_hq, device, transport=transport, chunk_size=CHUNK) as hq:
        if times == 1:
            hq.upload(path, sha256)
            assert hq.receipt(sha256) is not None
        else:
            with pytest.raises(NotReachableError) as caught:
                hq.upload(path, sha256)
            assert caught.value.code == "checksum-mismatch" and caught.value.retryable
            held = shared_hq.repository.device_upload(device.key.key_id, sha256)
            assert held is not None and held.offset == 0  # nothing damaged was kept
    assert transport.corrupted == min(times, hq.attempts)


@pytest.fixture(scope="module")
def small_server(shared_hq: Hq, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("log") / "small.log"
    args = ("--max-upload", "400000", "--max-chunk", "70000")
    running = Server(shared_hq, sqlite_url(shared_hq.paths.database), log, *args).start()
    yield running
    running.stop()


def test_chunks_shrink_to_what_hq_accepts_and_a_bundle_over_its_limit_is_refused(
    small_server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path, size=200_000)
    with client(small_server, shared_hq, device, chunk_size=1024 * 1024) as hq:
        hq.upload(path, sha256)
        assert hq.receipt(sha256) is not None
    big, big_sha256 = bundle_file(shared_hq, device, tmp_path, size=500_000)
    with (
        client(small_server, shared_hq, device) as hq,
        pytest.raises(BundleRejectedError) as caught,
    ):
        hq.upload(big, big_sha256)
    assert caught.value.code == "too-large" and not caught.value.retryable


class Refusing(Wrapping):
    """Answers the first ``times`` chunks with ``status`` and ``code`` itself (as HQ does when
    busy or over a device's rate), asking to wait ``retry_after`` seconds."""

    def __init__(
        self, inner: httpx.BaseTransport, status: int, code: str, retry_after: int, times: int
    ) -> None:
        super().__init__(inner)
        self.answer = (status, code, retry_after)
        self.times = times
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and self.refused < self.times:
            self.refused += 1
            request.read()
            status, code, retry_after = self.answer
            return httpx.Response(
                status,
                headers={"Retry-After": str(retry_after)},
                json={"error": code, "message": "…"},
                request=request,
            )
        return self.inner.handle_request(request)


@pytest.mark.parametrize(("status", "code"), [(429, "rate-limited"), (423, "busy")])
def test_a_short_wait_asked_by_hq_is_waited_then_the_upload_goes_on(
    server: Server, shared_hq: Hq, tmp_path: Path, status: int, code: str
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    transport = Refusing(pinned(shared_hq), status, code, 7, times=2)
    waits: list[float] = []
    with client(
        server, shared_hq, device, transport=transport, chunk_size=CHUNK, sleep=waits.append
    ) as hq:
        hq.upload(path, sha256)
        assert hq.receipt(sha256) is not None
    assert waits == [7.0, 7.0]


def test_a_long_wait_asked_by_hq_is_left_to_the_caller(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    transport = Refusing(pinned(shared_hq), 429, "rate-limited", 600, times=1)
    waits: list[float] = []
    with (
        client(server, shared_hq, device, transport=transport, sleep=waits.append) as hq,
        pytest.raises(NotReachableError) as caught,
    ):
        hq.upload(path, sha256)
    assert caught.value.retry_after == 600 and caught.value.code == "rate-limited"
    assert waits == []


def test_chunks_are_streamed_from_the_file_not_held_in_memory(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path, size=8 * 1024 * 1024)
    with client(server, shared_hq, device, chunk_size=4 * 1024 * 1024) as hq:
        hq.receipt(sha256)  # signed in, connection open: only the upload is measured
        tracemalloc.start()
        try:
            hq.upload(path, sha256)
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert hq.receipt(sha256) is not None
    assert peak < 1024 * 1024  # a chunk is 4 MiB, the bundle over 8 MiB


class EndingSession(Wrapping):
    """At the first chunk, HQ ends the device's session and the link drops: the client's next
    request is a HEAD, whose refusal has no body to say why."""

    def __init__(self, inner: httpx.BaseTransport, end: Callable[[], object]) -> None:
        super().__init__(inner)
        self.end = end
        self.heads: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and not self.heads:
            self.heads.append(0)
            self.end()
            raise httpx.ReadError("the link dropped", request=request)
        answer = self.inner.handle_request(request)
        if request.method == "HEAD":
            self.heads.append(answer.status_code)
        return answer


def test_a_head_refused_without_a_body_signs_in_again(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    transport = EndingSession(
        pinned(shared_hq),
        lambda: shared_hq.repository.drop_tokens(device.key.key_id),
    )
    with client(server, shared_hq, device, transport=transport, chunk_size=CHUNK) as hq:
        hq.upload(path, sha256)
        assert hq.receipt(sha256) is not None
    assert transport.heads == [0, 401, 200]


def test_a_head_refused_to_a_lost_device_still_brings_its_erase_order(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    transport = EndingSession(
        pinned(shared_hq),
        lambda: declare_lost(shared_hq.repository, device.key.key_id, 1, "2026-03-15T09:00:00Z"),
    )
    with (
        client(server, shared_hq, device, transport=transport, chunk_size=CHUNK) as hq,
        pytest.raises(DeviceLostError) as caught,
    ):
        hq.upload(path, sha256)
    assert transport.heads == [0, 403]
    assert isinstance(caught.value.order, dict)
    assert caught.value.order["device"] == device.key.key_id
