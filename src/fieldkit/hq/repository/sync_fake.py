"""The sync server's state in memory, for :class:`~fieldkit.hq.repository.FakeRepository`."""

from __future__ import annotations

import threading
from dataclasses import replace

from fieldkit.hq.errors import RepositoryError
from fieldkit.hq.repository.sync import SyncStore, Upload
from fieldkit.i18n import _


class FakeSyncStore(SyncStore):
    def __init__(self) -> None:
        self._sync_lock = threading.RLock()
        self._challenges: dict[str, tuple[str, int]] = {}
        self._tokens: dict[str, tuple[str, int]] = {}
        self._uploads: dict[str, Upload] = {}

    def add_challenge(self, challenge: str, device_key_id: str, expires_at: int) -> None:
        with self._sync_lock:
            if challenge in self._challenges:
                raise _constraint()
            self._challenges[challenge] = (device_key_id, expires_at)

    def take_challenge(self, challenge: str, now: int) -> str | None:
        with self._sync_lock:
            for key in [k for k, (_d, expires) in self._challenges.items() if expires <= now]:
                del self._challenges[key]
            for key in [k for k, (_d, expires) in self._tokens.items() if expires <= now]:
                del self._tokens[key]
            found = self._challenges.pop(challenge, None)
        return None if found is None else found[0]

    def add_token(self, token_sha256: str, device_key_id: str, expires_at: int) -> None:
        with self._sync_lock:
            if token_sha256 in self._tokens:
                raise _constraint()
            self._tokens[token_sha256] = (device_key_id, expires_at)

    def token_device(self, token_sha256: str, now: int) -> str | None:
        found = self._tokens.get(token_sha256)
        return None if found is None or found[1] <= now else found[0]

    def drop_tokens(self, device_key_id: str) -> int:
        with self._sync_lock:
            keys = [k for k, (device, _e) in self._tokens.items() if device == device_key_id]
            for key in keys:
                del self._tokens[key]
        return len(keys)

    def add_upload(self, upload: Upload) -> Upload:
        with self._sync_lock:
            held = self.device_upload(upload.device_key_id, upload.bundle_sha256)
            if held is not None:
                return held
            if upload.upload_id in self._uploads:
                raise _constraint()
            self._uploads[upload.upload_id] = upload
        return upload

    def upload(self, upload_id: str) -> Upload | None:
        return self._uploads.get(upload_id)

    def device_upload(self, device_key_id: str, bundle_sha256: str) -> Upload | None:
        for held in self._uploads.values():
            if (held.device_key_id, held.bundle_sha256) == (device_key_id, bundle_sha256):
                return held
        return None

    def advance_upload(self, upload_id: str, offset: int, new_offset: int) -> bool:
        with self._sync_lock:
            held = self._uploads.get(upload_id)
            if held is None or held.offset != offset:
                return False
            self._uploads[upload_id] = replace(held, offset=new_offset)
        return True

    def finish_upload(self, upload_id: str, manifest_sha256: str) -> None:
        with self._sync_lock:
            held = self._uploads.get(upload_id)
            if held is not None:
                self._uploads[upload_id] = replace(held, manifest_sha256=manifest_sha256)

    def delete_upload(self, upload_id: str) -> bool:
        with self._sync_lock:
            return self._uploads.pop(upload_id, None) is not None

    def expired_uploads(self, now: int) -> list[Upload]:
        return [
            u for u in self._uploads.values() if u.expires_at <= now and u.manifest_sha256 is None
        ]


def _constraint() -> RepositoryError:
    return RepositoryError(
        _("The repository refused the change (a database constraint); nothing was stored.")
    )
