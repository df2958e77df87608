"""How large the next upload chunk is: a small rule, apart from the network (``docs/sync.md``).

Each chunk costs one exchange with HQ (its answer waits for the chunk on HQ's disk and its offset
in HQ's repository), so small chunks waste a fast link; but a cut link sends the chunk in flight
again, and a chunk on a thin link must end well before a timeout. The rule: begin at the
configured size; after a whole chunk that took less than :attr:`ChunkSizer.fast` seconds, double
the next one, up to the ceiling; after one that took more than :attr:`ChunkSizer.slow` seconds,
or a cut, halve it, down to the floor. A chunk HQ refuses as too large (413) halves it and lowers
the ceiling to that, since HQ's limit does not change during an upload. Once adapted, a chunk
takes between the two times on a steady link (less at the ceiling), and what a cut sends again
is at most the chunk in flight.
"""

from __future__ import annotations

FLOOR = 64 * 1024
"""The smallest chunk (a chunk HQ finds too large is halved down to this, and no further)."""
CEILING = 64 * 1024 * 1024
"""The largest chunk by default: HQ's default ``--max-chunk``."""
FAST_SECONDS = 0.5
SLOW_SECONDS = 4.0


class ChunkSizer:
    """The size of the next chunk, from how long the previous ones took."""

    def __init__(
        self,
        start: int,
        *,
        floor: int = FLOOR,
        ceiling: int = CEILING,
        fast: float = FAST_SECONDS,
        slow: float = SLOW_SECONDS,
    ) -> None:
        if start < 1 or floor < 1 or ceiling < 1:
            raise ValueError("chunk sizes must be positive")
        if not 0 <= fast < slow:
            raise ValueError("the fast time must be below the slow time")
        self.floor = min(floor, start)  # a configured chunk below the floor stays as it is
        self.ceiling = max(ceiling, start)  # and one above the ceiling is not made smaller
        self.fast = fast
        self.slow = slow
        self.size = start

    def sent(self, size: int, seconds: float) -> None:
        """A chunk of ``size`` bytes was taken by HQ ``seconds`` after it began."""
        if seconds > self.slow:
            self._halve()
        elif seconds < self.fast and size >= self.size:
            self.size = min(self.ceiling, self.size * 2)

    def possible_next(self, size: int) -> tuple[int, ...]:
        """The sizes the chunk after one of ``size`` bytes can have if HQ takes it (halved,
        kept or doubled, by how long it takes), smallest first: the next chunk's checksum is
        prepared for each while this one is sent."""
        sizes = {max(self.floor, self.size // 2), self.size}
        if size >= self.size:
            sizes.add(min(self.ceiling, self.size * 2))
        return tuple(sorted(sizes))

    def cut(self) -> None:
        """The chunk in flight was lost (the link broke, no answer came in time)."""
        self._halve()

    def too_large(self, size: int) -> bool:
        """HQ refused a chunk of ``size`` bytes as too large: the next is half of it, and none
        grows past that again during this upload. False if it was at the floor already
        (nothing smaller to try)."""
        if size <= self.floor:
            return False
        self.size = max(self.floor, min(self.size, size) // 2)
        self.ceiling = self.size
        return True

    def _halve(self) -> None:
        self.size = max(self.floor, self.size // 2)
