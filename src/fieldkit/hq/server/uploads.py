"""Resumable bundle uploads (the tus 1.0 subset of ``docs/sync.md``) and their ingest.

A device declares the bundle's length and SHA-256 (the idempotency key: the same bundle again
is the same upload, and its receipt). Chunks are appended at the server's offset, checked
against their SHA-256 when the device sends one; the repository records the offset only once
the chunk is on disk. The completed upload is checked against the declared SHA-256 and ingested
by the same :class:`~fieldkit.hq.ingest.Ingestor` as ``fieldkit-hq ingest``. Chunk writes
(:mod:`.bodies`), the ingest and the periodic removal of expired uploads run in worker threads,
never on the event loop.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from anyio import sleep, to_thread

from fieldkit.files import sha256_of_file
from fieldkit.hq.ingest import Ingestor, Outcome
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.base import Device
from fieldkit.hq.repository.sync import Upload
from fieldkit.hq.server.bodies import consume_in_thread
from fieldkit.hq.server.errors import Code, SyncError, too_large
from fieldkit.hq.server.store import UploadStore
from fieldkit.i18n import _

log = logging.getLogger("fieldkit.hq.server")

EXPIRY_SECONDS = 14 * 24 * 3600
SWEEP_SECONDS = 3600
"""How often a server process removes expired uploads (and once at its start)."""


@dataclass(frozen=True)
class Limits:
    max_upload: int = 2 * 1024**3
    """Largest bundle accepted, in bytes (Tus-Max-Size)."""
    max_chunk: int = 64 * 1024**2
    """Largest body of one PATCH request."""


class Uploads:
    def __init__(
        self,
        repository: Repository,
        store: UploadStore,
        ingestor: Ingestor,
        receipts: Path,
        limits: Limits,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._repository = repository
        self._store = store
        self._ingestor = ingestor
        self._receipts = receipts
        self.limits = limits
        self._clock = clock
        self._ingest_lock = threading.Lock()

    async def create(self, device: Device, length: int, bundle_sha256: str) -> Upload:
        """A new upload, or the device's upload of the same bundle (perhaps complete)."""
        if length < 1:
            raise SyncError(
                Code.BAD_REQUEST,
                _("{field} is missing or malformed.").format(field="Upload-Length"),
            )
        if length > self.limits.max_upload:
            raise too_large(self.limits.max_upload)
        self.remove_expired()
        upload = Upload(
            upload_id=secrets.token_hex(16),
            device_key_id=device.key_id,
            bundle_sha256=bundle_sha256,
            length=length,
            offset=0,
            expires_at=int(self._clock()) + EXPIRY_SECONDS,
        )
        held = self._repository.add_upload(upload)
        if held.length != length:
            raise SyncError(
                Code.BUNDLE_MISMATCH,
                _("This bundle was begun with another length; the bytes differ from it."),
            )
        return await self._settle(held)

    def get(self, device: Device, upload_id: str) -> Upload:
        upload = self._repository.upload(upload_id)
        if upload is None or upload.device_key_id != device.key_id:
            raise SyncError(Code.NOT_FOUND, _("No such upload (finished, expired or deleted)."))
        return upload

    async def append(
        self,
        device: Device,
        upload_id: str,
        offset: int,
        checksum: str | None,
        body: AsyncIterator[bytes],
    ) -> Upload:
        """Append a request body at ``offset``; ingest the upload once it is complete."""
        upload = self.get(device, upload_id)
        if offset != upload.offset or upload.complete:
            raise SyncError(
                Code.OFFSET_MISMATCH,
                _("The upload is at byte {n}; resume from there.").format(n=upload.offset),
            )
        expected = _checksum(checksum)
        room = min(upload.length - offset, self.limits.max_chunk)
        written = await consume_in_thread(
            body, lambda read: self._append(upload_id, offset, room, expected, read)
        )
        # The repository holds nothing else new: no need to read the upload back.
        return await self._settle(replace(upload, offset=offset + written))

    def _append(
        self,
        upload_id: str,
        offset: int,
        room: int,
        expected: bytes | None,
        read: Callable[[], bytes | None],
    ) -> int:
        """Write the body, then record the new offset (in the same worker thread, once the
        bytes are on disk); how many bytes were kept."""
        written = self._write(upload_id, offset, room, expected, read)
        if not self._repository.advance_upload(upload_id, offset, offset + written):
            raise SyncError(Code.OFFSET_MISMATCH, _("Another request moved the upload; ask again."))
        return written

    def _write(
        self,
        upload_id: str,
        offset: int,
        room: int,
        expected: bytes | None,
        read: Callable[[], bytes | None],
    ) -> int:
        """Write the body (``read`` gives it part by part) at ``offset``, in a worker thread;
        how many bytes were kept."""
        written = 0
        digest = hashlib.sha256()
        with self._store.writer(upload_id, offset) as handle:
            try:
                while (chunk := read()) is not None:
                    written += len(chunk)
                    if written > room:
                        handle.truncate(offset)
                        raise too_large(room)
                    handle.write(chunk)
                    digest.update(chunk)
            except SyncError:
                raise
            except Exception:
                # A cut request: keep what arrived, unless it was to be checked as a whole.
                if expected is not None:
                    handle.truncate(offset)
                    raise
                written = handle.tell() - offset
            if expected is not None and digest.digest() != expected:
                handle.truncate(offset)
                raise SyncError(
                    Code.CHECKSUM_MISMATCH,
                    _("The chunk's SHA-256 does not match Upload-Checksum; nothing was stored."),
                )
        return written

    def terminate(self, device: Device, upload_id: str) -> None:
        self._discard(self.get(device, upload_id))

    async def receipt(self, device: Device, bundle_sha256: str) -> bytes:
        """The receipt HQ wrote for the device's uploaded bundle (the same bytes as on USB)."""
        upload = self._repository.device_upload(device.key_id, bundle_sha256)
        if upload is not None:
            upload = await self._settle(upload)
        if upload is None or upload.manifest_sha256 is None:
            raise _no_receipt()
        issued = self._repository.receipts(upload.manifest_sha256)
        for receipt in reversed(issued):
            path = self._receipts / receipt.file_name
            if path.is_file():
                return path.read_bytes()
        if not issued:
            raise _no_receipt()
        # Its receipts were written outside HQ's receipt folder (``ingest --receipts DIR`` for a
        # stick): the device gets a new one, signed the same way.
        return await to_thread.run_sync(self._receipt_again, upload.manifest_sha256)

    def _receipt_again(self, manifest_sha256: str) -> bytes:
        with self._ingest_lock:
            result = self._ingestor.receipt_again(manifest_sha256)
        if result is None or result.receipt is None:
            reason = result.receipt_error if result is not None else None
            raise SyncError(
                Code.RECEIPT_NOT_WRITTEN,
                reason or _("HQ holds no receipt for this bundle (yet)."),
            )
        return result.receipt.read_bytes()

    def remove_expired(self) -> int:
        """Remove the unfinished uploads past their expiry and their bytes; how many."""
        removed = 0
        for upload in self._repository.expired_uploads(int(self._clock())):
            removed += self._discard(upload)
        return removed

    async def sweep(self, every: float) -> None:
        """Remove expired uploads now and then every ``every`` seconds, until cancelled (the
        server runs this from its start to its stop, beside the requests)."""
        while True:
            try:
                removed = await to_thread.run_sync(self.remove_expired)
            except Exception as error:  # the next sweep tries again; the server goes on
                log.warning("removing expired uploads failed (%s)", type(error).__name__)
            else:
                if removed:
                    log.info("removed %d expired uploads", removed)
            await sleep(every)

    async def _settle(self, upload: Upload) -> Upload:
        """Ingest a complete upload not ingested yet: just completed, or its server stopped
        while ingesting it (the bytes are kept until the ingest is recorded)."""
        if not upload.complete or upload.manifest_sha256 is not None:
            return upload
        return await to_thread.run_sync(self._finish, upload)

    def _finish(self, upload: Upload) -> Upload:
        """Check the whole upload against its declared SHA-256 and ingest it; the upload as
        now recorded."""
        with self._store.local_copy(upload.upload_id) as path:
            if sha256_of_file(path) != upload.bundle_sha256:
                self._discard(upload)
                raise SyncError(
                    Code.BUNDLE_MISMATCH,
                    _("The bytes received do not have the SHA-256 declared; nothing stored."),
                )
            with self._ingest_lock:
                result = self._ingestor.ingest_file(path)
        if result.outcome is Outcome.REJECTED or result.bundle is None:
            self._discard(upload)
            raise SyncError(Code.BUNDLE_REJECTED, result.reason or "")
        if result.receipt_error is not None:
            # Stored, but no receipt: the device sends the bundle again, and that ingest (a
            # replay) writes the receipt.
            self._discard(upload)
            raise SyncError(Code.RECEIPT_NOT_WRITTEN, result.receipt_error)
        self._repository.finish_upload(upload.upload_id, result.bundle.manifest_sha256)
        self._store.delete(upload.upload_id)
        return replace(upload, manifest_sha256=result.bundle.manifest_sha256)

    def _discard(self, upload: Upload) -> bool:
        """Remove the upload and its bytes; False if the repository held it no more."""
        removed = self._repository.delete_upload(upload.upload_id)
        self._store.delete(upload.upload_id)
        return removed


def _checksum(header: str | None) -> bytes | None:
    if header is None:
        return None
    algorithm, _space, value = header.partition(" ")
    try:
        digest = base64.b64decode(value, validate=True)
    except ValueError:
        digest = b""
    if algorithm != "sha256" or len(digest) != 32:
        raise SyncError(
            Code.BAD_REQUEST, _("Upload-Checksum must be 'sha256 ' and the base64 SHA-256.")
        )
    return digest


def _no_receipt() -> SyncError:
    return SyncError(Code.NO_RECEIPT, _("HQ holds no receipt for this bundle (yet)."))
