"""Token buckets per key, on a fake clock."""

from __future__ import annotations

import pytest

from mock_server.core.config import RateLimit, key_kinds
from mock_server.core.ratelimit import NetworkBuckets, TokenBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_empty_then_refill() -> None:
    clock = Clock()
    buckets = TokenBuckets(RateLimit(rate=30, burst=50), clock)
    results = [buckets.take("k") for _ in range(51)]
    assert [allowed for allowed, _ in results] == [True] * 50 + [False]
    assert results[0][1] == 49
    assert results[49][1] == 0
    clock.now += 0.125  # 3.75 tokens back at 30/s
    assert [buckets.take("k")[0] for _ in range(4)] == [True, True, True, False]


def test_keys_have_their_own_buckets_and_reset_refills() -> None:
    buckets = TokenBuckets(RateLimit(rate=1, burst=1), Clock())
    assert buckets.take("a") == (True, 0)
    assert buckets.take("a") == (False, 0)
    assert buckets.take("b") == (True, 0)
    buckets.reset()
    assert buckets.take("a") == (True, 0)


def test_bucket_never_holds_more_than_the_burst() -> None:
    clock = Clock()
    buckets = TokenBuckets(RateLimit(rate=30, burst=5), clock)
    buckets.take("k")
    clock.now += 3600
    assert buckets.take("k") == (True, 4)


def test_retry_after_is_whole_seconds() -> None:
    assert TokenBuckets(RateLimit(rate=30, burst=5)).retry_after() == 1
    assert TokenBuckets(RateLimit(rate=0.25, burst=5)).retry_after() == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30/50", RateLimit(30, 50)),
        ("5/20", RateLimit(5, 20)),
        ("off", None),
        ("OFF", None),
        ("10", RateLimit(10, 10)),
    ],
)
def test_parse(text: str, expected: RateLimit | None) -> None:
    assert RateLimit.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    ["fast", "0/5", "5/0", "-1/3", "3/x", "nan/50", "inf/50", "-inf/5", "1e999/5", "1e-320/5"],
)
def test_parse_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        RateLimit.parse(text)


def test_buckets_are_bounded_and_the_least_recently_used_goes_first() -> None:
    clock = Clock()
    buckets = TokenBuckets(RateLimit(rate=1, burst=2), clock, max_keys=3)
    for key in ("a", "b", "c"):
        buckets.take(key)
    buckets.take("a")  # a is now the most recently used
    buckets.take("d")  # drops b, the least recently used
    assert len(buckets) == 3
    assert buckets.take("a") == (False, 0)  # a kept its (empty) bucket
    assert buckets.take("b") == (True, 1)  # b starts full again


def test_many_long_keys_keep_memory_constant() -> None:
    buckets = TokenBuckets(RateLimit(rate=30, burst=50), Clock(), max_keys=100)
    for n in range(5000):
        buckets.take(f"{n:08d}" + "k" * 8000)
    assert len(buckets) == 100
    assert all(isinstance(slot, int) for slot in buckets._buckets)


def test_network_buckets_are_one_per_key_kind_and_peeking_spends_nothing() -> None:
    clock = Clock()
    buckets = NetworkBuckets(RateLimit(rate=30, burst=50), clock)
    assert buckets.take("network") == (True, 49)
    assert buckets.peek("network") == 49
    assert buckets.peek("network") == 49
    assert buckets.take("partner") == (True, 19)
    assert buckets.headers("partner", 19) == [
        ("X-RateLimit-Limit", "5"),
        ("X-RateLimit-Remaining", "19"),
    ]
    assert buckets.too_many("partner")[-1] == ("Retry-After", "1")
    buckets.reset()
    assert buckets.peek("partner") == 20


def test_a_key_may_name_its_kind() -> None:
    assert key_kinds(["partner:p1", "affiliate:a:b", "plain", "other:x", "network:n"]) == {
        "p1": "partner",
        "a:b": "affiliate",
        "plain": "network",
        "other:x": "network",
        "n": "network",
    }
