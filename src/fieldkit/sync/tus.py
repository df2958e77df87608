"""One bundle upload with tus 1.0 (``docs/sync.md``, "Uploading"), resumed from HQ's offset.

``POST /v1/uploads`` is idempotent by the bundle's SHA-256: it answers the upload's location and
how much HQ holds (all of it: done, HQ ingested it). The rest goes in ``PATCH`` chunks, each
streamed from the file (never the whole bundle in memory) with ``Upload-Checksum: sha256``, so HQ
keeps a chunk whole or not at all. Chunks grow on a fast link and shrink on a slow one, after a
cut or when HQ finds one too large (:mod:`.chunks`). After a network failure, a damaged chunk or
a 409, ``HEAD`` tells HQ's offset and the upload resumes from there; a 423 or 429 waits as long
as HQ asks (up to a minute). After a few failures in a row (with short pauses) the upload gives
up with :class:`NotReachableError`, and the caller's back-off decides when to try again: nothing
HQ holds is lost meanwhile.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from fieldkit.domain.values import SHA256_HEX
from fieldkit.errors import reading_file
from fieldkit.i18n import _
from fieldkit.sync.chunks import ChunkSizer
from fieldkit.sync.errors import (
    BundleRejectedError,
    NotReachableError,
    ProtocolError,
    SyncCancelledError,
    SyncError,
    bad_answer,
    refusal_code,
)

if TYPE_CHECKING:
    from fieldkit.sync.client import HqClient

PIECE = 128 * 1024  # what is read from the file and handed to the network at a time
MAX_PAUSE = 60.0  # a longer wait asked by HQ (Retry-After) is left to the caller's back-off
INGEST_BYTES_PER_SECOND = 2_000_000  # the slowest ingest waited for, beyond the usual timeout

_RETRIED = ("checksum-mismatch", "busy", "offset-mismatch")


class Upload:
    def __init__(
        self,
        client: HqClient,
        path: Path,
        sha256: str,
        progress: Callable[[int, int], None] | None,
        cancel: threading.Event | None,
    ) -> None:
        if not SHA256_HEX.fullmatch(sha256):
            raise ValueError("sha256 must be 64 lowercase hexadecimal digits")
        self.client = client
        self.path = path
        self.sha256 = sha256
        self.progress = progress
        self.cancel = cancel
        self.chunks = ChunkSizer(client.chunk_size, ceiling=client.max_chunk_size)
        with reading_file(path):
            self.total = path.stat().st_size
        self.location: str | None = None
        self.offset: int | None = None
        self.failures = 0
        self.checksums = Checksums(self._read)

    def run(self) -> None:
        try:
            self._run()
        finally:
            self.checksums.close()

    def _run(self) -> None:
        while True:
            self._check_cancel()
            try:
                if self.location is None:
                    if self._create():
                        return
                elif self.offset is None:
                    self._head()
                    continue
                while self.offset is not None and self.offset < self.total:
                    self._check_cancel()
                    if self._patch():
                        return
                if self.offset is not None and self.offset >= self.total:
                    # HEAD says HQ holds it all: creating it again finishes any pending ingest.
                    self.location = None
            except (NotReachableError, ProtocolError) as error:
                self._failed(error)

    # -- the requests

    def _create(self) -> bool:
        """POST (or find) the upload; True if HQ holds it all and ingested it."""
        metadata = "bundle-sha256 " + base64.b64encode(self.sha256.encode()).decode()
        headers = {"Upload-Length": str(self.total), "Upload-Metadata": metadata}
        answer = self.client.request(
            "POST", "v1/uploads", headers=headers, timeout=self._ingest_timeout()
        )
        if answer.status_code != 201:
            raise self.client.refusal(answer)
        location = answer.headers.get("Location")
        if not location or not self.client.same_origin(location):
            raise bad_answer()
        self.location = location
        self.offset = self._offset(answer)
        self._report()
        return self.offset == self.total

    def _head(self) -> None:
        assert self.location is not None  # noqa: S101 - run() calls it with a location
        answer = self.client.request("HEAD", self.location)
        if answer.status_code in (401, 403, 404):
            # 404: finished and cleaned up, expired, or deleted. A HEAD refusal has no body to
            # say why: creating the upload again (idempotent) answers with the reason, if any.
            self.location = self.offset = None
            return
        if answer.status_code != 200:
            raise self.client.refusal(answer)
        self.offset = self._offset(answer)
        self._report()

    def _patch(self) -> bool:
        """Send the next chunk; True once the last one was taken (and the bundle ingested)."""
        assert self.location is not None and self.offset is not None  # noqa: S101
        start = self.offset
        end = min(start + self.chunks.size, self.total)
        digest = self.checksums.of(start, end)
        if end < self.total:  # the next chunk's checksum is made while this one is sent
            sizes = self.chunks.possible_next(end - start)
            self.checksums.prepare(end, [min(self.total, end + size) for size in sizes])
        headers = {
            "Content-Type": "application/offset+octet-stream",
            "Content-Length": str(end - start),
            "Upload-Offset": str(start),
            "Upload-Checksum": "sha256 " + base64.b64encode(digest).decode(),
        }
        began = time.monotonic()
        try:
            answer = self.client.request(
                "PATCH",
                self.location,
                headers=headers,
                body=lambda: self._read(start, end),
                timeout=self._ingest_timeout() if end == self.total else None,
            )
        except NotReachableError:
            self.chunks.cut()
            raise
        if answer.status_code == 204:
            offset = self._offset(answer)
            if offset <= start:
                raise bad_answer()
            if end < self.total:  # the last chunk's answer waits for the ingest too
                self.chunks.sent(end - start, time.monotonic() - began)
            self.offset = offset
            self.failures = 0
            self._report()
            return offset == self.total
        code = refusal_code(answer.content)[0]
        if code == "too-large" and self.chunks.too_large(end - start):
            return False  # a smaller --max-chunk at HQ: the chunk was halved
        if code == "not-found":  # expired or deleted: begin again (counted as a failure)
            self.location = self.offset = None
            raise ProtocolError(_("Headquarters no longer holds this upload; it begins again."))
        error = self.client.refusal(answer)
        if code in _RETRIED:
            self.offset = None  # HEAD, then resume from HQ's offset
            raise error
        if answer.status_code == 422 and not isinstance(error, BundleRejectedError):
            raise BundleRejectedError(error.user_message, code=code)
        raise error

    # -- the file

    def _read(self, start: int, end: int) -> Iterator[bytes]:
        with reading_file(self.path), self.path.open("rb") as file:
            file.seek(start)
            left = end - start
            while left > 0:
                piece = file.read(min(PIECE, left))
                if not piece:
                    raise BundleRejectedError(
                        _("the file {path} became shorter while it was sent").format(path=self.path)
                    )
                left -= len(piece)
                yield piece

    # -- bookkeeping

    def _offset(self, answer: httpx.Response) -> int:
        text = answer.headers.get("Upload-Offset", "")
        if not text.isdigit() or int(text) > self.total:
            raise bad_answer()
        return int(text)

    def _ingest_timeout(self) -> float:
        """How long to wait for an answer that comes once HQ checked and ingested the bundle."""
        return self.client.timeout + self.total / INGEST_BYTES_PER_SECOND

    def _report(self) -> None:
        if self.progress is not None and self.offset is not None:
            self.progress(self.offset, self.total)

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise SyncCancelledError()

    def _failed(self, error: SyncError) -> None:
        """Count a failure that trying again may get past; pause, or give up after too many."""
        self.failures += 1
        if self.failures >= self.client.attempts:
            if isinstance(error, NotReachableError):
                raise error
            raise NotReachableError(error.user_message, code=error.code) from None
        wait = self.client.pause * 2 ** (self.failures - 1)
        if isinstance(error, NotReachableError) and error.retry_after is not None:
            if error.retry_after > MAX_PAUSE:
                raise error
            wait = max(wait, error.retry_after)  # busy, or over the rate: as long as HQ asks
        if self.cancel is not None:
            if self.cancel.wait(min(wait, MAX_PAUSE)):
                raise SyncCancelledError()
        else:
            self.client.sleep(min(wait, MAX_PAUSE))
        self.offset = None  # HEAD (or create again) before sending more


class Checksums:
    """The SHA-256 of each chunk, read from the file in pieces. The next chunk's is worked out
    in a thread while the current one is sent (the device would otherwise wait for it between
    chunks), for each end it may have (the next chunk's size depends on how long this one
    takes): one pass over the bytes to the farthest end, the digest taken at each end on the
    way. If the next chunk is none of those (a resume from HQ's offset), its checksum is made
    then."""

    def __init__(self, read: Callable[[int, int], Iterator[bytes]]) -> None:
        self._read = read
        self._pool: ThreadPoolExecutor | None = None
        self._ahead: _Ahead | None = None

    def of(self, start: int, end: int) -> bytes:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            if ahead.start == start and end in ahead.digests:
                ahead.until = end  # nothing past this chunk is needed any more
                return ahead.digests[end].result()
            ahead.until = ahead.start  # none of it is needed
        return self._digest(start, end)

    def prepare(self, start: int, ends: list[int]) -> None:
        """Begin the digests of the chunks from ``start`` to each of ``ends``."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldkit-checksum")
        self._ahead = _Ahead(start, ends)
        self._pool.submit(self._digests, self._ahead)

    def close(self) -> None:
        if self._ahead is not None:
            self._ahead.until = self._ahead.start
            self._ahead = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _digests(self, ahead: _Ahead) -> None:
        digest = hashlib.sha256()
        at = ahead.start
        try:
            for end, future in ahead.digests.items():  # in ascending order
                for piece in self._read(at, end):
                    if at >= ahead.until:
                        break
                    digest.update(piece)
                    at += len(piece)
                if at < end:
                    break  # stopped: the other ends are not wanted
                future.set_result(digest.copy().digest())
        except BaseException as error:  # the chunk that waits for it raises it (a file cut short)
            for future in ahead.digests.values():
                if not future.done():
                    future.set_exception(error)
            return
        for future in ahead.digests.values():
            future.cancel()  # those not done were not wanted

    def _digest(self, start: int, end: int) -> bytes:
        digest = hashlib.sha256()
        for piece in self._read(start, end):
            digest.update(piece)
        return digest.digest()


class _Ahead:
    """The digests being made of the chunks from ``start`` to each end; no byte at or past
    ``until`` is read any more (lowered once the next chunk is known)."""

    def __init__(self, start: int, ends: list[int]) -> None:
        self.start = start
        self.digests: dict[int, Future[bytes]] = {end: Future() for end in sorted(set(ends))}
        self.until = max(ends)
