"""MockState: adding, resetting and generating postbacks."""

from __future__ import annotations

import json

import pytest

from fixtures import PostbackFactory
from mock_server import InvalidRecords, MockConfig, MockState
from mock_server.state.mock_state import DYNAMIC_CACHE_SIZE
from openapi import Violation, fast_validation


def test_add_many_is_all_or_nothing() -> None:
    state = MockState(MockConfig())
    factory = PostbackFactory()
    good, bad = factory.build(7001), factory.build_invalid("html_code_required", 7002)
    with pytest.raises(InvalidRecords):
        state.add_many([good, bad])
    assert state.store.get(7001) is None
    state.add_many([good])
    assert state.store.get(7001) is not None


def test_add_needs_an_integer_id() -> None:
    body = PostbackFactory().build(1)
    body["network_pixel_id"] = "one"
    with pytest.raises(InvalidRecords, match="network_pixel_id"):
        MockState(MockConfig()).add(body)


def test_reset_restores_data_settings_journal_and_buckets() -> None:
    state = MockState(MockConfig(dynamic=False))
    state.add(PostbackFactory().build(7001))
    state.dynamic = True
    state.journal.record({"REQUEST_METHOD": "GET", "PATH_INFO": "/v1/x"}, 200)
    assert state.buckets is not None
    state.buckets.take("network")
    state.reset()
    assert state.store.get(7001) is None
    assert state.dynamic is False
    assert state.requests == []
    assert state.buckets.take("network") == (True, 49)


def test_generated_postbacks_are_the_factory_s_and_cached() -> None:
    state = MockState(MockConfig())
    data = state.generated(4, 9999)
    assert json.loads(data) == PostbackFactory(4).build(9999)
    assert state.generated(4, 9999) is data


def test_the_dynamic_cache_is_per_state_and_bounded() -> None:
    first, second = MockState(MockConfig()), MockState(MockConfig())
    for pixel_id in range(1, DYNAMIC_CACHE_SIZE + 200):
        first.generated(0, pixel_id)
    assert first.generated.cache_info().currsize == DYNAMIC_CACHE_SIZE
    assert second.generated.cache_info().currsize == 0


def test_generated_postbacks_are_checked_by_the_fast_validator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(body: object) -> list[Violation]:
        return [Violation("$.delay_ms", "maximum", "too long")]

    monkeypatch.setattr(fast_validation, "violations", refuse)
    with pytest.raises(InvalidRecords, match="too long"):
        MockState(MockConfig()).generated(0, 77)


def test_add_refuses_an_id_that_is_not_an_integer_even_when_the_schema_allows_it() -> None:
    body = PostbackFactory().build(1)
    body["network_pixel_id"] = 1.0
    with pytest.raises(InvalidRecords, match=r"1\.0 is not written as an integer"):
        MockState(MockConfig()).add(body)
