"""The worker-thread SHA-256 used while writing bundles gives exactly hashlib's digest."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from fieldkit.bundle.digest import QUEUE_PIECES, ThreadedSha256


def test_same_digest_as_hashlib_over_many_pieces() -> None:
    pieces = [os.urandom(n) for n in (0, 1, 2047, 2048, 65536, 1 << 20, 3)] * 5
    digest = ThreadedSha256()
    for piece in pieces:
        digest.update(piece)
    assert digest.hexdigest() == hashlib.sha256(b"".join(pieces)).hexdigest()
    assert digest.hexdigest() == hashlib.sha256(b"".join(pieces)).hexdigest()  # stable


def test_a_reused_buffer_is_hashed_as_it_was_when_given() -> None:
    buffer = bytearray(b"a" * 4096)
    digest = ThreadedSha256()
    digest.update(buffer)
    buffer[:] = b"b" * 4096
    digest.update(memoryview(buffer))
    assert digest.hexdigest() == hashlib.sha256(b"a" * 4096 + b"b" * 4096).hexdigest()


def test_finished_or_closed_digests_refuse_more() -> None:
    done = ThreadedSha256()
    done.hexdigest()
    with pytest.raises(RuntimeError, match="the digest is finished"):
        done.update(b"x")
    closed = ThreadedSha256()
    closed.update(b"partial")
    closed.close()
    closed.close()
    with pytest.raises(RuntimeError, match="the digest was closed before it finished"):
        closed.hexdigest()
    with pytest.raises(RuntimeError, match="the digest is finished"):
        closed.update(b"x")


def test_workers_stop() -> None:
    before = set(threading.enumerate())  # other tests' threads may come and go meanwhile
    digests = [ThreadedSha256() for _ in range(QUEUE_PIECES)]
    for index, digest in enumerate(digests):
        digest.update(b"x" * 10)
        if index % 2:
            digest.close()
        else:
            digest.hexdigest()
    assert set(threading.enumerate()) - before == set()
