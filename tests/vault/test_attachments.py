from __future__ import annotations

import hashlib
import io
import os
from typing import Any

import pytest

from fieldkit.errors import ConflictError
from fieldkit.vault import attachments
from fieldkit.vault.attachments import AttachmentTooLargeError


def test_store_in_chunks_and_read_back(vault: Any) -> None:
    data = os.urandom(attachments.CHUNK_BYTES * 2 + 123)
    digest = hashlib.sha256(data).hexdigest()
    with vault.write() as session:
        assert attachments.hash_stream(io.BytesIO(data), 10 << 20) == (digest, len(data))
        size = attachments.store(session, io.BytesIO(data), "image/jpeg", digest, 10 << 20)
    assert size == len(data)
    with vault.read() as session:
        row = attachments.get(session, digest)
        assert row.chunk_count == 3
        chunks = list(attachments.iter_chunks(session, digest))
        assert all(len(c) <= attachments.CHUNK_BYTES for c in chunks)
        assert b"".join(chunks) == data
        assert attachments.read_all(session, digest, 10 << 20) == data


def test_the_same_bytes_are_stored_once(vault: Any) -> None:
    data = b"same photo" * 1000
    digest = hashlib.sha256(data).hexdigest()
    for _ in range(2):
        with vault.write() as session:
            attachments.store(session, io.BytesIO(data), "image/png", digest, 1 << 20)
    with vault.read() as session:
        assert attachments.all_hashes(session) == [digest]


def test_size_limit_is_enforced_while_reading(vault: Any) -> None:
    with pytest.raises(AttachmentTooLargeError) as caught:
        attachments.hash_stream(io.BytesIO(b"x" * 3000), 2000)
    assert "attachment limit" in caught.value.user_message


def test_bytes_that_changed_since_hashing_store_nothing(vault: Any) -> None:
    digest = hashlib.sha256(b"original").hexdigest()
    with (
        pytest.raises(ConflictError, match="changed while it was being added"),
        vault.write() as session,
    ):
        attachments.store(session, io.BytesIO(b"changed!"), "text/plain", digest, 1 << 20)
    with vault.read() as session:
        assert not attachments.exists(session, digest)


def test_read_all_respects_its_cap(vault: Any) -> None:
    data = b"y" * 5000
    digest = hashlib.sha256(data).hexdigest()
    with vault.write() as session:
        attachments.store(session, io.BytesIO(data), "text/plain", digest, 1 << 20)
    with (
        vault.read() as session,
        pytest.raises(AttachmentTooLargeError, match="larger than the attachment limit of 1 MiB"),
    ):
        attachments.read_all(session, digest, 100)
