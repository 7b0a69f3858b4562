"""MockState: adding, resetting and generating postbacks."""

from __future__ import annotations

import json

import pytest

from fixtures import PostbackFactory
from mock_server import InvalidRecords, MockConfig, MockState


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
    state.buckets.take("k")
    state.reset()
    assert state.store.get(7001) is None
    assert state.dynamic is False
    assert state.requests == []
    assert state.buckets.take("k") == (True, 49)


def test_generated_postbacks_are_the_factory_s_and_cached() -> None:
    state = MockState(MockConfig())
    data = state.generated(4, 9999)
    assert json.loads(data) == PostbackFactory(4).build(9999)
    assert state.generated(4, 9999) is data
