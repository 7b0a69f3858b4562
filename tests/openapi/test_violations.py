"""Violations name the broken rule, or the field and keyword of a plain constraint."""

from __future__ import annotations

import copy
from typing import Any

from openapi import load_spec, schema_violations
from openapi.jsonpath import json_path
from openapi.violations import MAX_MESSAGE, component_schema, rule_of

EXAMPLE: dict[str, Any] = load_spec()["components"]["examples"]["tiktok_event_specific"]["value"]


def test_valid_body_has_no_violations() -> None:
    assert schema_violations(EXAMPLE) == []


def test_all_problems_are_reported_at_once() -> None:
    body = copy.deepcopy(EXAMPLE)
    body.update(tiktok_pixel=None, pixel_status="x", delay_ms=400000)
    found = {(v.path, v.rule or v.keyword) for v in schema_violations(body)}
    assert found == {
        ("$.tiktok_pixel", "tiktok_pixel_required"),
        ("$.pixel_status", "enum"),
        ("$.delay_ms", "maximum"),
        ("$.delay_ms", "delay_only_for_postback"),
    }


def test_violation_text_names_rule_and_path() -> None:
    body = dict(EXAMPLE, tiktok_pixel={})
    (violation,) = schema_violations(body)
    assert str(violation).startswith("$.tiktok_pixel: ")
    assert str(violation).endswith("(rule tiktok_pixel_required)")
    assert violation.as_dict()["rule"] == "tiktok_pixel_required"


def test_nested_paths_use_dots_and_indexes() -> None:
    assert json_path(["relationship", "offer", "name"]) == "$.relationship.offer.name"
    assert (
        json_path(["tiktok_pixel", "properties", 2, "field"])
        == "$.tiktok_pixel.properties[2].field"
    )
    body = copy.deepcopy(EXAMPLE)
    body["tiktok_pixel"]["properties"][1]["field"] = 5
    assert [v.path for v in schema_violations(body)] == ["$.tiktok_pixel"]


def test_error_schema_by_name() -> None:
    assert schema_violations({"Error": "x"}, "EverflowError") == []
    assert [v.keyword for v in schema_violations({"x": 1}, "EverflowError")] == ["anyOf"]


def test_write_schema_names_rules_and_plain_constraints_like_the_postback() -> None:
    body = {k: v for k, v in EXAMPLE.items() if k not in ("network_pixel_id", "relationship")}
    assert schema_violations(body, "PartnerPostbackInput") == []
    body.update(tiktok_pixel=None, delay_ms=400000)
    found = {(v.path, v.rule or v.keyword) for v in schema_violations(body, "PartnerPostbackInput")}
    assert found == {
        ("$.tiktok_pixel", "tiktok_pixel_required"),
        ("$.delay_ms", "maximum"),
        ("$.delay_ms", "delay_only_for_postback"),
    }


def test_a_referenced_schema_is_not_a_rule_and_recorded_refs_are_followed() -> None:
    write = component_schema("PartnerPostbackInput")
    groups = component_schema("PartnerPostback")["allOf"]
    (at,) = [
        ["allOf", g, "allOf", i]
        for g, group in enumerate(groups)
        for i, rule in enumerate(group["allOf"])
        if rule["title"] == "cpc_not_global_offer"
    ]
    # jsonschema leaves the $ref keyword out of schema paths; other validators record it.
    for via in (["allOf", 0], ["allOf", 0, "$ref"]):
        assert rule_of(write, [*via, *at, "then", "properties"]) == "cpc_not_global_offer"
        assert rule_of(write, [*via, "properties", "delay_ms", "maximum"]) is None
        assert rule_of(write, [*via, *at[:2]]) is None, "a group of rules is not a rule"
    page = component_schema("PartnerPostbackPage")
    assert rule_of(page, ["properties", "pixels", "items", *at]) == "cpc_not_global_offer"


def test_messages_quoting_huge_values_are_cut() -> None:
    (violation,) = schema_violations(dict(EXAMPLE, pixel_status="x" * 1_000_000))
    assert violation.path == "$.pixel_status"
    assert len(violation.message) == MAX_MESSAGE + len("...")
    assert violation.message.startswith("'xxx")
    assert violation.message.endswith("...")


def test_an_integer_too_long_to_print_is_named_not_raised() -> None:
    body = copy.deepcopy(EXAMPLE)
    body["network_offer_id"] = 10**5000
    (violation,) = schema_violations(body)
    assert (violation.path, violation.keyword) == ("$.network_offer_id", "maximum")


def test_shape_names_a_value_without_its_content() -> None:
    from openapi.violations import shape

    assert shape(None) == "null"
    assert shape(True) == "true"
    assert shape(1500) == "1500"
    assert shape(2.5) == "2.5"
    assert shape(10**40) == "an integer of more than 38 digits"
    assert shape("postback") == '"postback"'  # a value the spec itself names
    assert shape("tok=sekret jo@example.com") == "a string of 25 characters"
    assert shape("x") == "a string of 1 character"
    assert shape({"a": 1, "b": 2}) == "an object of 2 members"
    assert shape(["sekret"]) == "an array of 1 item"


def test_what_a_schema_error_expects_comes_from_the_schema_alone() -> None:
    from openapi.violations import expectation

    planted = "tok=sekret jo@example.com"
    assert expectation("enum", ["a", "b"], planted) == (
        'one of "a", "b"',
        "a string of 25 characters",
    )
    assert expectation("maxLength", 10, planted) == ("maxLength 10", "a string of 25 characters")
    assert expectation("required", ["x", "y"], {"y": planted}) == ("property x", "absent")
    assert expectation("type", ["integer", "null"], planted)[0] == "type integer or null"
    assert expectation("additionalProperties", False, {planted: 1}) == (
        "no undocumented properties",
        "an object of 1 member",
    )
    assert expectation("not", {"const": planted}, planted) == (
        "the schema's not",
        "a string of 25 characters",
    )
