"""Forwarding: the caller's key or the proxy's, the allow-list, pacing, deadlines, and the
proxy's own answers when there is no usable one, all without sending what it refuses."""

from __future__ import annotations

import json
import socket
import time

import pytest
from pytest_httpserver import HTTPServer

from mock_server.proxy.forward import MAX_KEY_CHARS, Upstream

from .conftest import KEY, Proxy, leaks

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/v1/networks/pixels/1"),
        ("PUT", "/v1/networks/pixels/1"),
        ("POST", "/v1/networks/pixels"),
        ("PATCH", "/v1/networks/pixels/1"),
    ],
)
def test_writes_never_reach_the_upstream_when_read_only(
    httpserver: HTTPServer, method: str, path: str
) -> None:
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.request(method, path, content=b"{}", headers=JSON)
    assert got.status_code == 403
    assert "--allow-writes" in got.json()["error"]
    assert got.json()["error"].startswith(f"{method} {path.removeprefix('/v1')} ")
    assert list(got.json()) == ["error"]
    assert httpserver.log == []
    (entry,) = proxy.tally.journal()
    assert entry["upstream"] == "refused"


def test_writes_are_passed_on_when_allowed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/networks/pixels/7", method="DELETE").respond_with_json(
        {"result": True}
    )
    with Proxy(httpserver.url_for("/v1"), allow_writes=True) as proxy:
        got = proxy.http.delete("/v1/networks/pixels/7")
    assert got.status_code == 200
    assert got.json() == {"result": True}
    assert len(httpserver.log) == 1


def test_the_callers_key_is_passed_on_and_the_proxys_added_when_none(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"error": "x"}, 404)
    with Proxy(httpserver.url_for("/v1")) as proxy:
        proxy.http.get("/v1/networks/pixels/5", headers={"X-Eflow-Api-Key": "caller-key-0123456"})
        proxy.http.get("/v1/networks/pixels/5")
    sent = [request.headers.get("X-Eflow-Api-Key") for request, _ in httpserver.log]
    assert sent == ["caller-key-0123456", KEY]


def test_a_429_is_passed_back_as_it_came(httpserver: HTTPServer) -> None:
    body = b'{"error": "Too many requests"}'
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_data(
        body, status=429, headers={"Retry-After": "1"}, content_type="application/json"
    )
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.get("/v1/networks/pixels/5")
    assert got.status_code == 429
    assert got.content == body
    assert got.headers["Retry-After"] == "1"
    assert len(httpserver.log) == 1  # not retried: the caller decides


def test_requests_are_paced_under_the_rate(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"error": "x"}, 404)
    with Proxy(httpserver.url_for("/v1"), rate=4) as proxy:
        started = time.monotonic()
        for _ in range(3):
            proxy.http.get("/v1/networks/pixels/5")
        took = time.monotonic() - started
    assert took >= 2 / 4  # three requests at 4 a second: two intervals


def test_an_unreachable_upstream_is_a_502_naming_it_without_the_key() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]  # bound, never listening: connections are refused
        with Proxy(f"http://127.0.0.1:{port}/v1") as proxy:
            got = proxy.http.get("/v1/networks/pixels/1")
    assert got.status_code == 502
    assert f"127.0.0.1:{port}/v1" in got.json()["error"]
    assert leaks(got.text) == []
    (entry,) = proxy.tally.journal()
    assert entry["upstream"] == "unreachable"


def test_a_slow_upstream_is_a_504_within_the_deadline(trickling_url: str) -> None:
    with Proxy(trickling_url, timeout=0.5) as proxy:
        got = proxy.http.get("/v1/networks/pixels/1")
    assert got.status_code == 504
    assert trickling_url in got.json()["error"]
    assert "--timeout" in got.json()["error"]
    (entry,) = proxy.tally.journal()
    assert entry["upstream"] == "timeout"


@pytest.mark.parametrize(
    "url", ["http://api.eflow.team/v1", "https://user:pw@api.eflow.team/v1", "ftp://x/v1"]
)
def test_only_https_upstreams_or_plain_http_to_loopback(url: str) -> None:
    from openapi.remote.targets import UnsafeTarget

    with pytest.raises(UnsafeTarget):
        Proxy(url)


def test_a_key_a_header_cannot_carry_is_refused_unsent(httpserver: HTTPServer) -> None:
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path="/v1/networks/pixels/5").get_environ()
    environ["HTTP_X_EFLOW_API_KEY"] = "k\u00c3\u00a9y"  # UTF-8 bytes, as WSGI hands them over
    started: list[str] = []
    with Proxy(httpserver.url_for("/v1")) as proxy:
        body = b"".join(proxy.app(environ, lambda status, headers: started.append(status)))  # type: ignore[arg-type, func-returns-value]
    assert started == ["400 Bad Request"]
    assert "X-Eflow-Api-Key" in json.loads(body)["error"]
    assert httpserver.log == []
    (entry,) = proxy.tally.journal()
    assert entry["upstream"] == "not sent"


def test_a_read_of_a_path_outside_the_allow_list_is_refused_unsent(httpserver: HTTPServer) -> None:
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.get("/v1/networks/offers")
    assert got.status_code == 403
    assert "not one of the read-only requests" in got.json()["error"]
    assert httpserver.log == []


def test_a_key_past_the_cap_is_refused_before_anything_and_not_remembered(
    httpserver: HTTPServer,
) -> None:
    from mock_server.proxy.forward import MAX_KEY_CHARS

    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"network_pixel_id": 5})
    proxy = Proxy(httpserver.url_for("/v1"))
    long_key = "L" * (MAX_KEY_CHARS + 1)
    at_cap = "C" * MAX_KEY_CHARS
    try:
        refused = proxy.http.get(
            f"/v1/networks/pixels/5?api_key={long_key}", headers={"X-Eflow-Api-Key": long_key}
        )
        sent = proxy.http.get("/v1/networks/pixels/5", headers={"X-Eflow-Api-Key": at_cap})
    finally:
        proxy.close()
    assert refused.status_code == 400
    assert f"longer than {MAX_KEY_CHARS} characters" in refused.json()["error"]
    assert refused.json()["error"].startswith("the X-Eflow-Api-Key header ")
    assert sent.status_code == 200
    assert len(httpserver.log) == 1  # only the key at the cap was sent
    assert long_key not in proxy.upstream.keys
    first = proxy.tally.journal()[0]
    assert (first["path"], first["query"]) == ("********", "********")
    assert first["upstream"] == "not sent"
    assert "LLLLLLLL" not in proxy.log


def test_a_callers_key_masks_its_own_requests_entry_only(httpserver: HTTPServer) -> None:
    # Masked in every later entry, a "key" of common text hid every path from everyone.
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"network_pixel_id": 5})
    proxy = Proxy(httpserver.url_for("/v1"))
    poison = "/v1/networks/pixels/"
    try:
        for n in range(3):
            proxy.http.get("/v1/networks/pixels/5", headers={"X-Eflow-Api-Key": poison + str(n)})
        own = proxy.http.get(
            "/v1/networks/pixels/5?api_key=caller-0001", headers={"X-Eflow-Api-Key": "caller-0001"}
        )
        other = proxy.http.get("/v1/networks/pixels/5?note=caller-0001")
    finally:
        proxy.close()
    assert (own.status_code, other.status_code) == (200, 200)
    entries = proxy.tally.journal()
    for entry in entries[:3]:  # each masked with its own key
        assert "networks" not in entry["path"]
    assert "caller-0001" not in entries[3]["query"]
    assert entries[4]["path"] == "/v1/networks/pixels/5"
    assert entries[4]["query"] == "note=caller-0001"  # another caller's entry: as it was
    assert "GET /v1/networks/pixels/5 200" in proxy.log
    assert list(proxy.upstream.keys) == [KEY]  # no caller's key is remembered


def test_a_write_listed_for_the_reports_is_masked_with_its_callers_key(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/v1/networks/pixels/caller-write-key-1").respond_with_json({})
    proxy = Proxy(httpserver.url_for("/v1"), allow_writes=True)
    caller = {"X-Eflow-Api-Key": "caller-write-key-1", "Content-Type": "application/json"}
    try:
        # a caller that puts its key where the id goes
        got = proxy.http.put(
            "/v1/networks/pixels/caller-write-key-1", content=b"{}", headers=caller
        )
    finally:
        proxy.close()
    assert got.status_code == 200
    (write,) = proxy.upstream.client.writes
    assert write.method == "PUT"
    assert "/networks/pixels" in write.path
    assert "write-ke" not in write.path


@pytest.mark.slow
def test_masking_a_request_costs_the_same_however_many_keys_were_seen(
    httpserver: HTTPServer,
) -> None:
    from mock_server.proxy.forward import MAX_KEY_CHARS

    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"network_pixel_id": 5})
    proxy = Proxy(httpserver.url_for("/v1"))

    def ordinary() -> float:
        started = time.perf_counter()
        for _ in range(20):
            assert proxy.http.get("/v1/networks/pixels/5").status_code == 200
        return time.perf_counter() - started

    try:
        before = ordinary()
        for n in range(192):
            key = f"{n:04d}" + "&<'\\|" * ((MAX_KEY_CHARS - 4) // 5)  # escaped, each grows
            proxy.http.get("/v1/networks/pixels/5", headers={"X-Eflow-Api-Key": key})
        after = ordinary()
    finally:
        proxy.close()
    # masking 20 requests after 192 callers' keys costs about what it did before them: the
    # time is the requests', not the keys' (it was seconds a request before)
    assert after < 3 * before + 0.5, (before, after)


@pytest.mark.parametrize(
    "path", ["/../admin", "/networks/pixels/../../../v2/secret", "//x", "/a%2F"]
)
def test_forward_sends_only_a_normalised_path(httpserver: HTTPServer, path: str) -> None:
    upstream = Upstream(httpserver.url_for("/v1"), KEY, allow_writes=True, rate=1000)
    try:
        answer = upstream.forward("GET", path, "", b"", None)
    finally:
        upstream.close()
    assert (answer.status, answer.outcome) == (404, "not sent")
    assert "nothing was sent" in json.loads(answer.body)["error"]
    assert httpserver.log == []


def test_a_callers_key_does_not_mask_the_writes_listed_before_it(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/v1/networks/pixels/7").respond_with_json({})
    with Proxy(httpserver.url_for("/v1"), allow_writes=True) as proxy:
        proxy.http.delete("/v1/networks/pixels/7")
        proxy.http.delete("/v1/networks/pixels/7", headers={"X-Eflow-Api-Key": "networks"})
    first, second = proxy.upstream.client.writes
    assert "/networks/pixels/7" in first.path  # listed before that caller came: as it was
    assert "networks" not in second.path


def test_forward_masks_a_write_with_the_callers_key_when_given_no_keys(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/v1/networks/pixels/caller-key-0042").respond_with_json({})
    upstream = Upstream(httpserver.url_for("/v1"), KEY, allow_writes=True, rate=1000)
    try:
        answer = upstream.forward(
            "DELETE", "/networks/pixels/caller-key-0042", "", b"", "caller-key-0042"
        )
    finally:
        upstream.close()
    assert answer.status == 200
    (write,) = upstream.client.writes
    assert "/networks/pixels/" in write.path
    assert "key-0042" not in write.path


def test_no_key_header_is_sent_when_neither_the_caller_nor_the_proxy_has_one(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"error": "x"}, 401)
    with Proxy(httpserver.url_for("/v1"), key="") as proxy:
        got = proxy.http.get("/v1/networks/pixels/5")
    assert got.status_code == 401
    ((request, _),) = httpserver.log
    assert "X-Eflow-Api-Key" not in request.headers


def test_an_empty_write_is_sent_as_empty_json_and_a_read_with_no_body_type(
    httpserver: HTTPServer,
) -> None:
    # a write without a length may be answered 411, one without a JSON type 415
    httpserver.expect_request("/v1/networks/pixels", method="POST").respond_with_json({})
    httpserver.expect_request("/v1/networks/pixels/7").respond_with_json({})
    with Proxy(httpserver.url_for("/v1"), allow_writes=True) as proxy:
        proxy.http.post("/v1/networks/pixels")
        proxy.http.put("/v1/networks/pixels/7")
        proxy.http.get("/v1/networks/pixels/7")
    sent = [
        (request.method, request.headers.get("Content-Length"), request.content_type)
        for request, _ in httpserver.log
    ]
    assert sent == [
        ("POST", "0", "application/json"),
        ("PUT", "0", "application/json"),
        ("GET", None, None),
    ]


def test_a_request_httpx_cannot_encode_is_a_400_unsent_naming_it_without_the_key(
    httpserver: HTTPServer,
) -> None:
    upstream = Upstream(httpserver.url_for("/v1"), KEY, allow_writes=True, rate=1000)
    try:
        # a caller that puts its key where the id goes
        path = "/networks/pixels/caller-key-0042"
        answer = upstream.forward("GET", path, "q=\udcff", b"", "caller-key-0042")
    finally:
        upstream.close()
    assert (answer.status, answer.outcome) == (400, "not sent")
    error = json.loads(answer.body)["error"]
    assert error.startswith("GET /networks/pixels/")
    assert f"could not be sent to {upstream.name}: " in error
    assert "key-0042" not in error
    assert httpserver.log == []


def test_a_callers_key_of_the_longest_size_masks_itself_not_its_whole_entry(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"network_pixel_id": 5})
    longest = "K9" * (MAX_KEY_CHARS // 2)
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.get(
            f"/v1/networks/pixels/5?mine={longest}", headers={"X-Eflow-Api-Key": longest}
        )
    assert got.status_code == 200
    ((request, _),) = httpserver.log
    assert request.headers["X-Eflow-Api-Key"] == longest
    (entry,) = proxy.tally.journal()
    assert entry["path"] == "/v1/networks/pixels/5"  # masked by the key, not whole
    assert entry["query"].startswith("mine=")
    assert "K9K9K9K9" not in entry["query"]


def test_a_callers_own_key_does_not_unmask_the_proxys(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"network_pixel_id": 5})
    with Proxy(httpserver.url_for("/v1")) as proxy:
        got = proxy.http.get(
            f"/v1/networks/pixels/5?note={KEY}", headers={"X-Eflow-Api-Key": "caller-0002"}
        )
    assert got.status_code == 200
    (entry,) = proxy.tally.journal()
    assert entry["query"].startswith("note=")
    assert leaks(entry["query"]) == []


def test_forward_masks_its_own_answer_with_the_keys_it_is_given() -> None:
    from openapi.remote.masking import Secrets

    upstream = Upstream("http://127.0.0.1:9/v1", KEY)
    try:
        answer = upstream.forward(
            "GET",
            "/networks/x/../pixels-tenant-SECRET-42",
            "",
            b"",
            None,
            Secrets(["tenant-SECRET-42"]),
        )
    finally:
        upstream.close()
    assert answer.status == 404
    message = json.loads(answer.body)["error"]
    assert "is not a normalised path" in message
    assert "SECRET" not in message
