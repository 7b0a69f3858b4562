"""The admin page under /__admin/ui/: HTML for a person, every stored value escaped, behind
the admin API's guard, paged from the store's index. (In a real browser: test_page_browser.py.)"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from fixtures import PostbackFactory
from mock_server import MockConfig, create_app
from mock_server.admin.page import CSP, PAGE_SIZE
from mock_server.state.store import PostbackStore

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SCRIPT = "<script>window.__pwned=1</script>"
ONERROR = '"><img src=x onerror="window.__pwned=1">'
PAGES = (
    "/__admin/ui/",
    "/__admin/ui/postbacks",
    "/__admin/ui/deliveries",
    "/__admin/ui/settings",
)


@pytest.fixture
def client() -> FlaskClient:
    return create_app(MockConfig()).test_client()


def planted(pixel_id: int, **fields: Any) -> dict[str, Any]:
    """A valid postback with a script payload in every text field a person reads."""
    body = PostbackFactory().build(pixel_id, **fields)
    body["description"] = SCRIPT + ONERROR
    if body["delivery_method"] == "html":
        body["html_code"] = SCRIPT + ONERROR
    else:
        body["postback_url"] = "https://t.example/pb?a=" + SCRIPT + ONERROR
    for part in ("offer", "affiliate"):
        body["relationship"][part]["name"] = SCRIPT + ONERROR
    return body


def test_a_browser_opening_the_admin_prefix_is_sent_to_the_page(client: FlaskClient) -> None:
    for prefix in ("/__admin/", "/__admin"):
        answer = client.get(prefix, headers=BROWSER)
        assert answer.status_code == 303
        assert answer.headers["Location"] == "/__admin/ui/"


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_other_clients_of_the_admin_prefix_still_get_the_json_404(
    client: FlaskClient, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    for method in ("GET", "POST", "PUT", "DELETE"):
        for prefix in ("/__admin/", "/__admin"):
            answer = client.open(prefix, method=method, headers=headers)
            assert answer.status_code == 404, (method, prefix)
            assert answer.get_json() == {"error": "Not Found."}
    assert client.post("/__admin/", headers=BROWSER).status_code == 404  # only a GET is sent on


@pytest.mark.parametrize("path", [*PAGES, "/__admin/ui/static/admin.js"])
def test_every_page_and_file_carries_the_csp_and_no_inline_script(
    client: FlaskClient, path: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["Content-Security-Policy"] == CSP
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    policy = dict(part.strip().split(" ", 1) for part in CSP.split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    if path.endswith(".js"):
        return
    page = answer.get_data(as_text=True)
    # every script is the shipped file; no handler attribute anywhere
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/__admin/ui/static/admin.js" defer>'
    ]
    assert not re.search(r"\son[a-z]+=", page)


@pytest.mark.parametrize(
    ("address", "status"), [("192.0.2.7", 403), ("127.0.0.1", 200), ("::1", 200)]
)
def test_the_page_answers_loopback_clients_only(
    client: FlaskClient, address: str, status: int
) -> None:
    for path in (*PAGES, "/__admin/ui/static/admin.css", "/__admin/ui/requests.json"):
        assert client.get(path, environ_base={"REMOTE_ADDR": address}).status_code == status


def test_with_an_admin_token_the_page_wants_it_too() -> None:
    client = create_app(MockConfig(admin_token="t0ken")).test_client()
    for path in PAGES:
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer t0ken"}).status_code == 200


def test_with_an_admin_token_a_browser_signs_in_once_for_a_session_cookie() -> None:
    client = create_app(MockConfig(admin_token="t0ken")).test_client()
    client.get("/v1/networks/pixels/3", headers={"X-Eflow-Api-Key": "k"})
    asked = client.get("/__admin/ui/", headers=BROWSER)
    assert asked.status_code == 401
    assert asked.headers["Content-Security-Policy"] == CSP
    assert asked.headers["X-Content-Type-Options"] == "nosniff"
    text = asked.get_data(as_text=True)
    assert 'id="token"' in text
    assert "/v1/networks/pixels/3" not in text  # no data before the token
    assert client.get("/__admin/ui/static/admin.js").status_code == 200  # what signs in
    navigated = client.get("/__admin/requests", headers=BROWSER)  # an admin API route
    assert (navigated.status_code, navigated.content_type) == (401, "text/html; charset=utf-8")
    assert 'id="token"' in navigated.get_data(as_text=True)
    asked_by_a_client = client.get("/__admin/requests")
    assert asked_by_a_client.status_code == 401
    assert asked_by_a_client.get_json()["type"].endswith("admin-token")
    assert client.get("/__admin/ui/requests.json").get_json()["type"].endswith("admin-token")
    assert client.post("/__admin/ui/session").status_code == 401
    client.set_cookie("everflow_admin_session_80", "t0ken", path="/__admin")  # not the token
    assert client.get("/__admin/ui/", headers=BROWSER).status_code == 401

    signed = client.post("/__admin/ui/session", headers={"Authorization": "Bearer t0ken"})
    assert signed.status_code == 204
    cookie = signed.headers["Set-Cookie"]
    assert "t0ken" not in cookie
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/__admin"):
        assert attribute in cookie
    assert "Expires" not in cookie  # this browser session only
    assert "Max-Age" not in cookie
    page = client.get("/__admin/ui/", headers=BROWSER)
    assert page.status_code == 200
    assert "/v1/networks/pixels/3" in page.get_data(as_text=True)
    assert client.get("/__admin/requests").status_code == 200  # what the script calls
    assert client.post("/__admin/reset").status_code == 200
    name, value = cookie.split(";")[0].split("=", 1)
    assert name == "everflow_admin_session_80"  # the port the test client addresses
    for other_token in ("another", "t0ken"):  # another mock, or this one restarted
        other = create_app(MockConfig(admin_token=other_token)).test_client()
        other.set_cookie(name, value, path="/__admin")
        assert other.get("/__admin/ui/", headers=BROWSER).status_code == 401


def sign_in(client: FlaskClient, port: int) -> tuple[str, str]:
    """Sign ``client`` in to the mock at ``localhost:port``: the cookie's name and value."""
    signed = client.post(
        f"http://localhost:{port}/__admin/ui/session", headers={"Authorization": "Bearer t0ken"}
    )
    assert signed.status_code == 204
    name, value = signed.headers["Set-Cookie"].split(";")[0].split("=", 1)
    return name, value


def test_mocks_on_two_ports_keep_their_own_session_cookies() -> None:
    # Cookies do not tell ports apart: under one name, signing in to :4330 would replace
    # the cookie of :4310 (which would then answer 401), and each would be sent to both.
    first = create_app(MockConfig(admin_token="t0ken")).test_client(use_cookies=False)
    second = create_app(MockConfig(admin_token="t0ken")).test_client(use_cookies=False)
    name_1, value_1 = sign_in(first, 4310)
    name_2, value_2 = sign_in(second, 4330)
    assert (name_1, name_2) == ("everflow_admin_session_4310", "everflow_admin_session_4330")
    assert value_1 != value_2  # the same token: each mock draws its own key
    cookies = f"{name_1}={value_1}; {name_2}={value_2}"  # what the browser sends to both
    for client, port in ((first, 4310), (second, 4330)):
        url = f"http://localhost:{port}/__admin/ui/"
        assert client.get(url, headers={**BROWSER, "Cookie": cookies}).status_code == 200
    swapped = f"{name_1}={value_2}; {name_2}={value_1}"  # each mock's cookie on the other
    for client, port in ((first, 4310), (second, 4330)):
        url = f"http://localhost:{port}/__admin/ui/"
        assert client.get(url, headers={**BROWSER, "Cookie": swapped}).status_code == 401


def test_a_browser_signs_out_by_deleting_the_session() -> None:
    client = create_app(MockConfig(admin_token="t0ken")).test_client()
    name, _ = sign_in(client, 4310)
    page = client.get("http://localhost:4310/__admin/ui/settings", headers=BROWSER)
    assert 'id="sign-out" type="button" data-action="/__admin/ui/session"' in page.text
    out = client.delete("http://localhost:4310/__admin/ui/session")
    assert out.status_code == 204
    assert out.headers["Set-Cookie"].startswith(f"{name}=;")
    assert "Path=/__admin" in out.headers["Set-Cookie"]
    assert client.get("http://localhost:4310/__admin/ui/", headers=BROWSER).status_code == 401
    loopback = create_app(MockConfig()).test_client()  # no token: no session, no button
    assert 'id="sign-out"' not in loopback.get("/__admin/ui/", headers=BROWSER).text
    assert loopback.delete("/__admin/ui/session").status_code == 204


def test_the_sign_in_form_sent_without_the_script_puts_the_token_in_no_url() -> None:
    client = create_app(MockConfig(admin_token="t0ken")).test_client()
    text = client.get("/__admin/ui/", headers=BROWSER).text
    (form,) = re.findall(r"<form [^>]*>", text.replace("\n", " "))
    assert 'method="post"' in form
    assert 'action="/__admin/ui/session"' in form
    assert 'id="sign-out"' not in text  # nothing to sign out of yet
    # what a browser sends for it: the token in a form body, refused (not JSON, no Bearer)
    sent = client.post("/__admin/ui/session", data={"token": "t0ken"}, headers=BROWSER)
    assert sent.status_code in (401, 415)
    assert "Set-Cookie" not in sent.headers


def test_stored_markup_is_shown_as_text_on_every_page(client: FlaskClient) -> None:
    client.put("/__admin/pixels/900001", json=planted(900001, delivery_method="html"))
    client.put("/__admin/pixels/900002", json=planted(900002, delivery_method="postback"))
    client.get("/v1/networks/pixels/" + SCRIPT, query_string={"q": ONERROR})
    pages = [
        "/__admin/ui/postbacks?id=900001",
        "/__admin/ui/postbacks?url=" + SCRIPT,
        "/__admin/ui/postbacks/900001",
        "/__admin/ui/postbacks/900002",
        "/__admin/ui/",
        "/__admin/ui/requests/1",
    ]
    for path in pages:
        page = client.get(path).get_data(as_text=True)
        assert "window.__pwned" in page, path  # the payload is there...
        assert "<script>window" not in page, path  # ...as text
        assert "<img src=x" not in page, path
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page, path


def test_the_journal_poll_sends_only_what_is_new(client: FlaskClient) -> None:
    first = client.get("/__admin/ui/requests.json").get_json()
    assert first == {"last": 0, "rows": []}
    client.get("/v1/networks/pixels/3", headers={"X-Eflow-Api-Key": "live-secret"})
    client.get("/v1/networks/pixels/17?x=1", headers={"X-Eflow-Api-Key": "live-secret"})
    news = client.get("/__admin/ui/requests.json?after=1").get_json()
    ((row),) = news["rows"]
    assert news["last"] == 2
    assert row["n"] == 2
    assert row["method"] == "GET"
    assert row["status"] == "200"
    assert row["path"] == "/v1/networks/pixels/17?x=1"
    assert row["operation"] == "getPartnerPostback"
    assert row["warning"] == "ignored query parameter x (not a parameter of getPartnerPostback)"
    assert client.get("/__admin/ui/requests.json?after=2").get_json() == {"last": 2, "rows": []}
    bad = client.get("/__admin/ui/requests.json?after=x")
    assert bad.status_code == 422
    assert bad.get_json()["parameter"] == "after"
    entry = client.get("/__admin/ui/requests/2").get_data(as_text=True)
    assert "live-secret" not in entry
    assert "********" in entry


def test_a_request_gone_from_the_journal_is_a_404_page(client: FlaskClient) -> None:
    answer = client.get("/__admin/ui/requests/5")
    assert answer.status_code == 404
    assert "request 5 is no longer in the journal" in answer.get_data(as_text=True)
    assert client.get("/__admin/ui/postbacks/123456789").status_code == 404


def ids_on(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/__admin/ui/postbacks/(\d+)"', page)]


def test_postbacks_are_filtered_by_each_column_and_paged() -> None:
    factory = PostbackFactory(3)
    postbacks = [
        factory.build(
            pixel_id,
            pixel_level="global_offer" if pixel_id % 2 else "specific",
            delivery_method="postback",
            pixel_status="inactive" if pixel_id % 3 == 0 else "active",
            network_offer_id=11 if pixel_id % 5 == 0 else 12,
            network_affiliate_id=0 if pixel_id % 2 else 7 if pixel_id % 7 == 0 else 8,
            postback_url=f"https://t{pixel_id % 4}.example/pb",
        )
        for pixel_id in range(1, 131)
    ]
    client = create_app(MockConfig(postbacks=postbacks)).test_client()

    def shown(query: str) -> list[int]:
        answer = client.get("/__admin/ui/postbacks?" + query)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return ids_on(answer.get_data(as_text=True))

    def expected(keep: Any) -> list[int]:
        return [p["network_pixel_id"] for p in postbacks if keep(p)][:PAGE_SIZE]

    assert shown("") == list(range(1, PAGE_SIZE + 1))
    assert shown("page=3") == list(range(2 * PAGE_SIZE + 1, 131))
    assert shown("page=4") == []
    assert shown("id=77") == [77]
    assert shown("pixel_level=global_offer") == expected(lambda p: p["pixel_level"] != "specific")
    assert shown("pixel_status=inactive") == expected(lambda p: p["pixel_status"] == "inactive")
    assert shown("delivery_method=html") == []
    assert shown("offer=11&partner=7") == [70]
    assert shown("partner=8") == expected(lambda p: p["network_affiliate_id"] == 8)
    assert shown("url=T3.EXAMPLE") == expected(lambda p: "t3.example" in p["postback_url"])
    page = client.get("/__admin/ui/postbacks?pixel_status=active&page=2").get_data(as_text=True)
    assert "page 2 of 2" in page
    assert 'href="/__admin/ui/postbacks?pixel_status=active&amp;page=1"' in page


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("offer=abc", "offer must be a whole number, not 'abc'"),
        ("id=-1", "id must be a whole number"),
        ("partner=99999999999999999999", "partner must be a whole number"),
        ("id=" + "9" * 5000, "id must be a whole number"),  # past what Python turns into an int
        ("pixel_level=planet", "pixel_level must be one of global, specific, global_offer"),
        ("page=0", "page must be a whole number from 1"),
    ],
)
def test_a_bad_filter_is_a_400_saying_which(client: FlaskClient, query: str, said: str) -> None:
    answer = client.get("/__admin/ui/postbacks?" + query)
    assert answer.status_code == 400
    assert said in html.unescape(answer.get_data(as_text=True))
    assert ids_on(answer.get_data(as_text=True)) == []


def test_the_postbacks_page_reads_one_page_never_every_postback(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def whole_store(self: PostbackStore) -> None:
        raise AssertionError("the page read the whole store")

    monkeypatch.setattr(PostbackStore, "postbacks", whole_store)
    monkeypatch.setattr(PostbackStore, "ids", whole_store)
    answer = client.get("/__admin/ui/postbacks?page=2")
    shown = ids_on(answer.get_data(as_text=True))
    assert answer.status_code == 200
    assert shown


def test_settings_show_counts_of_secrets_never_the_secrets() -> None:
    config = MockConfig(api_keys=("key-one-secret",), admin_token="tok-secret")
    client = create_app(config).test_client()
    answer = client.get("/__admin/ui/settings", headers={"Authorization": "Bearer tok-secret"})
    text = answer.get_data(as_text=True)
    assert "secret" not in text
    assert "1 set" in text
    assert "30/s, burst 50" in text
