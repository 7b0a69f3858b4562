"""``MockState``: the data, journal and rate limits behind one mock app."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from fixtures import PostbackFactory
from mock_server.catalogue import builtin_postbacks
from mock_server.clock import Clock
from mock_server.config import MockConfig
from mock_server.journal import Journal
from mock_server.ratelimit import TokenBuckets
from mock_server.records import InvalidRecords, check_records
from mock_server.store import PostbackStore, encode

DYNAMIC_CACHE_SIZE = 4096


class MockState:
    """What a running mock knows; shared by the API, the admin API and the pytest fixtures."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        start = config.postbacks if config.postbacks is not None else builtin_postbacks(config.seed)
        self.store = PostbackStore(start, config.max_postbacks, config.max_store_bytes)
        self.clock = Clock(config.clock)
        """The time written into created and replaced postbacks (``reset`` restarts it)."""
        self.journal = Journal(config.journal_size, config.journal_bytes)
        self.buckets = (
            TokenBuckets(config.rate_limit, max_keys=config.max_keys) if config.rate_limit else None
        )
        self.dynamic = config.dynamic
        """Whether unknown ids are generated (settable at run time; ``reset`` restores it)."""

    def add(self, postback: dict[str, Any]) -> None:
        """Serve ``postback`` under its ``network_pixel_id`` (validated; raises ``InvalidRecords``)."""
        pixel_id = postback.get("network_pixel_id")
        if not isinstance(pixel_id, int) or isinstance(pixel_id, bool):
            raise InvalidRecords(check_records([postback]), 1)
        self.store.put(pixel_id, postback)

    def add_many(self, postbacks: Iterable[dict[str, Any]]) -> None:
        """``add`` each postback; nothing is added unless all are valid."""
        batch = list(postbacks)
        problems = check_records(batch)
        if problems:
            raise InvalidRecords(problems, len(batch))
        for postback in batch:
            self.add(postback)

    def reset(self) -> None:
        """Back to the start data, clock and settings, an empty journal and full rate-limit
        buckets."""
        self.store.reset()
        self.clock.reset()
        self.dynamic = self.config.dynamic
        self.journal.clear()
        if self.buckets:
            self.buckets.reset()

    @property
    def requests(self) -> list[Mapping[str, Any]]:
        """The requests answered so far, oldest first, API keys masked."""
        return self.journal.entries()

    @functools.cached_property
    def factory(self) -> PostbackFactory:
        """The factory for the mock's seed: where created postbacks get their
        ``network_id`` and ``relationship`` (made on first use)."""
        return PostbackFactory(self.config.seed)

    @functools.lru_cache(maxsize=DYNAMIC_CACHE_SIZE)  # noqa: B019 - one state per app, lives as long
    def generated(self, seed: int, pixel_id: int) -> bytes:
        """The factory's postback for ``pixel_id`` and ``seed``, validated, as JSON bytes."""
        body = PostbackFactory(seed).build(pixel_id)
        problems = check_records([body])
        if problems:
            raise InvalidRecords(problems, 1)
        return encode(body)
