"""Verifying a large bundle's revision signatures in worker processes, on the other cores.

Ed25519 verification is the largest single cost of ingest (0.1 to 0.25 ms per revision on a
small server), and ``cryptography`` holds the GIL while it verifies, so threads cannot spread it
over several cores. :class:`ProcessSignatureChecker` hands the bundle reader
(:func:`fieldkit.bundle.open_bundle`) checks that send revisions, in batches, to a few worker
processes while the reader goes on decrypting and parsing; the reader collects every answer at
the bundle's END frame, before it accepts anything. Small bundles are verified on the calling
thread: starting workers costs more than it saves.

The workers are started fresh for each bundle as ``python -I`` running
:mod:`fieldkit.hq.signature_worker` and nothing else: they inherit neither HQ's keys nor anything
of this process's memory, they do not import the caller's main script (as ``multiprocessing``
would), and they are gone when the bundle has been read. Revision contents reach them through
pipes, in memory. If a worker cannot be started, dies or stalls, the signatures it had not
answered for are verified here instead: a signature is never skipped.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import queue
import subprocess
import sys
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import IO

from fieldkit.bundle import InlineSignatureChecks, SignatureChecks
from fieldkit.crypto.identity import PublicIdentity
from fieldkit.domain.records import REVISION_SIGNATURE_DOMAIN
from fieldkit.hq.signature_worker import U32, encode_request, verify_all

log = logging.getLogger(__name__)

PARALLEL_FROM = 512
"""Bundles with at least this many revisions have their signatures verified by workers."""
BATCH = 128
"""Revisions per request sent to a worker."""
MAX_WORKERS = 4
ANSWER_TIMEOUT_S = 120.0
"""How long to wait for a worker's answer to one request before verifying it here."""
_BOOT = (
    "import sys; sys.path[:0] = sys.argv[1:]; from fieldkit.hq.signature_worker import main; main()"
)

_Batch = list[tuple[bytes, bytes]]


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


class ProcessSignatureChecker:
    """A :data:`fieldkit.bundle.SignatureChecker`: worker processes for bundles of at least
    ``parallel_from`` revisions when there are several cores, the calling thread otherwise.

    ``workers`` defaults to the number of cores (at most :data:`MAX_WORKERS`): the calling
    thread's own work and the workers' then share the cores as the system sees fit."""

    def __init__(self, parallel_from: int = PARALLEL_FROM, workers: int | None = None) -> None:
        self._parallel_from = parallel_from
        self._workers = workers if workers is not None else min(MAX_WORKERS, available_cpus())

    def __call__(self, device: PublicIdentity, revisions: int) -> SignatureChecks:
        frozen = getattr(sys, "frozen", False)  # a frozen program cannot run -c
        if revisions < self._parallel_from or self._workers < 1 or frozen:
            return InlineSignatureChecks(device, revisions)
        return ProcessSignatureChecks(device, self._workers)


class _Worker:
    """One worker process, fed by a writer thread and answered through a reader thread, so
    that the next request travels while the worker verifies the one before."""

    def __init__(self, device: PublicIdentity) -> None:
        paths = [p for p in sys.path if p]
        # fieldkit's own settings (a database address may hold a password) stay here.
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("FIELDKIT")}
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-I", "-c", _BOOT, *paths],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self._requests: queue.SimpleQueue[list[bytes] | None] = queue.SimpleQueue()
        self._waiting: collections.deque[Future[bool]] = collections.deque()
        self._lock = threading.Lock()
        hello = U32.pack(len(REVISION_SIGNATURE_DOMAIN)) + REVISION_SIGNATURE_DOMAIN
        self._requests.put([hello, device.public_key])
        threading.Thread(target=self._write, name="fieldkit-verify-in", daemon=True).start()
        threading.Thread(target=self._read, name="fieldkit-verify-out", daemon=True).start()

    def submit(self, batch: _Batch) -> Future[bool]:
        future: Future[bool] = Future()
        with self._lock:
            if self._process.stdout is None or self._process.poll() is not None:
                future.set_exception(EOFError())
                return future
            self._waiting.append(future)
        self._requests.put(encode_request(batch))
        return future

    def close(self) -> None:
        self._requests.put(None)
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._fail_waiting()

    def kill(self) -> None:
        self._process.kill()
        self._process.wait()
        self._requests.put(None)
        self._fail_waiting()

    def _write(self) -> None:
        pipe: IO[bytes] | None = self._process.stdin
        try:
            while (request := self._requests.get()) is not None and pipe is not None:
                pipe.writelines(request)
                pipe.flush()
        except OSError:  # the worker is gone: its reader fails what waits
            pass
        finally:
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def _read(self) -> None:
        pipe: IO[bytes] | None = self._process.stdout
        try:
            while pipe is not None and len(answer := pipe.read(1)) == 1:
                with self._lock:
                    future = self._waiting.popleft() if self._waiting else None
                if future is not None:
                    future.set_result(answer == b"\x01")
        except OSError:
            pass
        self._fail_waiting()

    def _fail_waiting(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, collections.deque()
        for future in waiting:
            if not future.done():
                future.set_exception(EOFError())


class ProcessSignatureChecks:
    """Sends revisions in batches of :data:`BATCH` to worker processes, in turn."""

    def __init__(self, device: PublicIdentity, workers: int) -> None:
        self._device = device
        self._batch: _Batch = []
        self._pending: collections.deque[tuple[Future[bool], _Batch]] = collections.deque()
        self._workers: list[_Worker] = []
        self._turn = 0
        try:
            for _i in range(workers):
                self._workers.append(_Worker(device))
        except OSError as error:
            log.warning("signatures verified here: no worker started (%s)", type(error).__name__)

    def add(self, signature: bytes, content: bytes) -> bool:
        self._batch.append((signature, content))
        if len(self._batch) >= BATCH:
            self._submit()
            while self._pending and self._pending[0][0].done():  # fail early, keep it short
                if not self._answer(*self._pending.popleft()):
                    return False
        return True

    def finish(self) -> bool:
        self._submit()
        pending, self._pending = self._pending, collections.deque()
        return all(self._answer(future, batch) for future, batch in pending)

    def close(self) -> None:
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.close()
        self._batch, self._pending = [], collections.deque()

    def _submit(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        if self._workers:
            worker = self._workers[self._turn % len(self._workers)]
            self._turn += 1
            self._pending.append((worker.submit(batch), batch))
            return
        done: Future[bool] = Future()
        done.set_result(self._here(batch))
        self._pending.append((done, batch))

    def _answer(self, future: Future[bool], batch: _Batch) -> bool:
        try:
            return future.result(timeout=ANSWER_TIMEOUT_S)
        except (EOFError, FutureTimeout) as error:  # a worker died or stalled: verify it here
            if self._workers:
                log.warning("signature workers failed (%s); verifying here", type(error).__name__)
                for worker in self._workers:
                    worker.kill()
                self._workers = []
            return self._here(batch)

    def _here(self, batch: _Batch) -> bool:
        return verify_all(self._device.public_key, REVISION_SIGNATURE_DOMAIN, batch)
