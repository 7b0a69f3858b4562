"""The store validates on the way in, never on the way out."""

from __future__ import annotations

import json

import pytest

from fixtures import PostbackFactory
from mock_server.records import InvalidRecords
from mock_server.store import PostbackStore


def test_holds_compact_json_bytes_of_each_postback() -> None:
    bodies = PostbackFactory().build_batch(3)
    store = PostbackStore(bodies)
    assert store.ids() == [1, 2, 3]
    stored = store.get(2)
    assert stored is not None
    assert json.loads(stored) == bodies[1]
    assert b", " not in stored


def test_invalid_start_data_loads_nothing() -> None:
    factory = PostbackFactory()
    with pytest.raises(InvalidRecords) as info:
        PostbackStore([factory.build(1), factory.build_invalid("cpc_not_global_offer", 2)])
    assert [p.index for p in info.value.problems] == [1]


def test_put_validates_and_reset_returns_to_start() -> None:
    factory = PostbackFactory()
    store = PostbackStore([factory.build(1)])
    assert store.put(9, factory.build(9)) is True
    assert store.put(9, factory.build(9, delivery_method="html")) is False
    with pytest.raises(InvalidRecords, match="delay_only_for_postback"):
        store.put(10, factory.build_invalid("delay_only_for_postback", 10))
    assert store.get(10) is None
    assert store.delete(1) is True
    assert store.delete(1) is False
    store.reset()
    assert store.ids() == [1]
    assert len(store) == 1
