"""Network sync figures, the device's client (``fieldkit.sync.client.HqClient``) against HQ's
server over TLS 1.3 on loopback. Baselines, in the same run:

- upload throughput of a 256 MiB bundle (32 MiB with ``--quick``) with tus (the client's default
  settings: chunks from 1 MiB, grown on a fast link; each with its SHA-256; the server writes,
  checks and fsyncs each), and with fixed 1 MiB chunks, against a plain HTTPS ``PUT`` of
  the same file to the same server process (an extra route of the benchmark's server, writing
  the body to a file and fsyncing it: ``benchmarks/sync_server_child.py``), through the same
  pinned TLS transport;
- bytes sent again after one cut in the middle of an upload (through the fault proxy of the
  tests), against a plain ``PUT`` cut at the same point and sent again;
- fifty devices sending at once to ``fieldkit-hq serve --workers 2``, revisions ingested per
  second, against one device sending as many revisions in as many bundles alone;
- the server's resident memory (sampled every 20 ms) while it receives and ingests a 16 MiB and
  a 256 MiB bundle (4 and 32 MiB with ``--quick``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from tests.sync.fakes import Recording
from tests.sync.fault_proxy import Direction, FaultProxy

from benchmarks.common import Result, report
from benchmarks.sync_setup import MIB, Bundle, Device, Hq, random_file, rss_kib
from fieldkit.bundle import read_receipt
from fieldkit.sync.pinning import pinned_transport

CHUNK = 1 * MIB
PIECE = 64 * 1024
DEVICES = 50


class Sampler:
    """The peak resident memory of a process, sampled in a thread while in a ``with``."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.pid = pid
        self.every = every
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            self._stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_kib(self.pid))


def _pieces(path: Path, counter: list[int] | None = None) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while piece := handle.read(PIECE):
            yield piece
            if counter is not None:
                counter[0] += len(piece)


def _put(
    hq: Hq, bundle: Bundle, address: str | None = None, counter: list[int] | None = None
) -> None:
    """A plain HTTPS PUT of the bundle file (same pinned TLS as the client)."""
    transport = pinned_transport(hq.endpoint().spki_sha256)
    with httpx.Client(transport=transport, timeout=600, trust_env=False) as http:
        answer = http.put(
            f"{address or hq.url}/bench/put",
            content=_pieces(bundle.path, counter),
            headers={"Content-Length": str(bundle.size)},
        )
    if answer.status_code != 204:
        raise RuntimeError(f"the baseline PUT failed: {answer.status_code}")


def _tus(
    hq: Hq, device: Device, bundle: Bundle, chunk: int | None = None
) -> tuple[float, float, int]:
    """Seconds until the client handed the last byte to the network, and until HQ answered
    that it holds and ingested the bundle, and how many chunks it took; the receipt is then
    fetched and verified. Chunks of ``chunk`` bytes, or the client's default (adapted)."""
    recording = Recording(pinned_transport(hq.endpoint().spki_sha256))
    fixed = {} if chunk is None else {"chunk_size": chunk, "max_chunk_size": chunk}
    with hq.client(device, transport=recording, **fixed) as client:
        client.ping()  # TLS and sign-in are not part of the upload
        client.receipt("0" * 64)
        sent_at: list[float] = []
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.002):
                if client.bytes_sent >= bundle.size + before:
                    sent_at.append(time.perf_counter())
                    return

        before = client.bytes_sent
        watcher = threading.Thread(target=watch, daemon=True)
        start = time.perf_counter()
        watcher.start()
        client.upload(bundle.path, bundle.sha256)
        end = time.perf_counter()
        done.set()
        watcher.join()
        _verify(hq, device, bundle, client.receipt(bundle.sha256))
    return (sent_at[0] if sent_at else end) - start, end - start, len(recording.chunks)


def _verify(hq: Hq, device: Device, bundle: Bundle, data: bytes | None) -> None:
    if data is None:
        raise RuntimeError(f"no receipt for {bundle.path.name}")
    read_receipt(data, device.age[0], hq.signing.public.public_key, device_key_id=device.key.key_id)


def _floor(path: Path, folder: Path, chunk: int) -> float:
    """Seconds of tus's own disk and hash work for the file, with no network: read and hash
    each chunk on the device's side, hash it again, write and fsync it on the server's."""
    target = folder / "floor.part"
    start = time.perf_counter()
    with path.open("rb") as source, target.open("wb") as out:
        while True:
            offset = source.tell()
            piece = source.read(chunk)
            if not piece:
                break
            hashlib.sha256(piece).digest()  # the device's checksum
            source.seek(offset)
            piece = source.read(chunk)  # read again as it is sent
            hashlib.sha256(piece).digest()  # HQ's check
            out.write(piece)
            out.flush()
            os.fsync(out.fileno())
    seconds = time.perf_counter() - start
    target.unlink()
    return seconds


def _median(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2]


def _mib_s(size: int, seconds: float) -> str:
    return f"{size / MIB / seconds:,.0f} MiB/s ({seconds:.2f} s)"


def upload_figures(folder: Path, big: int, small: int, repeat: int) -> list[Result]:
    """Throughput against a plain PUT, and the server's memory for a small and a big bundle."""
    hq = Hq(folder / "upload")
    device = hq.enrol()
    pid = hq.start_child(folder / "put")
    try:
        idle = rss_kib(pid)
        small_bundle = hq.bundle(device, 1, random_file(folder / "small.bin", small))
        with Sampler(pid) as small_memory:
            _tus(hq, device, small_bundle)
        attachment = random_file(folder / "big.bin", big)
        sent, whole, put, sent_fixed, floor = [], [], [], [], []
        peaks = []
        for _ in range(repeat):  # in turn, so that a busy moment falls on each alike
            bundle = hq.bundle(device, 1, attachment)
            os.sync()
            start = time.perf_counter()
            _put(hq, bundle)
            put.append(time.perf_counter() - start)
            os.sync()
            with Sampler(pid) as memory:
                seconds_sent, seconds_whole, chunks = _tus(hq, device, bundle)
            sent.append(seconds_sent)
            whole.append(seconds_whole)
            peaks.append(memory.peak)
            bundle.path.unlink()
            bundle = hq.bundle(device, 1, attachment)
            os.sync()
            seconds_fixed, _whole, fixed_chunks = _tus(hq, device, bundle, CHUNK)
            sent_fixed.append(seconds_fixed)
            os.sync()
            floor.append(_floor(bundle.path, folder, CHUNK))
            bundle.path.unlink()
    finally:
        hq.stop()
    size = bundle.size
    t_sent, t_whole, t_put = _median(sent), _median(whole), _median(put)
    t_fixed, t_floor = _median(sent_fixed), _median(floor)
    big_peak, small_peak = max(peaks), small_memory.peak
    label = f"{size / MIB:.0f} MiB"
    return [
        Result(f"upload a {label} bundle with tus, the client's default settings ({chunks} "
               "chunks from 1 MiB; until the last byte is sent)",
               _mib_s(size, t_sent), f"plain HTTPS PUT, same server {_mib_s(size, t_put)}",
               t_put / t_sent, "≥ 0.7x", t_put / t_sent >= 0.7,
               ["the same server process and TLS settings for both; tus checks each chunk's "
                "SHA-256 on both sides, fsyncs each chunk and records its offset in the "
                "repository; the PUT writes the body to a file and fsyncs it once",
                f"median of {len(sent)} runs, a PUT then a tus upload in each; each run's "
                "ratio: " + ", ".join(f"{p / s:.2f}x" for p, s in zip(put, sent, strict=True))]),
        Result(f"the same upload in fixed 1 MiB chunks ({fixed_chunks} chunks, "
               f"{t_fixed / fixed_chunks * 1000:.1f} ms each; until the last byte is sent)",
               _mib_s(size, t_fixed), f"plain HTTPS PUT {_mib_s(size, t_put)}",
               t_put / t_fixed, "-", None),
        Result("tus's disk and hash work alone for the same file, 1 MiB chunks, no network",
               _mib_s(size, t_floor), f"plain HTTPS PUT {_mib_s(size, t_put)}",
               t_put / t_floor, "-", None,
               ["read and SHA-256 each chunk, read it again, SHA-256 it again, write and fsync "
                "it: what tus does per chunk besides the network and the repository"]),
        Result("the same upload until HQ answers (its SHA-256 check and ingest included)",
               _mib_s(size, t_whole), f"plain HTTPS PUT {_mib_s(size, t_put)}",
               t_put / t_whole, "-", None),
        Result(f"server memory while receiving and ingesting a {small / MIB:.0f} MiB and a "
               f"{label} bundle", f"peak {big_peak / 1024:.0f} MiB ({label})",
               f"peak {small_peak / 1024:.0f} MiB ({small / MIB:.0f} MiB); idle "
               f"{idle / 1024:.0f} MiB", big_peak / small_peak,
               "flat: the big bundle's peak within 16 MiB of the small one's",
               big_peak - small_peak <= 16 * 1024,
               ["resident memory (VmRSS) of the one server process, sampled every 20 ms"]),
    ]  # fmt: skip


def cut_figures(folder: Path, size: int) -> list[Result]:
    """Bytes sent again after one cut in the middle of an upload, against a plain PUT."""
    hq = Hq(folder / "cut")
    device = hq.enrol()
    hq.start_child(folder / "put-cut")
    try:
        bundle = hq.bundle(device, 1, random_file(folder / "cut.bin", size))
        with FaultProxy(("127.0.0.1", hq.port)) as proxy:
            recording = Recording(pinned_transport(hq.endpoint().spki_sha256))
            with hq.client(device, proxy.url, transport=recording, pause=0.05) as client:
                client.receipt("0" * 64)  # signed in: only the upload's bytes count below
                proxy.cut_once(Direction.UP, bundle.size // 2)
                start_sent = client.bytes_sent
                client.upload(bundle.path, bundle.sha256)
                resent = client.bytes_sent - start_sent - bundle.size
                _verify(hq, device, bundle, client.receipt(bundle.sha256))
            lost = [size for size, taken in recording.chunks if not taken]
            tus_cuts = proxy.counters.cuts
            sent = [0]
            proxy.cut_once(Direction.UP, bundle.size // 2)
            for _ in range(2):  # cut, then whole again
                try:
                    _put(hq, bundle, proxy.url, sent)
                    break
                except (httpx.TransportError, RuntimeError):
                    continue
            put_resent = sent[0] - bundle.size
            put_cuts = proxy.counters.cuts - tus_cuts
    finally:
        hq.stop()
    if tus_cuts != 1 or put_cuts != 1 or len(lost) != 1:
        raise RuntimeError(f"expected one cut each, got {tus_cuts} and {put_cuts}")
    in_flight = lost[0]
    label = f"{bundle.size / MIB:.0f} MiB"
    return [
        Result(f"bytes sent again after one cut in the middle of a {label} upload",
               f"{resent:,} bytes", f"plain PUT sent again whole: {put_resent:,} bytes",
               resent / put_resent if put_resent else None,
               f"≤ the chunk in flight ({in_flight:,} bytes)", resent <= in_flight,
               ["the client's own count of request body bytes handed to the network, less the "
                "bundle's size (signed in before); the client's default settings; the cut chunk "
                "is dropped whole by HQ (its checksum cannot match) and sent again from HQ's "
                "offset, in halves"]),
    ]  # fmt: skip


def _send_at_once(hq: Hq, devices: list[Device], bundles: list[Bundle]) -> float:
    """Every device in its own thread, all starting together; seconds until the last receipt."""
    ready = threading.Barrier(len(devices) + 1)
    failures: list[BaseException] = []

    def one(device: Device, bundle: Bundle) -> None:
        try:
            with hq.client(device) as client:
                ready.wait(120)
                client.upload(bundle.path, bundle.sha256)
                _verify(hq, device, bundle, client.receipt(bundle.sha256))
        except BaseException as error:  # reported in the main thread
            failures.append(error)

    pairs = zip(devices, bundles, strict=True)
    threads = [threading.Thread(target=one, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    ready.wait(120)
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return time.perf_counter() - start


def _send_alone(hq: Hq, device: Device, bundles: list[Bundle]) -> float:
    with hq.client(device) as client:
        client.ping()
        start = time.perf_counter()
        for bundle in bundles:
            client.upload(bundle.path, bundle.sha256)
            _verify(hq, device, bundle, client.receipt(bundle.sha256))
        return time.perf_counter() - start


def devices_figures(folder: Path, revisions: int, repeat: int) -> Result:
    """Fifty devices at once against one device alone, the same number of revisions and
    bundles, each run on a fresh HQ served by ``fieldkit-hq serve --workers 2``; in turn."""
    at_once, alone = [], []
    for run in range(repeat):
        many = Hq(folder / f"many-{run}")
        devices = [many.enrol() for _ in range(DEVICES)]
        bundles = [many.bundle(device, revisions) for device in devices]
        one = Hq(folder / f"alone-{run}")
        device = one.enrol()
        own = [one.bundle(device, revisions) for _ in range(DEVICES)]
        os.sync()
        many.start_serve(2)
        try:
            at_once.append(_send_at_once(many, devices, bundles))
        finally:
            many.stop()
        one.start_serve(2)
        try:
            alone.append(_send_alone(one, device, own))
        finally:
            one.stop()
    total = DEVICES * revisions
    t_many, t_alone = _median(at_once), _median(alone)
    rate, base = total / t_many, total / t_alone
    return Result(f"{DEVICES} devices sending at once, {revisions} revisions each "
                  f"({bundles[0].size / 1024:.0f} KiB bundles), SQLite",
                  f"{rate:,.0f} revisions/s ({t_many:.1f} s)",
                  f"one device, {DEVICES} bundles in turn: {base:,.0f} revisions/s "
                  f"({t_alone:.1f} s)", rate / base, "≥ 1x", rate >= base,
                  ["each device with its own client and session, every receipt fetched and "
                   "verified; two server workers; the devices' threads run on the same "
                   f"machine as the server; median of {repeat} runs, one of each in turn"],
                  )  # fmt: skip


def run(quick: bool = False) -> None:
    big, small, cut = (32 * MIB, 4 * MIB, 16 * MIB) if quick else (256 * MIB, 16 * MIB, 64 * MIB)
    revisions = 20 if quick else 100
    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-sync-") as tmp:
        folder = Path(tmp)
        results = upload_figures(folder, big, small, repeat=1 if quick else 3)
        results += cut_figures(folder, cut)
        results.append(devices_figures(folder, revisions, repeat=1 if quick else 3))
    report("Network sync", results)
