"""Forwarding: the caller's key or the proxy's, the allow-list, pacing, deadlines, and the
proxy's own answers when there is no usable one, all without sending what it refuses."""

from __future__ import annotations

import json
import socket
import time

import pytest
from pytest_httpserver import HTTPServer

from mock_server.proxy.forward import Upstream

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
    proxy = Proxy(httpserver.url_for("/v1"))
    try:
        got = proxy.http.request(method, path, content=b"{}", headers=JSON)
    finally:
        proxy.close()
    assert got.status_code == 403
    assert "--allow-writes" in got.json()["error"]
    assert list(got.json()) == ["error"]
    assert httpserver.log == []
    (entry,) = proxy.tally.journal()
    assert entry["upstream"] == "refused"


def test_writes_are_passed_on_when_allowed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/networks/pixels/7", method="DELETE").respond_with_json(
        {"result": True}
    )
    proxy = Proxy(httpserver.url_for("/v1"), allow_writes=True)
    try:
        got = proxy.http.delete("/v1/networks/pixels/7")
    finally:
        proxy.close()
    assert got.status_code == 200
    assert got.json() == {"result": True}
    assert len(httpserver.log) == 1


def test_the_callers_key_is_passed_on_and_the_proxys_added_when_none(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"error": "x"}, 404)
    proxy = Proxy(httpserver.url_for("/v1"))
    try:
        proxy.http.get("/v1/networks/pixels/5", headers={"X-Eflow-Api-Key": "caller-key-0123456"})
        proxy.http.get("/v1/networks/pixels/5")
    finally:
        proxy.close()
    sent = [request.headers.get("X-Eflow-Api-Key") for request, _ in httpserver.log]
    assert sent == ["caller-key-0123456", KEY]


def test_a_429_is_passed_back_as_it_came(httpserver: HTTPServer) -> None:
    body = b'{"error": "Too many requests"}'
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_data(
        body, status=429, headers={"Retry-After": "1"}, content_type="application/json"
    )
    proxy = Proxy(httpserver.url_for("/v1"))
    try:
        got = proxy.http.get("/v1/networks/pixels/5")
    finally:
        proxy.close()
    assert got.status_code == 429
    assert got.content == body
    assert got.headers["Retry-After"] == "1"
    assert len(httpserver.log) == 1  # not retried: the caller decides


def test_requests_are_paced_under_the_rate(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"error": "x"}, 404)
    proxy = Proxy(httpserver.url_for("/v1"), rate=4)
    try:
        started = time.monotonic()
        for _ in range(3):
            proxy.http.get("/v1/networks/pixels/5")
        took = time.monotonic() - started
    finally:
        proxy.close()
    assert took >= 2 / 4  # three requests at 4 a second: two intervals


def test_an_unreachable_upstream_is_a_502_naming_it_without_the_key() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]  # bound, never listening: connections are refused
        proxy = Proxy(f"http://127.0.0.1:{port}/v1")
        try:
            got = proxy.http.get("/v1/networks/pixels/1")
        finally:
            proxy.close()
    assert got.status_code == 502
    assert f"127.0.0.1:{port}/v1" in got.json()["error"]
    assert leaks(got.text) == []


def test_a_slow_upstream_is_a_504_within_the_deadline(trickling_url: str) -> None:
    proxy = Proxy(trickling_url, timeout=0.5)
    try:
        got = proxy.http.get("/v1/networks/pixels/1")
    finally:
        proxy.close()
    assert got.status_code == 504
    assert trickling_url in got.json()["error"]
    assert "--timeout" in got.json()["error"]


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
    proxy = Proxy(httpserver.url_for("/v1"))
    try:
        body = b"".join(proxy.app(environ, lambda status, headers: started.append(status)))  # type: ignore[arg-type, func-returns-value]
    finally:
        proxy.close()
    assert started == ["400 Bad Request"]
    assert "X-Eflow-Api-Key" in json.loads(body)["error"]
    assert httpserver.log == []


def test_a_read_of_a_path_outside_the_allow_list_is_refused_unsent(httpserver: HTTPServer) -> None:
    proxy = Proxy(httpserver.url_for("/v1"))
    try:
        got = proxy.http.get("/v1/networks/offers")
    finally:
        proxy.close()
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
    assert sent.status_code == 200
    assert len(httpserver.log) == 1  # only the key at the cap was sent
    assert long_key not in proxy.upstream.keys
    assert at_cap in proxy.upstream.keys
    first = proxy.tally.journal()[0]
    assert (first["path"], first["query"]) == ("********", "********")
    assert "LLLLLLLL" not in proxy.log


def test_the_proxy_remembers_a_bounded_number_of_keys_its_own_always(
    httpserver: HTTPServer,
) -> None:
    from mock_server.proxy.forward import MAX_KEYS

    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"network_pixel_id": 5})
    proxy = Proxy(httpserver.url_for("/v1"))
    try:
        for n in range(MAX_KEYS + 20):
            proxy.http.get("/v1/networks/pixels/5", headers={"X-Eflow-Api-Key": f"caller-{n:04d}"})
    finally:
        proxy.close()
    keys = list(proxy.upstream.keys)
    assert len(keys) == MAX_KEYS
    assert KEY in keys
    assert f"caller-{MAX_KEYS + 19:04d}" in keys
    assert "caller-0000" not in keys  # the oldest caller's, forgotten first


@pytest.mark.slow
def test_masking_a_request_costs_the_same_however_many_keys_were_seen(
    httpserver: HTTPServer,
) -> None:
    from mock_server.proxy.forward import MAX_KEY_CHARS, MAX_KEYS

    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"network_pixel_id": 5})
    proxy = Proxy(httpserver.url_for("/v1"))

    def ordinary() -> float:
        started = time.perf_counter()
        for _ in range(20):
            assert proxy.http.get("/v1/networks/pixels/5").status_code == 200
        return time.perf_counter() - started

    try:
        before = ordinary()
        for n in range(3 * MAX_KEYS):
            key = f"{n:04d}" + "&<'\\|" * ((MAX_KEY_CHARS - 4) // 5)  # escaped, each grows
            proxy.http.get("/v1/networks/pixels/5", headers={"X-Eflow-Api-Key": key})
        after = ordinary()
    finally:
        proxy.close()
    # masking 20 requests with 64 keys remembered costs about what it did with one: the
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
