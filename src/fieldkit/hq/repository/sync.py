"""What the sync server (:mod:`fieldkit.hq.server`) keeps in the repository.

Sign-in challenges (single use), session tokens (only their SHA-256) and resumable uploads (the
offset the server has stored and acknowledged; the bytes are in the upload store). Keeping them
here, not in a process, is what lets several workers and hosts share one PostgreSQL database:
an upload begun on one process can be finished on another. Times are whole epoch seconds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class Upload:
    upload_id: str
    device_key_id: str
    bundle_sha256: str
    """The SHA-256 of the whole bundle file, as the device declared it: the idempotency key."""
    length: int
    offset: int
    expires_at: int
    manifest_sha256: str | None = None
    """Set once the upload was ingested (accepted, or HQ held the bundle already)."""

    @property
    def complete(self) -> bool:
        return self.offset == self.length


class SyncStore(ABC):
    """The sync server's state; part of every :class:`~fieldkit.hq.repository.Repository`."""

    @abstractmethod
    def add_challenge(self, challenge: str, device_key_id: str, expires_at: int) -> None: ...

    @abstractmethod
    def take_challenge(self, challenge: str, now: int) -> str | None:
        """Remove the challenge and return its device key id; None if unknown, used or
        expired (expired challenges are removed too)."""

    @abstractmethod
    def add_token(self, token_sha256: str, device_key_id: str, expires_at: int) -> None: ...

    @abstractmethod
    def token_device(self, token_sha256: str, now: int) -> str | None:
        """The device key id of a live token; None if unknown or expired."""

    @abstractmethod
    def drop_tokens(self, device_key_id: str) -> int:
        """Remove every token of the device (revoked); return how many."""

    @abstractmethod
    def add_upload(self, upload: Upload) -> Upload:
        """Record a new upload, or return the device's upload of the same bundle if there is
        one (then ``upload`` is not recorded)."""

    @abstractmethod
    def upload(self, upload_id: str) -> Upload | None: ...

    @abstractmethod
    def device_upload(self, device_key_id: str, bundle_sha256: str) -> Upload | None:
        """The device's upload of the bundle with this SHA-256, if any."""

    @abstractmethod
    def advance_upload(self, upload_id: str, offset: int, new_offset: int) -> bool:
        """Move the offset from ``offset`` to ``new_offset``; False (nothing changed) if the
        stored offset is not ``offset`` any more (another request moved it)."""

    @abstractmethod
    def finish_upload(self, upload_id: str, manifest_sha256: str) -> None: ...

    @abstractmethod
    def delete_upload(self, upload_id: str) -> bool: ...

    @abstractmethod
    def expired_uploads(self, now: int) -> list[Upload]:
        """Unfinished uploads past their expiry (the server removes them and their bytes)."""
