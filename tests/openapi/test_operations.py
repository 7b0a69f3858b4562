"""The spec's operations, found by operationId and by a request's method and path."""

from __future__ import annotations

import pytest

from openapi.operations import (
    base_paths,
    find_operation,
    operations,
    operations_at,
    response_headers,
)


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def test_every_operation_by_id_in_the_spec_order() -> None:
    assert list(operations()) == [
        "listPartnerPostbacks",
        "createPartnerPostback",
        "getPartnerPostback",
        "replacePartnerPostback",
        "deletePartnerPostback",
        "searchPartnerPostbacks",
        "getOffer",
        "searchOffers",
        "getAffiliate",
        "searchAffiliates",
    ]


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [
        ("GET", "/v1/networks/pixels", "listPartnerPostbacks"),
        ("post", "/v1/networks/pixels", "createPartnerPostback"),
        ("GET", "/v1/networks/pixels/3", "getPartnerPostback"),
        ("GET", "/v1/networks/pixels/abc", "getPartnerPostback"),
        ("PUT", "/v1/networks/pixels/3", "replacePartnerPostback"),
        ("DELETE", "/v1/networks/pixels/3", "deletePartnerPostback"),
        ("POST", "/v1/networks/pixelstable", "searchPartnerPostbacks"),
        ("GET", "/v1/networks/offers/605", "getOffer"),
        ("POST", "/v1/networks/offerstable", "searchOffers"),
        ("GET", "/v1/networks/affiliates/461", "getAffiliate"),
        ("POST", "/v1/networks/affiliatestable", "searchAffiliates"),
        ("PATCH", "/v1/networks/pixels/3", None),
        ("GET", "/v1/networks/pixels/3/4", None),
        ("GET", "/v1/networks/pixels/", None),
        ("GET", "/networks/pixels/3", None),
        ("GET", "/v2/networks/pixels/3", None),
    ],
)
def test_find_operation(method: str, path: str, operation_id: str | None) -> None:
    found = find_operation(method, path)
    assert (found.operation_id if found else None) == operation_id


def test_operations_at_a_path_and_its_parameters() -> None:
    assert list(operations_at("/v1/networks/pixels/9")) == ["GET", "PUT", "DELETE"]
    assert operations_at("/v1/elsewhere") == {}
    match = operations()["getPartnerPostback"].pattern.fullmatch("/networks/pixels/42")
    assert match is not None
    assert match.group("pixelId") == "42"
    assert base_paths() == ("/v1",)


def test_statuses_and_body_schemas() -> None:
    ops = operations()
    assert ops["getPartnerPostback"].request_schema is None
    assert ops["createPartnerPostback"].request_schema == ref("PartnerPostbackInput")
    assert ops["searchPartnerPostbacks"].request_schema == ref("PartnerPostbackSearch")
    assert ops["deletePartnerPostback"].response_schemas[200] == ref("DeleteResult")
    assert ops["listPartnerPostbacks"].response_schemas[200] == ref("PartnerPostbackPage")
    assert ops["replacePartnerPostback"].response_schemas[404] == ref("EverflowError")
    assert 404 not in ops["createPartnerPostback"].statuses
    assert ops["deletePartnerPostback"].statuses == {200, 400, 401, 403, 404, 429, 500}


def test_response_headers_are_the_documented_ones_by_lower_case_name() -> None:
    limited = response_headers("getPartnerPostback", 429)
    assert set(limited) == {"x-ratelimit-limit", "x-ratelimit-remaining", "retry-after"}
    assert limited["x-ratelimit-remaining"] == {"type": "integer", "minimum": 0}
    assert limited["retry-after"]["type"] == "string"  # seconds or an HTTP date
    assert "retry-after" not in response_headers("getPartnerPostback", 200)
    assert response_headers("getPartnerPostback", 503) == {}  # a gateway's, not documented
    assert response_headers("noSuchOperation", 200) == {}
