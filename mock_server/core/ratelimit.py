"""Everflow-style rate limiting: a token bucket per network, by key kind.

Everflow's current user guide: one bucket per network, shared by all its keys; network keys
30 requests/s with a burst of 50, affiliate, advertiser and partner keys 5/s with a burst
of 20. The mock is one network, so ``NetworkBuckets`` holds one bucket per key kind.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from mock_server.core.config import KEY_KINDS, RateLimit

OTHER_KINDS_LIMIT = RateLimit(rate=5.0, burst=20)
"""The bucket of affiliate, advertiser and partner keys (Everflow's current user guide)."""


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

    def peek(self, key: str) -> int:
        """The tokens ``key``'s bucket holds now, rounded down; none is spent."""
        with self._lock:
            found = self._buckets.get(hash(key))
        if found is None:
            return self.limit.burst
        tokens = min(
            float(self.limit.burst), found[0] + (self._clock() - found[1]) * self.limit.rate
        )
        return int(tokens)

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


class NetworkBuckets:
    """The one network's buckets, one per key kind: network keys at the configured limit
    (30/s, burst 50 by default), the other kinds at ``OTHER_KINDS_LIMIT``. Every key of a
    kind spends from the same bucket."""

    def __init__(self, network: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._buckets = {
            kind: TokenBuckets(network if kind == "network" else OTHER_KINDS_LIMIT, clock, 1)
            for kind in KEY_KINDS
        }

    def take(self, kind: str) -> tuple[bool, int]:
        """Spend one token of ``kind``'s bucket: (allowed, tokens left, rounded down)."""
        return self._buckets[kind].take(kind)

    def peek(self, kind: str) -> int:
        """The tokens ``kind``'s bucket holds now, none spent (for answers that charge no
        bucket: no key, or a key the mock does not accept)."""
        return self._buckets[kind].peek(kind)

    def headers(self, kind: str, remaining: int) -> list[tuple[str, str]]:
        """The ``X-RateLimit-*`` headers for ``kind``'s bucket."""
        return self._buckets[kind].headers(remaining)

    def too_many(self, kind: str) -> list[tuple[str, str]]:
        """The headers of a 429 from ``kind``'s bucket: empty, and when to retry."""
        bucket = self._buckets[kind]
        return [*bucket.headers(0), ("Retry-After", str(bucket.retry_after()))]

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self._buckets.values())

    def reset(self) -> None:
        """Every bucket full again."""
        for bucket in self._buckets.values():
            bucket.reset()
