"""The chunk checksums the client prepares while the chunk before is sent: right for whichever
size the next chunk turns out to have, one pass over the bytes, and no reading past the chunk
once it is known."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator

import pytest

from fieldkit.sync.tus import Checksums

DATA = os.urandom(3 * 1024 * 1024 + 17)


class Source:
    """The bytes of DATA in pieces, counting what was read; ``gate`` holds the reading back."""

    def __init__(self, piece: int = 64 * 1024) -> None:
        self.piece = piece
        self.read = 0
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, start: int, end: int) -> Iterator[bytes]:
        for at in range(start, end, self.piece):
            self.gate.wait(10)
            piece = DATA[at : min(end, at + self.piece)]
            self.read += len(piece)
            yield piece


def sha(start: int, end: int) -> bytes:
    return hashlib.sha256(DATA[start:end]).digest()


@pytest.mark.parametrize("chosen", [1_000_000, 2_000_000, 3_000_000])
def test_each_possible_end_has_its_digest_from_one_pass(chosen: int) -> None:
    source = Source()
    checksums = Checksums(source)
    try:
        ends = [1_000_000, 2_000_000, 3_000_000]
        checksums.prepare(5, [5 + end for end in ends])
        assert checksums.of(5, 5 + chosen) == sha(5, 5 + chosen)
    finally:
        checksums.close()
    assert source.read <= 3_000_000 + source.piece  # never read twice


def test_a_chunk_that_was_not_prepared_is_hashed_then() -> None:
    checksums = Checksums(Source())
    try:
        checksums.prepare(0, [1_000_000, 2_000_000])
        assert checksums.of(0, 1_500_000) == sha(0, 1_500_000)  # a size HQ asked for (413)
        assert checksums.of(700, 900_000) == sha(700, 900_000)  # a resume from HQ's offset
        checksums.prepare(len(DATA) - 10, [len(DATA)])
        assert checksums.of(len(DATA) - 10, len(DATA)) == sha(len(DATA) - 10, len(DATA))
    finally:
        checksums.close()


def test_no_byte_past_the_chosen_chunk_is_read_once_it_is_known() -> None:
    source = Source(piece=100_000)
    source.gate.clear()  # the thread waits before its first piece
    checksums = Checksums(source)
    try:
        checksums.prepare(0, [1_000_000, 3_000_000])
        threading.Timer(0.05, source.gate.set).start()
        assert checksums.of(0, 1_000_000) == sha(0, 1_000_000)
        checksums.prepare(1_000_000, [2_000_000])  # the one thread moves on to the next
        assert checksums.of(1_000_000, 2_000_000) == sha(1_000_000, 2_000_000)
    finally:
        checksums.close()
    assert source.read <= 2_000_000 + source.piece
