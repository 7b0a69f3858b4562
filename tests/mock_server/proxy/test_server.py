"""The validating proxy: answers passed on unchanged, judged, counted, journaled and logged;
the key kept out of everything it writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpserver import HTTPServer

from fixtures import PostbackFactory
from mock_server.http.wsgi import BAD_LENGTH, CUT_SHORT
from mock_server.proxy.forward import Answer
from mock_server.proxy.server import LINE_LIMIT, MAX_BODY, sendable
from mock_server.testing.local_server import LocalServer
from openapi.remote.checks import shown_name

from .conftest import BYTE_EQUAL_ID, DRIFT_ID, KEY, Proxy, leaks, pieces

JSON = {"Content-Type": "application/json"}


def direct(production: LocalServer, path: str, **kwargs: Any) -> httpx.Response:
    with httpx.Client(base_url=production.root, headers={"X-Eflow-Api-Key": KEY}) as http:
        return http.request(kwargs.pop("method", "GET"), path, **kwargs)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/v1/networks/pixels/{BYTE_EQUAL_ID}", None),
        ("GET", "/v1/networks/pixels/404404", None),
        # the 4th postback by id is the clean one; a page holding the key would be masked
        ("GET", "/v1/networks/pixels?page=4&page_size=1", None),
        ("POST", "/v1/networks/pixelstable", b'{"paging": {"page": 4, "page_size": 1}}'),
    ],
)
def test_answers_pass_through_byte_equal(
    proxy: Proxy, production: LocalServer, method: str, path: str, body: bytes | None
) -> None:
    expected = direct(production, path, method=method, content=body, headers=JSON)
    got = proxy.http.request(method, path, content=body, headers=JSON)
    assert got.status_code == expected.status_code
    assert got.content == expected.content
    assert got.headers["Content-Type"] == expected.headers["Content-Type"]


def test_a_good_answer_carries_zero_violations(proxy: Proxy) -> None:
    got = proxy.http.get(f"/v1/networks/pixels/{BYTE_EQUAL_ID}")
    assert got.status_code == 200
    assert got.headers["X-Everflow-Violations"] == "0"
    (entry,) = proxy.http.get("/__admin/requests").json()["requests"]
    assert entry["violation_count"] == 0
    assert entry["operation"] == "getPartnerPostback"
    assert "violations" not in proxy.log  # the access line warns only of a broken answer


def test_undocumented_fields_are_journaled_as_drift_not_counted(proxy: Proxy) -> None:
    got = proxy.http.get("/v1/networks/pixels/1")  # production added brand_new_field
    assert got.headers["X-Everflow-Violations"] == "0"
    (entry,) = proxy.http.get("/__admin/requests").json()["requests"]
    assert entry["undocumented_fields"] == ["$.brand_new_field"]
    (warning,) = proxy.tally.report().findings
    assert (warning.check, warning.severity) == ("undocumented_field", "warning")


def test_a_broken_answer_is_counted_and_named_everywhere(proxy: Proxy) -> None:
    got = proxy.http.get(f"/v1/networks/pixels/{DRIFT_ID}")
    assert got.status_code == 200
    assert got.json()["pixel_status"] == "halted"  # passed on as production sent it
    assert got.headers["X-Everflow-Violations"] == "1"
    (entry,) = proxy.http.get("/__admin/requests").json()["requests"]
    assert entry["violation_count"] == 1
    (violation,) = entry["violations"]
    assert violation["rule"] == "$.pixel_status:enum"
    assert violation["path"] == "$.pixel_status"
    assert violation["expected"] == 'one of "active", "inactive"'
    assert violation["actual"] == "a string of 6 characters"  # never the value itself
    assert f"GET /v1/networks/pixels/{DRIFT_ID} 200" in proxy.log
    assert "violations: 1" in proxy.log
    assert (
        '  violation: $.pixel_status:enum at $.pixel_status: expected one of "active", '
        '"inactive", got a string of 6 characters'
    ) in proxy.log.splitlines()
    assert (
        'violation: $.pixel_status:enum at $.pixel_status: expected one of "active", '
        '"inactive", got a string of 6 characters' in proxy.log
    )
    assert "halted" not in proxy.log
    assert proxy.tally.violations == {("getPartnerPostback", "$.pixel_status:enum"): 1}
    summary = proxy.tally.summary()
    assert "1 answer broke the spec" in summary
    assert "getPartnerPostback: 1 requests, 1 broken" in summary
    assert "$.pixel_status:enum: 1" in summary


def test_answers_the_mock_would_refuse_are_passed_on_and_judged(httpserver: HTTPServer) -> None:
    page = b"<html><body>I am a teapot</body></html>"
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_data(
        page, status=418, content_type="text/html"
    )
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.get("/v1/networks/pixels/5")
    assert got.status_code == 418
    assert got.content == page
    assert len(httpserver.log) == 1
    (entry,) = proxy.tally.journal()
    rules = {v["rule"] for v in entry["violations"]}
    assert rules == {"status", "content_type"}
    assert got.headers["X-Everflow-Violations"] == "2"


def test_a_body_too_large_is_refused_and_not_sent(httpserver: HTTPServer) -> None:
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.post(
            "/v1/networks/pixelstable", content=b" " * (MAX_BODY + 1), headers=JSON
        )
    assert got.status_code == 413
    assert httpserver.log == []


def test_a_chunked_body_is_passed_on_whole(httpserver: HTTPServer) -> None:
    sent = b'{"paging": {"page": 1, "page_size": 1}}'
    httpserver.expect_request(
        "/v1/networks/pixelstable", method="POST", data=sent
    ).respond_with_json({"pixels": [], "paging": {"page": 1, "page_size": 1, "total_count": 0}})
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.post(
            "/v1/networks/pixelstable", content=iter([sent[:10], sent[10:]]), headers=JSON
        )
    assert got.status_code == 200
    (request, _), *_ = httpserver.log
    assert request.get_data() == sent


@pytest.mark.parametrize(
    ("length", "body", "status", "said"),
    [
        ("+5", b"{}", 400, BAD_LENGTH),
        ("0x2", b"{}", 400, BAD_LENGTH),
        ("\u0662", b"{}", 400, BAD_LENGTH),
        ("10", b"{}", 400, CUT_SHORT),
        (str(MAX_BODY + 1), b"{}", 413, f"larger than {MAX_BODY} bytes"),
    ],
    ids=["plus", "hex", "arabic-indic digit", "cut short", "too large"],
)
def test_a_body_that_cannot_be_read_is_refused_and_not_sent(
    httpserver: HTTPServer, length: str, body: bytes, status: int, said: str
) -> None:
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got, _, answer = proxy.call(
            "POST",
            "/v1/networks/pixelstable",
            body,
            CONTENT_LENGTH=length,
            CONTENT_TYPE="application/json",
        )
    assert (got, httpserver.log) == (status, [])
    assert said in answer["error"]
    assert answer["error"].endswith("; not passed on")


def test_only_api_paths_are_passed_on(httpserver: HTTPServer) -> None:
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.get("/etc/passwd")
    assert got.status_code == 404
    assert httpserver.log == []


def test_the_admin_api_answers_loopback_only(proxy: Proxy) -> None:
    # Host 127.0.0.1, which the guard against web pages lets through: the 403 is the admin
    # API's own, for a client that is not on this machine.
    outside = httpx.Client(
        transport=httpx.WSGITransport(app=proxy.app, remote_addr="10.0.0.8"),
        base_url="http://127.0.0.1",
    )
    with outside:
        for method in ("GET", "DELETE"):
            refused = outside.request(method, "/__admin/requests")
            assert refused.status_code == 403
            assert refused.json() == {
                "error": "the proxy's admin API answers loopback clients only"
            }


def test_the_admin_api_clears_the_journal_and_says_its_health(proxy: Proxy) -> None:
    proxy.http.get(f"/v1/networks/pixels/{BYTE_EQUAL_ID}")
    assert len(proxy.http.get("/__admin/requests").json()["requests"]) == 1
    cleared = proxy.http.delete("/__admin/requests")
    assert (cleared.status_code, cleared.json()) == (200, {"cleared": True})
    assert proxy.http.get("/__admin/requests").json() == {"requests": []}
    assert proxy.tally.requests == {"getPartnerPostback": 1}  # the run's counts stay
    health = proxy.http.get("/__admin/health")
    assert health.headers["Content-Type"] == "application/json"
    assert (health.status_code, health.json()) == (
        200,
        {"status": "ok", "upstream": proxy.upstream.name},
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/__admin/requests"),
        ("GET", "/__admin/reset"),
        ("DELETE", "/__admin/health"),
        ("GET", "/__admin"),
    ],
)
def test_any_other_admin_request_is_a_404_naming_it(proxy: Proxy, method: str, path: str) -> None:
    got = proxy.http.request(method, path, headers=JSON)
    assert got.status_code == 404
    assert got.headers["Content-Type"] == "application/json"  # the proxy's own answer
    assert got.json() == {"error": f"no admin endpoint {method} {path}"}
    assert proxy.tally.requests == {}  # answered by the proxy, never sent


def test_the_key_appears_nowhere(proxy: Proxy, tmp_path: Path) -> None:
    from openapi.remote.reporting import junit_xml, markdown

    for pixel_id in (1, 2, 3, DRIFT_ID):
        got = proxy.http.get(f"/v1/networks/pixels/{pixel_id}")
        assert got.status_code == 200
        assert not pieces(KEY) & set(_runs(got.text))  # masked even in answers passed on
    proxy.http.get(f"/v1/networks/pixels/{DRIFT_ID}", params={"api_key": KEY})
    journal = json.dumps(proxy.http.get("/__admin/requests").json())
    assert "api_key" in journal
    report = proxy.tally.report()
    keys = proxy.upstream.keys
    for text in (journal, proxy.log, proxy.tally.summary(), markdown(report, keys)):
        assert leaks(text) == []
    assert leaks(junit_xml(report, keys)) == []
    assert proxy.recording is not None
    proxy.recording.write(tmp_path / "rec.json", keys)
    for path in tmp_path.iterdir():
        assert leaks(path.read_text()) == [], path.name


def _runs(text: str) -> list[str]:
    return [text[i : i + 8] for i in range(len(text) - 7)]


def test_the_upstreams_own_violations_header_is_replaced(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json(
        {"error": "Not found"}, 404, headers={"X-Everflow-Violations": "99"}
    )
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.get("/v1/networks/pixels/5")
    assert got.headers.get_list("X-Everflow-Violations") == ["0"]


TOKEN_NAME = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"


@pytest.mark.slow
def test_a_token_shaped_field_name_is_one_stand_in_in_the_journal_and_reports(
    httpserver: HTTPServer,
) -> None:
    from openapi.remote.reporting import junit_xml, markdown

    body = {**PostbackFactory().build(5), TOKEN_NAME: "x", "brand_new_field": 1}
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json(body)
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.get("/v1/networks/pixels/5")
        journal = proxy.http.get("/__admin/requests").json()["requests"]
        report = proxy.tally.report()
        keys = proxy.upstream.keys
        outputs = [json.dumps(journal), proxy.log, markdown(report, keys), junit_xml(report, keys)]
    assert got.json()[TOKEN_NAME] == "x"  # the answer passes on as it came
    stand_in = f"${shown_name(TOKEN_NAME)}"
    assert sorted(journal[0]["undocumented_fields"]) == sorted([stand_in, "$.brand_new_field"])
    for produced in outputs:
        assert TOKEN_NAME not in produced
        assert "16C7e42F" not in produced
    for produced in outputs[2:]:
        assert stand_in in produced


ESCAPES = [
    "/v1/../admin",
    "/v1/networks/pixels/../../../v2/secret",  # ..%2F..%2F..%2Fv2%2Fsecret, as decoded
    "/v1/networks/pixels/%2e%2e/%2e%2e/%2e%2e/admin",  # escapes left after one decoding
    "/v1/networks/%252e%252e/%252e%252e/admin",
    "/v1/networks/..\\..\\..\\admin",
    "/v1/..;/admin",
    "//v1//..//..//admin",
    "/v1/./../admin",
    "/v1",
    "/v1/networks/../../v1/../v2/x",
    "/v10/networks/pixels",
    "/etc/passwd",
]
"""Paths that leave ``/v1`` once decoded and normalised, as a server hands them on."""


@pytest.mark.parametrize("allow_writes", [False, True])
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_path_that_leaves_v1_is_a_404_and_sent_nowhere(
    httpserver: HTTPServer, allow_writes: bool, method: str
) -> None:
    with Proxy(httpserver.url_for("/v1"), allow_writes=allow_writes) as proxy:
        answers = [proxy.call(method, path) for path in ESCAPES if path != "/v1"]
    for status, _, body in answers:
        assert status == 404
        assert list(body) == ["error"]
        assert "nothing was sent" in body["error"]
    assert httpserver.log == []


def test_a_path_inside_v1_is_sent_normalised_and_journaled_as_sent(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"error": "x"}, 404)
    with Proxy(httpserver.url_for("/v1")) as proxy:
        status, _, _ = proxy.call("GET", "/v1/networks/./x/..%2F/pixels//5")
    assert status == 404
    assert [request.path for request, _ in httpserver.log] == ["/v1/networks/pixels/5"]
    assert httpserver.log[0][0].query_string == b""  # a server that gave no QUERY_STRING
    (entry,) = proxy.tally.journal()
    assert (entry["path"], entry["operation"]) == ("/v1/networks/pixels/5", "getPartnerPostback")
    assert (entry["method"], entry["query"]) == ("GET", "")


def test_the_base_path_is_journaled_as_it_was_sent(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/").respond_with_json({"error": "x"}, 404)
    proxy = Proxy(httpserver.url_for("/v1"), allow_writes=True)  # not an allow-listed read
    try:
        for path in ("/v1", "/v1/"):
            proxy.call("GET", path)
    finally:
        proxy.close()
    sent = [request.path for request, _ in httpserver.log]
    assert sent == ["/v1/", "/v1/"]
    assert [entry["path"] for entry in proxy.tally.journal()] == sent


def test_an_answer_that_is_not_json_is_passed_on_while_recording(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_data(
        b"<html>maintenance</html>", content_type="text/html"
    )
    with Proxy(httpserver.url_for("/v1"), record=True) as proxy:
        got = proxy.http.get("/v1/networks/pixels/5")
    assert (got.status_code, got.content) == (200, b"<html>maintenance</html>")
    assert proxy.tally.journal()[0]["violation_count"] > 0


def test_a_header_that_is_not_latin_1_is_given_to_the_server_as_its_utf_8_bytes(
    httpserver: HTTPServer,
) -> None:
    euro = "€ und Grüße"
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json(
        {"error": "Not found"},
        404,
        # é in Latin-1 (E9) next to it: httpx reads all of an answer's headers one way, so
        # this made the UTF-8 one mojibake, which reached the client encoded twice
        headers={"X-Note": euro.encode().decode("latin-1"), "X-Latin1": "café"},
    )
    with Proxy(httpserver.url_for("/v1")) as proxy:
        status, headers, _ = proxy.call("GET", "/v1/networks/pixels/5")
    assert status == 404
    # a WSGI server sends a value's Latin-1 encoding: here, the bytes the upstream sent
    wire = {k.lower(): v.encode("latin-1") for k, v in headers}
    assert wire["x-note"] == euro.encode()
    assert wire["x-latin1"] == "café".encode()  # its text, sent on as UTF-8
    (entry,) = proxy.tally.journal()
    assert (entry["status"], entry["dropped_headers"]) == (404, [])


def test_a_header_no_answer_can_carry_is_dropped_and_named() -> None:
    kept, dropped = sendable(
        [("X-Ok", "€"), ("X-Broken", "a\r\nSet-Cookie: x=1"), ("Bad Name", "v"), ("X-S", "\ud800")]
    )
    assert kept == [("X-Ok", "\xe2\x82\xac")]
    assert dropped == ["X-Broken", "Bad Name", "X-S"]


def test_a_dropped_header_is_named_in_the_journal(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = Proxy(httpserver.url_for("/v1"))
    answer = Answer(404, [("X-Broken", "a\nb"), ("X-Kept", "€")], b'{"error": "x"}')
    monkeypatch.setattr(proxy.upstream, "forward", lambda *args: answer)
    try:
        status, headers, _ = proxy.call("GET", "/v1/networks/pixels/5")
    finally:
        proxy.close()
    names = [name for name, _ in headers]
    assert status == 404
    assert "X-Broken" not in names
    assert "X-Kept" in names
    (entry,) = proxy.tally.journal()
    assert (entry["status"], entry["dropped_headers"]) == (404, ["X-Broken"])


def _first() -> dict[str, Any]:
    from .conftest import planted_postbacks

    return planted_postbacks()[0]


@pytest.mark.parametrize(
    ("method", "path", "body", "operation"),
    [
        ("GET", "/v1/networks/offers/{offer}?relationship=payout_revenue", None, "getOffer"),
        ("POST", "/v1/networks/offerstable", b'{"filters": {}}', "searchOffers"),
        ("GET", "/v1/networks/affiliates/{affiliate}", None, "getAffiliate"),
        ("POST", "/v1/networks/affiliatestable", b"{}", "searchAffiliates"),
    ],
)
def test_offer_and_partner_reads_pass_through_judged_without_allow_writes(
    proxy: Proxy,
    production: LocalServer,
    method: str,
    path: str,
    body: bytes | None,
    operation: str,
) -> None:
    first = _first()
    path = path.format(offer=first["network_offer_id"], affiliate=first["network_affiliate_id"])
    expected = direct(production, path, method=method, content=body, headers=JSON)
    got = proxy.http.request(method, path, content=body, headers=JSON)
    assert expected.status_code == 200
    assert (got.status_code, got.content) == (200, expected.content)
    assert got.headers["X-Everflow-Violations"] == "0"
    (entry,) = proxy.tally.journal()
    assert (entry["operation"], entry["upstream"]) == (operation, "answered")


def _offer_605_answered_with(
    httpserver: HTTPServer, offer: dict[str, Any]
) -> tuple[httpx.Response, Proxy]:
    """``GET /v1/networks/offers/605`` through a proxy whose upstream answers ``offer``."""
    httpserver.expect_request("/v1/networks/offers/605").respond_with_json(offer)
    with Proxy(httpserver.url_for("/v1")) as proxy:
        return proxy.http.get("/v1/networks/offers/605"), proxy


def test_a_broken_offer_answer_is_counted_by_its_operation(httpserver: HTTPServer) -> None:
    offer = {"network_offer_id": 605, "name": "x", "offer_status": 3, "relationship": {}}
    got, proxy = _offer_605_answered_with(httpserver, offer)
    assert got.headers["X-Everflow-Violations"] == "1"
    (entry,) = proxy.tally.journal()
    (violation,) = entry["violations"]
    assert violation["path"] == "$.offer_status"
    assert proxy.tally.violations == {("getOffer", violation["rule"]): 1}


def test_proxy_record_carries_the_offers_and_partners_read_through_it_scrubbed(
    proxy: Proxy, tmp_path: Path
) -> None:
    first = _first()
    assert proxy.recording is not None
    proxy.http.get("/v1/networks/pixels/1")
    proxy.http.get(
        f"/v1/networks/offers/{first['network_offer_id']}",
        params={"relationship": ["advertiser", "payout_revenue"]},
    )
    proxy.http.get(f"/v1/networks/affiliates/{first['network_affiliate_id']}")
    proxy.http.post("/v1/networks/offerstable", json={})  # rows are not offers: not kept
    out = tmp_path / "rec.json"
    proxy.recording.write(out, [KEY])
    written = out.read_text()
    assert leaks(written) == []
    recorded = json.loads(written)
    (postback,) = recorded["postbacks"]
    (offer,) = recorded["offers"]
    (partner,) = recorded["affiliates"]
    assert offer["network_offer_id"] == first["network_offer_id"]
    assert offer["name"] == postback["relationship"]["offer"]["name"] == "Offer 1"
    assert partner["name"] == postback["relationship"]["affiliate"]["name"]


def test_an_offer_read_answering_another_offer_is_a_violation(httpserver: HTTPServer) -> None:
    offer = {"network_offer_id": 606, "name": "x", "relationship": {}}
    got, proxy = _offer_605_answered_with(httpserver, offer)
    assert got.headers["X-Everflow-Violations"] == "1"
    assert proxy.tally.violations == {("getOffer", "offer_id"): 1}


def test_a_dropped_header_s_long_name_is_cut_to_its_bound() -> None:
    from mock_server.proxy.server import MAX_NAME

    _, dropped = sendable([("X " * 200, "v")])
    assert dropped == [("X " * 200)[:MAX_NAME] + "..."]


def test_the_page_s_files_are_served_whole_and_closed(proxy: Proxy) -> None:
    import warnings
    from importlib.resources import files

    script = files("mock_server.admin").joinpath("static/admin.js").read_bytes()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = proxy.http.get("/__admin/ui/static/admin.js")
    assert (got.status_code, got.content) == (200, script)
    assert int(got.headers["Content-Length"]) == len(script)  # counted once, by the proxy
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_an_empty_path_is_the_root_and_not_passed_on(httpserver: HTTPServer) -> None:
    # PEP 3333 lets PATH_INFO be empty: a request for the root of where the app is mounted.
    with Proxy(httpserver.url_for("/v1")) as proxy:
        status, _, body = proxy.call("GET", "")
    assert status == 404
    assert body["error"].startswith("/ is not an API path;")
    assert httpserver.log == []


def test_a_body_that_times_out_is_a_408_that_says_so_and_sends_nothing(
    httpserver: HTTPServer,
) -> None:
    import io
    import wsgiref.util

    class Silent(io.RawIOBase):
        """A client that sends its headers, then nothing: the server's read times out."""

        def read(self, size: int = -1) -> bytes:
            raise TimeoutError

    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/v1/networks/pixelstable",
        "CONTENT_LENGTH": "10",
        "CONTENT_TYPE": "application/json",
        "wsgi.input": Silent(),
    }
    wsgiref.util.setup_testing_defaults(environ)
    proxy = Proxy(httpserver.url_for("/v1"))
    started: list[str] = []
    try:
        body = b"".join(proxy.app(environ, lambda status, headers: started.append(status)))
    finally:
        proxy.close()
    assert started == ["408 Request Timeout"]
    assert json.loads(body) == {"error": "the request body could not be read; not passed on"}
    assert httpserver.log == []


def test_a_violation_s_access_line_is_kept_whole_up_to_its_bound(httpserver: HTTPServer) -> None:
    asked = "9" * 400  # the id a read asked for is the one its answer must hold
    httpserver.expect_request(f"/v1/networks/pixels/{asked}").respond_with_json(
        {"network_pixel_id": 5}
    )
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.get(f"/v1/networks/pixels/{asked}")
    assert got.headers["X-Everflow-Violations"] != "0"
    (line,) = [line for line in proxy.log.splitlines() if "at $.network_pixel_id" in line]
    assert LINE_LIMIT > len(line) > 400
    assert f"expected {asked}, got " in line
