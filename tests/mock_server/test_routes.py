"""The cheap request check agrees with openapi-core's full request validation."""

from __future__ import annotations

import httpx
import pytest

from mock_server.operation import OperationRules
from openapi import load_spec
from openapi.httpx_validation import request_violations

RULES = OperationRules.from_spec(load_spec())


def test_rules_read_from_the_spec() -> None:
    assert RULES.path_prefix == "/v1/networks/pixels/"
    assert RULES.api_key_header == "X-Eflow-Api-Key"
    assert RULES.id_minimum == 1
    assert RULES.statuses == {200, 400, 401, 403, 404, 429, 500}
    assert "tiktok_event_specific" in RULES.examples


@pytest.mark.parametrize(
    "raw",
    [
        "1",
        "42",
        "007",
        "9223372036854775807",
        "9223372036854775808",
        "0",
        "-1",
        "abc",
        "1.5",
        "1e3",
        "9" * 30,
    ],
)
def test_id_check_agrees_with_openapi_core(raw: str) -> None:
    request = httpx.Request(
        "GET", f"http://127.0.0.1:4010/v1/networks/pixels/{raw}", headers={"X-Eflow-Api-Key": "k"}
    )
    core_accepts = request_violations(request) == []
    assert (RULES.parse_id(raw) is not None) == core_accepts


def test_key_check_agrees_with_openapi_core() -> None:
    without = httpx.Request("GET", "http://127.0.0.1:4010/v1/networks/pixels/1")
    assert [v.keyword for v in request_violations(without)] == ["security"]
