"""Everflow-style rate limiting: a token bucket per API key."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from mock_server.config import RateLimit


class TokenBuckets:
    """One token bucket per key, refilled continuously, safe across threads."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> tuple[bool, int]:
        """Spend one token of ``key``'s bucket: (allowed, tokens left, rounded down)."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(key, (float(self.limit.burst), now))
            tokens = min(float(self.limit.burst), tokens + (now - then) * self.limit.rate)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            self._buckets[key] = (tokens, now)
        return allowed, int(tokens)

    def retry_after(self) -> int:
        """Whole seconds until one token is back, at least 1."""
        return max(1, int(1.0 / self.limit.rate + 0.999))

    def reset(self) -> None:
        """Forget every bucket (all keys start full again)."""
        with self._lock:
            self._buckets.clear()
