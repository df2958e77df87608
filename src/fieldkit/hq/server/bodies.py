"""A request body written to disk by a worker thread, never by the event loop.

The event loop reads the body as it arrives, as promptly as a handler that wrote it itself would
(bytes a server has not read when the link drops are lost to it), into a short queue that the
thread waits on directly (a lock and a condition, no trip through the event loop per piece): the
loop appends a piece and wakes the thread, the thread takes whatever waits in one go. Only when
the queue is full does the loop wait, and the thread wakes it once it has taken the queue. A slow
disk holds up that request only, never the other requests the loop serves. The end of the body,
or the error that cut it, reaches the thread after the last piece read before it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from anyio import Event, create_task_group, from_thread, to_thread

T = TypeVar("T")

QUEUED_BYTES = 512 * 1024
"""Bytes of the body read but not yet taken by the thread before the loop stops reading (the
pieces as the server received them, up to a few hundred KiB each). Little: each byte held is
memory of the server; meanwhile TCP holds the rest back."""
QUEUED_PIECES = 16
"""And at most this many pieces (small pieces cost the thread a wake-up each)."""

Item = bytes | Exception | None
"""A piece of the body, the error that cut it, or None: its end."""


class BodyCutError(ConnectionError):
    """The request stopped before its end without an error of the body's own (cancelled)."""


class _Handoff:
    """Pieces of a body from the event loop (:meth:`put`) to one worker thread (:meth:`read`)."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._items: deque[Item] = deque()  # shared, under the condition's lock
        self._queued = 0
        self._room: Event | None = None  # the loop waits for room while this is set
        self._stopped = False  # the thread takes nothing more
        self._taken: deque[Item] = deque()  # the thread's own, without the lock
        self._over = False  # the thread met the end or the cut

    # -- the event loop's side

    def push(self, item: Item) -> bool:
        """Queue ``item`` and wake the thread; False if the queue is now full (or the thread
        stopped: then nothing is queued)."""
        with self._ready:
            if self._stopped:
                return False
            self._items.append(item)
            if isinstance(item, bytes):
                self._queued += len(item)
            self._ready.notify()
            return not self._full()

    async def put(self, piece: bytes) -> bool:
        """Queue a piece; wait for room if the queue is full. False once the thread stopped."""
        if self.push(piece):
            return True
        with self._ready:
            if not self._full() or self._stopped:  # taken meanwhile
                return not self._stopped
            room = self._room = Event()
        await room.wait()
        return not self._stopped

    def _full(self) -> bool:
        return self._queued >= QUEUED_BYTES or len(self._items) >= QUEUED_PIECES

    def close(self) -> None:
        """The thread takes nothing more: the loop stops reading at its next piece (called by
        the thread as it returns, so that the loop hears of it without waiting for its turn)."""
        with self._ready:
            self._stopped = True
            self._items.clear()

    def stop(self) -> None:
        """The thread returned: nothing more is queued, and a loop waiting for room stops."""
        with self._ready:
            self._stopped = True
            room, self._room = self._room, None
            self._items.clear()
        if room is not None:
            room.set()

    # -- the thread's side

    def read(self) -> bytes | None:
        """The next piece (None at the end, and after it), or raise the error that cut it."""
        if self._over:
            return None
        if not self._taken:
            with self._ready:
                while not self._items:
                    self._ready.wait()
                self._taken, self._items = self._items, self._taken
                self._queued = 0
                room, self._room = self._room, None
            if room is not None:  # the loop waits for room: there is all of it now
                from_thread.run_sync(room.set)
        item = self._taken.popleft()
        if isinstance(item, Exception):
            self._over = True
            raise item
        if item is None:
            self._over = True
        return item


async def consume_in_thread(
    body: AsyncIterator[bytes], consume: Callable[[Callable[[], bytes | None]], T]
) -> T:
    """Run ``consume(read)`` in a worker thread, where ``read()`` returns the next part of
    ``body`` (None at its end, or raises the error that cut it); return what it returns.

    If ``consume`` stops early (it refused the body), the rest is not read."""
    handoff = _Handoff()

    def run() -> T:
        try:
            return consume(handoff.read)
        finally:
            handoff.close()

    async def pump() -> None:
        last: Item = BodyCutError("the request was cancelled")
        try:
            async for piece in body:
                if not await handoff.put(piece):
                    return  # the thread stopped taking the body
            last = None
        except Exception as cut:
            last = cut
        finally:
            handoff.push(last)  # never waits: the thread must hear of the end, or the cut

    result: list[T] = []
    failure: Exception | None = None
    async with create_task_group() as tasks:
        tasks.start_soon(pump)
        try:
            result.append(await to_thread.run_sync(run))
        except Exception as error:  # raised below, not wrapped in an exception group
            failure = error
        finally:
            handoff.stop()
            tasks.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return result[0]
