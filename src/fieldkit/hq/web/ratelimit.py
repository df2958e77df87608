"""A sliding-window limit of attempts per client address (sign-in), in memory."""

from __future__ import annotations

import threading
import time
from collections import deque

MAX_CLIENTS = 10_000
"""Beyond this many addresses tracked at once, the oldest are forgotten."""


class RateLimit:
    def __init__(self, per_window: int, window_seconds: float) -> None:
        self.per_window = per_window
        self.window = window_seconds
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        """Count one attempt of ``client``; False when it made too many in the window."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            attempts = self._seen.pop(client, None) or deque()
            while attempts and attempts[0] <= moment - self.window:
                attempts.popleft()
            allowed = len(attempts) < self.per_window
            if allowed:
                attempts.append(moment)
            self._seen[client] = attempts  # most recent last
            while len(self._seen) > MAX_CLIENTS:
                self._seen.pop(next(iter(self._seen)))
        return allowed
