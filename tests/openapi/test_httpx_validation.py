"""openapi-core judging httpx exchanges."""

from __future__ import annotations

import json

import httpx

from fixtures import PostbackFactory
from openapi.httpx_validation import request_violations, response_violations

URL = "https://api-eu.eflow.team/v1/networks/pixels/8"


def response(status: int, body: object, **headers: str) -> httpx.Response:
    request = httpx.Request("GET", URL, headers={"X-Eflow-Api-Key": "k"})
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
        request=request,
    )


def test_valid_exchange() -> None:
    assert response_violations(response(200, PostbackFactory().build(8))) == []
    assert request_violations(httpx.Request("GET", URL, headers={"X-Eflow-Api-Key": "k"})) == []


def test_body_violations_are_named_by_rule() -> None:
    body = PostbackFactory().build_invalid("cpc_not_global_offer", 8)
    assert [v.name for v in response_violations(response(200, body))] == ["cpc_not_global_offer"]


def test_undocumented_status_and_bad_headers() -> None:
    (status,) = response_violations(response(418, {"error": "teapot"}))
    assert status.keyword == "status"
    assert "418" in status.message
    (header,) = response_violations(
        response(200, PostbackFactory().build(8), **{"X-RateLimit-Limit": "lots"})
    )
    assert (header.path, header.keyword) == ("X-RateLimit-Limit", "header")


def test_missing_key_is_a_security_violation() -> None:
    assert [v.keyword for v in request_violations(httpx.Request("GET", URL))] == ["security"]
