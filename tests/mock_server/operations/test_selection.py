"""List filters and search bodies become the index conditions the spec describes."""

from __future__ import annotations

import pytest

from mock_server.operations.selection import list_conditions, search_conditions
from mock_server.state.index import Compare, Contains, Either, Equals


def test_list_filters() -> None:
    assert list_conditions(
        ["pixel_status=active", "network_offer_id=93", "time_created>5", "network_affiliate_id<9"]
    ) == [
        Equals("pixel_status", frozenset({"active"})),
        Equals("network_offer_id", frozenset({93})),
        Compare("time_created", ">", 5),
        Compare("network_affiliate_id", "<", 9),
    ]
    assert list_conditions([]) == []


def test_a_filter_the_pattern_let_through_by_mistake_is_never_read_as_everything() -> None:
    with pytest.raises(ValueError, match="not a filter"):
        list_conditions(["=5"])


def test_search_terms_and_filters() -> None:
    body = {
        "query": {
            "search_terms": [
                {"search_type": "pixel_id", "value": "0042"},
                {"search_type": "description", "value": "Summer SALE"},
                {"search_type": "payload", "value": "Track.Example"},
            ],
            "filters": {
                "offer_status": "active",
                "status": "inactive",
                "pixel_type": "cpc",
                "delivery_methods": ["html", "postback"],
                "network_offer_ids": [5, 6],
                "network_affiliate_ids": [],
                "network_offer_payout_revenue_ids": [1],
            },
        }
    }
    assert search_conditions(body) == [
        Equals("network_pixel_id", frozenset({42})),
        Contains(("description",), "summer sale"),
        Contains(("postback_url", "html_code"), "track.example"),
        Equals("pixel_status", frozenset({"active"})),
        Equals("pixel_status", frozenset({"inactive"})),
        Equals("pixel_type", frozenset({"cpc"})),
        Equals("delivery_method", frozenset({"html", "postback"})),
        Either(
            (
                Equals("network_offer_id", frozenset({5, 6})),
                Equals("pixel_level", frozenset({"global"})),
            )
        ),
    ]


@pytest.mark.parametrize("body", [{}, {"query": {}}, {"query": {"filters": {}}}])
def test_an_empty_search_selects_everything(body: dict[str, object]) -> None:
    assert search_conditions(body) == []
