"""Everflow-style rate limiting: a token bucket per API key, in bounded memory."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from mock_server.config import RateLimit


class TokenBuckets:
    """One token bucket per key, refilled continuously, safe across threads.

    At most ``max_keys`` buckets are kept; the least recently used one is dropped first (a
    dropped key starts full again, as an idle key would have). Buckets are keyed by the key's
    hash, not the key itself, so a long key costs no more memory than a short one.
    """

    def __init__(
        self,
        limit: RateLimit,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.limit = limit
        self.max_keys = max(1, max_keys)
        self._clock = clock
        self._buckets: OrderedDict[int, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> tuple[bool, int]:
        """Spend one token of ``key``'s bucket: (allowed, tokens left, rounded down)."""
        now = self._clock()
        slot = hash(key)
        burst = float(self.limit.burst)
        with self._lock:
            buckets = self._buckets
            found = buckets.get(slot)
            if found is None:
                tokens = burst
                if len(buckets) >= self.max_keys:
                    buckets.popitem(last=False)
            else:
                tokens = min(burst, found[0] + (now - found[1]) * self.limit.rate)
                buckets.move_to_end(slot)
            allowed = tokens >= 1.0
            if allowed:
                tokens -= 1.0
            buckets[slot] = (tokens, now)
        return allowed, int(tokens)

    def retry_after(self) -> int:
        """Whole seconds until one token is back, at least 1."""
        return max(1, int(1.0 / self.limit.rate + 0.999))

    def headers(self, remaining: int) -> list[tuple[str, str]]:
        """The ``X-RateLimit-*`` headers Everflow sends, for ``remaining`` tokens."""
        return [
            ("X-RateLimit-Limit", str(int(self.limit.rate))),
            ("X-RateLimit-Remaining", str(remaining)),
        ]

    def __len__(self) -> int:
        return len(self._buckets)

    def reset(self) -> None:
        """Forget every bucket (all keys start full again)."""
        with self._lock:
            self._buckets.clear()
