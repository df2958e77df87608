"""SHA-256 on a worker thread, so that hashing overlaps with encryption and I/O.

``hashlib`` releases the GIL while it hashes a buffer larger than 2 KiB, and pyrage releases it
while it encrypts and decrypts, so on a machine with two cores or more the bundle writer and
reader hash at no cost in wall time. The queue is bounded: at most :data:`QUEUE_PIECES` pieces
wait, so memory stays flat even when hashing falls behind.

Only immutable ``bytes`` are queued (other buffers are copied first), so a caller reusing its
buffer cannot change what is hashed.
"""

from __future__ import annotations

import hashlib
import queue
import threading

QUEUE_PIECES = 16


class ThreadedSha256:
    """``update`` queues a piece; ``hexdigest`` waits for every queued piece and returns the
    digest. ``close`` stops the worker without a result (on failure); both may be called more
    than once."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_PIECES)
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._thread.start()
        self._result: str | None = None
        self._closed = False

    def _run(self) -> None:
        while (piece := self._queue.get()) is not None:
            self._digest.update(piece)

    def update(self, piece: bytes | bytearray | memoryview) -> None:
        if self._result is not None or self._closed:
            raise RuntimeError("the digest is finished")
        self._queue.put(piece if isinstance(piece, bytes) else bytes(piece))

    def hexdigest(self) -> str:
        if self._result is None:
            if self._closed:
                raise RuntimeError("the digest was closed before it finished")
            self._stop()
            self._result = self._digest.hexdigest()
        return self._result

    def close(self) -> None:
        if self._result is None and not self._closed:
            self._closed = True
            self._stop()

    def _stop(self) -> None:
        self._queue.put(None)
        self._thread.join()
