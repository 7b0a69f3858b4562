"""The store validates on the way in, never on the way out."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from fixtures import PostbackFactory
from mock_server import builtin_postbacks
from mock_server.data import records
from mock_server.data.records import MAX_ID, InvalidRecords, encode_records
from mock_server.state.index import Equals, PostbackIndex
from mock_server.state.store import PostbackStore, StoreFull
from openapi import fast_validation


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
    monkeypatch.setattr(fast_validation, "violations", None)  # any validation would fail
    store = PostbackStore(encoded)
    assert store.get(1) == encoded.encoded[1]


FACTORY = PostbackFactory(2)


def batch(count: int) -> list[dict[str, object]]:
    """Postbacks 1..count (a fresh sequence each time, unlike ``build_batch``)."""
    return [FACTORY.build(pixel_id) for pixel_id in range(1, count + 1)]


def _ids(page: bytes) -> list[int]:
    return [p["network_pixel_id"] for p in json.loads(page)["pixels"]]


def test_pages_are_cut_from_the_stored_bytes() -> None:
    store = PostbackStore(batch(7))
    page = store.page([], 2, 3)
    assert page == (
        b'{"pixels":[' + b",".join(store.get(i) or b"" for i in (4, 5, 6)) + b"],"
        b'"paging":{"page":2,"page_size":3,"total_count":7}}'
    )
    assert json.loads(store.page([], 9, 3)) == {
        "pixels": [],
        "paging": {"page": 9, "page_size": 3, "total_count": 7},
    }


def test_the_index_is_built_only_when_a_page_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[int] = []
    real = PostbackIndex.of.__func__  # type: ignore[attr-defined]

    def counting(cls: type[PostbackIndex], items: dict[int, bytes]) -> PostbackIndex:
        built.append(len(items))
        index: PostbackIndex = real(cls, items)
        return index

    monkeypatch.setattr(PostbackIndex, "of", classmethod(counting))
    store = PostbackStore(batch(5))
    store.put(9, FACTORY.build(9))
    store.delete(1)
    assert built == []
    assert _ids(store.page([], 1, 50)) == [2, 3, 4, 5, 9]
    store.reset()
    assert _ids(store.page([], 1, 50)) == [1, 2, 3, 4, 5]
    store.put(10, FACTORY.build(10))
    store.reset()
    assert _ids(store.page([], 1, 50)) == [1, 2, 3, 4, 5]
    assert built == [5, 5]  # once for the changed data, once for the start data, kept


@pytest.mark.parametrize("early_index", [False, True])
def test_every_change_is_seen_by_pages(early_index: bool) -> None:
    store = PostbackStore(batch(4))
    if early_index:
        store.page([], 1, 1)
    html = [Equals("delivery_method", frozenset({"html"}))]
    store.put(2, FACTORY.build(2, delivery_method="html"))
    store.put_many([FACTORY.build(20, delivery_method="html"), FACTORY.build(21)])
    created = json.loads(store.create(lambda i: FACTORY.build(i, delivery_method="html")))
    assert created["network_pixel_id"] == 22
    store.update(20, lambda body: {**body, **FACTORY.build(20, delivery_method="tiktok")})
    store.delete(2)
    assert _ids(store.page(html, 1, 50)) == [
        i for i in (1, 3, 4, 21, 22) if json.loads(store.get(i) or b"")["delivery_method"] == "html"
    ]
    assert _ids(store.page([], 1, 50)) == [1, 3, 4, 20, 21, 22]


def test_create_gives_ids_above_every_id_stored_since_the_reset() -> None:
    store = PostbackStore(batch(3))
    assert json.loads(store.create(FACTORY.build))["network_pixel_id"] == 4
    store.delete(4)
    assert json.loads(store.create(FACTORY.build))["network_pixel_id"] == 5
    store.reset()
    assert json.loads(store.create(FACTORY.build))["network_pixel_id"] == 4


def test_a_create_that_breaks_the_spec_stores_nothing() -> None:
    store = PostbackStore(batch(3))
    with pytest.raises(InvalidRecords, match="html_code_required"):
        store.create(
            lambda i: {**FACTORY.build_invalid("html_code_required"), "network_pixel_id": i}
        )
    assert store.ids() == [1, 2, 3]
    assert json.loads(store.create(FACTORY.build))["network_pixel_id"] == 4


def test_creates_stop_at_the_count_and_byte_bounds() -> None:
    by_count = PostbackStore(batch(3), max_postbacks=4)
    by_count.create(FACTORY.build)
    with pytest.raises(StoreFull, match="limit of 4 postbacks"):
        by_count.create(FACTORY.build)
    by_count.delete(1)
    by_count.create(FACTORY.build)
    start = batch(3)
    size = sum(len(records.encode_records([b]).encoded[b["network_pixel_id"]]) for b in start)
    by_bytes = PostbackStore(start, max_bytes=size + 1)
    by_bytes.create(FACTORY.build)
    with pytest.raises(StoreFull, match="bytes"):
        by_bytes.create(FACTORY.build)
    by_bytes.reset()
    by_bytes.create(FACTORY.build)


def test_no_id_is_left_above_the_largest() -> None:
    store = PostbackStore([FACTORY.build(MAX_ID)])
    with pytest.raises(StoreFull, match="No postback id is left"):
        store.create(FACTORY.build)


def test_update_changes_in_place_or_not_at_all() -> None:
    store = PostbackStore(batch(2))
    before = store.get(1)
    assert store.update(5, lambda body: body) is None

    def refuse(body: dict[str, object]) -> dict[str, object]:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        store.update(1, refuse)
    with pytest.raises(InvalidRecords):
        store.update(1, lambda body: {**body, "delay_ms": -1})
    assert store.get(1) == before
    generated = records.encode_records([FACTORY.build(7)]).encoded[7]
    assert store.update(7, lambda body: body, missing=generated) == generated
    assert store.ids() == [1, 2, 7]


def test_postbacks_are_decoded_in_id_order() -> None:
    bodies = [FACTORY.build(i) for i in (5, 2, 9)]
    assert PostbackStore(bodies).postbacks() == sorted(bodies, key=lambda b: b["network_pixel_id"])


def test_prepare_builds_the_index_before_the_first_page() -> None:
    store = PostbackStore(builtin_postbacks(0))
    assert store._index is None
    store.prepare()
    assert store._index is not None
    assert b'"total_count":54' in store.page([], 1, 50)


def test_a_change_runs_without_the_lock_and_again_when_another_write_came_first() -> None:
    store = PostbackStore([FACTORY.build(1, delivery_method="postback", delay_ms=1)])
    seen: list[int] = []

    def change(body: dict[str, Any]) -> dict[str, Any]:
        seen.append(body["delay_ms"])
        if len(seen) == 1:  # another write lands while this change is being made
            store.put(1, {**body, "delay_ms": 2})
        return {**body, "delay_ms": body["delay_ms"] + 10}

    data = store.update(1, change)
    assert seen == [1, 2]
    assert data is not None
    assert json.loads(data)["delay_ms"] == 12
    assert store.get(1) == data


def test_a_create_builds_without_the_lock_and_again_when_another_write_took_its_id() -> None:
    store = PostbackStore(batch(3))
    asked: list[int] = []

    def make(pixel_id: int) -> dict[str, Any]:
        asked.append(pixel_id)
        if len(asked) == 1:  # another create lands while this one is being made
            assert json.loads(store.create(FACTORY.build))["network_pixel_id"] == 4
        return FACTORY.build(pixel_id)

    made: list[bytes] = []
    creating = threading.Thread(target=lambda: made.append(store.create(make)), daemon=True)
    creating.start()
    creating.join(10)
    assert not creating.is_alive(), "the create held the store's lock while making its body"
    assert json.loads(made[0])["network_pixel_id"] == 5
    assert asked == [4, 5]
    assert store.ids() == [1, 2, 3, 4, 5]
