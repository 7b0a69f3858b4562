"""JSON paths stay readable and bounded whatever the keys are."""

from __future__ import annotations

from openapi.jsonpath import MAX_KEY_SHOWN, json_path


def test_keys_and_indexes() -> None:
    assert json_path([]) == "$"
    assert json_path(["tiktok_pixel", "properties", 2, "field"]) == (
        "$.tiktok_pixel.properties[2].field"
    )


def test_unprintable_keys_are_escaped() -> None:
    assert json_path(["a\n", "\udc00"]) == "$.a\\n.\\udc00"


def test_long_keys_are_cut() -> None:
    assert json_path(["k" * 10_000]) == "$." + "k" * MAX_KEY_SHOWN + "..."
