"""Routes read from the spec, and the cheap request check agrees with openapi-core."""

from __future__ import annotations

import httpx
import pytest

from mock_server.routes import Routes
from openapi import load_spec
from openapi.httpx_validation import request_violations

ROUTES = Routes.from_spec(load_spec())
GET = ROUTES.by_id["getPartnerPostback"]
(PIXEL_ID,) = GET.parameters


def test_routes_read_from_the_spec() -> None:
    assert ROUTES.prefix == "/v1/"
    assert ROUTES.api_key_header == "X-Eflow-Api-Key"
    assert (GET.operation.method, GET.operation.path) == ("GET", "/networks/pixels/{pixelId}")
    assert (PIXEL_ID.name, PIXEL_ID.minimum, PIXEL_ID.maximum) == ("pixelId", 1, 2**63 - 1)
    assert {200, 400, 401, 403, 404, 429, 500} <= GET.statuses
    assert GET.ok_schema == "PartnerPostback"
    assert "tiktok_event_specific" in GET.examples


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("/v1/networks/pixels/3", {"pixelId": "3"}),
        ("/v1/networks/pixels/abc", {"pixelId": "abc"}),
        ("/v1/networks/pixels/", None),
        ("/v1/networks/pixels/1/2", None),
        ("/v1/networks/pixel/3", None),
        ("/v2/networks/pixels/3", None),
        ("/__admin/pixels/3", None),
    ],
)
def test_paths_match_the_spec_templates(path: str, found: dict[str, str] | None) -> None:
    match = ROUTES.match(path)
    if found is None:
        assert match is None or match[0].get("GET") is not GET
    else:
        assert match is not None
        assert match[0]["GET"] is GET
        assert match[1] == found


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
    assert (PIXEL_ID.parse(raw) is not None) == core_accepts


def test_key_check_agrees_with_openapi_core() -> None:
    without = httpx.Request("GET", "http://127.0.0.1:4010/v1/networks/pixels/1")
    assert [v.keyword for v in request_violations(without)] == ["security"]
