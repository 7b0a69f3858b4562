"""Scrubbing: no planted secret or personal value survives, shapes and evidence do."""

from __future__ import annotations

import json

import pytest

from mock_server.proxy.scrub import Scrubber
from openapi.fast_validation import violations

from .conftest import DRIFT_ID, KEY, leaks, planted_postbacks


def scrubbed() -> tuple[list[dict[str, object]], Scrubber]:
    scrubber = Scrubber([KEY])
    return [scrubber.postback(p) for p in planted_postbacks()], scrubber


def test_no_planted_value_and_no_piece_of_the_key_survives() -> None:
    records, _ = scrubbed()
    assert leaks(json.dumps(records)) == []
    assert leaks(json.dumps(records, ensure_ascii=False)) == []


def test_ids_enums_timestamps_macros_and_every_key_stay() -> None:
    originals = planted_postbacks()
    records, _ = scrubbed()
    for original, record in zip(originals, records, strict=True):
        assert _keys(record) == _keys(original)  # unknown keys too: drift evidence
        for name in ("network_pixel_id", "network_offer_id", "network_affiliate_id"):
            assert record[name] == original[name]
        for name in ("delivery_method", "pixel_level", "pixel_status", "time_created"):
            assert record[name] == original[name]
    first = records[0]
    assert isinstance(first["postback_url"], str)
    assert "click={transaction_id}" in first["postback_url"]
    assert "amount={sale_amount}" in first["postback_url"]
    assert first["postback_url"].startswith("https://user-1@host-1.example/cb?")
    assert "{transaction_id}" in str(records[2]["html_code"])


def test_scrubbed_postbacks_still_keep_the_spec() -> None:
    records, _ = scrubbed()
    for record in records:
        if record["network_pixel_id"] != DRIFT_ID:
            assert violations(record) == [], record["network_pixel_id"]


def test_stand_ins_are_deterministic_and_keep_offers_and_partners_coherent() -> None:
    first, _ = scrubbed()
    again, _ = scrubbed()
    assert first == again
    one, two = first[0], first[1]
    assert one["relationship"] == two["relationship"]  # same offer, same partner
    offer = one["relationship"]["offer"]  # type: ignore[index]
    assert offer["network_offer_id"] == one["network_offer_id"]
    assert offer["name"] == "Offer 1"
    assert one["relationship"]["affiliate"]["name"] == "Partner 1"  # type: ignore[index]
    # the same host in two postbacks is the same stand-in host
    assert "://host-1.example/" in str(two["postback_url"])


def test_a_different_value_gets_a_different_stand_in() -> None:
    scrubber = Scrubber()
    a = scrubber.stand_in("offer", "Acme")
    assert scrubber.stand_in("offer", "Other") != a
    assert scrubber.stand_in("offer", "Acme") == a


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("{email}", "{email}"),
        ("2024-01-01 12:00:00", "2024-01-01 12:00:00"),
        ("1700000000", "1700000000"),
        ("https://{domain}/p?token={token}", "https://{domain}/p?token={token}"),
    ],
)
def test_macros_dates_and_plain_numbers_are_not_scrubbed(text: str, kept: str) -> None:
    scrubber = Scrubber()
    assert scrubber.postback({"anything": text}) == {"anything": kept}
    assert not scrubber.counts


def test_the_report_counts_paths_never_values() -> None:
    _, scrubber = scrubbed()
    named = [p for p in planted_postbacks() if p["relationship"].get("affiliate", {}).get("name")]
    assert scrubber.counts["$.relationship.affiliate.name"] == len(named) > 2
    assert scrubber.counts["$.brand_new_field.contact_email"] == 1
    assert leaks(json.dumps(scrubber.counts)) == []


def _keys(value: object, path: str = "$") -> set[str]:
    if isinstance(value, dict):
        return {f"{path}.{k}" for k in value} | {
            key for k, v in value.items() for key in _keys(v, f"{path}.{k}")
        }
    if isinstance(value, list):
        return {key for item in value for key in _keys(item, f"{path}[]")}
    return set()
