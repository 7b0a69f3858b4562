"""Rendering a platform event: every string's macros filled in, URL-encoded in a field whose
name ends in ``url`` (and in a list under such a name), as text everywhere else."""

from __future__ import annotations

from mock_server.firing.conversion import render_event

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

    assert render_event(event, VALUES) == {
        "event_source_url": "https://shop.example/p?c=tx%201%26c%3D2",
        "event_id": "tx 1&c=2",
        "page_urls": ["https://a.example/?s=é/"],
        "landing_url": ["https://a.example/?s=%C3%A9%2F", "tx%201%26c%3D2"],
        "user_data": [{"field": "external_id", "value": "é/"}],
        "nested": {"referrer_url": "%C3%A9%2F", "count": 3, "on": True, "none": None},
    }


def test_a_string_alone_is_text() -> None:
    assert render_event("{transaction_id}", VALUES) == "tx 1&c=2"
