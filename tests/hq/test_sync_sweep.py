"""Expired uploads are removed when the server starts and then periodically, without any new
upload; a chunk's disk writes never hold up the server's event loop."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, cast

import anyio
import pytest

from fieldkit.hq.repository import FakeRepository
from fieldkit.hq.repository.sync import Upload as RepoUpload
from fieldkit.hq.server.bodies import QUEUED_BYTES, BodyCutError, consume_in_thread
from fieldkit.hq.server.store import UploadStore
from fieldkit.hq.server.uploads import Limits, Uploads
from tests.conftest import PASSPHRASE
from tests.hq.support import Device
from tests.hq.sync_server import Server, make_hq


def run_apart(func: Any, *args: Any) -> Any:
    """``anyio.run`` in a thread of its own: a browser test that ran before in the same worker
    process may still hold this thread's event loop (Playwright's synchronous API)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, func, *args).result()


def _expired(hq_uploads: Path, repository: Any, upload_id: str) -> Path:
    part = hq_uploads / f"{upload_id}.part"
    part.parent.mkdir(mode=0o700, exist_ok=True)
    part.write_bytes(b"sealed bytes")
    upload = RepoUpload(upload_id, "d" * 32, upload_id * 2, 100, 12, int(time.time()) - 1)
    repository.add_upload(upload)
    return part


def _gone(repository: Any, upload_id: str, part: Path, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if repository.upload(upload_id) is None and not part.exists():
            return True
        time.sleep(0.1)
    return False


def test_expired_uploads_are_removed_at_start_and_then_every_interval(tmp_path: Path) -> None:
    hq, url = make_hq(tmp_path)
    try:
        before = _expired(hq.paths.uploads, hq.repository, "1" * 32)
        server = Server(hq, url, tmp_path / "hourly.log").start()  # sweeps hourly by default
        try:
            assert _gone(hq.repository, "1" * 32, before, within=10)
            later = _expired(hq.paths.uploads, hq.repository, "2" * 32)
            time.sleep(2)
            assert hq.repository.upload("2" * 32) is not None and later.exists()  # not yet
        finally:
            server.stop()
        server = Server(hq, url, tmp_path / "often.log", "--sweep-every", "1").start()
        try:
            assert _gone(hq.repository, "2" * 32, later, within=10)
            again = _expired(hq.paths.uploads, hq.repository, "3" * 32)
            assert _gone(hq.repository, "3" * 32, again, within=10)
        finally:
            server.stop()
    finally:
        hq.repository.close()


class _SlowStore(UploadStore):
    """Writes wait until the event loop has run something else: a write done on the loop
    itself would wait for ever (here: fail after 5 seconds)."""

    def __init__(self) -> None:
        self.loop_ran = threading.Event()
        self.written = io.BytesIO()

    @contextmanager
    def writer(self, upload_id: str, offset: int) -> Iterator[BinaryIO]:
        store = self

        class Handle(io.BytesIO):
            def write(self, data: Any) -> int:
                if not store.loop_ran.wait(5):
                    raise AssertionError("the event loop was held up by a disk write")
                return store.written.write(data)

        yield Handle()

    @contextmanager
    def local_copy(self, upload_id: str) -> Iterator[Path]:
        raise AssertionError("not complete")
        yield Path()  # pragma: no cover

    def delete(self, upload_id: str) -> None:
        pass


def test_chunk_writes_run_beside_the_event_loop(tmp_path: Path) -> None:
    repository = FakeRepository()
    device = Device()
    device.register(repository)
    store = _SlowStore()
    uploads = Uploads(repository, store, cast(Any, None), tmp_path, Limits())
    registered = repository.device(device.key.key_id)
    assert registered is not None

    async def body() -> AsyncIterator[bytes]:
        for _ in range(3):
            yield b"x" * 10

    async def main() -> None:
        upload = await uploads.create(registered, 100, "a" * 64)

        async def other_request() -> None:
            await anyio.sleep(0.05)
            store.loop_ran.set()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(other_request)
            answer = await uploads.append(registered, upload.upload_id, 0, None, body())
        assert answer.offset == 30

    run_apart(main)
    assert store.written.getvalue() == b"x" * 30


@pytest.mark.parametrize("every", ["0", "-5", "x"])
def test_the_sweep_interval_must_be_a_positive_number(tmp_path: Path, every: str) -> None:
    hq, url = make_hq(tmp_path)
    hq.repository.close()
    main = "import sys; from fieldkit.hq.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", main, "--hq", str(hq.paths.root), "--db", url, "serve"]
    env = {"FIELDKIT_HQ_PASSPHRASE": PASSPHRASE, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [*command, "--listen", "127.0.0.1:1", "--sweep-every", every],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.returncode != 0 and "--sweep-every" in done.stderr


def test_a_body_reaches_the_thread_whole_then_its_end_or_its_cut() -> None:
    class CutError(Exception):
        pass

    async def body(cut: bool) -> AsyncIterator[bytes]:
        for i in range(200):
            yield bytes([i]) * 1000
            if i % 50 == 0:
                await anyio.sleep(0.001)  # some pieces come alone, others wait together
        if cut:
            raise CutError

    def consume(read: Any) -> tuple[bytes, str]:
        taken = bytearray()
        try:
            while (part := read()) is not None:
                taken += part
        except CutError:
            return bytes(taken), "cut"
        return bytes(taken), "end"

    whole = b"".join(bytes([i]) * 1000 for i in range(200))
    for cut, how in ((False, "end"), (True, "cut")):
        taken = run_apart(consume_in_thread, body(cut), consume)
        assert taken == (whole, how)


def test_a_thread_that_stops_early_stops_the_reading() -> None:
    read_pieces = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            read_pieces.append(1)
            yield b"x" * 100

    def refuse(read: Any) -> None:
        read()
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        run_apart(consume_in_thread, endless(), refuse)
    assert len(read_pieces) < 10_000


def test_a_slow_thread_holds_the_reading_back_to_a_short_queue() -> None:
    piece = 64 * 1024
    produced = [0]
    ahead: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for i in range(256):  # 16 MiB
            produced[0] += 1
            yield bytes([i]) * piece
            await anyio.sleep(0)

    def consume(read: Any) -> int:
        taken = 0
        while (part := read()) is not None:
            taken += len(part)
            ahead.append(produced[0] - taken // piece)
            time.sleep(0.0005)  # a slow disk
        return taken

    assert run_apart(consume_in_thread, body(), consume) == 256 * piece
    # Read but not yet written: the queue (QUEUED_BYTES) and what the thread took from it at once.
    assert max(ahead) * piece <= 2 * QUEUED_BYTES + 2 * piece


def test_a_request_cancelled_midway_reaches_the_thread_as_a_cut() -> None:
    seen: list[str] = []

    async def trickle() -> AsyncIterator[bytes]:
        while True:
            yield b"x" * 1000
            await anyio.sleep(0.01)

    def consume(read: Any) -> None:
        try:
            while read() is not None:
                pass
        except BodyCutError:
            seen.append("cut")
        else:
            seen.append("end")

    async def main() -> None:
        with anyio.move_on_after(0.1):
            await consume_in_thread(trickle(), consume)

    run_apart(main)
    assert seen == ["cut"]  # not taken for the end of the body
