"""Offers and affiliates beside postbacks: one world, served by id and by search, and
writes whose references must hold (strict) or are only named (loose)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fixtures import PostbackFactory
from mock_server import builtin_postbacks
from mock_server.core.config import MockConfig
from mock_server.state.mock_state import MockState
from openapi.httpx_validation import response_violations

from ..conftest import API, KEY, PIXELS, MakeTalker, Talker

CATALOGUE = builtin_postbacks(0)
OFFERS = "/v1/networks/offers/"
AFFILIATES = "/v1/networks/affiliates/"


def judged(talker: Talker, method: str, path: str, body: Any = None) -> Any:
    """One request, its answer held to the spec (the talker judges only postback paths)."""
    answer = talker.request(method, path, KEY, json_body=body, check=False)
    response = httpx.Response(
        answer.status,
        headers=answer.headers,
        content=answer.body,
        request=httpx.Request(method, "http://127.0.0.1" + path),
    )
    assert response_violations(response) == []
    return answer


def test_every_reference_of_the_catalogue_is_in_the_world() -> None:
    state = MockState(MockConfig())
    assert [p["network_pixel_id"] for p in CATALOGUE if state.world.missing(p)] == []
    events = [p for p in CATALOGUE if p["network_offer_payout_revenue_id"]]
    assert events  # the check above covered payout/revenue entries too


def test_the_same_seed_gives_the_same_world_and_another_seed_another() -> None:
    first, again, other = (MockState(MockConfig(seed=s)).world for s in (0, 0, 1))
    assert first == again
    assert first.offers != other.offers


def test_an_offer_a_postback_names_is_served_with_the_same_name_and_entry(talker: Talker) -> None:
    postback = next(
        p
        for p in CATALOGUE
        if p["network_offer_payout_revenue_id"] and "offer" in p["relationship"]
    )
    path = f"{OFFERS}{postback['network_offer_id']}?relationship=payout_revenue&relationship=advertiser"
    offer = judged(talker, "GET", path).json()
    assert offer["name"] == postback["relationship"]["offer"]["name"]
    entries = offer["relationship"]["payout_revenue"]["entries"]
    assert postback["network_offer_payout_revenue_id"] in {
        e["network_offer_payout_revenue_id"] for e in entries
    }
    assert [e["is_default"] for e in entries].count(True) == 1
    assert (
        offer["relationship"]["advertiser"]["network_advertiser_id"]
        == offer["network_advertiser_id"]
    )


def test_an_offer_without_relationship_asked_has_none_and_others_are_named(talker: Talker) -> None:
    offer_id = next(p["network_offer_id"] for p in CATALOGUE if p["network_offer_id"])
    plain = judged(talker, "GET", f"{OFFERS}{offer_id}")
    assert plain.json()["relationship"] == {}
    urls = judged(talker, "GET", f"{OFFERS}{offer_id}?relationship=urls")
    assert "relationship=urls" in urls.headers["X-Everflow-Mock-Warning"]


def test_an_affiliate_a_postback_names_is_served_with_the_same_name(talker: Talker) -> None:
    postback = next(p for p in CATALOGUE if "affiliate" in p["relationship"])
    answer = judged(talker, "GET", f"{AFFILIATES}{postback['network_affiliate_id']}")
    assert answer.json()["name"] == postback["relationship"]["affiliate"]["name"]


@pytest.mark.parametrize("path", [OFFERS + "999999999", AFFILIATES + "999999999"])
def test_unknown_offers_and_affiliates_are_404(talker: Talker, path: str) -> None:
    answer = judged(talker, "GET", path)
    assert answer.status == 404
    assert "not found" in answer.json()["error"]


def test_the_tables_page_and_filter(talker: Talker) -> None:
    first = judged(talker, "POST", "/v1/networks/offerstable?page=1&page_size=5", {}).json()
    assert first["paging"] == {"page": 1, "page_size": 5, "total_count": 32}
    second = judged(
        talker, "POST", "/v1/networks/offerstable", {"paging": {"page": 2, "page_size": 5}}
    )
    ids = [o["network_offer_id"] for o in first["offers"] + second.json()["offers"]]
    assert ids == sorted(set(ids))
    assert len(ids) == 10
    status = first["offers"][0]["offer_status"]
    only = judged(talker, "POST", "/v1/networks/offerstable", {"filters": {"offer_status": status}})
    assert {o["offer_status"] for o in only.json()["offers"]} == {status}
    name = first["offers"][0]["name"]
    term = {"search_terms": [{"search_type": "name", "value": name.upper()}]}
    found = judged(talker, "POST", "/v1/networks/offerstable", term).json()["offers"]
    assert first["offers"][0]["network_offer_id"] in [o["network_offer_id"] for o in found]
    partners = judged(talker, "POST", "/v1/networks/affiliatestable", {"page_size": 3}).json()
    assert len(partners["affiliates"]) == 3
    assert partners["paging"]["total_count"] == 32
    active = {"filters": {"account_status": "active"}}
    rows = judged(talker, "POST", "/v1/networks/affiliatestable", active).json()["affiliates"]
    assert {a["account_status"] for a in rows} == {"active"}


def _unknown_offer_body() -> dict[str, Any]:
    body = PostbackFactory(0).build_input(1, pixel_level="specific", pixel_type="conversion")
    return {**body, "network_offer_id": 4_999_999}


def test_a_create_naming_an_unknown_offer_is_refused_naming_field_and_id(talker: Talker) -> None:
    total = talker.get(API, KEY).json()["paging"]["total_count"]
    answer = talker.post(API, _unknown_offer_body())
    assert answer.status == 400
    assert "network_offer_id: there is no offer 4999999" in answer.json()["error"]
    assert talker.get(API, KEY).json()["paging"]["total_count"] == total


def test_a_replace_naming_an_unknown_partner_or_entry_is_refused(talker: Talker) -> None:
    stored = next(
        p for p in CATALOGUE if p["pixel_level"] == "specific" and p["pixel_type"] == "event"
    )
    pixel = PIXELS + str(stored["network_pixel_id"])
    partner = talker.put(pixel, {**stored, "network_affiliate_id": 4_999_999})
    assert partner.status == 400
    assert (
        "network_affiliate_id: there is no affiliate (partner) 4999999" in partner.json()["error"]
    )
    entry = talker.put(pixel, {**stored, "network_offer_payout_revenue_id": 4_999_999})
    assert entry.status == 400
    assert (
        "network_offer_payout_revenue_id: there is no payout/revenue entry 4999999"
        in (entry.json()["error"])
    )
    assert talker.get(pixel, KEY).json() == stored


def test_loose_references_accept_and_name_the_unknown_id(make_talker: MakeTalker) -> None:
    talker = make_talker(references="loose")
    answer = talker.post(API, _unknown_offer_body())
    assert answer.status == 200
    assert (
        "network_offer_id: there is no offer 4999999" in answer.headers["X-Everflow-Mock-Warning"]
    )
    assert answer.json()["relationship"]["offer"]["network_offer_id"] == 4_999_999


def test_adding_a_postback_adds_what_it_names(talker: Talker) -> None:
    from mock_server import get_state

    postback = PostbackFactory(5).build(900_001, pixel_level="specific")
    state = get_state(talker.app)
    assert state.world.missing(postback)
    state.add(postback)
    assert state.world.missing(postback) == []
    offer = judged(talker, "GET", f"{OFFERS}{postback['network_offer_id']}").json()
    assert offer["name"] == postback["relationship"]["offer"]["name"]
    state.reset()
    assert state.world.missing(postback)


def test_a_generated_postback_of_another_seed_names_offers_the_world_lacks(
    make_talker: MakeTalker,
) -> None:
    talker = make_talker(dynamic=True)
    seeded = {**KEY, "Prefer": "seed=5"}
    fetched = talker.get(PIXELS + "9999", seeded).json()
    assert talker.put(PIXELS + "9999", fetched).status == 400
    same_seed = talker.get(PIXELS + "9998", KEY).json()
    assert talker.put(PIXELS + "9998", same_seed).status == 200
