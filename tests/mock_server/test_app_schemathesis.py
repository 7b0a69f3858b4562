"""Schemathesis feeds the app, in-process, with positive and negative data for every
operation of the spec: no failures."""

from __future__ import annotations

import copy
import json
import re
from collections import Counter

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation.modes import GenerationMode

from mock_server import MockConfig, create_app, get_state
from openapi import load_spec, schema_violations
from openapi.httpx_validation import request_violations
from openapi.operations import operations

# Schemathesis, hundreds of generated requests per operation.
pytestmark = pytest.mark.slow

# Rate limiting is off so that hundreds of generated requests are judged on their content;
# one key is configured so that Schemathesis can tell good auth from bad (ignored_auth).
KEY = "schemathesis-key"
APP = create_app(MockConfig(rate_limit=None, dynamic=True, api_keys=(KEY,)))
# What the spec's examples name is in the world (the reads' 605 and 461 are the built-in
# world's; the write examples' offers, partners and entries are added), so that example
# requests answer 200 as well as generated ids' 404 and 400 (writes naming what is not there).
get_state(APP).world.fill_in(
    [example["value"] for example in load_spec()["components"]["examples"].values()], 0
)


SPEC = copy.deepcopy(load_spec())
"""The shipped spec as it is: Schemathesis generates from it for every operation (the
write body's rules are grouped so that its canonicaliser takes them)."""
SENT: Counter[tuple[str, int]] = Counter()
"""What the generated requests got, by operation and status."""
schema = schemathesis.openapi.from_dict(SPEC)
schema.app = APP
# The spec documents that unknown query parameters and undocumented body fields are ignored,
# so a request is not invalid for carrying them (Schemathesis assumes it is by default).
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=80,
    allow_extra_parameters=False,
)


def test_schemathesis_sees_every_operation() -> None:
    seen = {result.ok().definition.raw["operationId"] for result in schema.get_all_operations()}
    assert seen == set(operations())


def refused_for_the_state(case: schemathesis.Case, status: int) -> bool:
    """Whether a write's 400 is one the spec documents for a body that is valid alone: it
    names an offer, partner or payout/revenue entry the world lacks, or (a replace) another
    postback's id, or changes the level of a stored cpc postback. Schemathesis cannot know
    the state, so it would take these for valid data rejected."""
    operation_id = case.operation.definition.raw["operationId"]
    body = case.body
    if status != 400 or not isinstance(body, dict):
        return False
    if operation_id in ("createPartnerPostback", "replacePartnerPostback"):
        valid = not schema_violations(body, "PartnerPostbackInput")
        # As the mock reads it: a whole number sent as 5866.0 is the id 5866.
        read = {
            k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in body.items()
        }
        if valid and get_state(APP).world.missing(read):
            return True
    if operation_id != "replacePartnerPostback":
        return False
    pixel_id = case.path_parameters.get("pixelId")
    if isinstance(pixel_id, str) and re.fullmatch("[0-9]{1,19}", pixel_id):
        pixel_id = int(pixel_id)  # the coverage phase sends path parameters as strings too
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


def valid_as_sent(response: schemathesis.Response) -> bool:
    """Whether a read Schemathesis generated as negative is valid as it went on the wire,
    judged by openapi-core (not by the mock under test): a boolean ``false`` in a query
    array is sent as the string ``false``, which the spec's ``^[a-z_]{1,64}$`` allows, and
    the key header Schemathesis says it dropped is the one this test always adds."""
    sent = response.request
    if sent.method != "GET" or sent.url is None:
        return False  # the reads alone: no body to judge as sent
    return not request_violations(httpx.Request("GET", sent.url, headers=dict(sent.headers)))


def check_every_default(case: schemathesis.Case) -> None:
    headers = {"X-Eflow-Api-Key": KEY}
    response = case.call(headers=headers)
    SENT[case.operation.definition.raw["operationId"], response.status_code] += 1
    excluded = []
    if refused_for_the_state(case, response.status_code):
        excluded.append(schemathesis.checks.positive_data_acceptance)
    if response.status_code == 200 and valid_as_sent(response):
        excluded.append(schemathesis.checks.negative_data_rejection)
    case.validate_response(
        response, excluded_checks=excluded, headers=headers, transport_kwargs={"headers": headers}
    )


def every_default_check_passes(operation_id: str) -> object:
    """A test of one operation, named after it: Schemathesis gives the tests of one
    ``parametrize()`` the same node id, which pytest-xdist takes for one test."""

    @schema.include(operation_id=operation_id).parametrize()
    @settings(deadline=None, suppress_health_check=list(HealthCheck))
    def test(case: schemathesis.Case) -> None:
        check_every_default(case)

    return test


for _operation_id in operations():
    globals()[f"test_every_default_check_passes_for_{_operation_id}"] = every_default_check_passes(
        _operation_id
    )


def test_schemathesis_really_sent_good_and_bad_requests() -> None:
    """Runs after the tests above (file order; `--dist loadfile` keeps a file on one worker): every operation was answered both 200 and
    400 (so bodies and parameters were generated, valid and not), nothing else unexpected."""
    for operation_id in operations():
        assert SENT[operation_id, 200] > 0, operation_id
        assert SENT[operation_id, 400] > 0, operation_id
    assert {status for _, status in SENT} <= {200, 400, 401, 403, 404, 405}
    statuses = Counter(entry["status"] for entry in get_state(APP).requests)
    assert set(statuses) <= {200, 400, 401, 403, 404, 405}
