"""Routes read from the spec, and the cheap request check agrees with openapi-core."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from mock_server.core.errors import ApiError
from mock_server.core.routes import (
    MATCHES_REMEMBERED,
    REMEMBERED_PATH,
    IntegerParameter,
    PatternListParameter,
    Routes,
    _query_parameter,
    parse_query,
)
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


def test_remembered_matches_stay_right_and_bounded() -> None:
    routes = Routes.from_spec(load_spec())
    for pixel_id in range(1, 2 * MATCHES_REMEMBERED + 2):
        found = routes.match(f"/v1/networks/pixels/{pixel_id}")
        assert found is not None
        assert found[1] == {"pixelId": str(pixel_id)}
        assert len(routes._matched) <= MATCHES_REMEMBERED
    again = routes.match("/v1/networks/pixels/3")
    assert again is not None
    assert again[0]["GET"].operation_id == "getPartnerPostback"
    assert again[1] == {"pixelId": "3"}
    assert routes.match("/v1/networks/pixel/3") is None
    assert routes.match("/v1/networks/pixel/3") is None


def test_long_paths_match_but_are_not_remembered() -> None:
    routes = Routes.from_spec(load_spec())
    long_id = "9" * (REMEMBERED_PATH + 1)
    for _ in range(2):
        found = routes.match(f"/v1/networks/pixels/{long_id}")
        assert found is not None
        assert found[1] == {"pixelId": long_id}
    assert routes._matched == {}


def _refusal(parse: Callable[[], object]) -> ApiError | None:
    """The ``ApiError`` a parser raised, or ``None`` when it accepted."""
    try:
        parse()
    except ApiError as refused:
        return refused
    return None


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
    refused = _refusal(lambda: PIXEL_ID.parse(raw))
    assert (refused is None) == core_accepts
    if refused is not None:
        assert (refused.status, refused.message) == (400, None)  # Everflow's own message


def test_key_check_agrees_with_openapi_core() -> None:
    without = httpx.Request("GET", "http://127.0.0.1:4010/v1/networks/pixels/1")
    assert [v.keyword for v in request_violations(without)] == ["security"]


LIST = ROUTES.by_id["listPartnerPostbacks"]
SEARCH = ROUTES.by_id["searchPartnerPostbacks"]


def test_query_parameters_read_from_the_spec() -> None:
    page, page_size, filters = LIST.query
    assert page == IntegerParameter("page", 1, 2**31 - 1, 1)
    assert page_size == IntegerParameter("page_size", 1, 2000, 50)
    assert isinstance(filters, PatternListParameter)
    assert (filters.name, filters.max_items) == ("filter", 16)
    assert SEARCH.query == (page, page_size)
    assert GET.query == ()


# Where openapi-core takes what Python's int() takes and the mock, like its path check, asks
# for decimal ASCII digits: a 400 is documented for list and search, so both are in the spec.
STRICTER = ("+5", " 5", "5 ", "1_0", "\u0663")
QUERIES: list[list[tuple[str, str]]] = [
    *([("page", raw)] for raw in ["1", "007", "2147483647", "2147483648", "0", "-1", ""]),
    *([("page", raw)] for raw in ["abc", "1.0", "1e3", "0x10", "9" * 30, *STRICTER]),
    *([("page_size", raw)] for raw in ["1", "50", "2000", "2001", "0", "-5", "12345678901"]),
    [("page", "2"), ("page", "abc")],
    [("page", "abc"), ("page", "2")],
    [("page_size", "5"), ("page_size", "9999")],
    [("unknown", "x"), ("sort", "desc")],
    *(
        [("filter", raw)]
        for raw in [
            "network_offer_id=93",
            "network_affiliate_id>0",
            "network_offer_payout_revenue_id<7",
            "time_created>1700000000",
            "time_saved=1",
            "pixel_status=active",
            "pixel_status=inactive",
            "pixel_type=post_conversion",
            "delivery_method=rumble",
            "pixel_status=active\n",
            "pixel_status=paused",
            "pixel_level=global",
            "network_offer_id>=5",
            "network_offer_id=",
            "network_offer_id=-1",
            "network_offer_id=12345678901234567890",
            "network_offer_id=\u0663",
            "delivery_method>html",
            "",
            " pixel_status=active",
            "PIXEL_STATUS=active",
        ]
    ),
    [("filter", "pixel_status=active")] * 16,
    [("filter", "pixel_status=active")] * 17,
    [("filter", "pixel_status=active"), ("filter", "bogus")],
]


def _core_accepts(operation: str, pairs: list[tuple[str, str]]) -> bool:
    path = (
        "/v1/networks/pixels" if operation == "listPartnerPostbacks" else "/v1/networks/pixelstable"
    )
    method = "GET" if operation == "listPartnerPostbacks" else "POST"
    request = httpx.Request(
        method,
        "http://127.0.0.1:4010" + path,
        params=pairs,
        headers={"X-Eflow-Api-Key": "k"},
        json={} if method == "POST" else None,
    )
    return request_violations(request) == []


@pytest.mark.parametrize("pairs", QUERIES, ids=repr)
@pytest.mark.parametrize("operation", ["listPartnerPostbacks", "searchPartnerPostbacks"])
def test_query_check_agrees_with_openapi_core(operation: str, pairs: list[tuple[str, str]]) -> None:
    query = ROUTES.by_id[operation].query
    # search has no filter parameter (its filters are in the body): both ignore it there
    refused = _refusal(lambda: parse_query(query, pairs))
    mock_accepts = refused is None
    if refused is not None:
        assert refused.status == 400
        assert refused.message
    if any(value in STRICTER for _, value in pairs[:1]):
        assert _core_accepts(operation, pairs)
        assert not mock_accepts
    else:
        assert mock_accepts == _core_accepts(operation, pairs)


def test_parsed_query_values_and_defaults() -> None:
    assert parse_query(LIST.query, []) == {"page": 1, "page_size": 50, "filter": []}
    assert parse_query(
        LIST.query, [("page", "007"), ("page", "x"), ("filter", "pixel_type=cpc\n")]
    ) == {
        "page": 7,
        "page_size": 50,
        "filter": ["pixel_type=cpc"],
    }


def test_a_parameter_kind_the_mock_cannot_check_stops_it_at_start() -> None:
    with pytest.raises(ValueError, match="cannot check query parameter 'when'"):
        _query_parameter({"name": "when", "in": "query", "schema": {"type": "string"}})
