"""openapi-core judging httpx exchanges."""

from __future__ import annotations

import json
from typing import Any

import httpx

from fixtures import PostbackFactory
from openapi import load_spec
from openapi.httpx_validation import (
    DOCUMENTED_STATUSES,
    documented_statuses,
    request_violations,
    response_violations,
)
from openapi.operations import operations

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


BASE = "http://127.0.0.1:4010/v1"
EXAMPLES = load_spec()["components"]["examples"]


def exchange(method: str, path: str, status: int, answer: object, **request: Any) -> httpx.Response:
    sent = httpx.Request(method, BASE + path, headers={"X-Eflow-Api-Key": "k"}, **request)
    return httpx.Response(status, json=answer, request=sent)


def test_every_operation_is_judged_by_its_own_statuses() -> None:
    assert operations()["getPartnerPostback"].statuses == DOCUMENTED_STATUSES
    listing = httpx.Request("GET", BASE + "/networks/pixels")
    assert 404 not in documented_statuses(listing)
    assert 404 in documented_statuses(httpx.Request("DELETE", BASE + "/networks/pixels/3"))
    (status,) = response_violations(exchange("GET", "/networks/pixels", 404, {"error": "x"}))
    assert status.keyword == "status"
    assert "listPartnerPostbacks" in status.message
    assert documented_statuses(httpx.Request("GET", BASE + "/elsewhere")) == frozenset()


def test_answers_of_every_operation_are_judged_by_their_schema() -> None:
    page = EXAMPLES["postback_page"]["value"]
    assert response_violations(exchange("GET", "/networks/pixels?page=1", 200, page)) == []
    assert response_violations(exchange("POST", "/networks/pixelstable", 200, page, json={})) == []
    assert (
        response_violations(exchange("DELETE", "/networks/pixels/3", 200, {"result": True})) == []
    )
    (wrong,) = response_violations(exchange("DELETE", "/networks/pixels/3", 200, {"result": "ok"}))
    assert wrong.name == "$.result:type"
    created = PostbackFactory().build(9)
    body = PostbackFactory().build_input(9)
    assert response_violations(exchange("POST", "/networks/pixels", 200, created, json=body)) == []


def test_rules_are_named_inside_a_page() -> None:
    broken = PostbackFactory().build_invalid("cpc_not_global_offer", 8)
    page = {
        "pixels": [PostbackFactory().build(7), broken],
        "paging": EXAMPLES["postback_page"]["value"]["paging"],
    }
    found = response_violations(exchange("GET", "/networks/pixels", 200, page))
    assert [(v.path, v.name) for v in found] == [
        ("$.pixels[1].pixel_level", "cpc_not_global_offer")
    ]
    (missing,) = response_violations(exchange("GET", "/networks/pixels", 200, {"pixels": []}))
    assert missing.name == "$:required"


def test_write_bodies_are_judged_naming_the_rule() -> None:
    factory = PostbackFactory()
    good = httpx.Request(
        "POST",
        BASE + "/networks/pixels",
        headers={"X-Eflow-Api-Key": "k"},
        json=factory.build_input(3),
    )
    assert request_violations(good) == []
    bad = factory.build_invalid_input("global_has_no_offer", 3)
    put = httpx.Request(
        "PUT", BASE + "/networks/pixels/3", headers={"X-Eflow-Api-Key": "k"}, json=bad
    )
    assert [v.name for v in request_violations(put)] == ["global_has_no_offer"]
    empty = httpx.Request("POST", BASE + "/networks/pixels", headers={"X-Eflow-Api-Key": "k"})
    assert [v.keyword for v in request_violations(empty)] == ["MissingRequiredRequestBody"]


def test_parameters_are_named_in_violations() -> None:
    query = {"page": "0", "filter": ["pixel_status=active", "pixel_status=paused"]}
    listing = httpx.Request(
        "GET", BASE + "/networks/pixels", params=query, headers={"X-Eflow-Api-Key": "k"}
    )
    found = {(v.path, v.keyword) for v in request_violations(listing)}
    assert found == {("page", "minimum"), ("filter[1]", "pattern")}


def test_outside_the_spec() -> None:
    patch = httpx.Request("PATCH", BASE + "/networks/pixels/3", headers={"X-Eflow-Api-Key": "k"})
    (method,) = request_violations(patch)
    assert method.keyword == "OperationNotFound"
    assert "GET, PUT, DELETE" in method.message
    (path,) = response_violations(exchange("GET", "/networks/pixels/3/4", 404, {"error": "x"}))
    assert path.keyword == "PathNotFound"


def test_the_mocks_own_statuses_are_documented_as_the_mocks_and_accepted() -> None:
    from mock_server import MockConfig, create_app

    client = create_app(MockConfig(max_body=100)).test_client()
    key = {"X-Eflow-Api-Key": "k"}
    answers = {
        405: client.patch("/v1/networks/pixels/3", headers=key),
        413: client.post("/v1/networks/pixels", headers=key, data=b"x" * 200),
        422: client.get("/v1/networks/pixels/3", headers={**key, "Prefer": "code=abc"}),
    }
    for status, answer in answers.items():
        assert answer.status_code == status
        sent = httpx.Request(
            "PATCH" if status == 405 else "POST" if status == 413 else "GET",
            BASE + ("/networks/pixels" if status == 413 else "/networks/pixels/3"),
            headers=key,
        )
        judged = httpx.Response(
            status, headers=dict(answer.headers), content=answer.data, request=sent
        )
        assert response_violations(judged) == [], status
        assert status not in documented_statuses(sent)  # never expected of Everflow
    # Still judged: the mock's own 422 in Everflow's shape, or as JSON, is a violation.
    (wrong,) = response_violations(exchange("GET", "/networks/pixels/3", 422, {"error": "x"}))
    assert wrong.keyword == "content-type"
    (shape,) = response_violations(exchange("GET", "/networks/pixels/3", 408, {"nope": 1}))
    assert shape.path == "$"


def test_a_json_body_that_is_not_utf8_is_a_violation_not_a_crash() -> None:
    answer = response(200, {})
    broken = httpx.Response(
        200,
        content=b'\xff\xfe{"network_pixel_id": 8}',
        headers=answer.headers,
        request=answer.request,
    )
    (violation,) = response_violations(broken)
    assert violation.path == "$"
    assert violation.keyword == "json"
    assert violation.actual == "body is not valid JSON, 25 bytes"


def test_what_a_violation_expects_and_holds_never_quotes_the_body() -> None:
    answer = response(200, {})
    planted = "tok=sekret-4711 jo.doe@example.com"
    for content in (
        b'{"network_pixel_id": 8, "postback_url": "' + planted.encode() + b'", "x',
        json.dumps({"network_pixel_id": 8, "delivery_method": planted}).encode(),
        json.dumps({"network_pixel_id": planted, "pixel_status": {planted: [planted]}}).encode(),
    ):
        broken = httpx.Response(
            200, content=content, headers=answer.headers, request=answer.request
        )
        violations = response_violations(broken)
        assert violations
        for violation in violations:
            assert violation.expected
            assert violation.actual
            said = f"{violation.name} {violation.path} {violation.expected} {violation.actual}"
            assert "sekret" not in said
            assert "example.com" not in said
