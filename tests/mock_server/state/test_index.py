"""The index answers every condition as a scan of the bodies would, and stays right on change."""

from __future__ import annotations

import json
import operator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures import QUIRKS, PostbackFactory
from mock_server.state.index import (
    ID_FIELD,
    Compare,
    Condition,
    Contains,
    Either,
    Equals,
    PostbackIndex,
)

FACTORY = PostbackFactory(3)
BODIES = {i: FACTORY.build(i) for i in range(1, 121)}
BODIES.update({200 + n: FACTORY.build(200 + n, quirks=[q]) for n, q in enumerate(QUIRKS)})
OFFERS = sorted({b["network_offer_id"] for b in BODIES.values()})
AFFILIATES = sorted({b["network_affiliate_id"] for b in BODIES.values()})
TIMES = sorted({b["time_created"] for b in BODIES.values() if "time_created" in b})
WORDS = ["s2s", "tiktok", "img", "{sub1}", "https", "zzz", "PURCHASE", "Lead"]
OPS = {"=": operator.eq, "<": operator.lt, ">": operator.gt}


def holds(condition: Condition, pixel_id: int, body: dict[str, Any]) -> bool:
    """What a condition means, read straight from the body."""
    if isinstance(condition, Either):
        return any(holds(part, pixel_id, body) for part in condition.parts)
    if isinstance(condition, Contains):
        return any(
            condition.text in str(body.get(field) or "").casefold() for field in condition.fields
        )
    if isinstance(condition, Equals):
        value = pixel_id if condition.field == ID_FIELD else body.get(condition.field, object())
        return value in condition.values
    value = body.get(condition.field)
    return type(value) is int and OPS[condition.op](value, condition.value)


def equals(field: str, values: list[Any]) -> st.SearchStrategy[Condition]:
    return st.frozensets(st.sampled_from(values), min_size=1, max_size=3).map(
        lambda chosen: Equals(field, chosen)
    )


conditions: st.SearchStrategy[Condition] = st.one_of(
    equals("pixel_status", ["active", "inactive"]),
    equals("delivery_method", ["postback", "html", "tiktok", "rumble", "fax"]),
    equals("pixel_level", ["global", "specific", "global_offer"]),
    equals("pixel_type", ["conversion", "cpc", "event"]),
    equals("network_offer_id", [0, *OFFERS[:5], 999999]),
    equals("network_affiliate_id", [0, *AFFILIATES[:5]]),
    equals(ID_FIELD, [1, 7, 55, 200, 5000]),
    st.builds(
        Compare,
        st.sampled_from(["network_offer_id", "network_affiliate_id", "time_created", "time_saved"]),
        st.sampled_from(["=", "<", ">"]),
        st.sampled_from([0, *OFFERS[:3], *TIMES[::20]]),
    ),
    st.builds(
        Contains,
        st.sampled_from([("description",), ("postback_url", "html_code")]),
        st.sampled_from(WORDS).map(str.casefold),
    ),
)
conditions = st.one_of(
    conditions,
    st.lists(conditions, min_size=1, max_size=3).map(lambda parts: Either(tuple(parts))),
)


def index_of(bodies: dict[int, dict[str, Any]]) -> PostbackIndex:
    return PostbackIndex.of({i: json.dumps(b).encode() for i, b in bodies.items()})


INDEX = index_of(BODIES)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(chosen=st.lists(conditions, max_size=4))
def test_select_is_what_a_scan_of_the_bodies_finds(chosen: list[Condition]) -> None:
    expected = [i for i in sorted(BODIES) if all(holds(c, i, BODIES[i]) for c in chosen)]
    assert list(INDEX.select(chosen)) == expected


def test_a_condition_on_a_field_the_index_does_not_keep_fails_loudly() -> None:
    # Only the fields list and search read are indexed; another one is a bug, not a miss.
    with pytest.raises(KeyError):
        INDEX.select([Compare("delay_ms", ">", 0)])


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.booleans(), st.sampled_from(sorted(BODIES)), st.integers(1, 500)),
        max_size=25,
    ),
    chosen=st.lists(conditions, max_size=3),
)
def test_the_index_stays_right_on_every_change(
    changes: list[tuple[bool, int, int]], chosen: list[Condition]
) -> None:
    bodies = dict(list(BODIES.items())[:40])
    index = index_of(bodies)
    start = index.copy()
    for keep, pixel_id, seed in changes:
        if keep:
            bodies[pixel_id] = PostbackFactory(seed).build(pixel_id)
            index.add(pixel_id, bodies[pixel_id])
        else:
            bodies.pop(pixel_id, None)
            index.remove(pixel_id)
    assert index.ids == sorted(bodies)
    assert len(index) == len(bodies)
    expected = [i for i in sorted(bodies) if all(holds(c, i, bodies[i]) for c in chosen)]
    assert list(index.select(chosen)) == expected
    assert list(start.select(chosen)) == list(
        index_of(dict(list(BODIES.items())[:40])).select(chosen)
    )


def test_no_conditions_select_every_id_in_order() -> None:
    index = PostbackIndex()
    for pixel_id in (5, 1, 9, 3):
        index.add(pixel_id, BODIES[pixel_id])
    assert index.select([]) == [1, 3, 5, 9]
    assert 5 in index
    index.remove(5)
    index.remove(5)
    assert index.select([]) == [1, 3, 9]


def test_a_caller_cannot_change_the_index_through_what_select_gives() -> None:
    index = index_of(BODIES)
    found = index.select([Equals("pixel_status", frozenset({"active"}))])
    assert isinstance(found, list)
    found.clear()
    assert index.select([Equals("pixel_status", frozenset({"active"}))])


@pytest.mark.parametrize("field", ["time_created", "time_saved"])
@pytest.mark.parametrize("descending", [False, True])
def test_ordered_sorts_by_a_time_stably_with_postbacks_lacking_it_last(
    field: str, descending: bool
) -> None:
    index = PostbackIndex.of({i: json.dumps(body).encode() for i, body in BODIES.items()})
    ids = index.select([])
    found = list(index.ordered(ids, field, descending))
    assert sorted(found) == list(ids)
    timed = [i for i in ids if field in BODIES[i]]
    expected = sorted(
        timed, key=lambda i: (-BODIES[i][field] if descending else BODIES[i][field], i)
    )
    assert found == expected + [i for i in ids if field not in BODIES[i]]
    assert len(timed) < len(ids)  # a quirk without times is among them


def test_ordered_by_id_is_the_ids_either_way() -> None:
    index = PostbackIndex.of({i: json.dumps(BODIES[i]).encode() for i in (5, 1, 9)})
    assert list(index.ordered(index.select([]), ID_FIELD, False)) == [1, 5, 9]
    assert list(index.ordered(index.select([]), ID_FIELD, True)) == [9, 5, 1]
