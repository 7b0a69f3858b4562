"""The spec's ten operations (six on postbacks, four read-only on offers and affiliates):
ids, statuses, choices written down, examples, and what they accept."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from openapi_core.testing import MockRequest

from fixtures import SERVER_FIELDS
from openapi import get_openapi, load_spec, schema_violations, spec_rules
from openapi.spec import rule_schemas

SPEC = load_spec()
COMPONENTS = SPEC["components"]
POSTBACK = COMPONENTS["schemas"]["PartnerPostback"]
SHARED_ENUMS = {
    "delivery_method": "DeliveryMethod",
    "pixel_level": "PixelLevel",
    "pixel_status": "PixelStatus",
    "pixel_type": "PixelType",
}
"""The postback fields whose values other schemas (search filters) share, and their schemas."""
METHODS = ("get", "put", "post", "delete", "patch")
HOST = "http://127.0.0.1:4010"
KEY = {"X-Eflow-Api-Key": "k"}

ERRORS_WITH_AN_ID = {400, 401, 403, 404, 429, 500}
ERRORS_WITHOUT = {400, 401, 403, 429, 500}
EXPECTED = {
    # operationId: (method, path, documented statuses)
    "getPartnerPostback": ("get", "/networks/pixels/{pixelId}", {200} | ERRORS_WITH_AN_ID),
    "listPartnerPostbacks": ("get", "/networks/pixels", {200} | ERRORS_WITHOUT),
    "createPartnerPostback": ("post", "/networks/pixels", {200} | ERRORS_WITHOUT),
    "replacePartnerPostback": ("put", "/networks/pixels/{pixelId}", {200} | ERRORS_WITH_AN_ID),
    "deletePartnerPostback": ("delete", "/networks/pixels/{pixelId}", {200} | ERRORS_WITH_AN_ID),
    "searchPartnerPostbacks": ("post", "/networks/pixelstable", {200} | ERRORS_WITHOUT),
    "getOffer": ("get", "/networks/offers/{offerId}", {200} | ERRORS_WITH_AN_ID),
    "searchOffers": ("post", "/networks/offerstable", {200} | ERRORS_WITHOUT),
    "getAffiliate": ("get", "/networks/affiliates/{affiliateId}", {200} | ERRORS_WITH_AN_ID),
    "searchAffiliates": ("post", "/networks/affiliatestable", {200} | ERRORS_WITHOUT),
}


def deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = SPEC
        for key in node["$ref"][2:].split("/"):
            target = target[key]
        node = target
    return node


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def media_examples() -> Iterator[tuple[str, str, Any]]:
    """(where, schema name, example value) for every example of every JSON body."""
    for path, method, operation in operations():
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(code, deref(r)) for code, r in operation["responses"].items()]
        for where, body in bodies:
            for media in body.get("content", {}).values():
                name = media["schema"]["$ref"].rsplit("/", 1)[1]
                if "example" in media:
                    yield f"{method} {path} {where}", name, media["example"]
                for key, ex in media.get("examples", {}).items():
                    yield f"{method} {path} {where} {key}", name, deref(ex)["value"]


def example(name: str) -> dict[str, Any]:
    return copy.deepcopy(COMPONENTS["examples"][name]["value"])


def request_errors(method: str, path: str, body: Any = None, **query: Any) -> list[str]:
    request = MockRequest(
        HOST,
        method,
        "/v1" + path,
        headers=KEY,
        args=query,
        data=None if body is None else json.dumps(body),
        content_type="application/json",
    )
    return [f"{type(e).__name__}: {e}" for e in get_openapi().iter_request_errors(request)]


def test_operations_have_the_chosen_ids_methods_and_statuses() -> None:
    found = {
        op["operationId"]: (method, path, {int(code) for code in op["responses"]})
        for path, method, op in operations()
    }
    assert found == EXPECTED


def test_every_operation_uses_the_api_key_and_writes_its_choices_down() -> None:
    assert SPEC["security"] == [{"EflowApiKey": []}]
    for _, _, operation in operations():
        assert "security" not in operation
        assert operation["summary"]
        assert "Behaviour Everflow does not document" in operation["description"]


def test_every_error_answer_is_an_everflow_error() -> None:
    for _, _, operation in operations():
        for code, response in operation["responses"].items():
            if int(code) >= 400:
                schema = deref(response)["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/EverflowError"}


@pytest.mark.parametrize(
    ("where", "schema", "value"), list(media_examples()), ids=lambda x: str(x)[:60]
)
def test_every_example_validates_against_its_schema(where: str, schema: str, value: Any) -> None:
    assert schema_violations(value, schema) == [], where


def test_every_named_example_is_used() -> None:
    used = {ref.rsplit("/", 1)[1] for ref in re.findall(r"#/components/examples/\w+", str(SPEC))}
    assert used == set(COMPONENTS["examples"])


def test_the_write_schema_is_the_postback_plus_required_fields() -> None:
    """One definition of each rule: the write body reuses PartnerPostback, rules and all."""
    write = COMPONENTS["schemas"]["PartnerPostbackInput"]
    assert write["allOf"] == [{"$ref": "#/components/schemas/PartnerPostback"}]
    assert "properties" not in write
    assert set(write["required"]) <= set(POSTBACK["properties"])
    read_only = {name for name, p in POSTBACK["properties"].items() if p.get("readOnly")}
    # The factories keep their own copy (fixtures needs only Faker): held to the spec here.
    assert read_only == set(SERVER_FIELDS)
    assert not read_only & set(write["required"])


def test_rules_are_written_once() -> None:
    text = str(SPEC)
    rules = rule_schemas(POSTBACK)
    assert len(rules) == len(spec_rules()) > 10
    for title in rules:
        assert text.count(f"'title': '{title}'") == 1


def test_shared_enums_are_schemas_of_their_own() -> None:
    """Client generators cannot follow a $ref into another schema's property: each shared
    set of values is a component schema, and nothing points inside a schema."""
    for field, name in SHARED_ENUMS.items():
        assert POSTBACK["properties"][field]["$ref"] == f"#/components/schemas/{name}"
        assert COMPONENTS["schemas"][name]["type"] == "string"
    refs = re.findall(r"'\$ref': '([^']*)'", str(SPEC))
    assert refs
    assert all(re.fullmatch(r"#/components/\w+/[\w-]+", ref) for ref in refs), refs


def _inlined(node: Any) -> Any:
    """``node`` with every local ``$ref`` replaced by its target (the spec has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = SPEC
            for key in node["$ref"][2:].split("/"):
                target = target[key]
            return {**_inlined(target), **_inlined({k: v for k, v in node.items() if k != "$ref"})}
        return {key: _inlined(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_inlined(item) for item in node]
    return node


@pytest.mark.parametrize("name", ["PartnerPostbackInput", "PartnerPostbackSearch"])
def test_request_bodies_stay_within_the_generators_limits(name: str) -> None:
    """Schemathesis generates bodies from jsonschema-rs's canonical form, which gives up
    ("raw") on too many conditionals side by side: the twelve rules in one ``allOf`` did."""
    canonical = jsonschema_rs.canonicalize(
        _inlined(COMPONENTS["schemas"][name]), draft=jsonschema_rs.Draft202012
    )
    assert canonical.kind is not jsonschema_rs.canonical.CanonicalKind.RAW


def test_every_operation_has_a_declared_tag() -> None:
    declared = {tag["name"] for tag in SPEC["tags"]}
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            assert operation["tags"], (method, path)
            assert set(operation["tags"]) <= declared, (method, path)


def test_create_links_to_the_operations_on_the_created_id() -> None:
    """Stateful tools (Schemathesis) chain create -> get / replace / delete by these links."""
    create = SPEC["paths"]["/networks/pixels"]["post"]["responses"]["200"]
    targets = {link["operationId"]: link["parameters"] for link in create["links"].values()}
    assert targets == {
        operation: {"pixelId": "$response.body#/network_pixel_id"}
        for operation in ("getPartnerPostback", "replacePartnerPostback", "deletePartnerPostback")
    }
    item = SPEC["paths"]["/networks/pixels/{pixelId}"]
    by_id = {op["operationId"]: op for op in item.values()}
    for operation in targets:
        assert [p["name"] for p in by_id[operation]["parameters"]] == ["pixelId"]
    assert "network_pixel_id" in POSTBACK["properties"]


@pytest.mark.parametrize("name", ["create_postback_specific", "create_tiktok_global"])
def test_write_examples_carry_no_server_filled_field(name: str) -> None:
    read_only = {k for k, p in POSTBACK["properties"].items() if p.get("readOnly")}
    assert not read_only & example(name).keys()


GET_EXAMPLES = [
    name for name, e in COMPONENTS["examples"].items() if "network_pixel_id" in e["value"]
]


@pytest.mark.parametrize("name", GET_EXAMPLES)
def test_a_fetched_postback_can_be_put_back_whole(name: str) -> None:
    body = example(name)
    body["pixel_status"] = "inactive"
    body["unmodelled_field"] = {"kept": True}
    path = f"/networks/pixels/{body['network_pixel_id']}"
    assert request_errors("put", path, body) == []
    assert schema_violations(body, "PartnerPostbackInput") == []


@pytest.mark.parametrize(
    "missing", ["network_affiliate_id", "delivery_method", "pixel_level", "pixel_type"]
)
def test_a_write_body_without_a_required_field_is_refused(missing: str) -> None:
    body = example("create_postback_specific")
    del body[missing]
    names = [v.name for v in schema_violations(body, "PartnerPostbackInput")]
    # A specific postback must name its partner: leaving the id out breaks that rule too.
    also = ["affiliate_level_needs_affiliate"] if missing == "network_affiliate_id" else []
    assert names == ["$:required", *also]
    assert request_errors("post", "/networks/pixels", body)


def test_a_write_body_is_required() -> None:
    assert request_errors("post", "/networks/pixels")
    assert request_errors("post", "/networks/pixelstable")


def test_filter_pattern_names_exactly_the_documented_values() -> None:
    parameters = SPEC["paths"]["/networks/pixels"]["get"]["parameters"]
    (param,) = [p for p in parameters if p.get("name") == "filter"]
    pattern = param["schema"]["items"]["pattern"]
    enums = dict(re.findall(r"(\w+)=\(\?:([\w|]+)\)", pattern))
    assert {field: set(values.split("|")) for field, values in enums.items()} == {
        field: set(COMPONENTS["schemas"][SHARED_ENUMS[field]]["enum"])
        for field in ("pixel_status", "pixel_type", "delivery_method")
    }
    numeric = re.search(r"\(\?:\(\?:([\w|]+)\)\[=<>\]", pattern)
    assert numeric is not None
    for field in numeric.group(1).split("|"):
        assert POSTBACK["properties"][field]["type"] == "integer"


@pytest.mark.parametrize(
    ("query", "ok"),
    [
        ({}, True),
        ({"page": "2", "page_size": "2000"}, True),
        ({"page": "0"}, False),
        ({"page_size": "0"}, False),
        ({"page_size": "2001"}, False),
        ({"page": "two"}, False),
        ({"filter": "network_offer_id=93"}, True),
        ({"filter": ["pixel_status=active", "time_created>1700000000"]}, True),
        ({"filter": "pixel_type=post_conversion"}, True),
        ({"filter": "pixel_status=paused"}, False),
        ({"filter": "pixel_status>active"}, False),
        ({"filter": "network_offer_id=x"}, False),
        ({"filter": "description=x"}, False),
        ({"filter": [f"network_offer_id={n}" for n in range(17)]}, False),
    ],
)
def test_list_parameters(query: dict[str, Any], ok: bool) -> None:
    assert (request_errors("get", "/networks/pixels", **query) == []) is ok


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        ({}, True),
        ({"query": {}}, True),
        ({"query": {"search_terms": [{"search_type": "pixel_id", "value": "1012"}]}}, True),
        ({"query": {"search_terms": [{"search_type": "pixel_id", "value": "10x"}]}}, False),
        ({"query": {"search_terms": [{"search_type": "payload", "value": "10x"}]}}, True),
        ({"query": {"search_terms": [{"search_type": "payload", "value": ""}]}}, False),
        ({"query": {"search_terms": [{"search_type": "name", "value": "a"}]}}, False),
        ({"query": {"search_terms": [{"value": "a"}]}}, False),
        ({"query": {"filters": {"status": "active", "offer_status": "inactive"}}}, True),
        ({"query": {"filters": {"status": "paused"}}}, False),
        ({"query": {"filters": {"delivery_methods": ["tiktok", "html"]}}}, True),
        ({"query": {"filters": {"delivery_methods": ["sms"]}}}, False),
        ({"query": {"filters": {"network_offer_ids": [93, 94], "pixel_type": "cpc"}}}, True),
        ({"query": {"filters": {"network_affiliate_ids": [0]}}}, False),
        ({"query": {"filters": {"network_offer_payout_revenue_ids": [1]}}}, True),
    ],
)
def test_search_bodies(body: Any, ok: bool) -> None:
    assert (request_errors("post", "/networks/pixelstable", body) == []) is ok


def test_search_errors_name_the_field() -> None:
    body = {"query": {"search_terms": [{"search_type": "pixel_id", "value": "10x"}]}}
    names = [v.name for v in schema_violations(body, "PartnerPostbackSearch")]
    assert names == ["$.query.search_terms[0].value:pattern"]


def test_replace_and_delete_share_the_get_id_parameter() -> None:
    item = SPEC["paths"]["/networks/pixels/{pixelId}"]
    (get_id,) = item["get"]["parameters"]
    assert item["put"]["parameters"] == item["delete"]["parameters"] == [get_id]
    assert request_errors("delete", "/networks/pixels/0")
    assert request_errors("delete", "/networks/pixels/7") == []


def parameter_examples() -> Iterator[tuple[str, str, str, Any]]:
    for path, method, operation in operations():
        parameters = [deref(parameter) for parameter in operation.get("parameters", [])]
        concrete = path
        for parameter in parameters:  # path parameters take their own example
            if parameter["in"] == "path":
                concrete = concrete.replace(f"{{{parameter['name']}}}", str(parameter["example"]))
        for parameter in parameters:
            for name, ex in parameter.get("examples", {}).items():
                yield (
                    method,
                    concrete,
                    f"{parameter['name']}:{name}",
                    (parameter["name"], ex["value"]),
                )


@pytest.mark.parametrize(("method", "path", "name", "query"), list(parameter_examples()))
def test_every_parameter_example_is_accepted(
    method: str, path: str, name: str, query: tuple[str, Any]
) -> None:
    key, value = query
    assert request_errors(method, path, **{key: value}) == [], name
