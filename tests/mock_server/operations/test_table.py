"""Every operation of the spec, through Flask's test client and a real socket, with the state
semantics the spec's descriptions choose. Every answer is judged by the spec on the way."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from fixtures import RULES, PostbackFactory
from mock_server import RateLimit, builtin_postbacks, get_state
from mock_server.core.clock import DEFAULT_START
from mock_server.data.catalogue import builtin_world
from mock_server.testing.spawn import spawn_serve
from openapi.httpx_validation import request_violations, response_violations

from ..conftest import API, KEY, PIXELS, MakeTalker, Talker

SEARCH = "/v1/networks/pixelstable"
CATALOGUE = builtin_postbacks(0)
FACTORY = PostbackFactory(0)
WORLD = builtin_world(0)
OFFER_IDS = [offer["network_offer_id"] for offer in WORLD["offers"]]
"""Offers of the mock's world (seed 0): writes must name them (references are strict)."""
AFFILIATE_IDS = [affiliate["network_affiliate_id"] for affiliate in WORLD["affiliates"]]
NEXT_ID = max(p["network_pixel_id"] for p in CATALOGUE) + 1


def ids(answer: Any) -> list[int]:
    return [p["network_pixel_id"] for p in answer.json()["pixels"]]


def catalogue_ids(keep: Callable[[dict[str, Any]], bool]) -> list[int]:
    return [p["network_pixel_id"] for p in CATALOGUE if keep(p)]


def listing(talker: Talker, **query: Any) -> Any:
    pairs = [
        (k, v)
        for k, values in query.items()
        for v in (values if isinstance(values, list) else [values])
    ]
    return talker.get(API + ("?" + urlencode(pairs) if pairs else ""), KEY)


# --- list --------------------------------------------------------------------------------


def test_list_pages_are_1_based_50_by_default_ordered_by_id(talker: Talker) -> None:
    first = listing(talker)
    assert first.status == 200
    assert first.json()["paging"] == {"page": 1, "page_size": 50, "total_count": len(CATALOGUE)}
    assert first.json()["pixels"] == CATALOGUE[:50]
    second = listing(talker, page=2)
    assert ids(second) == catalogue_ids(lambda p: p["network_pixel_id"] > 50)
    assert first.headers["X-RateLimit-Remaining"] == "49"


def test_list_page_size_and_a_page_past_the_last(talker: Talker) -> None:
    assert ids(listing(talker, page=3, page_size=5)) == [11, 12, 13, 14, 15]
    past = listing(talker, page=99, page_size=5)
    assert past.status == 200
    assert past.json() == {
        "pixels": [],
        "paging": {"page": 99, "page_size": 5, "total_count": len(CATALOGUE)},
    }
    assert len(ids(listing(talker, page_size=2000))) == len(CATALOGUE)


def test_list_pages_are_stable_and_cover_everything_once(talker: Talker) -> None:
    pages = [ids(listing(talker, page=n, page_size=7)) for n in range(1, 9)]
    assert [i for page in pages for i in page] == [p["network_pixel_id"] for p in CATALOGUE]
    assert pages == [ids(listing(talker, page=n, page_size=7)) for n in range(1, 9)]


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("page", "0", "page must be an integer from 1 to 2147483647"),
        ("page", "abc", "page must be an integer"),
        ("page", "", "page must be an integer"),
        ("page_size", "2001", "page_size must be an integer from 1 to 2000"),
        ("page_size", "0", "page_size must be an integer"),
        ("page_size", "-5", "page_size must be an integer"),
        ("filter", "pixel_status=paused", "filter 'pixel_status=paused' is not documented"),
        ("filter", "pixel_level=global", "filter 'pixel_level=global' is not documented"),
        ("filter", "network_offer_id>=5", "is not documented"),
        ("filter", "delivery_method<tiktok", "is not documented"),
        ("filter", "", "filter '' is not documented"),
    ],
)
def test_list_refuses_bad_parameters_naming_them(
    talker: Talker, name: str, value: str, named: str
) -> None:
    answer = listing(talker, **{name: value})
    assert answer.status == 400
    assert named in answer.json()["error"]


def test_list_takes_at_most_16_filters(talker: Talker) -> None:
    assert listing(talker, filter=["pixel_status=active"] * 16).status == 200
    refused = listing(talker, filter=["pixel_status=active"] * 17)
    assert refused.status == 400
    assert refused.json() == {"error": "At most 16 filter parameters may be given."}


def test_a_long_bad_filter_is_echoed_only_in_part(talker: Talker) -> None:
    answer = listing(talker, filter="x" * 5000)
    assert answer.status == 400
    assert len(answer.json()["error"]) < 600


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        (["delivery_method=tiktok"], lambda p: p["delivery_method"] == "tiktok"),
        (["pixel_status=inactive"], lambda p: p["pixel_status"] == "inactive"),
        (["pixel_type=cpc"], lambda p: p["pixel_type"] == "cpc"),
        (["pixel_type=post_conversion"], lambda p: p["pixel_type"] == "event"),
        (["pixel_type=event"], lambda p: p["pixel_type"] == "event"),
        (
            ["delivery_method=postback", "pixel_status=active"],
            lambda p: p["delivery_method"] == "postback" and p["pixel_status"] == "active",
        ),
        (
            [f"network_offer_id={CATALOGUE[3]['network_offer_id']}"],
            lambda p: p["network_offer_id"] == CATALOGUE[3]["network_offer_id"],
        ),
        (["network_offer_id=0"], lambda p: p["network_offer_id"] == 0),
        (["network_affiliate_id>0"], lambda p: p["network_affiliate_id"] > 0),
        (["network_offer_payout_revenue_id>0"], lambda p: p["network_offer_payout_revenue_id"] > 0),
        (
            ["time_created>1700000000", "time_created<1740000000"],
            lambda p: "time_created" in p and 1700000000 < p["time_created"] < 1740000000,
        ),
        (
            [f"time_saved={CATALOGUE[9]['time_saved']}"],
            lambda p: p.get("time_saved") == CATALOGUE[9]["time_saved"],
        ),
    ],
)
def test_list_filters_compare_the_stored_field(
    talker: Talker, filters: list[str], keep: Callable[[dict[str, Any]], bool]
) -> None:
    answer = listing(talker, filter=filters, page_size=2000)
    expected = catalogue_ids(keep)
    assert ids(answer) == expected
    assert answer.json()["paging"]["total_count"] == len(expected)


def test_list_filter_on_an_offer_leaves_global_postbacks_out(talker: Talker) -> None:
    offer = CATALOGUE[3]["network_offer_id"]
    found = ids(listing(talker, filter=f"network_offer_id={offer}"))
    assert all(CATALOGUE[i - 1]["pixel_level"] != "global" for i in found)


def test_list_ignores_other_parameters_and_reads_a_repeated_page_once(talker: Talker) -> None:
    assert ids(listing(talker, page_size=3, sort="desc", foo="bar")) == [1, 2, 3]
    assert talker.get(API + "?page=2&page=abc&page_size=3", KEY).json()["paging"]["page"] == 2


# --- create ------------------------------------------------------------------------------


def test_create_stores_the_body_with_server_fields_and_answers_200(talker: Talker) -> None:
    body = FACTORY.build_input(700, delivery_method="tiktok", pixel_level="specific")
    answer = talker.post(API, body)
    assert answer.status == 200
    created = answer.json()
    assert created["network_pixel_id"] == NEXT_ID
    assert created["network_id"] == FACTORY.network_id
    assert created["time_created"] == created["time_saved"] == DEFAULT_START
    assert created["relationship"] == FACTORY.relationship(
        body["network_offer_id"], body["network_affiliate_id"], "specific"
    )
    assert {k: created[k] for k in body} == body
    assert created["html_code"] == ""
    assert created["postback_url"] == ""
    assert created["facebook_pixel"] is None
    assert list(created) == [
        "network_pixel_id", "network_id", "network_affiliate_id", "network_offer_id",
        "network_offer_payout_revenue_id", "delivery_method", "pixel_level", "pixel_status",
        "pixel_type", "postback_url", "html_code", "description", "delay_ms", "time_created",
        "time_saved", "facebook_pixel", "tiktok_pixel", "snapchat_pixel", "rumble_pixel",
        "relationship",
    ]  # fmt: skip
    assert talker.get(PIXELS + str(NEXT_ID), KEY).json() == created


def test_created_ids_rise_above_every_id_ever_stored_and_the_clock_ticks(talker: Talker) -> None:
    first = talker.post(API, FACTORY.build_input(1)).json()
    assert talker.delete(PIXELS + str(first["network_pixel_id"])).status == 200
    second = talker.post(API, FACTORY.build_input(2)).json()
    assert second["network_pixel_id"] == first["network_pixel_id"] + 1
    assert second["time_created"] == first["time_created"] + 1
    assert get_state(talker.app).store.put(10**6, FACTORY.build(10**6)) is True
    assert talker.post(API, FACTORY.build_input(3)).json()["network_pixel_id"] == 10**6 + 1


def test_create_ignores_server_filled_and_undocumented_fields(talker: Talker) -> None:
    fetched = talker.get(PIXELS + "4", KEY).json()
    answer = talker.post(API, {**fetched, "surprise": {"nested": True}, "network_id": 1})
    created = answer.json()
    assert answer.status == 200
    assert "surprise" not in created
    assert created["network_pixel_id"] == NEXT_ID
    assert created["network_id"] == FACTORY.network_id
    assert created["time_created"] == DEFAULT_START
    assert created["description"] == fetched["description"]


def test_create_fills_left_out_writable_fields_with_zero_and_empty(talker: Talker) -> None:
    body = {
        "network_affiliate_id": AFFILIATE_IDS[0],
        "delivery_method": "html",
        "html_code": "<img src='https://x.example/p.gif'>",
        "pixel_level": "global",
        "pixel_type": "conversion",
        "pixel_status": "inactive",
    }
    created = talker.post(API, body).json()
    assert created["network_offer_id"] == 0
    assert created["delay_ms"] == 0
    assert created["description"] == ""
    assert created["postback_url"] == ""
    assert created["relationship"]["affiliate"]["network_affiliate_id"] == AFFILIATE_IDS[0]
    assert "offer" not in created["relationship"]


def test_post_conversion_is_stored_and_answered_as_event_and_selected_by_both_names(
    talker: Talker,
) -> None:
    body = FACTORY.build_input(8, pixel_type="event", pixel_level="specific")
    created = talker.post(API, {**body, "pixel_type": "post_conversion"}).json()
    assert created["pixel_type"] == "event"
    pixel_id = created["network_pixel_id"]
    assert talker.get(f"{PIXELS}{pixel_id}", KEY).json()["pixel_type"] == "event"
    replaced = talker.put(f"{PIXELS}{pixel_id}", {**created, "pixel_type": "post_conversion"})
    assert replaced.json()["pixel_type"] == "event"
    for name in ("post_conversion", "event"):
        listed = listing(talker, filter=f"pixel_type={name}", page_size=2000).json()["pixels"]
        assert pixel_id in [p["network_pixel_id"] for p in listed]
        found = talker.post(
            "/v1/networks/pixelstable?page_size=2000", {"query": {"filters": {"pixel_type": name}}}
        ).json()["pixels"]
        assert pixel_id in [p["network_pixel_id"] for p in found]
        assert {p["pixel_type"] for p in found} == {"event"}


@pytest.mark.parametrize("rule", RULES)
def test_create_refuses_a_broken_rule_naming_it_and_stores_nothing(
    talker: Talker, rule: str
) -> None:
    answer = talker.post(API, FACTORY.build_invalid_input(rule, 5))
    assert answer.status == 400
    assert answer.json()["error"].startswith(f"{rule}: ")
    assert len(get_state(talker.app).store) == len(CATALOGUE)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"delay_ms": 400000}, "delay_ms: 400000 is greater than the maximum of 300000"),
        ({"pixel_status": "paused"}, "pixel_status: 'paused' is not one of"),
        ({"network_offer_id": "93"}, "network_offer_id: '93' is not of type 'integer'"),
        ({"time_created": "yesterday"}, "time_created: 'yesterday' is not of type 'integer'"),
        ({"relationship": []}, "relationship: [] is not of type 'object'"),
        ({"pixel_type": None}, "pixel_type: None is not of type 'string'"),
    ],
)
def test_create_refuses_a_bad_field_naming_it(
    talker: Talker, change: dict[str, Any], named: str
) -> None:
    body = {**FACTORY.build_input(6, delivery_method="postback"), **change}
    answer = talker.post(API, body)
    assert answer.status == 400
    assert named in answer.json()["error"]


def test_create_refuses_a_body_without_a_required_field(talker: Talker) -> None:
    body = FACTORY.build_input(6)
    del body["pixel_status"]
    answer = talker.post(API, body)
    assert answer.status == 400
    assert answer.json() == {"error": "'pixel_status' is a required property"}


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"", "The body is not plain JSON"),
        (b"{", "The body is not plain JSON"),
        (b'{"a": NaN}', "The body is not plain JSON"),
        (b'{"a": 1, "a": 2}', "The body is not plain JSON"),
        (b"[]", "The body must be a JSON object (PartnerPostbackInput)."),
        (b"null", "The body must be a JSON object"),
    ],
)
def test_create_refuses_what_is_not_a_json_object(
    talker: Talker, content: bytes, named: str
) -> None:
    answer = talker.request("POST", API, KEY, content=content)
    assert answer.status == 400
    assert answer.json()["error"].startswith(named)
    assert len(answer.json()["error"]) < 600


def test_a_400_names_at_most_three_problems_and_counts_the_rest(talker: Talker) -> None:
    answer = talker.post(API, {})
    assert answer.status == 400
    assert answer.json()["error"].endswith("(and 2 more)")


def test_a_400_does_not_repeat_a_huge_bad_value(talker: Talker) -> None:
    body = {**FACTORY.build_input(6), "delivery_method": "x" * 100_000}
    answer = talker.post(API, body)
    assert answer.status == 400
    assert len(answer.body) < 1000


def test_write_errors_take_the_error_key(make_talker: MakeTalker) -> None:
    talker = make_talker(error_key="Error")
    answer = talker.post(API, FACTORY.build_invalid_input("html_code_required"))
    assert answer.json() == {
        "Error": "html_code_required: HTML delivery needs non-empty html_code."
    }


def test_integral_numbers_are_stored_as_integers(talker: Talker) -> None:
    body = FACTORY.build_input(8, delivery_method="rumble", pixel_level="specific")
    body["network_affiliate_id"] = float(body["network_affiliate_id"])
    body["rumble_pixel"]["conversion_action_id"] = 12.0
    answer = talker.request("POST", API, KEY, content=json.dumps(body).encode())
    created = answer.json()
    assert type(created["network_affiliate_id"]) is int
    assert type(created["rumble_pixel"]["conversion_action_id"]) is int
    assert b"12.0" not in answer.body


def test_creates_stop_at_the_store_bound(make_talker: MakeTalker) -> None:
    talker = make_talker(max_postbacks=len(CATALOGUE) + 1)
    assert talker.post(API, FACTORY.build_input(1)).status == 200
    full = talker.post(API, FACTORY.build_input(2))
    assert full.status == 500
    assert "limit of 55 postbacks" in full.json()["error"]


def test_replacing_generated_postbacks_stops_at_the_store_bound(make_talker: MakeTalker) -> None:
    talker = make_talker(dynamic=True, max_postbacks=len(CATALOGUE) + 1)
    for pixel_id, status in ((424242, 200), (424243, 500), (4, 200)):
        fetched = talker.get(PIXELS + str(pixel_id), KEY).json()
        answer = talker.put(PIXELS + str(pixel_id), fetched)
        assert answer.status == status, answer.json()
    assert len(get_state(talker.app).store) == len(CATALOGUE) + 1


def test_no_id_left_is_a_500_not_a_crash(make_talker: MakeTalker) -> None:
    talker = make_talker()
    get_state(talker.app).store.put(2**63 - 1, FACTORY.build(2**63 - 1))
    answer = talker.post(API, FACTORY.build_input(1))
    assert answer.status == 500
    assert "No postback id is left" in answer.json()["error"]


# --- replace -----------------------------------------------------------------------------


def test_fetch_modify_put_keeps_created_time_and_moves_saved_time(talker: Talker) -> None:
    fetched = talker.get(PIXELS + "4", KEY).json()
    changed = {**fetched, "description": "Renamed", "pixel_status": "inactive"}
    answer = talker.put(PIXELS + "4", changed)
    assert answer.status == 200
    replaced = answer.json()
    assert replaced["description"] == "Renamed"
    assert replaced["pixel_status"] == "inactive"
    assert replaced["time_created"] == fetched["time_created"]
    assert replaced["time_saved"] == DEFAULT_START > fetched["time_saved"]
    assert replaced["network_id"] == fetched["network_id"]
    assert replaced["relationship"] == fetched["relationship"]
    assert talker.get(PIXELS + "4", KEY).json() == replaced
    again = talker.put(PIXELS + "4", replaced).json()
    assert again["time_saved"] == replaced["time_saved"] + 1


def test_replace_moves_time_saved_forward_even_from_the_future(make_talker: MakeTalker) -> None:
    talker = make_talker(clock=1_000)
    fetched = talker.get(PIXELS + "4", KEY).json()
    assert talker.put(PIXELS + "4", fetched).json()["time_saved"] == fetched["time_saved"] + 1


def test_replace_is_not_a_patch_and_ignores_server_fields(talker: Talker) -> None:
    fetched = talker.get(PIXELS + "1", KEY).json()
    body = {k: fetched[k] for k in ("network_affiliate_id", "delivery_method", "postback_url")}
    body.update(pixel_level="global", pixel_type="conversion", pixel_status="active")
    body.update(time_created=5, network_id=3, relationship={}, extra="x")
    replaced = talker.put(PIXELS + "1", body).json()
    assert replaced["description"] == ""
    assert replaced["time_created"] == fetched["time_created"]
    assert replaced["network_id"] == fetched["network_id"]
    assert replaced["relationship"] == fetched["relationship"]
    assert "extra" not in replaced


def test_replace_follows_new_ids_in_the_relationship(talker: Talker) -> None:
    fetched = talker.get(PIXELS + "4", KEY).json()
    body = {**fetched, "pixel_level": "global_offer", "network_affiliate_id": 0}
    body["pixel_type"] = "conversion"
    replaced = talker.put(PIXELS + "4", body).json()
    assert replaced["relationship"] == {"offer": fetched["relationship"]["offer"]}
    other = next(i for i in OFFER_IDS if i != fetched["network_offer_id"])
    moved = talker.put(PIXELS + "4", {**replaced, "network_offer_id": other}).json()
    assert moved["relationship"] == FACTORY.relationship(other, 0, "global_offer")


def test_the_level_of_a_cpc_postback_cannot_change(talker: Talker) -> None:
    cpc = talker.get(PIXELS + "2", KEY).json()
    assert (cpc["pixel_type"], cpc["pixel_level"]) == ("cpc", "global")
    for pixel_type in ("cpc", "conversion"):
        body = {
            **cpc,
            "pixel_level": "specific",
            "network_offer_id": OFFER_IDS[0],
            "pixel_type": pixel_type,
        }
        answer = talker.put(PIXELS + "2", body)
        assert answer.status == 400
        assert answer.json()["error"].startswith("pixel_level: ")
    assert talker.get(PIXELS + "2", KEY).json() == cpc
    assert talker.put(PIXELS + "2", {**cpc, "description": "ok"}).status == 200


def test_a_cpc_level_may_be_chosen_when_the_stored_postback_is_not_cpc(talker: Talker) -> None:
    stored = talker.get(PIXELS + "1", KEY).json()
    body = {
        **stored,
        "pixel_type": "cpc",
        "pixel_level": "specific",
        "network_offer_id": OFFER_IDS[1],
    }
    assert talker.put(PIXELS + "1", body).status == 200


def test_replace_refuses_another_postbacks_id(talker: Talker) -> None:
    fetched = talker.get(PIXELS + "4", KEY).json()
    answer = talker.put(PIXELS + "5", fetched)
    assert answer.status == 400
    assert answer.json() == {"error": "network_pixel_id: the body's id 4 is not the path's id 5."}
    assert talker.get(PIXELS + "5", KEY).json() == CATALOGUE[4]


def test_replace_of_an_unknown_id_is_404_and_a_bad_body_400(talker: Talker) -> None:
    assert talker.put(PIXELS + "999999", FACTORY.build_input(1)).status == 404
    assert talker.put(PIXELS + "abc", FACTORY.build_input(1)).status == 400
    bad = talker.put(PIXELS + "4", FACTORY.build_invalid_input("global_has_no_offer"))
    assert bad.status == 400
    assert bad.json()["error"].startswith("global_has_no_offer: ")
    assert talker.get(PIXELS + "4", KEY).json() == CATALOGUE[3]


def test_in_dynamic_mode_a_generated_postback_can_be_fetched_modified_and_put(
    make_talker: MakeTalker,
) -> None:
    talker = make_talker(dynamic=True)
    fetched = talker.get(PIXELS + "424242", KEY).json()
    replaced = talker.put(PIXELS + "424242", {**fetched, "description": "mine now"}).json()
    assert replaced["time_created"] == fetched["time_created"]
    assert talker.get(PIXELS + "424242", KEY).json()["description"] == "mine now"


# --- delete ------------------------------------------------------------------------------


def test_delete_answers_result_true_then_get_and_delete_are_404(talker: Talker) -> None:
    answer = talker.delete(PIXELS + "7")
    assert answer.status == 200
    assert answer.json() == {"result": True}
    assert talker.get(PIXELS + "7", KEY).status == 404
    assert talker.delete(PIXELS + "7").status == 404
    assert 7 not in ids(listing(talker))
    assert listing(talker).json()["paging"]["total_count"] == len(CATALOGUE) - 1


def test_delete_of_an_unknown_or_bad_id(talker: Talker) -> None:
    assert talker.delete(PIXELS + "999999").status == 404
    assert talker.delete(PIXELS + "0").status == 400
    assert talker.delete(PIXELS + "999999", {**KEY, "Prefer": "code=200"}).json() == {
        "result": True
    }


# --- search ------------------------------------------------------------------------------


def search(talker: Talker, body: Any, query: str = "") -> Any:
    return talker.post(SEARCH + query, body)


def test_an_empty_search_selects_everything_and_pages_like_the_list(talker: Talker) -> None:
    for body in ({}, {"query": {}}, {"query": {"search_terms": [], "filters": {}}}):
        answer = search(talker, body)
        assert answer.status == 200
        listed = listing(talker).json()
        assert answer.json()["paging"] == listed["paging"]
        assert ids(answer) == [p["network_pixel_id"] for p in listed["pixels"]]
    assert ids(search(talker, {}, "?page=2&page_size=10")) == list(range(11, 21))
    assert search(talker, {}, "?page_size=0").status == 400


@pytest.mark.parametrize(
    ("body", "query"),
    [
        ({"paging": {"page": 2, "page_size": 10}}, ""),
        ({"page": 2, "page_size": 10}, ""),
        ({"paging": {"page": 2}, "page_size": 10}, ""),
        ({"paging": {"page_size": 10}}, "?page=2"),
        ({"paging": {"page": 2, "page_size": 10}, "page": 2}, "?page=2&page_size=10"),
        ({"search_terms": [], "paging": {"page": 2, "page_size": 10}, "sort": {}}, ""),
    ],
)
def test_search_takes_paging_from_the_query_the_body_or_a_paging_object(
    talker: Talker, body: dict[str, Any], query: str
) -> None:
    answer = search(talker, body, query)
    assert answer.status == 200
    assert answer.json()["paging"] == {"page": 2, "page_size": 10, "total_count": len(CATALOGUE)}
    assert ids(answer) == list(range(11, 21))


def test_search_paging_a_page_of_100_as_a_typescript_client_asks(talker: Talker) -> None:
    answer = search(talker, {"search_terms": [], "paging": {"page": 1, "page_size": 100}})
    assert answer.json()["paging"]["page_size"] == 100
    assert len(ids(answer)) == min(100, len(CATALOGUE))


@pytest.mark.parametrize(
    ("body", "query", "paging", "warning"),
    [
        (  # the request: valid by the spec, Schemathesis's ST202 when refused
            {"paging": {"page_size": 50}},
            "?page_size=1999",
            {"page": 1, "page_size": 1999},
            "ignored paging.page_size (sent twice, with another value; "
            "query parameter page_size wins)",
        ),
        (
            {"paging": {"page": 3}},
            "?page=2",
            {"page": 2, "page_size": 50},
            "ignored paging.page (sent twice, with another value; query parameter page wins)",
        ),
        (
            {"paging": {"page_size": 10}, "page_size": 20},
            "",
            {"page": 1, "page_size": 10},
            "ignored page_size (sent twice, with another value; paging.page_size wins)",
        ),
        (
            {"page": 3, "page_size": 20},
            "?page_size=10",
            {"page": 3, "page_size": 10},
            "ignored page_size (sent twice, with another value; query parameter page_size wins)",
        ),
    ],
)
def test_search_paging_that_disagrees_is_lenient_the_query_string_winning(
    make_talker: MakeTalker,
    body: dict[str, Any],
    query: str,
    paging: dict[str, int],
    warning: str,
) -> None:
    answer = search(make_talker(), body, query)
    assert answer.status == 200
    assert answer.json()["paging"] == {**paging, "total_count": len(CATALOGUE)}
    assert answer.headers["X-Everflow-Mock-Warning"] == warning
    # Strict mode refuses the same request, in the warning's words, and stores nothing.
    strict = make_talker(strict=True)
    refused = search(strict, body, query)
    assert refused.status == 400
    assert refused.json() == {"error": f"strict mode: {warning}"}
    assert refused.headers["X-Everflow-Mock-Warning"] == warning
    assert get_state(strict.app).requests[-1]["strict"] is True


def test_search_paging_said_twice_the_same_way_is_no_warning(talker: Talker) -> None:
    answer = search(talker, {"paging": {"page_size": 10}, "page_size": 10}, "?page_size=10")
    assert answer.json()["paging"]["page_size"] == 10
    assert "X-Everflow-Mock-Warning" not in answer.headers


def _times(answer: Any, field: str) -> list[tuple[int | None, int]]:
    return [(p.get(field), p["network_pixel_id"]) for p in answer.json()["pixels"]]


@pytest.mark.parametrize("field", ["time_created", "time_saved"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_search_sorts_by_a_time_paging_after_sorting(
    talker: Talker, field: str, direction: str
) -> None:
    everything = search(
        talker, {"sort": {"field": field, "direction": direction}}, "?page_size=2000"
    )
    assert everything.status == 200
    assert "X-Everflow-Mock-Warning" not in everything.headers
    rows = _times(everything, field)
    descending = direction == "desc"
    # Stable: the same time keeps ascending ids, in either direction; the catalogue's
    # postback without times comes last.
    timed = [(p[field], p["network_pixel_id"]) for p in CATALOGUE if field in p]
    expected: list[tuple[int | None, int]] = [
        *sorted(timed, key=lambda pair: (-pair[0], pair[1]) if descending else pair),
        *((None, p["network_pixel_id"]) for p in CATALOGUE if field not in p),
    ]
    assert 0 < len(timed) < len(CATALOGUE)
    assert rows == expected
    assert rows != sorted(rows, key=lambda pair: pair[1])  # the order is not the ids'
    pages = [
        _times(
            search(
                talker,
                {"sort": {"field": field, "direction": direction}, "paging": {"page": n}},
                "?page_size=7",
            ),
            field,
        )
        for n in range(1, len(CATALOGUE) // 7 + 2)
    ]
    assert [row for page in pages for row in page] == expected


def test_search_sort_ties_stay_in_id_order_both_ways(make_talker: MakeTalker) -> None:
    same = [
        FACTORY.build(network_pixel_id=n, time_created=1_700_000_000 + (n % 2)) for n in range(1, 9)
    ]
    talker = make_talker(postbacks=same)
    for direction, expected in (
        ("asc", [2, 4, 6, 8, 1, 3, 5, 7]),
        ("desc", [1, 3, 5, 7, 2, 4, 6, 8]),
    ):
        sort = {"field": "time_created", "direction": direction}
        assert ids(search(talker, {"sort": sort})) == expected
        halves = [ids(search(talker, {"sort": sort, "page": n, "page_size": 4})) for n in (1, 2)]
        assert halves[0] + halves[1] == expected


def test_search_sorts_by_id_descending_and_filters_first(talker: Talker) -> None:
    active = catalogue_ids(lambda p: p["pixel_status"] == "active")
    answer = search(
        talker,
        {
            "query": {"filters": {"status": "active"}},
            "sort": {"field": "network_pixel_id", "direction": "desc"},
        },
        "?page_size=5",
    )
    assert ids(answer) == sorted(active, reverse=True)[:5]
    assert answer.json()["paging"]["total_count"] == len(active)
    assert (
        ids(search(talker, {"sort": {"direction": "desc"}}, "?page_size=3"))
        == sorted(catalogue_ids(lambda p: True), reverse=True)[:3]
    )


@pytest.mark.parametrize(
    ("sort", "warning"),
    [
        (
            {"field": "name", "direction": "desc"},
            "ignored sort.field (not a field the mock sorts by: "
            "network_pixel_id, time_created, time_saved)",
        ),
        (
            {"field": "time_created", "direction": "down"},
            "ignored sort.direction (neither asc nor desc)",
        ),
        ({"field": "time_created", "order": "desc"}, "ignored sort.order (not documented)"),
    ],
)
def test_search_sort_it_cannot_do_is_a_warning_or_in_strict_mode_a_400(
    make_talker: MakeTalker, sort: dict[str, str], warning: str
) -> None:
    answer = search(make_talker(), {"sort": sort}, "?page_size=2000")
    assert answer.status == 200
    assert answer.headers["X-Everflow-Mock-Warning"] == warning
    found = ids(answer)
    if sort["field"] == "name":  # the default field takes its place, the direction stays
        assert found == sorted(found, reverse=True)
    else:  # the default direction takes its place, the field stays
        times = [p["time_created"] for p in answer.json()["pixels"] if "time_created" in p]
        assert times == sorted(times)
        assert "time_created" not in answer.json()["pixels"][-1]
    refused = search(make_talker(strict=True), {"sort": sort})
    assert refused.status == 400
    assert refused.json() == {"error": f"strict mode: {warning}"}


def test_an_empty_sort_as_a_typescript_client_sends_is_the_default_order(talker: Talker) -> None:
    answer = search(talker, {"sort": {}}, "?page_size=2000")
    assert ids(answer) == catalogue_ids(lambda p: True)
    assert "X-Everflow-Mock-Warning" not in answer.headers


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"paging": {"page": 0}}, "paging.page"),
        ({"paging": {"page_size": 2001}}, "paging.page_size"),
        ({"page_size": "10"}, "page_size"),
        ({"paging": []}, "paging"),
    ],
)
def test_search_refuses_bad_paging_in_the_body(
    talker: Talker, body: dict[str, Any], named: str
) -> None:
    answer = search(talker, body)
    assert answer.status == 400
    assert named in answer.json()["error"]


ROW_OWN_FIELDS = [
    "network_pixel_id",
    "network_id",
    "network_affiliate_id",
    "network_offer_id",
    "network_offer_payout_revenue_id",
    "delivery_method",
    "pixel_level",
    "pixel_status",
    "pixel_type",
    "postback_url",
    "html_code",
    "description",
    "delay_ms",
    "time_created",
    "time_saved",
]


def test_search_rows_are_everflow_s_search_rows_not_the_single_get_shape(talker: Talker) -> None:
    rows = search(talker, {}, "?page_size=2000").json()["pixels"]
    assert len(rows) == len(CATALOGUE)
    for row, postback in zip(rows, CATALOGUE, strict=True):
        related = postback["relationship"]
        assert row["network_affiliate_name"] == related.get("affiliate", {}).get("name", "")
        assert row["network_offer_name"] == related.get("offer", {}).get("name", "")
        assert row["relationship"] == {}
        assert not {k for k in row if k.endswith("_pixel")}
        own = {k: row[k] for k in ROW_OWN_FIELDS if k in row}
        assert own == {k: postback[k] for k in ROW_OWN_FIELDS if k in postback}
    global_row = next(r for r in rows if r["pixel_level"] == "global")
    assert global_row["network_offer_name"] == ""
    assert global_row["network_affiliate_name"]
    everyone = next(r for r in rows if r["pixel_level"] == "global_offer")
    assert everyone["network_affiliate_name"] == ""
    assert everyone["network_offer_name"]


def _offer_of(index: int) -> int:
    return int(CATALOGUE[index]["network_offer_id"])


def _affiliate_of(index: int) -> int:
    return int(CATALOGUE[index]["network_affiliate_id"])


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        ({"status": "inactive"}, lambda p: p["pixel_status"] == "inactive"),
        ({"offer_status": "active"}, lambda p: p["pixel_status"] == "active"),
        ({"offer_status": "active", "status": "inactive"}, lambda p: False),
        ({"pixel_type": "event"}, lambda p: p["pixel_type"] == "event"),
        (
            {"delivery_methods": ["html", "rumble"]},
            lambda p: p["delivery_method"] in ("html", "rumble"),
        ),
        ({"delivery_methods": []}, lambda p: True),
        (
            {"network_offer_ids": [_offer_of(3), _offer_of(6)]},
            lambda p: (
                p["network_offer_id"] in (_offer_of(3), _offer_of(6))
                or p["pixel_level"] == "global"
            ),
        ),
        (
            {"network_affiliate_ids": [_affiliate_of(3)]},
            lambda p: (
                p["network_affiliate_id"] == _affiliate_of(3) or p["pixel_level"] == "global_offer"
            ),
        ),
        (
            {"status": "active", "delivery_methods": ["postback"], "unknown": [1, 2]},
            lambda p: p["pixel_status"] == "active" and p["delivery_method"] == "postback",
        ),
    ],
)
def test_search_filters(
    talker: Talker, filters: dict[str, Any], keep: Callable[[dict[str, Any]], bool]
) -> None:
    answer = search(talker, {"query": {"filters": filters}}, "?page_size=2000")
    assert ids(answer) == catalogue_ids(keep)
    assert answer.json()["paging"]["total_count"] == len(catalogue_ids(keep))


def test_search_terms(talker: Talker) -> None:
    postback = CATALOGUE[0]
    word = postback["description"].split()[0].upper()
    domain = postback["postback_url"].split("/")[2]
    html = CATALOGUE[8]["html_code"][10:30].swapcase()

    def terms(*pairs: tuple[str, str]) -> list[int]:
        body = {"query": {"search_terms": [{"search_type": t, "value": v} for t, v in pairs]}}
        return ids(search(talker, body, "?page_size=2000"))

    assert terms(("pixel_id", "3")) == [3]
    assert terms(("pixel_id", "999999")) == []
    assert terms(("description", word)) == catalogue_ids(
        lambda p: word.casefold() in p["description"].casefold()
    )
    assert terms(("payload", domain)) == catalogue_ids(
        lambda p: domain in p.get("postback_url", "") or domain in p.get("html_code", "")
    )
    assert 9 in terms(("payload", html))
    assert terms(("pixel_id", "1"), ("description", word)) == [1]
    assert terms(("pixel_id", "3"), ("pixel_id", "4")) == []


def test_search_changes_nothing(talker: Talker) -> None:
    before = get_state(talker.app).store.postbacks()
    search(talker, {"query": {"filters": {"status": "active"}}})
    assert get_state(talker.app).store.postbacks() == before


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"query": {"search_terms": [{"search_type": "name", "value": "x"}]}}, "search_type"),
        ({"query": {"search_terms": [{"search_type": "pixel_id", "value": "abc"}]}}, "value"),
        ({"query": {"search_terms": [{"search_type": "description", "value": ""}]}}, "value"),
        ({"query": {"filters": {"status": "paused"}}}, "query.filters.status"),
        ({"query": {"filters": {"network_offer_ids": [0]}}}, "network_offer_ids[0]"),
        ({"query": {"filters": {"delivery_methods": "html"}}}, "delivery_methods"),
        (
            {"query": {"search_terms": [{"search_type": "description", "value": "x"}] * 21}},
            "search_terms",
        ),
        ({"query": []}, "query: [] is not of type 'object'"),
    ],
)
def test_search_refuses_a_bad_body_naming_the_field(
    talker: Talker, body: dict[str, Any], named: str
) -> None:
    answer = search(talker, body)
    assert answer.status == 400
    assert named in answer.json()["error"]


def test_search_needs_a_json_object(talker: Talker) -> None:
    assert talker.request("POST", SEARCH, KEY).status == 400
    assert talker.request("POST", SEARCH, KEY, content=b"[1]").status == 400


def test_list_and_search_see_every_write(talker: Talker) -> None:
    body = FACTORY.build_input(9, delivery_method="snapchat", pixel_level="global")
    body["description"] = "Zebra campaign"
    created = talker.post(API, body).json()
    by_term = {"query": {"search_terms": [{"search_type": "description", "value": "zebra"}]}}
    assert ids(search(talker, by_term)) == [created["network_pixel_id"]]
    assert ids(listing(talker, page=2))[-1] == created["network_pixel_id"]
    renamed = talker.put(PIXELS + str(NEXT_ID), {**created, "description": "Okapi"}).json()
    assert ids(search(talker, by_term)) == []
    assert renamed["network_pixel_id"] in ids(
        search(talker, {"query": {"filters": {"delivery_methods": ["snapchat"]}}})
    )
    talker.delete(PIXELS + str(NEXT_ID))
    assert NEXT_ID not in ids(listing(talker, page=2))


# --- the pipeline applies to writes like reads ---------------------------------------------


def test_writes_need_a_key_before_anything(talker: Talker) -> None:
    body = FACTORY.build_input(1)
    assert talker.post(API, body, {}).status == 401
    assert talker.put(PIXELS + "4", body, {}).status == 401
    assert talker.delete(PIXELS + "4", {}).status == 401
    assert talker.post(API, body, {"Prefer": "code=200"}).status == 401
    assert len(get_state(talker.app).store) == len(CATALOGUE)
    assert talker.get(PIXELS + "4", KEY).json() == CATALOGUE[3]


def test_writes_are_rate_limited_and_journaled(make_talker: MakeTalker) -> None:
    talker = make_talker(rate_limit=None)
    talker.post(API, FACTORY.build_input(1))
    talker.delete(PIXELS + "3")
    journal = get_state(talker.app).requests
    assert [(e["method"], e["status"]) for e in journal[-2:]] == [("POST", 200), ("DELETE", 200)]
    limited = make_talker(rate_limit=RateLimit(1, 1))
    assert limited.post(API, FACTORY.build_input(1)).status == 200
    assert limited.post(API, FACTORY.build_input(2)).status == 429
    assert len(get_state(limited.app).store) == len(CATALOGUE) + 1


def test_a_coded_answer_stores_nothing(talker: Talker) -> None:
    answer = talker.post(API, FACTORY.build_input(1), {**KEY, "Prefer": "code=500"})
    assert answer.status == 500
    assert talker.delete(PIXELS + "3", {**KEY, "Prefer": "code=404"}).status == 404
    assert get_state(talker.app).store.postbacks() == CATALOGUE


def test_an_example_answer_stores_nothing(talker: Talker) -> None:
    answer = talker.post(API, {}, {**KEY, "Prefer": "example=postback_conversion_specific"})
    assert answer.status == 200
    assert answer.json()["network_pixel_id"] == 1012
    assert len(get_state(talker.app).store) == len(CATALOGUE)


def test_a_body_over_the_limit_is_413_and_stores_nothing(make_talker: MakeTalker) -> None:
    talker = make_talker(max_body=1000)
    body = {**FACTORY.build_input(1), "description": "x" * 2000}
    # 413 is the mock's own bound, not a status the spec documents: not judged by it.
    answer = talker.request("POST", API, KEY, json_body=body, check=False)
    assert answer.status == 413
    assert len(get_state(talker.app).store) == len(CATALOGUE)


def test_admin_reset_returns_to_the_start_data_and_clock(talker: Talker) -> None:
    talker.post(API, FACTORY.build_input(1))
    talker.delete(PIXELS + "3")
    talker.put(PIXELS + "4", {**CATALOGUE[3], "description": "x"})
    response = talker.app.test_client().post("/__admin/reset")
    assert response.get_json() == {"reset": True, "postbacks": len(CATALOGUE)}
    assert listing(talker, page_size=2000).json()["pixels"] == CATALOGUE
    again = talker.post(API, FACTORY.build_input(1)).json()
    assert (again["network_pixel_id"], again["time_created"]) == (NEXT_ID, DEFAULT_START)


def test_admin_writes_are_seen_by_list_and_search(talker: Talker) -> None:
    admin = talker.app.test_client()
    listing(talker)  # builds the index first, so the admin's writes must keep it right
    admin.put("/__admin/pixels/900", json=FACTORY.build(900, delivery_method="rumble"))
    admin.delete("/__admin/pixels/1")
    found = ids(search(talker, {"query": {"filters": {"delivery_methods": ["rumble"]}}}))
    assert found[-1] == 900
    assert 1 not in ids(listing(talker))


def test_runs_are_reproducible(make_talker: MakeTalker) -> None:
    def run() -> list[Any]:
        talker = make_talker()
        created = talker.post(API, FACTORY.build_input(1)).json()
        replaced = talker.put(PIXELS + "4", {**CATALOGUE[3], "description": "y"}).json()
        return [created, replaced, listing(talker, page=2).json()]

    assert run() == run()


# --- a client written only from the spec ---------------------------------------------------


class SpecClient:
    """What a user writes from the spec alone: base URL, key, the six operations. Every
    request and every answer is judged by the spec as it goes."""

    def __init__(self, client: httpx.Client) -> None:
        self.http = client
        self.http.headers["X-Eflow-Api-Key"] = "spec-client"
        self.http.event_hooks = {"request": [self._judge_request], "response": [self._judge]}

    @staticmethod
    def _judge_request(request: httpx.Request) -> None:
        assert request_violations(request) == []

    @staticmethod
    def _judge(response: httpx.Response) -> None:
        response.read()
        assert response_violations(response) == []

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._ok(self.http.post("/networks/pixels", json=body))

    def get(self, pixel_id: int) -> httpx.Response:
        return self.http.get(f"/networks/pixels/{pixel_id}")

    def replace(self, pixel_id: int, body: dict[str, Any]) -> dict[str, Any]:
        return self._ok(self.http.put(f"/networks/pixels/{pixel_id}", json=body))

    def delete(self, pixel_id: int) -> httpx.Response:
        return self.http.delete(f"/networks/pixels/{pixel_id}")

    def list(self, **params: Any) -> dict[str, Any]:
        return self._ok(self.http.get("/networks/pixels", params=params))

    def search(self, query: dict[str, Any], **params: Any) -> dict[str, Any]:
        return self._ok(self.http.post("/networks/pixelstable", params=params, json=query))

    @staticmethod
    def _ok(response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def _scenario(client: SpecClient) -> None:
    # The mock's seed (0): its offers and partners are the mock's world's.
    body = PostbackFactory(0).build_input(delivery_method="postback", pixel_level="specific")
    body["description"] = "Spec client probe"
    created = client.create(body)
    pixel_id = created["network_pixel_id"]
    assert client.get(pixel_id).json() == created

    fetched = client.get(pixel_id).json()
    fetched["postback_url"] = "https://track.example.com/pb?tid={transaction_id}"
    updated = client.replace(pixel_id, fetched)
    assert updated["postback_url"] == fetched["postback_url"]
    assert updated["time_created"] == created["time_created"]
    assert updated["time_saved"] > created["time_saved"]

    total = client.list()["paging"]["total_count"]
    last_page = client.list(page=(total + 9) // 10, page_size=10)
    assert last_page["pixels"][-1] == updated
    probe = {"search_type": "description", "value": "spec client probe"}
    found = client.search({"query": {"search_terms": [probe], "filters": {"status": "active"}}})
    wanted = [updated["network_pixel_id"]] if updated["pixel_status"] == "active" else []
    assert [row["network_pixel_id"] for row in found["pixels"]] == wanted
    for row in found["pixels"]:
        assert row["network_affiliate_name"] == updated["relationship"]["affiliate"]["name"]
        assert row["relationship"] == {}

    deleted = client.delete(pixel_id)
    assert (deleted.status_code, deleted.json()) == (200, {"result": True})
    assert client.get(pixel_id).status_code == 404
    assert client.delete(pixel_id).status_code == 404
    assert client.list()["paging"]["total_count"] == total - 1


def test_a_spec_only_client_in_process_and_on_a_socket(talker: Talker) -> None:
    if talker.local is None:
        transport = httpx.WSGITransport(app=talker.app)
        http = httpx.Client(transport=transport, base_url="http://127.0.0.1/v1")
    else:
        http = httpx.Client(base_url=talker.local.root + "/v1")
    with http:
        _scenario(SpecClient(http))


@pytest.mark.slow
@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_a_spec_only_client_against_everflow_mock_serve(server: str) -> None:
    with (
        spawn_serve("--server", server, "--quiet") as spawned,
        httpx.Client(base_url=spawned.url, timeout=10) as http,
    ):
        _scenario(SpecClient(http))


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", API, "GET, HEAD, POST"),
        ("DELETE", API, "GET, HEAD, POST"),
        ("GET", SEARCH, "POST"),
        ("PUT", SEARCH, "POST"),
        ("PATCH", PIXELS + "3", "DELETE, GET, HEAD, PUT"),
    ],
)
def test_other_methods_are_405_naming_the_allowed_ones(
    talker: Talker, method: str, path: str, allowed: str
) -> None:
    answer = talker.request(method, path, KEY, check=False)
    assert answer.status == 405
    assert answer.headers["Allow"] == allowed
    assert answer.json() == {"error": "Method not allowed."}


def test_strict_mode_refuses_every_warning_before_anything_changes(
    make_talker: MakeTalker,
) -> None:
    """Issue 31's typos: lenient answers 200 and warns; strict answers 400 in the same words,
    stores nothing, and the journal marks it."""
    typo_put = {**FACTORY.build_input(), "pixel_statuss": "inactive"}
    typo_create = {**FACTORY.build_input(), "descripton": "x"}
    requests: list[tuple[str, str, Any]] = [
        ("POST", SEARCH, {"query": {"filters": {"delivery_method": "tiktok"}}}),
        ("PUT", PIXELS + "3", typo_put),
        ("POST", API, typo_create),
        ("GET", API + "?pge=2", None),
        ("GET", PIXELS + "3?verbose=1", None),
        ("DELETE", PIXELS + "3?force=1", None),
    ]
    lenient, strict = make_talker(), make_talker(strict=True)
    for method, path, body in requests:
        warned = lenient.request(method, path, KEY, json_body=body)
        assert warned.status == 200, (method, path)
        warning = warned.headers["X-Everflow-Mock-Warning"]
        assert "strict" not in get_state(lenient.app).requests[-1]
        before = get_state(strict.app).store.postbacks()
        refused = strict.request(method, path, KEY, json_body=body)
        assert refused.status == 400, (method, path)
        assert refused.json() == {"error": f"strict mode: {warning}"}
        assert refused.headers["X-Everflow-Mock-Warning"] == warning
        assert refused.headers["X-RateLimit-Remaining"]  # the key passed and spent a token
        entry = get_state(strict.app).requests[-1]
        assert (entry["status"], entry["strict"], entry["warning"]) == (400, True, warning)
        assert get_state(strict.app).store.postbacks() == before
    # What strict mode has no warning for is answered as ever.
    assert strict.get(PIXELS + "3", KEY).status == 200
    assert "strict" not in get_state(strict.app).requests[-1]
