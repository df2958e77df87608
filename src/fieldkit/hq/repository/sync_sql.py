"""The sync server's state on SQL (SQLite and PostgreSQL): see :mod:`.sync`."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.sync import SyncStore, Upload


class SqlSyncStore(SyncStore):
    """Mixed into :class:`~fieldkit.hq.repository.sql.SqlRepository`."""

    if TYPE_CHECKING:  # provided by SqlRepository, which this is mixed into

        def _transaction(self, *, write: bool = False) -> AbstractContextManager[Connection]: ...

    def add_challenge(self, challenge: str, device_key_id: str, expires_at: int) -> None:
        with self._transaction(write=True) as conn:
            row = {"challenge": challenge, "device_key_id": device_key_id, "expires_at": expires_at}
            conn.execute(sa.insert(t.sync_challenges), row)

    def take_challenge(self, challenge: str, now: int) -> str | None:
        c = t.sync_challenges.c
        with self._transaction(write=True) as conn:
            conn.execute(sa.delete(t.sync_challenges).where(c.expires_at <= now))
            conn.execute(sa.delete(t.sync_tokens).where(t.sync_tokens.c.expires_at <= now))
            found = conn.execute(
                sa.delete(t.sync_challenges)
                .where(c.challenge == challenge)
                .returning(c.device_key_id)
            ).first()
        return None if found is None else str(found.device_key_id)

    def add_token(self, token_sha256: str, device_key_id: str, expires_at: int) -> None:
        row = {
            "token_sha256": token_sha256,
            "device_key_id": device_key_id,
            "expires_at": expires_at,
        }
        with self._transaction(write=True) as conn:
            conn.execute(sa.insert(t.sync_tokens), row)

    def token_device(self, token_sha256: str, now: int) -> str | None:
        c = t.sync_tokens.c
        query = sa.select(c.device_key_id).where(c.token_sha256 == token_sha256, c.expires_at > now)
        with self._transaction() as conn:
            found = conn.execute(query).first()
        return None if found is None else str(found.device_key_id)

    def drop_tokens(self, device_key_id: str) -> int:
        query = sa.delete(t.sync_tokens).where(t.sync_tokens.c.device_key_id == device_key_id)
        with self._transaction(write=True) as conn:
            return int(conn.execute(query).rowcount)

    def add_upload(self, upload: Upload) -> Upload:
        query = _device_upload(upload.device_key_id, upload.bundle_sha256)
        with self._transaction(write=True) as conn:
            found = conn.execute(query).first()
            if found is not None:
                return Upload(**found._asdict())
            conn.execute(sa.insert(t.sync_uploads), upload.__dict__)
        return upload

    def upload(self, upload_id: str) -> Upload | None:
        query = sa.select(t.sync_uploads).where(t.sync_uploads.c.upload_id == upload_id)
        with self._transaction() as conn:
            found = conn.execute(query).first()
        return None if found is None else Upload(**found._asdict())

    def device_upload(self, device_key_id: str, bundle_sha256: str) -> Upload | None:
        query = _device_upload(device_key_id, bundle_sha256)
        with self._transaction() as conn:
            found = conn.execute(query).first()
        return None if found is None else Upload(**found._asdict())

    def advance_upload(self, upload_id: str, offset: int, new_offset: int) -> bool:
        c = t.sync_uploads.c
        query = (
            sa.update(t.sync_uploads)
            .where(c.upload_id == upload_id, c.offset == offset)
            .values(offset=new_offset)
        )
        with self._transaction(write=True) as conn:
            return bool(conn.execute(query).rowcount == 1)

    def finish_upload(self, upload_id: str, manifest_sha256: str) -> None:
        c = t.sync_uploads.c
        query = (
            sa.update(t.sync_uploads)
            .where(c.upload_id == upload_id)
            .values(manifest_sha256=manifest_sha256)
        )
        with self._transaction(write=True) as conn:
            conn.execute(query)

    def delete_upload(self, upload_id: str) -> bool:
        query = sa.delete(t.sync_uploads).where(t.sync_uploads.c.upload_id == upload_id)
        with self._transaction(write=True) as conn:
            return bool(conn.execute(query).rowcount == 1)

    def expired_uploads(self, now: int) -> list[Upload]:
        c = t.sync_uploads.c
        query = sa.select(t.sync_uploads).where(c.expires_at <= now, c.manifest_sha256.is_(None))
        with self._transaction() as conn:
            return [Upload(**row._asdict()) for row in conn.execute(query)]


def _device_upload(device_key_id: str, bundle_sha256: str) -> sa.Select[tuple[object, ...]]:
    c = t.sync_uploads.c
    return sa.select(t.sync_uploads).where(
        c.device_key_id == device_key_id, c.bundle_sha256 == bundle_sha256
    )
