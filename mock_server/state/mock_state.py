"""``MockState``: the data, journal and rate limits behind one mock app."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from mock_server.core.answers import AnswerQueue
from mock_server.core.clock import Clock
from mock_server.core.config import MockConfig
from mock_server.core.ratelimit import NetworkBuckets
from mock_server.data.catalogue import builtin_catalogue, builtin_world
from mock_server.data.records import (
    EncodedPostbacks,
    InvalidRecords,
    RecordProblem,
    encode_records,
)
from mock_server.state.journal import Journal
from mock_server.state.store import PostbackStore
from mock_server.state.world import World, WorldRelationships

if TYPE_CHECKING:
    from fixtures import PostbackFactory

DYNAMIC_CACHE_SIZE = 4096


class Part(Protocol):
    """What a higher layer keeps per mock in ``MockState.parts``: restarted by ``reset``."""

    def reset(self) -> None: ...


class MockState:
    """What a running mock knows; shared by the API, the admin API and the pytest fixtures."""

    def __init__(self, config: MockConfig) -> None:
        self.config = config
        start = config.postbacks if config.postbacks is not None else builtin_catalogue(config.seed)
        self.store = PostbackStore(start, config.max_postbacks, config.max_store_bytes)
        if config.postbacks is None:
            self._start_world = World.of(builtin_world(config.seed))
        else:
            data = config.postbacks
            self._start_world = World.of(
                data.neighbours if isinstance(data, EncodedPostbacks) else {}
            )
            self._start_world.fill_in(config.postbacks, config.seed)
        self.world = self._start_world.copy()
        """The offers and affiliates served beside the postbacks (``reset`` restores them)."""
        self.clock = Clock(config.clock)
        """The time written into created and replaced postbacks (``reset`` restarts it)."""
        self.journal = Journal(config.journal_size, config.journal_bytes)
        self.buckets = NetworkBuckets(config.rate_limit) if config.rate_limit else None
        self.dynamic = config.dynamic
        """Whether unknown ids are generated (settable at run time; ``reset`` restores it)."""
        self.fault_rng = random.Random(config.seed)
        """Draws ``fault_rate``'s faults; ``reset`` seeds it again, so a test's draws do not
        depend on which tests ran before it."""
        self.answers = AnswerQueue()
        """Answers a test queued per operation (``reset`` forgets them)."""
        self.parts: dict[str, Part] = {}
        """What higher layers keep per mock, by name (firing keeps its ``Firing`` here,
        made on first use: ``mock_server.firing.engine.firing_of``); ``reset`` resets each."""
        self.generated = functools.lru_cache(maxsize=DYNAMIC_CACHE_SIZE)(self._generate)
        """The factory's postback for ``(seed, pixel_id)``, validated, as JSON bytes.

        Raises ``InvalidRecords`` should the factory ever build an invalid postback. The
        last ``DYNAMIC_CACHE_SIZE`` answers are kept, so memory does not grow with the
        number of ids served.
        """

    def add(self, postback: dict[str, Any]) -> None:
        """Serve ``postback`` under its ``network_pixel_id`` (validated; raises ``InvalidRecords``)."""
        pixel_id = postback.get("network_pixel_id")
        if type(pixel_id) is int:
            self.store.put(pixel_id, postback)
            self.world.fill_in([postback], self.config.seed)
            return
        encode_records([postback])  # raises InvalidRecords naming what is wrong with the id
        note = f"$.network_pixel_id: {type(pixel_id).__name__} is not an integer"
        raise InvalidRecords([RecordProblem(0, None, notes=[note])], 1)

    def add_many(self, postbacks: Iterable[dict[str, Any]]) -> None:
        """``add`` each postback; nothing is added unless all are valid."""
        postbacks = list(postbacks)
        self.store.put_many(postbacks)
        self.world.fill_in(postbacks, self.config.seed)

    def add_offer(self, offer: dict[str, Any]) -> None:
        """Serve ``offer`` (a whole offer, as ``getOffer`` answers it) under its id."""
        self.world.offers[_entity_id(offer, "network_offer_id")] = dict(offer)

    def add_affiliate(self, affiliate: dict[str, Any]) -> None:
        """Serve ``affiliate`` (as ``getAffiliate`` answers it) under its id."""
        self.world.affiliates[_entity_id(affiliate, "network_affiliate_id")] = dict(affiliate)

    def reset(self) -> None:
        """Back to the start data, clock and settings, fault draws from the seed again, no
        queued answers, an empty journal and full rate-limit buckets."""
        self.store.reset()
        self.world = self._start_world.copy()
        self.clock.reset()
        self.dynamic = self.config.dynamic
        self.fault_rng.seed(self.config.seed)
        self.answers.clear()
        self.journal.clear()
        if self.buckets is not None:
            self.buckets.reset()
        for part in list(self.parts.values()):
            part.reset()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The requests answered so far, oldest first, API keys masked."""
        return self.journal.entries()

    @functools.cached_property
    def factory(self) -> PostbackFactory:
        """The factory for the mock's seed: where created postbacks get their
        ``network_id`` and ``relationship`` (made on first use: Faker comes in here)."""
        from fixtures import PostbackFactory

        return PostbackFactory(self.config.seed)

    @functools.cached_property
    def relationships(self) -> WorldRelationships:
        """Where a write's server-filled fields come from (``WorldRelationships``)."""
        return WorldRelationships(self)

    def _generate(self, seed: int, pixel_id: int) -> bytes:
        from fixtures import PostbackFactory

        (data,) = encode_records([PostbackFactory(seed).build(pixel_id)]).encoded.values()
        return data


def _entity_id(entity: dict[str, Any], key: str) -> int:
    """``entity[key]`` when it is a positive integer, else ``ValueError`` naming the key."""
    value = entity.get(key)
    if type(value) is not int or value < 1:
        raise ValueError(f"{key}: expected a positive integer, got {value!r}")
    return value
