"""Who may use the admin API and page (``mock_server.admin.guard``): loopback clients, or
bearers of the admin token and the page's session; never a web page of another origin."""

from __future__ import annotations

import time

import pytest
from flask.testing import FlaskClient

from mock_server import MockConfig, create_app
from mock_server.admin import guard
from mock_server.admin.guard import MAX_ACCEPT, AdminGuard, cookie_name
from mock_server.core.config import RateLimit

KEY = {"X-Eflow-Api-Key": "secret-key-123"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def client() -> FlaskClient:
    return create_app(MockConfig(journal_size=3)).test_client()


def test_admin_answers_only_loopback_clients_by_default(client: FlaskClient) -> None:
    outsider = {"REMOTE_ADDR": "192.0.2.7"}
    for method, path in [
        ("GET", "/__admin/requests"),
        ("DELETE", "/__admin/pixels/3"),
        ("POST", "/__admin/reset"),
    ]:
        refused = client.open(path, method=method, environ_base=outsider)
        assert refused.status_code == 403
        assert refused.content_type == "application/problem+json"
        assert "--admin-token" in refused.get_json()["detail"]
    assert client.get("/__admin/pixels/3").status_code == 200  # nothing was deleted
    assert client.get("/__admin/health", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


@pytest.mark.parametrize(
    ("address", "status"),
    [
        ("::ffff:127.0.0.1", 200),  # an IPv4 loopback client of a server bound to ::
        ("::ffff:127.8.9.1", 200),
        ("::ffff:192.0.2.7", 403),
        ("fe80::1%eth0", 403),
    ],
)
def test_ipv4_mapped_loopback_clients_are_loopback(
    client: FlaskClient, address: str, status: int
) -> None:
    answer = client.get("/__admin/health", environ_base={"REMOTE_ADDR": address})
    assert answer.status_code == status


def test_an_admin_token_opens_the_admin_api_to_bearers_only() -> None:
    client = create_app(MockConfig(admin_token="t0ken")).test_client()
    outsider = {"REMOTE_ADDR": "192.0.2.7"}
    assert client.get("/__admin/health", environ_base=outsider).status_code == 401
    assert client.get("/__admin/health").status_code == 401  # loopback needs it too
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/__admin/health", headers=wrong).status_code == 401
    right = {"Authorization": "Bearer t0ken"}
    assert client.get("/__admin/health", headers=right, environ_base=outsider).status_code == 200
    # The API itself is not behind the admin token.
    assert (
        client.get("/v1/networks/pixels/3", headers=KEY, environ_base=outsider).status_code == 200
    )


def test_wrong_admin_tokens_are_throttled_and_then_not_checked() -> None:
    # A page on a name pointed at 127.0.0.1 reaches the admin API under --admin-token
    # (no Host check then): unthrottled it could try hundreds of tokens a second.
    client = create_app(MockConfig(admin_token="t0ken")).test_client()
    signed = client.post("/__admin/ui/session", headers={"Authorization": "Bearer t0ken"})
    cookie = signed.headers["Set-Cookie"].split(";")[0].split("=", 1)
    client.delete_cookie(cookie[0], path="/__admin")
    for attempt in range(guard.WRONG_TOKENS.burst):
        wrong = {"Authorization": f"Bearer guess-{attempt}"}
        assert client.get("/__admin/health", headers=wrong).status_code == 401
    assert client.get("/__admin/health").status_code == 401  # no token sent: not counted
    for sent in ("Bearer guess-x", "Bearer t0ken"):  # not checked now, right or wrong
        refused = client.get("/__admin/health", headers={"Authorization": sent})
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "3"
        assert refused.content_type == "application/problem+json"
        assert refused.get_json()["type"].endswith("admin-token-throttled")
    # a browser signed in before is not locked out: its cookie is a MAC no one guesses
    client.set_cookie(cookie[0], cookie[1], path="/__admin")
    assert client.get("/__admin/health").status_code == 200


def test_the_wrong_token_bucket_refills(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(guard, "WRONG_TOKENS", RateLimit(rate=10, burst=2))
    client = create_app(MockConfig(admin_token="t0ken")).test_client()
    for _ in range(2):
        client.get("/__admin/health", headers={"Authorization": "Bearer nope"})
    right = {"Authorization": "Bearer t0ken"}
    throttled = client.get("/__admin/health", headers=right)
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "1")
    time.sleep(0.15)  # a tenth of a second gives one try back
    assert client.get("/__admin/health", headers=right).status_code == 200


@pytest.mark.parametrize("path", ["/__admin/reset", "/__admin/conversions"])
def test_a_cross_site_page_cannot_call_the_admin_api(client: FlaskClient, path: str) -> None:
    # What a browser sends for a form or fetch from another site: a simple POST needs no
    # preflight, so without this check any page a developer opened could reset the mock.
    client.get("/v1/networks/pixels/3", headers=KEY)
    refused = client.post(path, headers={"Sec-Fetch-Site": "cross-site"}, data="{}")
    assert refused.status_code == 403
    assert refused.get_json()["type"].endswith("admin-cross-site")
    assert len(client.get("/__admin/requests").get_json()["requests"]) == 1  # not reset
    for same in ("same-origin", "none"):  # the admin page itself; a typed address
        assert client.get("/__admin/health", headers={"Sec-Fetch-Site": same}).status_code == 200


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("localhost:4010", 200),
        ("app.localhost", 200),
        ("127.0.0.1:4010", 200),
        ("[::1]:4010", 200),
        ("api.eflow.team", 200),  # the in-process mock (respx) is addressed so
        ("evil.example:4010", 403),  # a name pointed at 127.0.0.1: DNS rebinding
        ("127.0.0.1.nip.io", 403),
    ],
)
def test_without_a_token_admin_answers_requests_addressed_to_this_machine_only(
    client: FlaskClient, host: str, status: int
) -> None:
    answer = client.get("/__admin/health", headers={"Host": host})
    assert answer.status_code == status
    if status == 403:
        assert answer.get_json()["type"].endswith("admin-host")


def test_with_a_token_any_host_name_may_be_used() -> None:
    client = create_app(MockConfig(admin_token="t0ken")).test_client()
    right = {"Authorization": "Bearer t0ken", "Host": "mock.internal:4010"}
    assert client.get("/__admin/health", headers=right).status_code == 200


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({"HTTP_HOST": "localhost:4010"}, "everflow_admin_session_4010"),
        ({"HTTP_HOST": "localhost"}, "everflow_admin_session_80"),
        ({"HTTP_HOST": "localhost", "wsgi.url_scheme": "https"}, "everflow_admin_session_443"),
        ({"HTTP_HOST": "localhost:99999"}, "everflow_admin_session_80"),  # no port: the scheme's
        ({"HTTP_HOST": "localhost:abc"}, "everflow_admin_session_80"),
        ({"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "4011"}, "everflow_admin_session_4011"),
    ],
)
def test_the_session_cookie_is_named_by_the_port_the_browser_addressed(
    environ: dict[str, str], name: str
) -> None:
    assert cookie_name(environ) == name


@pytest.mark.parametrize(
    ("token", "environ", "first"),
    [
        ("t0ken", {"REQUEST_METHOD": "GET", "HTTP_ACCEPT": BROWSER["Accept"]}, True),
        (None, {"REQUEST_METHOD": "GET", "HTTP_ACCEPT": BROWSER["Accept"]}, False),
        ("t0ken", {"REQUEST_METHOD": "HEAD", "HTTP_ACCEPT": BROWSER["Accept"]}, False),
        ("t0ken", {"REQUEST_METHOD": "GET", "HTTP_ACCEPT": "application/json"}, False),
        ("t0ken", {"REQUEST_METHOD": "GET"}, False),
        (
            "t0ken",
            {
                "REQUEST_METHOD": "GET",
                "HTTP_ACCEPT": BROWSER["Accept"],
                "HTTP_AUTHORIZATION": "Bearer t0ken",
            },
            False,
        ),
    ],
)
def test_only_a_browsers_navigation_without_token_or_session_signs_in_first(
    token: str | None, environ: dict[str, str], first: bool
) -> None:
    assert AdminGuard(token).signs_in_first(environ) is first


def test_an_accept_longer_than_a_browsers_is_not_read_as_a_navigation() -> None:
    # Asked on granian's event loop: a long Accept must cost it no parsing.
    accept = "text/html," * (MAX_ACCEPT // 10 + 1)
    guarded = AdminGuard("t0ken")
    assert guarded.signs_in_first({"REQUEST_METHOD": "GET", "HTTP_ACCEPT": accept[:MAX_ACCEPT]})
    assert not guarded.signs_in_first({"REQUEST_METHOD": "GET", "HTTP_ACCEPT": accept})


def test_a_cookie_that_is_no_utf8_beside_the_session_costs_nothing() -> None:
    # Any site on localhost may set a cookie the browser then sends to the mock too; a WSGI
    # server hands on its bytes as Latin-1.
    client = create_app(MockConfig(admin_token="t0ken")).test_client(use_cookies=False)
    signed = client.post("/__admin/ui/session", headers={"Authorization": "Bearer t0ken"})
    session = signed.headers["Set-Cookie"].split(";")[0]
    bad = {"HTTP_COOKIE": "a=\xe9"}
    token = {"Authorization": "Bearer t0ken"}
    assert client.get("/__admin/health", headers=token, environ_overrides=bad).status_code == 200
    navigated = client.get("/__admin/health", headers=BROWSER, environ_overrides=bad)
    assert (navigated.status_code, navigated.content_type) == (401, "text/html; charset=utf-8")
    both = {"HTTP_COOKIE": f"a=\xe9; {session}"}
    assert client.get("/__admin/health", environ_overrides=both).status_code == 200
    assert client.get("/__admin/ui/", headers=BROWSER, environ_overrides=both).status_code == 200


def test_a_token_holding_a_byte_that_is_no_utf8_is_a_wrong_token() -> None:
    # granian hands on such a byte as a lone surrogate, which has no UTF-8 of its own.
    environ = {"REQUEST_METHOD": "GET", "HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1"}
    guarded = AdminGuard("t0ken")
    assert not guarded.admits({**environ, "HTTP_AUTHORIZATION": "Bearer t0ken\udcff"})
    assert guarded.admits({**environ, "HTTP_AUTHORIZATION": "Bearer t0ken"})


def test_a_signed_in_browser_goes_straight_to_the_admin_api() -> None:
    client = create_app(MockConfig(admin_token="t0ken")).test_client()
    client.post("/__admin/ui/session", headers={"Authorization": "Bearer t0ken"})
    health = client.get("/__admin/health", headers=BROWSER)
    assert (health.status_code, health.get_json()["status"]) == (200, "ok")
