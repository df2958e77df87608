"""A request body written to disk by a worker thread, never by the event loop.

The event loop reads the body as it arrives, as promptly as a handler that wrote it itself would
(bytes a server has not read when the link drops are lost to it), into a short queue. A worker
thread takes them from the queue and does the disk work (lock, writes, flush): a slow disk holds
up that request only, never the other requests the loop serves. A thread that fell behind takes
what waits in the queue in one hop to the loop; a piece that arrives alone is handed over at
once. The end of the body, or the error that cut it, reaches the thread after the last piece
read before it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from anyio import (
    BrokenResourceError,
    EndOfStream,
    WouldBlock,
    create_memory_object_stream,
    create_task_group,
    from_thread,
    to_thread,
)

T = TypeVar("T")

QUEUED_PIECES = 4
"""Pieces of the body read but not yet taken by the thread (each as the server received it).
Few: a large chunk keeps the queue full while the thread hashes and writes, and each piece held
is memory of the server (the reading pauses meanwhile, and TCP holds the rest back)."""
BATCH_BYTES = 4 * 1024 * 1024
"""At most this much (give or take a piece) goes to the thread at once."""

Item = bytes | Exception | None
"""A piece of the body, the error that cut it, or None: its end."""


async def consume_in_thread(
    body: AsyncIterator[bytes], consume: Callable[[Callable[[], bytes | None]], T]
) -> T:
    """Run ``consume(read)`` in a worker thread, where ``read()`` returns the next part of
    ``body`` (None at its end, or raises the error that cut it); return what it returns.

    If ``consume`` stops early (it refused the body), the rest is not read."""
    send, receive = create_memory_object_stream[Item](QUEUED_PIECES)
    held: list[Item] = []  # an end or a cut met while joining pieces

    async def pump() -> None:
        with send:
            try:
                async for piece in body:
                    await send.send(piece)
                await send.send(None)
            except BrokenResourceError:
                pass  # the thread stopped taking the body
            except Exception as cut:
                with contextlib.suppress(BrokenResourceError):
                    await send.send(cut)

    async def next_part() -> bytes | None:
        try:
            item = held.pop() if held else await receive.receive()
        except EndOfStream:
            return None
        if isinstance(item, Exception):
            raise item
        if item is None:
            return None
        parts, size = [item], len(item)
        while size < BATCH_BYTES:
            try:
                more = receive.receive_nowait()
            except (WouldBlock, EndOfStream):
                break
            if not isinstance(more, bytes):
                held.append(more)
                break
            parts.append(more)
            size += len(more)
        return b"".join(parts) if len(parts) > 1 else item

    def read() -> bytes | None:
        return from_thread.run(next_part)

    result: list[T] = []
    failure: Exception | None = None
    async with create_task_group() as tasks:
        tasks.start_soon(pump)
        try:
            result.append(await to_thread.run_sync(consume, read))
        except Exception as error:  # raised below, not wrapped in an exception group
            failure = error
        finally:
            receive.close()
            tasks.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return result[0]
