"""The spec file: valid OpenAPI 3.1, loadable by openapi-core, and its examples obey it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData
from openapi_spec_validator import validate

from openapi import (
    get_openapi,
    load_spec,
    schema_violations,
    spec_bytes,
    spec_path,
    spec_rules,
)
from openapi.violations import component_schema, describe

SPEC = load_spec()
EXAMPLES = SPEC["components"]["examples"]
REQUEST = MockRequest(
    "http://127.0.0.1:4010",
    "get",
    "/v1/networks/pixels/1012",
    headers={"X-Eflow-Api-Key": "test-key"},
)


def response_errors(body: Any, status: int = 200) -> list[str]:
    """Names of the rules/fields openapi-core's response validation rejects, via its own errors."""
    response = MockResponse(
        json.dumps(body).encode(), status_code=status, content_type="application/json"
    )
    names: list[str] = []
    schema_name = "PartnerPostback" if status == 200 else "EverflowError"
    for error in get_openapi().iter_response_errors(REQUEST, response):
        assert isinstance(error, InvalidData), error
        cause = error.__cause__
        for schema_error in getattr(cause, "schema_errors", ()):
            names.append(describe(schema_error, component_schema(schema_name)).name)
    return names


def example(name: str) -> dict[str, Any]:
    return copy.deepcopy(EXAMPLES[name]["value"])


def test_spec_is_valid_openapi_31() -> None:
    assert SPEC["openapi"].startswith("3.1")
    validate(SPEC)


def test_spec_file_is_shipped_inside_the_package() -> None:
    assert spec_path().is_file()
    assert spec_bytes().startswith(b"openapi: 3.1")


def test_openapi_core_object_is_built_once() -> None:
    assert get_openapi() is get_openapi()


def test_servers_include_both_regions_and_a_relative_one() -> None:
    urls = [server["url"] for server in SPEC["servers"]]
    assert urls == ["https://api.eflow.team/v1", "https://api-eu.eflow.team/v1", "/v1"]


@pytest.mark.parametrize(
    "host", ["https://api.eflow.team", "https://api-eu.eflow.team", "http://127.0.0.1:4010"]
)
def test_request_to_every_server_is_valid(host: str) -> None:
    request = MockRequest(host, "get", "/v1/networks/pixels/7", headers={"X-Eflow-Api-Key": "k"})
    get_openapi().validate_request(request)


def test_request_without_key_is_rejected() -> None:
    request = MockRequest("http://127.0.0.1:4010", "get", "/v1/networks/pixels/7")
    assert list(get_openapi().iter_request_errors(request))


GET_EXAMPLES = sorted(
    SPEC["paths"]["/networks/pixels/{pixelId}"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["examples"]
)


def test_every_delivery_method_has_an_example() -> None:
    methods = {example(name)["delivery_method"] for name in GET_EXAMPLES}
    assert methods == set(SPEC["components"]["schemas"]["DeliveryMethod"]["enum"])


@pytest.mark.parametrize("name", GET_EXAMPLES)
def test_named_example_validates_through_openapi_core(name: str) -> None:
    assert response_errors(example(name)) == []


def test_200_response_lists_every_postback_example() -> None:
    postbacks = {name for name, e in EXAMPLES.items() if "network_pixel_id" in e["value"]}
    assert set(GET_EXAMPLES) == postbacks


BASE = "postback_conversion_specific"

# (example to start from, changes, the rule or field:keyword that must be named)
BROKEN: list[tuple[str, dict[str, Any], str]] = [
    (BASE, {"postback_url": "ftp://x.example/pb"}, "postback_url_required"),
    (BASE, {"postback_url": ""}, "postback_url_required"),
    ("html_conversion_global", {"html_code": ""}, "html_code_required"),
    ("facebook_conversion_specific", {"facebook_pixel": None}, "facebook_pixel_required"),
    ("tiktok_event_specific", {"tiktok_pixel": {}}, "tiktok_pixel_required"),
    ("snapchat_conversion_global_offer", {"snapchat_pixel": None}, "snapchat_pixel_required"),
    ("rumble_cpc_specific", {"rumble_pixel": {}}, "rumble_pixel_required"),
    ("html_conversion_global", {"network_offer_id": 12}, "global_has_no_offer"),
    ("postback_event_global_offer", {"network_affiliate_id": 7}, "global_offer_has_no_affiliate"),
    (BASE, {"network_offer_id": 0}, "offer_level_needs_offer"),
    (BASE, {"network_affiliate_id": 0}, "affiliate_level_needs_affiliate"),
    ("html_conversion_global", {"network_affiliate_id": 0}, "affiliate_level_needs_affiliate"),
    (
        "rumble_cpc_specific",
        {"pixel_level": "global_offer", "network_affiliate_id": 0},
        "cpc_not_global_offer",
    ),
    ("html_conversion_global", {"delay_ms": 500}, "delay_only_for_postback"),
    (BASE, {"network_offer_payout_revenue_id": 4}, "event_id_only_for_offer_events"),
    (
        "html_conversion_global",
        {"pixel_type": "event", "network_offer_payout_revenue_id": 4},
        "event_id_only_for_offer_events",
    ),
    (BASE, {"delivery_method": "sms"}, "$.delivery_method:enum"),
    (BASE, {"pixel_level": "network"}, "$.pixel_level:enum"),
    (BASE, {"pixel_status": "paused"}, "$.pixel_status:enum"),
    (BASE, {"pixel_type": "sale"}, "$.pixel_type:enum"),
    (BASE, {"delay_ms": 300001}, "$.delay_ms:maximum"),
    (BASE, {"delay_ms": -1}, "$.delay_ms:minimum"),
    (BASE, {"network_pixel_id": 0}, "$.network_pixel_id:minimum"),
    (BASE, {"network_pixel_id": "1012"}, "$.network_pixel_id:type"),
    (BASE, {"network_affiliate_id": -3}, "$.network_affiliate_id:minimum"),
    (BASE, {"time_created": 1.5}, "$.time_created:type"),
    (BASE, {"description": 7}, "$.description:type"),
    (BASE, {"facebook_pixel": "yes"}, "$.facebook_pixel:anyOf"),
    (
        "facebook_conversion_specific",
        {"facebook_pixel": {"user_data": "email"}},
        "$.facebook_pixel:anyOf",
    ),
    (
        BASE,
        {"relationship": {"offer": {"network_offer_id": "93"}}},
        "$.relationship.offer.network_offer_id:type",
    ),
    (
        BASE,
        {"relationship": {"affiliate": {"has_notifications": "yes"}}},
        "$.relationship.affiliate.has_notifications:type",
    ),
]


def test_broken_table_covers_every_rule() -> None:
    assert {name for _, _, name in BROKEN if not name.startswith("$")} == set(spec_rules())


@pytest.mark.parametrize(
    ("start", "changes", "expected"),
    BROKEN,
    ids=[b[2] + "-" + str(i) for i, b in enumerate(BROKEN)],
)
def test_broken_body_is_rejected_naming_the_rule(
    start: str, changes: dict[str, Any], expected: str
) -> None:
    body = example(start)
    body.update(changes)
    assert expected in response_errors(body)


@pytest.mark.parametrize(
    ("start", "changes", "expected"),
    BROKEN,
    ids=[b[2] + "-" + str(i) for i, b in enumerate(BROKEN)],
)
def test_broken_write_body_is_rejected_naming_the_same_rule(
    start: str, changes: dict[str, Any], expected: str
) -> None:
    """The write schema reuses PartnerPostback's rules and fields, and names them alike."""
    body = example(start)
    body.update(changes)
    assert expected in [v.name for v in schema_violations(body, "PartnerPostbackInput")]


REAL_SHAPES: list[tuple[str, dict[str, Any], list[str]]] = [
    (BASE, {"facebook_pixel": None, "tiktok_pixel": None}, []),
    (BASE, {"snapchat_pixel": {}, "rumble_pixel": {}}, []),
    ("html_conversion_global", {"postback_url": "", "description": ""}, []),
    (BASE, {"html_code": ""}, []),
    (BASE, {"extra_undocumented_field": {"anything": [1, 2]}}, []),
    ("facebook_conversion_specific", {}, ["delay_ms", "time_created", "time_saved"]),
    (BASE, {}, ["relationship", "network_offer_payout_revenue_id", "facebook_pixel"]),
    (BASE, {"pixel_type": "post_conversion", "network_offer_payout_revenue_id": 3}, []),
]


@pytest.mark.parametrize(("start", "changes", "drop"), REAL_SHAPES)
def test_bodies_shaped_like_real_answers_are_accepted(
    start: str, changes: dict[str, Any], drop: list[str]
) -> None:
    body = example(start)
    body.update(changes)
    for key in drop:
        body.pop(key, None)
    assert response_errors(body) == []


@pytest.mark.parametrize(
    ("status", "body", "ok"),
    [
        (404, {"error": "Pixel not found"}, True),
        (404, {"Error": "Pixel not found"}, True),
        (401, {"error": "No Authentication Method Found"}, True),
        (429, {"Error": "Rate limit exceeded"}, True),
        (500, {"message": "boom"}, False),
        (400, {"error": 400}, False),
        (403, ["Forbidden"], False),
    ],
)
def test_error_bodies_accept_either_key(status: int, body: Any, ok: bool) -> None:
    assert (response_errors(body, status) == []) is ok


def test_every_rule_has_a_description() -> None:
    assert all(spec_rules().values())


def test_the_parsed_spec_is_kept_and_read_back_without_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from openapi import cache, spec

    expected = yaml.safe_load(spec.spec_bytes())
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    spec.load_spec.cache_clear()
    try:
        assert spec.load_spec() == expected
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("spec-")]

        def no_yaml(*args: object, **kwargs: object) -> None:
            raise AssertionError("the cached spec was parsed again")

        monkeypatch.setattr(yaml, "load", no_yaml)
        spec.load_spec.cache_clear()
        assert spec.load_spec() == expected
    finally:
        spec.load_spec.cache_clear()


def test_resolved_follows_refs_and_merges_members_without_inventing_keys() -> None:
    from openapi.spec import resolved

    nullable = resolved(
        {"anyOf": [{"$ref": "#/components/schemas/FacebookPixel"}, {"type": "null"}]}
    )
    assert "event_name" in nullable["properties"]
    assert "items" not in nullable  # no member has items: none is made up
    listed = resolved({"allOf": [{"type": "array", "items": {"type": "integer"}}]})
    assert listed["items"] == {"type": "integer"}
    assert listed["type"] == "array"
    write = resolved({"$ref": "#/components/schemas/PartnerPostbackInput"})
    assert "delivery_method" in write["properties"]  # from its allOf member, PartnerPostback
    assert nullable["type"] == ["object", "null"]  # either member's type, not the last one's
    either = resolved({"anyOf": [{"type": "integer"}, {"type": ["null", "integer"]}]})
    assert either["type"] == ["integer", "null"]
    assert resolved({"anyOf": [{"type": "integer"}], "type": "string"})["type"] == "string"
