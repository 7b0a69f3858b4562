"""Schemathesis feeds the app, in-process, with positive and negative data for every
operation of the spec: no failures."""

from __future__ import annotations

import copy
import itertools
import json
from collections import Counter
from typing import Any

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation.modes import GenerationMode

from fixtures import RULES, VARIANTS, PostbackFactory
from mock_server import MockConfig, create_app, get_state
from mock_server.operations import PAGING
from openapi import load_spec, schema_violations
from openapi.operations import operations

# Rate limiting is off so that hundreds of generated requests are judged on their content;
# one key is configured so that Schemathesis can tell good auth from bad (ignored_auth).
KEY = "schemathesis-key"
APP = create_app(MockConfig(rate_limit=None, dynamic=True, api_keys=(KEY,)))
DISCRIMINATORS = ("delivery_method", "pixel_level", "pixel_type")


def flattened_spec() -> dict[str, Any]:
    """The spec with ``PartnerPostbackInput``'s rules spelled out per variant.

    Schemathesis cannot generate write bodies from the spec as written: its canonicaliser
    gives up on more than six ``if``/``then`` rules in one schema (``UnsupportedSchema``).
    Every rule's ``if`` looks only at the three fields a write body must carry, so the same
    schema can be written as ``anyOf`` one branch per value of those three, each with the
    ``then`` or ``else`` of every rule that applies to it. ``test_the_flattened_body_schema``
    holds the two to the same verdicts. Responses are still judged by the spec as written.
    """
    spec = copy.deepcopy(load_spec())
    schemas = spec["components"]["schemas"]
    postback = schemas["PartnerPostback"]
    properties = postback["properties"]
    branches = []
    for combo in itertools.product(*(properties[name]["enum"] for name in DISCRIMINATORS)):
        skeleton = dict(zip(DISCRIMINATORS, combo, strict=True))
        parts = [{"properties": {name: {"const": value} for name, value in skeleton.items()}}]
        for rule in postback["allOf"]:
            holds = jsonschema.Draft202012Validator(rule["if"]).is_valid(skeleton)
            applied = rule.get("then" if holds else "else")
            if applied is not None:
                parts.append(applied)
        branches.append({"allOf": parts})
    schemas["PartnerPostbackFields"] = {k: v for k, v in postback.items() if k != "allOf"}
    write = schemas["PartnerPostbackInput"]
    write["allOf"] = [{"$ref": "#/components/schemas/PartnerPostbackFields"}, {"anyOf": branches}]
    return spec


SPEC = flattened_spec()
SENT: Counter[tuple[str, int]] = Counter()
"""What the generated requests got, by operation and status."""
schema = schemathesis.openapi.from_dict(SPEC)
schema.app = APP
# The spec documents that unknown query parameters and undocumented body fields are ignored,
# so a request is not invalid for carrying them (Schemathesis assumes it is by default).
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=120,
    allow_extra_parameters=False,
)


def test_schemathesis_sees_every_operation() -> None:
    seen = {result.ok().definition.raw["operationId"] for result in schema.get_all_operations()}
    assert seen == set(operations())


def refused_for_the_state(case: schemathesis.Case, status: int) -> bool:
    """Whether a replace's 400 is one the spec documents for a body that is valid alone: it
    names another postback's id, or changes the level of a stored cpc postback. Schemathesis
    cannot know the state, so it would take these for valid data rejected."""
    if case.operation.definition.raw["operationId"] == "searchPartnerPostbacks" and status == 400:
        return paging_disagrees(case)
    if case.operation.definition.raw["operationId"] != "replacePartnerPostback" or status != 400:
        return False
    pixel_id = case.path_parameters.get("pixelId")
    body = case.body
    if not (type(pixel_id) is int and 1 <= pixel_id < 2**63 and isinstance(body, dict)):
        return False
    if schema_violations(body, "PartnerPostbackInput"):
        return False
    if body.get("network_pixel_id", pixel_id) != pixel_id:
        return True
    state = get_state(APP)
    stored = json.loads(state.store.get(pixel_id) or state.generated(state.config.seed, pixel_id))
    return bool(stored["pixel_type"] == "cpc" and body["pixel_level"] != stored["pixel_level"])


def paging_disagrees(case: schemathesis.Case) -> bool:
    """Whether a search sends a page or page size in two places with two values (the spec
    documents the 400 in words; no schema can say it)."""
    body = case.body if isinstance(case.body, dict) else {}
    if schema_violations(body, "PartnerPostbackSearch"):
        return False
    nested = body.get("paging")
    paging = nested if isinstance(nested, dict) else {}
    query = case.query or {}
    for name in PAGING:
        values = [where[name] for where in (query, paging, body) if name in where]
        if len({str(value) for value in values}) > 1:
            return True
    return False


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_every_default_check_passes(case: schemathesis.Case) -> None:
    headers = {"X-Eflow-Api-Key": KEY}
    response = case.call(headers=headers)
    SENT[case.operation.definition.raw["operationId"], response.status_code] += 1
    excluded = (
        [schemathesis.checks.positive_data_acceptance]
        if refused_for_the_state(case, response.status_code)
        else []
    )
    case.validate_response(
        response, excluded_checks=excluded, headers=headers, transport_kwargs={"headers": headers}
    )


def test_schemathesis_really_sent_good_and_bad_requests() -> None:
    """Runs after the test above (file order): every operation was answered both 200 and
    400 (so bodies and parameters were generated, valid and not), nothing else unexpected."""
    for operation_id in operations():
        assert SENT[operation_id, 200] > 0, operation_id
        assert SENT[operation_id, 400] > 0, operation_id
    assert {status for _, status in SENT} <= {200, 400, 401, 403, 404, 405}
    statuses = Counter(entry["status"] for entry in get_state(APP).requests)
    assert set(statuses) <= {200, 400, 401, 403, 404, 405}


def _flat_verdict(body: Any) -> bool:
    validator = jsonschema.Draft202012Validator(
        {"$ref": "#/components/schemas/PartnerPostbackInput", **SPEC}
    )
    return bool(validator.is_valid(body))


def _bodies() -> list[Any]:
    factory = PostbackFactory(11)
    bodies: list[Any] = [factory.build_input(i, **v._asdict()) for i, v in enumerate(VARIANTS)]
    bodies += [factory.build_invalid_input(rule, 100 + i) for i, rule in enumerate(RULES)]
    bodies += [
        {**factory.build_input(200), "pixel_type": "post_conversion"},
        {**factory.build_input(201), "delivery_method": "fax"},
        {k: v for k, v in factory.build_input(202).items() if k != "pixel_level"},
        {
            **factory.build_input(203, pixel_level="global", pixel_type="cpc"),
            "pixel_level": "global_offer",
        },
        [],
        "postback",
    ]
    return bodies


@pytest.mark.parametrize("body", _bodies())
def test_the_flattened_body_schema_judges_like_the_spec(body: Any) -> None:
    assert _flat_verdict(body) == (schema_violations(body, "PartnerPostbackInput") == [])
