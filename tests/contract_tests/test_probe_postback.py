"""The probe postback: valid, inactive, marked, and copied from a postback that exists."""

from __future__ import annotations

import re

import pytest

from contract_tests.probe_postback import (
    BROKEN_RULE,
    PROBE_MARKER,
    broken_body,
    is_probe,
    new_run_id,
    probe_body,
    probe_description,
    usable_template,
)
from openapi import schema_violations

TEMPLATES = {
    "global": {"pixel_level": "global", "network_affiliate_id": 7, "network_offer_id": 0},
    "specific": {"pixel_level": "specific", "network_affiliate_id": 7, "network_offer_id": 93},
    "global_offer": {
        "pixel_level": "global_offer",
        "network_affiliate_id": 0,
        "network_offer_id": 93,
    },
}


@pytest.mark.parametrize("level", TEMPLATES)
def test_the_probe_is_a_valid_inactive_create_body_at_the_templates_level(level: str) -> None:
    body = probe_body(TEMPLATES[level], "RUN")
    assert schema_violations(body, "PartnerPostbackInput") == []
    assert body["pixel_status"] == "inactive"
    assert body["pixel_level"] == level
    assert body["postback_url"].startswith("https://example.invalid/")
    assert is_probe(body["description"], "RUN")


@pytest.mark.parametrize("level", TEMPLATES)
def test_the_broken_probe_breaks_exactly_one_rule(level: str) -> None:
    problems = schema_violations(broken_body(TEMPLATES[level], "RUN"), "PartnerPostbackInput")
    assert [p.rule for p in problems] == [BROKEN_RULE]


def test_only_a_probes_description_is_a_probes() -> None:
    assert probe_description("R1") == f"{PROBE_MARKER} R1 - safe to delete"
    assert is_probe(probe_description("R1", "replaced"), "R1")
    assert is_probe(probe_description("R1"))
    assert not is_probe(probe_description("R1"), "R2")
    assert not is_probe(probe_description("R12"), "R1")
    assert not is_probe(f"My {PROBE_MARKER} R1 - safe to delete")
    assert not is_probe(PROBE_MARKER.upper() + " R1")
    assert not is_probe(None)


def test_run_ids_name_the_time_and_differ() -> None:
    first, second = new_run_id(), new_run_id()
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", first)
    assert first != second


def test_a_template_needs_a_level_and_ids() -> None:
    assert usable_template(TEMPLATES["specific"])
    assert not usable_template({"pixel_level": "specific", "network_affiliate_id": 7})
    assert not usable_template({**TEMPLATES["global"], "network_offer_id": True})
    assert not usable_template({**TEMPLATES["global"], "pixel_level": "other"})
    assert not usable_template(None)
