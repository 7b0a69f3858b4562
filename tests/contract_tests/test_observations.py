"""What the target chose where Everflow is open: one info finding per point, never failing."""

from __future__ import annotations

import httpx

from contract_tests import ContractClient, run_contract
from contract_tests import observations as seen
from mock_server import create_app
from openapi.remote.checks import shown_name

REQUEST = httpx.Request("GET", "http://x/v1/networks/pixels/1")


def answer(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers, request=REQUEST)


def test_a_run_against_the_mock_observes_every_open_point_and_still_passes() -> None:
    transport = httpx.WSGITransport(app=create_app())
    client = ContractClient("http://127.0.0.1/v1", "k", rate=0, transport=transport)
    report = run_contract(client, "mock", [1, 2], strict=True)
    assert report.passed
    observed = {f.check: f for f in report.findings if f.severity == "info"}
    assert set(observed) == {
        "observed_error_key",
        "observed_rate_limit",
        "observed_unused_keys",
        "observed_search_rows",
        "observed_search_paging",
        "observed_post_conversion",
    }
    assert observed["observed_error_key"].actual == "no_key 401: error; unknown_id 404: error"
    assert "without key 401: X-RateLimit-Limit 30" in observed["observed_rate_limit"].actual
    assert observed["observed_unused_keys"].actual.startswith('unused strings: "" x')
    assert observed["observed_search_rows"].actual == (
        "names: network_affiliate_name, network_offer_name; relationship: {}; "
        "platform objects: none"
    )
    assert observed["observed_search_paging"].actual == (
        "paging object alone: 200, page_size 4; query 5 and body 4: 200, page_size 5"
    )
    assert observed["observed_post_conversion"].actual.startswith('200: "event" x')


def test_a_production_that_chose_otherwise_is_reported_as_it_is() -> None:
    errors = seen.error_key("prod", [("no_key", answer(401, {"Error": "No key"}))])
    assert errors[0].actual == "no_key 401: Error"
    assert errors[0].severity == "info"
    limits = seen.rate_limit("prod", answer(200, {}), answer(401, {"Error": "x"}))
    assert limits[0].actual == (
        "with key 200: X-RateLimit-Limit (absent), X-RateLimit-Remaining (absent); "
        "without key 401: X-RateLimit-Limit (absent), X-RateLimit-Remaining (absent)"
    )
    sparse = {"delivery_method": "postback", "postback_url": "https://x", "tiktok_pixel": {}}
    unused = seen.unused_keys("prod", [sparse])
    assert unused[0].actual == (
        "unused strings: absent x1; unused platform objects: absent x3, {} x1"
    )
    get_shaped = [{"network_pixel_id": 1, "relationship": {"offer": {}}, "facebook_pixel": None}]
    rows = seen.search_rows("prod", get_shaped)
    assert rows[0].actual == "names: none; relationship: filled; platform objects: facebook_pixel"
    ignored = answer(200, {"pixels": [], "paging": {"page": 1, "page_size": 50}})
    paging = seen.search_paging("prod", ignored, ignored, 4, 5)
    assert paging[0].actual == (
        "paging object alone: 200, page_size 50; query 5 and body 4: 200, page_size 50"
    )
    refused = seen.post_conversion("prod", answer(400, {"error": "Invalid parameters."}))
    assert refused[0].actual == "400: an object of 1 member"  # its shape, never its text
    broken = seen.post_conversion("prod", httpx.Response(502, content=b"<html>jo@example.com"))
    assert broken[0].actual == "502: a body that is not JSON, 20 bytes"
    assert seen.error_key("prod", [("no_key", None)]) == []


def test_an_unknown_key_is_reported_by_status_and_field_names_never_the_text() -> None:
    refused = seen.unknown_key("prod", answer(403, {"error": "secret-ish text", "code": 7}))
    assert refused[0].check == "observed_unknown_key"
    assert refused[0].severity == "info"
    assert refused[0].actual == "403, a JSON object with fields: code, error"
    assert "secret-ish" not in str(refused[0])
    html = httpx.Response(401, text="<html>nope</html>", request=REQUEST)
    assert seen.unknown_key("prod", html)[0].actual == "401, not JSON"
    assert seen.unknown_key("prod", None) == []


def test_an_error_bodys_token_shaped_field_name_is_named_by_its_stand_in() -> None:
    token = "AKIAIOSFODNN7EXAMPLE1234"
    refused = seen.unknown_key("prod", answer(401, {"error": "no", token: "x"}))
    assert refused[0].actual == f"401, a JSON object with fields: {shown_name(token)}, error"
    assert token not in str(refused[0])


def test_a_sort_is_reported_as_honoured_or_not() -> None:
    def rows(*times: int | None) -> httpx.Response:
        pixels = [{"network_pixel_id": n, "time_created": t} for n, t in enumerate(times)]
        return answer(200, {"pixels": pixels, "paging": {}})

    def said(response: httpx.Response) -> str:
        return seen.search_sort("prod", response, "time_created")[0].actual

    assert said(rows(9, 5, 5, 1)) == "200, honoured: 4 rows by time_created, descending"
    assert said(rows(1, 5, 9)) == "200, not honoured: 3 rows by time_created, ascending"
    assert said(rows(5, 9, 1)) == "200, not honoured: 3 rows not in time_created order"
    assert said(rows(5, 5)) == "200, cannot tell: 1 distinct time_created among 2 rows"
    refused = answer(400, {"error": "Invalid parameters."})
    assert said(refused) == "400, a JSON object with fields: error"
