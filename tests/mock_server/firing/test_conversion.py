"""Which postbacks a conversion fires, and why the others do not."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.firing.conversion import applies, parse_conversion, render_event, why_not
from mock_server.firing.journal import TEXT_BYTES

CONVERSION = parse_conversion({"offer_id": 12, "affiliate_id": 7})


EVENT = parse_conversion({"type": "event", "offer_id": 12, "affiliate_id": 7, "event_id": 5})


def pixel(**fields: Any) -> dict[str, Any]:
    return {
        "pixel_status": "active",
        "pixel_type": "conversion",
        "pixel_level": "global",
        "network_offer_id": 0,
        "network_affiliate_id": 7,
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"pixel_status": "inactive"}, "pixel_status is inactive, not active"),
        ({"pixel_type": "cpc"}, "pixel_type cpc is not fired by conversions"),
        ({"network_affiliate_id": 8}, "global for partner 8, not 7"),
        (
            {"pixel_level": "specific", "network_offer_id": 12, "network_affiliate_id": 8},
            "specific to offer 12 and partner 8, not offer 12 and partner 7",
        ),
        (
            {"pixel_level": "global_offer", "network_offer_id": 13, "network_affiliate_id": 0},
            "global_offer for offer 13, not 12",
        ),
        (
            {"pixel_level": "everywhere"},
            "pixel_level everywhere is not global, specific or global_offer",
        ),
    ],
)
def test_why_not_names_the_rule(fields: dict[str, Any], reason: str) -> None:
    assert why_not(pixel(**fields), CONVERSION) == reason
    assert not applies(pixel(**fields), CONVERSION)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"pixel_level": "specific", "network_offer_id": 12},
        {"pixel_level": "global_offer", "network_offer_id": 12, "network_affiliate_id": 0},
    ],
)
def test_what_applies_has_no_reason(fields: dict[str, Any]) -> None:
    assert why_not(pixel(**fields), CONVERSION) is None
    assert applies(pixel(**fields), CONVERSION)


def test_events_by_their_id() -> None:
    event = pixel(pixel_type="event", network_offer_payout_revenue_id=6)
    assert why_not(event, EVENT) == "for event 6, not 5"
    assert why_not({**event, "network_offer_payout_revenue_id": 5}, EVENT) is None
    assert why_not({**event, "network_offer_payout_revenue_id": 0}, EVENT) is None  # every event
    assert why_not(pixel(pixel_type="post_conversion"), EVENT) is None
    assert why_not(pixel(), EVENT) == "pixel_type conversion is not fired by events"


"""Rendering a platform event: every string's macros filled in, URL-encoded in a field whose
name ends in ``url`` (and in a list under such a name), as text everywhere else."""


VALUES = {"transaction_id": "tx 1&c=2", "sub1": "é/"}


def test_every_string_of_nested_objects_and_lists_is_rendered_by_its_fields_name() -> None:
    event = {
        "event_source_url": "https://shop.example/p?c={transaction_id}",
        "event_id": "{transaction_id}",
        "page_urls": ["https://a.example/?s={sub1}"],  # ends in "urls": text
        "landing_url": ["https://a.example/?s={sub1}", "{transaction_id}"],
        "user_data": [{"field": "external_id", "value": "{sub1}"}],
        "nested": {"referrer_url": "{sub1}", "count": 3, "on": True, "none": None},
    }

    assert render_event(event, VALUES, TEXT_BYTES) == {
        "event_source_url": "https://shop.example/p?c=tx%201%26c%3D2",
        "event_id": "tx 1&c=2",
        "page_urls": ["https://a.example/?s=é/"],
        "landing_url": ["https://a.example/?s=%C3%A9%2F", "tx%201%26c%3D2"],
        "user_data": [{"field": "external_id", "value": "é/"}],
        "nested": {"referrer_url": "%C3%A9%2F", "count": 3, "on": True, "none": None},
    }


def test_a_string_alone_is_text() -> None:
    assert render_event("{transaction_id}", VALUES, TEXT_BYTES) == "tx 1&c=2"
