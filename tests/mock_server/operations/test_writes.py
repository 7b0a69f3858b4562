"""Write bodies are judged by the spec and become stored postbacks the spec's way."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from fixtures import VARIANTS, PostbackFactory
from mock_server.core.errors import ApiError
from mock_server.operations import writes
from openapi import Violation, load_spec, schema_violations

FACTORY = PostbackFactory(4)
SERVER_FIELDS = frozenset(
    name
    for name, schema in load_spec()["components"]["schemas"]["PartnerPostback"][
        "properties"
    ].items()
    if schema.get("readOnly")
)
"""The fields the server fills in (``readOnly`` in the spec), left out of a write body."""


def ticking(start: int = 100) -> Any:
    return itertools.count(start).__next__


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_of_a_write_body_becomes_a_valid_postback(variant: Any) -> None:
    body = FACTORY.build_input(3, **variant._asdict())
    stored = writes.created(body, 77, FACTORY, ticking())
    assert schema_violations(stored) == []
    assert stored["network_pixel_id"] == 77
    assert (stored["time_created"], stored["time_saved"]) == (100, 100)
    replaced = writes.replaced({**body, "description": "x"}, stored, FACTORY, ticking(50))
    assert schema_violations(replaced) == []
    assert (replaced["time_created"], replaced["time_saved"]) == (100, 101)


def test_a_stored_relationship_is_kept_where_its_ids_still_hold() -> None:
    stored = {
        **FACTORY.build(1, pixel_level="specific"),
        "relationship": {
            "offer": {"network_offer_id": 0, "name": "stale"},
            "affiliate": {"network_affiliate_id": 0, "name": "Mine"},
        },
    }
    stored["relationship"]["offer"]["network_offer_id"] = stored["network_offer_id"] + 1
    stored["relationship"]["affiliate"]["network_affiliate_id"] = stored["network_affiliate_id"]
    body = {k: v for k, v in stored.items() if k not in SERVER_FIELDS}
    replaced = writes.replaced(body, stored, FACTORY, ticking())
    assert replaced["relationship"]["affiliate"] == stored["relationship"]["affiliate"]
    assert (
        replaced["relationship"]["offer"]
        == FACTORY.relationship(body["network_offer_id"], 0, "specific")["offer"]
    )


def test_a_stored_postback_without_timestamps_gets_them() -> None:
    stored = FACTORY.build(1, quirks=["missing_timestamps"])
    body = {k: v for k, v in stored.items() if k not in SERVER_FIELDS}
    replaced = writes.replaced(body, stored, FACTORY, ticking(9))
    assert (replaced["time_created"], replaced["time_saved"]) == (9, 9)


def test_the_cpc_level_rule_names_pixel_level() -> None:
    stored = FACTORY.build(1, pixel_type="cpc", pixel_level="global")
    body = {**FACTORY.build_input(1, pixel_type="cpc", pixel_level="specific")}
    with pytest.raises(writes.ChangeRefused, match=r"^pixel_level: "):
        writes.replaced(body, stored, FACTORY, ticking())


def test_describe_names_rules_then_fields_and_counts_the_rest() -> None:
    problems = [
        Violation("$", "if", "whatever", "html_code_required"),
        Violation("$", "if", "again", "html_code_required"),
        Violation("$.delay_ms", "maximum", "400000 is greater than the maximum of 300000"),
        Violation("$", "required", "'pixel_type' is a required property"),
        Violation("$.a", "type", "x"),
        Violation("$.b", "type", "y" * 500),
    ]
    text = writes.describe(problems)
    assert text == (
        "html_code_required: HTML delivery needs non-empty html_code.; "
        "delay_ms: 400000 is greater than the maximum of 300000; "
        "'pixel_type' is a required property (and 2 more)"
    )


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b'{"query": {}}', None),
        (b"{}", None),
        (b"", "The body is not plain JSON"),
        (b'"x"', "The body must be a JSON object (PartnerPostbackSearch)."),
        (b'{"query": {"filters": {"network_offer_ids": [1.0, 2]}}}', None),
    ],
)
def test_valid_body(data: bytes, problem: str | None) -> None:
    if problem is None:
        assert isinstance(writes.valid_body(data, "PartnerPostbackSearch"), dict)
        return
    with pytest.raises(ApiError) as refused:
        writes.valid_body(data, "PartnerPostbackSearch")
    assert refused.value.status == 400
    assert refused.value.message is not None
    assert refused.value.message.startswith(problem)


def test_integral_floats_become_ints_only_where_the_spec_says_integer() -> None:
    raw = FACTORY.build_input(1, delivery_method="facebook")
    raw["network_affiliate_id"] = float(raw["network_affiliate_id"])
    raw["facebook_pixel"]["network_affiliate_integration_facebook_business_id"] = 3.0
    raw["facebook_pixel"]["extra"] = 2.0
    raw["undocumented"] = 5.0
    body = writes.valid_body(json.dumps(raw).encode(), "PartnerPostbackInput")
    assert type(body["network_affiliate_id"]) is int
    assert type(body["facebook_pixel"]["network_affiliate_integration_facebook_business_id"]) is int
    assert type(body["facebook_pixel"]["extra"]) is float
    assert type(body["undocumented"]) is float
    search = writes.valid_body(
        b'{"query": {"filters": {"network_offer_ids": [1.0]}}}', "PartnerPostbackSearch"
    )
    assert type(search["query"]["filters"]["network_offer_ids"][0]) is int


@pytest.mark.parametrize(
    ("schema", "whole"),
    [
        ({"type": "integer"}, 3),
        ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, 3),  # a nullable integer field
        ({"type": ["null", "integer"]}, 3),
        ({"type": ["integer", "number"]}, 3.0),  # a number may stay one
        ({"type": "number"}, 3.0),
    ],
)
def test_an_integral_float_becomes_an_int_wherever_the_schema_says_integer(
    schema: dict[str, Any], whole: float
) -> None:
    numbers = writes._numbers_of({"type": "object", "properties": {"n": schema}}, depth=0)
    made = writes._whole({"n": 3.0}, numbers)["n"]
    assert (made, type(made)) == (whole, type(whole))


def test_a_schema_that_names_itself_is_followed_to_a_bounded_depth() -> None:
    looped: dict[str, Any] = {"type": "object", "properties": {}}
    looped["properties"]["next"] = looped
    numbers = writes._numbers_of(looped, depth=0)
    for _ in range(writes.MAX_DEPTH):
        assert numbers.properties
        numbers = numbers.properties["next"]
    assert numbers.properties == {}


def test_names_are_found_at_any_depth_and_only_names() -> None:
    notes = writes.unknown_fields(
        {"query": {"filters": {"network_offer_id": [3]}}}, "PartnerPostbackSearch"
    )
    assert notes == [
        "query.filters.network_offer_id (not documented; did you mean network_offer_ids?)"
    ]


def test_the_schemas_resolved_for_unknown_fields_are_the_specs_own_not_one_per_body() -> None:
    """The properties of each schema are resolved once and kept: what is kept is bounded by
    the spec, however many and however varied the bodies."""

    def bodies(n: int) -> list[tuple[dict[str, Any], str]]:
        postback = PostbackFactory(seed=n).build(n + 1)
        postback[f"extra_{n}"] = n
        postback["relationship"] = {"offer": {f"x{n}": n}, "affiliate": {}}
        search = {"search_terms": [{"search_type": "name", "value": str(n)}], f"f{n}": {}}
        return [(postback, "PartnerPostbackInput"), (search, "PartnerPostbackSearch")]

    for n in range(20):  # every variant of the factory: each schema its bodies reach
        for body, schema in bodies(n):
            assert writes.unknown_fields(body, schema)
    kept = len(writes._PROPERTIES)
    assert 0 < kept < 40
    for n in range(20, 220):
        for body, schema in bodies(n):
            assert any(f"{n}" in note for note in writes.unknown_fields(body, schema))
    assert len(writes._PROPERTIES) == kept
