"""Which client addresses are this machine's, and what a web page may have sent: the admin
APIs answer only those, and refuse these."""

from __future__ import annotations

import pytest

from mock_server.core.callers import browser_refusal, is_loopback_client, is_unspoofable_host


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),  # an IPv4 client of a server listening on ::
        ("::1%lo", True),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("localhost", False),  # a client address is never a name
        ("", False),
        (None, False),
    ],
)
def test_only_this_machines_addresses_are_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback_client(address) is loopback


@pytest.mark.parametrize(
    ("host", "unspoofable"),
    [
        ("localhost", True),
        ("LOCALHOST.:4010", True),
        ("app.localhost:8000", True),
        ("127.0.0.1:4010", True),
        ("10.1.2.3", True),  # an address is not a name anyone can re-point
        ("[::1]:4010", True),
        ("::1", True),
        ("api.eflow.team", True),  # the in-process mock's hosts: Everflow's, not a page's
        ("api-eu.eflow.team:443", True),
        ("evil.example:4010", False),
        ("127.0.0.1.nip.io", False),
        ("localhost.evil.example", False),
        ("eflow.team.evil.example", False),
        ("", False),
    ],
)
def test_only_names_no_page_can_point_here_are_unspoofable(host: str, unspoofable: bool) -> None:
    assert is_unspoofable_host(host) is unspoofable


def environ(method: str = "GET", host: str = "127.0.0.1:4010", **headers: str) -> dict[str, str]:
    """A WSGI environ as a server on 127.0.0.1:4010 hands one over: ``headers`` by their
    environ names (``HTTP_ORIGIN``, ``CONTENT_TYPE``)."""
    made = {
        "REQUEST_METHOD": method,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "4010",
        "wsgi.url_scheme": "http",
        **headers,
    }
    if host:
        made["HTTP_HOST"] = host
    return made


@pytest.mark.parametrize(
    ("fetch_site", "refused"),
    [
        ("same-origin", False),  # the admin page's own scripts
        ("none", False),  # an address typed, a bookmark
        ("SAME-ORIGIN", False),
        ("cross-site", True),
        ("CROSS-SITE", True),
        ("same-site", True),  # a page on another port of 127.0.0.1 is same-site
        ("same-origin, cross-site", True),  # two headers, joined
        ("", True),
        ("bogus", True),
    ],
)
def test_sec_fetch_site_other_than_same_origin_or_none_is_refused(
    fetch_site: str, refused: bool
) -> None:
    found = browser_refusal(environ(HTTP_SEC_FETCH_SITE=fetch_site))
    assert (found is not None) is refused
    if found is not None:
        assert (found.status, found.reason) == (403, "cross-site")


@pytest.mark.parametrize(
    ("origin", "host", "scheme", "refused"),
    [
        ("http://127.0.0.1:4010", "127.0.0.1:4010", "http", False),
        ("HTTP://LOCALHOST:4010", "localhost:4010", "http", False),
        ("http://localhost", "localhost:80", "http", False),  # the scheme's port
        ("http://[::1]:4010", "[::1]:4010", "http", False),
        ("http://evil.example", "127.0.0.1:4010", "http", True),
        ("http://127.0.0.1:8123", "127.0.0.1:4010", "http", True),  # another port
        ("http://localhost:4010", "127.0.0.1:4010", "http", True),  # another host
        # https: the service's own page behind a reverse proxy that ends TLS
        ("https://127.0.0.1:4010", "127.0.0.1:4010", "http", False),
        ("https://10.0.0.5", "10.0.0.5", "http", False),  # no port: the scheme's, 443
        ("https://10.0.0.5:8443", "10.0.0.5:8443", "http", False),
        ("http://127.0.0.1:4010", "127.0.0.1:4010", "https", False),
        ("https://10.0.0.5", "10.0.0.5:80", "http", True),  # 443 is not 80
        ("https://10.0.0.5:80", "10.0.0.5", "http", True),  # no port: https's 443
        ("https://evil.example", "10.0.0.5", "http", True),  # cross-site, https or not
        ("https://evil.example", "127.0.0.1:4010", "https", True),
        ("https://127.0.0.1:8123", "127.0.0.1:4010", "http", True),  # another port
        ("https://localhost:4010", "127.0.0.1:4010", "http", True),  # another host
        ("ftp://127.0.0.1:4010", "127.0.0.1:4010", "http", True),  # no web page's scheme
        ("ws://127.0.0.1:4010", "127.0.0.1:4010", "http", True),
        ("null", "127.0.0.1:4010", "http", True),  # a sandboxed page, a file
        ("null", "", "http", True),
        ("http://127.0.0.1:4010/path", "127.0.0.1:4010", "http", True),
        ("http://u@127.0.0.1:4010", "127.0.0.1:4010", "http", True),
        ("http://127.0.0.1:99999", "127.0.0.1:99999", "http", True),
        ("", "127.0.0.1:4010", "http", True),
    ],
)
def test_an_origin_other_than_the_requests_own_is_refused(
    origin: str, host: str, scheme: str, refused: bool
) -> None:
    sent = environ(host=host, HTTP_ORIGIN=origin, **{"wsgi.url_scheme": scheme})
    found = browser_refusal(sent)
    assert (found is not None) is refused
    if found is not None:
        assert (found.status, found.reason) == (403, "cross-site")


def test_an_origin_is_compared_with_the_server_when_there_is_no_host() -> None:
    assert browser_refusal(environ(host="", HTTP_ORIGIN="http://127.0.0.1:4010")) is None


@pytest.mark.parametrize(
    ("host", "check_host", "refused"),
    [
        ("evil.example:4010", True, True),  # DNS rebinding
        ("attacker.rebind.example:5700", True, True),
        ("evil.example:4010", False, False),  # an admin token is the check instead
        ("localhost:4010", True, False),
        ("api.eflow.team", True, False),  # the in-process mock
    ],
)
def test_a_host_no_page_could_name_is_required_when_checked(
    host: str, check_host: bool, refused: bool
) -> None:
    # The page's own origin is the rebound name: same-origin, by the browser's lights.
    sent = environ(host=host, HTTP_SEC_FETCH_SITE="same-origin", HTTP_ORIGIN=f"http://{host}")
    found = browser_refusal(sent, check_host=check_host)
    assert (found is not None) is refused
    if found is not None:
        assert (found.status, found.reason) == (403, "host")


@pytest.mark.parametrize(
    ("method", "content_type", "length", "refused"),
    [
        ("POST", "application/json", "2", False),
        ("PUT", "Application/JSON; charset=utf-8", "2", False),
        ("PATCH", "application/json", "2", False),
        ("POST", "", "", False),  # no body, no type: POST /__admin/reset
        ("POST", "", "0", False),
        ("POST", "text/plain", "2", True),  # what a page sends without a preflight
        ("POST", "text/plain;charset=UTF-8", "0", True),
        ("POST", "application/x-www-form-urlencoded", "2", True),  # curl --data
        ("POST", "multipart/form-data; boundary=x", "2", True),
        ("PUT", "", "2", True),  # a body of no declared type
        ("POST", "application/jsonp", "2", True),
        ("GET", "text/plain", "2", False),  # no body is read
        ("DELETE", "text/plain", "", False),
    ],
)
def test_a_body_must_be_declared_json(
    method: str, content_type: str, length: str, refused: bool
) -> None:
    sent = environ(method, CONTENT_TYPE=content_type, CONTENT_LENGTH=length)
    found = browser_refusal(sent)
    assert (found is not None) is refused
    if found is not None:
        assert (found.status, found.reason) == (415, "content-type")


def test_a_chunked_body_of_no_declared_type_is_refused() -> None:
    sent = environ("POST", HTTP_TRANSFER_ENCODING="chunked")
    found = browser_refusal(sent)
    assert found is not None
    assert found.status == 415


def test_tools_that_are_no_browser_are_not_refused() -> None:
    # curl, httpx, requests: no Sec-Fetch-Site, no Origin, a loopback Host, JSON bodies
    assert browser_refusal(environ()) is None
    json_post = environ("POST", CONTENT_TYPE="application/json", CONTENT_LENGTH="20")
    assert browser_refusal(json_post) is None
