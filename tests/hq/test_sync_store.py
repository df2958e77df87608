"""The folder that keeps upload bytes: a chunk lands whole at its offset, the disk is asked to
begin writing it out as it comes (a head start for the fdatasync at its end), and bytes past the
offset a chunk begins at are dropped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fieldkit.hq.server import store
from fieldkit.hq.server.store import WRITEBACK_BYTES, FolderUploadStore

PIECE = 256 * 1024


def test_a_chunk_lands_whole_with_writeback_begun_along_the_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    begun: list[tuple[int, int]] = []
    monkeypatch.setattr(store, "_BEGIN_WRITEBACK", lambda fd, start: begun.append((start, fd)))
    uploads = FolderUploadStore(tmp_path / "uploads")
    first = os.urandom(3 * PIECE)
    with uploads.writer("u1", 0) as handle:
        handle.write(first)
    chunk = os.urandom(2 * WRITEBACK_BYTES + PIECE)
    with uploads.writer("u1", len(first)) as handle:
        for at in range(0, len(chunk), PIECE):
            handle.write(chunk[at : at + PIECE])
    with uploads.local_copy("u1") as path:
        assert path.read_bytes() == first + chunk
    # Every WRITEBACK_BYTES of the chunk, from where it began; the first chunk was too short.
    assert [start for start, _fd in begun] == [len(first), len(first) + WRITEBACK_BYTES]


def test_bytes_past_the_offset_are_dropped_and_a_truncated_chunk_starts_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    begun: list[int] = []
    monkeypatch.setattr(store, "_BEGIN_WRITEBACK", lambda _fd, start: begun.append(start))
    uploads = FolderUploadStore(tmp_path / "uploads")
    with uploads.writer("u2", 0) as handle:
        handle.write(b"a" * WRITEBACK_BYTES)  # a hint from 0
        handle.write(b"b" * 100)
        handle.truncate(0)  # refused: nothing kept
        handle.seek(0)
        handle.write(b"c" * WRITEBACK_BYTES)  # a hint from 0 again, not from past the cut
    with uploads.writer("u2", 10) as handle:  # acknowledged up to 10: the rest is dropped
        handle.write(b"d" * 5)
    with uploads.local_copy("u2") as path:
        assert path.read_bytes() == b"c" * 10 + b"d" * 5
    assert begun == [0, 0]


def test_the_writeback_hint_runs_on_a_real_file_where_the_system_has_it(tmp_path: Path) -> None:
    if store._BEGIN_WRITEBACK is None:
        pytest.skip("no sync_file_range on this system: chunks are made durable by fdatasync only")
    path = tmp_path / "part"
    with path.open("wb") as handle:
        handle.write(b"x" * PIECE)
        handle.flush()
        store._BEGIN_WRITEBACK(handle.fileno(), 0)
    assert path.read_bytes() == b"x" * PIECE
