"""With its default settings, the client sends a large bundle in chunks that grow on a fast link
(fewer requests than 1 MiB chunks), a cut sends again at most the chunk in flight, and chunks
grow no further than HQ's --max-chunk once HQ refused one as too large."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldkit.crypto.identity import SigningKey
from fieldkit.hq.repository import sqlite_url
from fieldkit.sync.client import HqClient
from tests.hq.support import Hq
from tests.hq.sync_server import Server, enrolled, server, shared_hq
from tests.sync.fakes import CuttingRelay, Recording
from tests.sync.support import bundle_file, endpoint, pinned

__all__ = ["server", "shared_hq"]

MIB = 1024 * 1024


def _client(
    server: Server, hq: Hq, key: SigningKey, recording: list[Recording], address: str = ""
) -> HqClient:
    """A client with the default chunk settings; its transport is added to ``recording``."""
    transport = Recording(pinned(hq))
    recording.append(transport)
    return HqClient(endpoint(server, hq, address=address), key, transport=transport, pause=0.01)


def _upload(server: Server, hq: Hq, folder: Path, size: int) -> tuple[list[tuple[int, bool]], int]:
    """A new device's bundle with ``size`` bytes of attachment, uploaded with the default chunk
    settings (and its receipt fetched): the chunks sent, and the bundle's size."""
    device = enrolled(hq.repository)
    path, sha256 = bundle_file(hq, device, folder, size=size)
    recording: list[Recording] = []
    with _client(server, hq, device.key, recording) as client:
        client.upload(path, sha256)
        assert client.receipt(sha256) is not None
    return recording[0].chunks, path.stat().st_size


def test_a_large_upload_takes_fewer_requests_than_one_a_mebibyte(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    chunks, size = _upload(server, shared_hq, tmp_path, 12 * MIB)
    sizes = [chunk for chunk, taken in chunks]
    assert all(taken for _size, taken in chunks) and sum(sizes) == size
    assert sizes[0] == MIB  # the configured size first
    assert len(sizes) < size / MIB
    assert max(sizes) >= 4 * MIB


def test_a_cut_sends_again_at_most_the_chunk_in_flight(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path, size=12 * MIB)
    size = path.stat().st_size
    recording: list[Recording] = []
    with (
        CuttingRelay(server.port, cut_after=6 * MIB) as relay,
        _client(server, shared_hq, device.key, recording, relay.address) as hq,
    ):
        hq.receipt("0" * 64)  # signed in: only the upload's bytes are counted below
        before = hq.bytes_sent
        hq.upload(path, sha256)
        resent = hq.bytes_sent - before - size
        assert hq.receipt(sha256) is not None
    chunks = recording[0].chunks
    assert relay.cuts == 1
    cut = [index for index, (_size, taken) in enumerate(chunks) if not taken]
    assert len(cut) == 1
    in_flight = chunks[cut[0]][0]
    assert in_flight > MIB  # it had grown before the cut
    assert 0 < resent <= in_flight
    after = [chunk for chunk, _taken in chunks[cut[0] + 1 :]]
    assert after[0] <= in_flight // 2  # halved after the cut
    assert sum(chunk for chunk, taken in chunks if taken) == size


@pytest.fixture(scope="module")
def limited_server(shared_hq: Hq, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("log") / "limited.log"
    args = ("--max-chunk", str(MIB))
    running = Server(shared_hq, sqlite_url(shared_hq.paths.database), log, *args).start()
    yield running
    running.stop()


def test_chunks_grow_no_further_than_hqs_limit_once_refused(
    limited_server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    chunks, size = _upload(limited_server, shared_hq, tmp_path, 6 * MIB)
    refused = [chunk for chunk, taken in chunks if not taken]
    assert refused == [2 * MIB]  # grown once past the limit, answered 413, never again
    taken = [chunk for chunk, ok in chunks if ok]
    assert sum(taken) == size and max(taken) <= MIB
