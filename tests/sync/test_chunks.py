"""The rule of the upload's chunk size: grows on fast chunks, shrinks on slow ones, cuts and
refusals as too large, and stays within its floor and ceiling."""

from __future__ import annotations

import pytest

from fieldkit.sync.chunks import ChunkSizer

KIB = 1024
MIB = 1024 * KIB


def test_fast_chunks_double_the_next_up_to_the_ceiling() -> None:
    sizer = ChunkSizer(MIB, ceiling=8 * MIB)
    seen = []
    for _ in range(6):
        seen.append(sizer.size)
        sizer.sent(sizer.size, 0.1)
    assert seen == [MIB, 2 * MIB, 4 * MIB, 8 * MIB, 8 * MIB, 8 * MIB]


def test_a_chunk_neither_fast_nor_slow_keeps_the_size() -> None:
    sizer = ChunkSizer(MIB)
    sizer.sent(MIB, 1.5)
    assert sizer.size == MIB


def test_a_short_chunk_does_not_grow_the_next() -> None:
    sizer = ChunkSizer(MIB)
    sizer.sent(100 * KIB, 0.01)  # fast, but not a whole chunk: it says little of the link
    assert sizer.size == MIB


def test_slow_chunks_and_cuts_halve_down_to_the_floor() -> None:
    sizer = ChunkSizer(MIB, floor=256 * KIB)
    sizer.sent(MIB, 9.0)
    assert sizer.size == 512 * KIB
    sizer.cut()
    assert sizer.size == 256 * KIB
    sizer.cut()
    sizer.sent(256 * KIB, 30.0)
    assert sizer.size == 256 * KIB


def test_a_thin_link_keeps_small_chunks() -> None:
    """A satellite link of 64 KiB/s: the chunk settles where one takes a few seconds."""
    sizer = ChunkSizer(MIB)
    for _ in range(20):
        sizer.sent(sizer.size, sizer.size / (64 * KIB))
    assert 128 * KIB <= sizer.size <= 256 * KIB


def test_too_large_halves_and_lowers_the_ceiling_for_good() -> None:
    sizer = ChunkSizer(MIB, ceiling=64 * MIB)
    for _ in range(3):
        sizer.sent(sizer.size, 0.01)
    assert sizer.size == 8 * MIB
    assert sizer.too_large(8 * MIB)
    assert sizer.size == sizer.ceiling == 4 * MIB
    for _ in range(5):
        sizer.sent(sizer.size, 0.01)
    assert sizer.size == 4 * MIB  # HQ's limit does not change during an upload


def test_too_large_halves_the_chunk_sent_not_a_larger_size() -> None:
    sizer = ChunkSizer(MIB)
    assert sizer.too_large(300 * KIB)  # the last, shorter chunk of an upload
    assert sizer.size == 150 * KIB


def test_too_large_at_the_floor_gives_up() -> None:
    sizer = ChunkSizer(128 * KIB, floor=64 * KIB)
    assert sizer.too_large(128 * KIB)
    assert sizer.size == 64 * KIB
    assert not sizer.too_large(64 * KIB)
    assert sizer.size == 64 * KIB


def test_a_configured_size_outside_the_bounds_is_kept() -> None:
    small = ChunkSizer(16 * KIB)
    small.cut()
    assert small.size == 16 * KIB  # below the default floor: never smaller than configured
    big = ChunkSizer(128 * MIB)
    big.sent(128 * MIB, 0.01)
    assert big.size == 128 * MIB  # above the default ceiling: never larger than configured


@pytest.mark.parametrize(
    "arguments",
    [{"start": 0}, {"start": MIB, "floor": 0}, {"start": MIB, "fast": 5.0, "slow": 4.0}],
)
def test_nonsense_settings_are_refused(arguments: dict[str, float]) -> None:
    start = int(arguments.pop("start"))
    with pytest.raises(ValueError, match=r"chunk|fast"):
        ChunkSizer(start, **arguments)  # type: ignore[arg-type]


def test_the_possible_next_sizes_are_the_halved_kept_and_doubled_ones() -> None:
    sizer = ChunkSizer(4 * MIB, floor=MIB, ceiling=64 * MIB)
    assert sizer.possible_next(4 * MIB) == (2 * MIB, 4 * MIB, 8 * MIB)
    for seconds in (0.1, 1.5, 10.0):  # fast, neither, slow: each is one of them
        sizer = ChunkSizer(4 * MIB, floor=MIB, ceiling=64 * MIB)
        possible = sizer.possible_next(4 * MIB)
        sizer.sent(4 * MIB, seconds)
        assert sizer.size in possible
    short = ChunkSizer(4 * MIB, floor=MIB)
    assert short.possible_next(100 * KIB) == (2 * MIB, 4 * MIB)  # a short chunk never doubles
    top = ChunkSizer(64 * MIB, floor=64 * MIB, ceiling=64 * MIB)
    assert top.possible_next(64 * MIB) == (64 * MIB,)
