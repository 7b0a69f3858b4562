"""The store validates on the way in, never on the way out."""

from __future__ import annotations

import json

import pytest

from fixtures import PostbackFactory
from mock_server import records
from mock_server.records import InvalidRecords, encode_records
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


def test_put_refuses_what_cannot_be_sent_as_json() -> None:
    store = PostbackStore([])
    body = PostbackFactory().build(5)
    body["undocumented"] = [1.0, float("inf")]
    with pytest.raises(InvalidRecords, match=r"\$.undocumented\[1\]: inf is not JSON"):
        store.put(5, body)
    assert store.get(5) is None


def test_put_needs_the_id_it_is_stored_under() -> None:
    store = PostbackStore([])
    with pytest.raises(InvalidRecords, match="network_pixel_id: 6 differs from the id 5"):
        store.put(5, PostbackFactory().build(6))
    assert store.put(
        5, {k: v for k, v in PostbackFactory().build(5).items() if k != "network_pixel_id"}
    )


def test_put_many_is_all_or_nothing() -> None:
    factory = PostbackFactory()
    store = PostbackStore([])
    with pytest.raises(InvalidRecords):
        store.put_many([factory.build(1), factory.build_invalid("cpc_not_global_offer", 2)])
    assert len(store) == 0
    store.put_many([factory.build(1), factory.build(2)])
    assert store.ids() == [1, 2]


def test_encoded_start_data_is_taken_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    encoded = encode_records(PostbackFactory().build_batch(2))
    monkeypatch.setattr(records, "violations", None)  # any validation would fail
    store = PostbackStore(encoded)
    assert store.get(1) == encoded.encoded[1]
