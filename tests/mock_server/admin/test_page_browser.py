"""The admin page in a real browser: Debian's headless Chromium, driven by Selenium through
the system chromedriver (Selenium Manager never runs, nothing is downloaded), against a mock
on a real socket.

With ``EVERFLOW_ADMIN_SCREENSHOTS=DIR`` set, the tests save a screenshot of each view into
DIR (the docs' are made with ``DIR=docs/mock-server/img``); without it they write nothing.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest

from fixtures import PostbackFactory
from mock_server import MockConfig, create_app
from mock_server.app import MockApp
from mock_server.data.catalogue import builtin_catalogue
from mock_server.data.datafile import load_data_file
from mock_server.proxy.forward import Upstream
from mock_server.proxy.server import ProxyApp
from mock_server.proxy.tally import Tally
from mock_server.testing.local_server import LocalServer
from mock_server.testing.receiver import PostbackReceiver
from openapi.remote.checks import shown_name

from .conftest import PARTNER, fired_postback

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)
PWN = "window.__pwned=1;document.title='pwned'"
PAYLOADS = (f"<script>{PWN}</script>", f'"><img src=x onerror="{PWN}">')
PAYLOAD = "".join(PAYLOADS)
OFFER = 777
SCREENSHOTS = os.environ.get("EVERFLOW_ADMIN_SCREENSHOTS")

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver


def planted(pixel_id: int, **fields: Any) -> dict[str, Any]:
    """A valid postback with the payloads in every text field it has."""
    body = PostbackFactory().build(pixel_id, **fields)
    body["description"] = PAYLOAD
    if body["delivery_method"] == "html":
        body["html_code"] = PAYLOAD
    else:
        body["postback_url"] = "http://127.0.0.1:9/pb?a=" + quote(PAYLOAD)
    for part in ("offer", "affiliate"):
        body["relationship"][part]["name"] = PAYLOAD
    return body


@pytest.fixture(scope="module")
def receiver() -> Iterator[PostbackReceiver]:
    with PostbackReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def server(receiver: PostbackReceiver) -> Iterator[LocalServer]:
    """The built-in catalogue, postbacks carrying script in every text field, and one that
    delivers to the receiver: all start data, so a reset keeps them."""
    fired = fired_postback(receiver.url)
    html = planted(
        900001,
        delivery_method="html",
        pixel_level="specific",
        pixel_type="conversion",
        pixel_status="active",
        network_offer_id=OFFER,
        network_affiliate_id=PARTNER,
    )
    url = planted(900002, delivery_method="postback", pixel_status="inactive")
    config = MockConfig(postbacks=[*builtin_catalogue(0), html, url, fired])
    local = LocalServer(create_app(config)).start()
    yield local
    local.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.skip("needs Debian's chromium and chromium-driver (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def no_manager(*args: Any) -> Any:
        raise AssertionError("Selenium Manager ran: it would download a browser or driver")

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SeleniumManager, "binary_paths", no_manager)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(5)
    yield driver
    driver.quit()


def texts(driver: WebDriver, selector: str) -> list[str]:
    """The text of every element ``selector`` matches, read in one step: a view that
    follows the mock replaces its rows every second, so an element found in one call may be
    gone by the next (Selenium's stale element)."""
    found: list[str] = driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText)", selector
    )
    return found


def table_texts(driver: WebDriver, selector: str) -> list[list[str]]:
    """The cells' text of every row ``selector`` matches, read in one step (see ``texts``)."""
    found: list[list[str]] = driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0]),"
        " r => Array.from(r.cells, c => c.innerText))",
        selector,
    )
    return found


def wait_for(driver: WebDriver, check: Callable[[WebDriver], Any], timeout: float = 10) -> Any:
    """``check``'s first truthy answer; a check that read an element the page's poll
    replaced meanwhile (Selenium's stale element) is asked again, not failed."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.wait import WebDriverWait

    return WebDriverWait(
        driver, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
    ).until(check)


def shoot(driver: WebDriver, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(SCREENSHOTS) / f"admin-{name}.png"))


def assert_nothing_ran(driver: WebDriver, server: LocalServer) -> None:
    """No payload ran, none became an element, and the page was sent with its CSP."""
    from selenium.webdriver.common.by import By

    assert driver.execute_script("return window.__pwned === undefined") is True
    assert "pwned" not in driver.title
    assert driver.find_elements(By.CSS_SELECTOR, "main img, main script, main svg") == []
    path = driver.current_url.removeprefix(server.root)
    with urllib.request.urlopen(server.root + path, timeout=5) as answer:
        policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'none'" in policy


def api_get(server: LocalServer, path: str) -> int:
    request = urllib.request.Request(server.url + path, headers={"X-Eflow-Api-Key": "k-secret"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_journal_shows_a_new_request_without_a_reload(
    browser: WebDriver, server: LocalServer
) -> None:
    from selenium.webdriver.common.by import By

    api_get(server, "/networks/pixels/3")
    browser.get(server.root + "/__admin/")  # a browser at the prefix is sent to the page
    assert browser.current_url == server.root + "/__admin/ui/"
    browser.execute_script("window.__samePage = true")
    path = "/networks/pixels/" + quote(PAYLOADS[1], safe="")
    status = api_get(server, path + "?q=" + quote(PAYLOADS[0]))  # not an id: a 400

    def new_row(driver: WebDriver) -> Any:
        rows = table_texts(driver, "#journal tbody tr:first-child")
        return rows[0] if rows and "onerror" in rows[0][3] else None

    cells = wait_for(browser, new_row)
    assert browser.execute_script("return window.__samePage") is True  # not reloaded
    assert cells[2] == "GET"
    assert cells[4] == str(status) == "400"
    assert cells[3] == "/v1" + "/networks/pixels/" + PAYLOADS[1] + "?q=" + PAYLOADS[0]
    assert_nothing_ran(browser, server)
    shoot(browser, "requests")

    browser.find_element(By.CSS_SELECTOR, "#journal tbody tr:first-child td a").click()
    entry = wait_for(browser, lambda d: d.find_element(By.ID, "entry").text)
    assert PAYLOADS[0] in entry
    assert "<img src=x onerror=" in entry
    assert "k-secret" not in entry
    assert "********" in entry
    assert_nothing_ran(browser, server)


def test_postbacks_show_planted_markup_as_text(browser: WebDriver, server: LocalServer) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server.root + "/__admin/ui/postbacks")
    assert "57 postbacks" in browser.find_element(By.ID, "paging").text
    shoot(browser, "postbacks")
    Select(browser.find_element(By.NAME, "delivery_method")).select_by_visible_text("html")
    browser.find_element(By.NAME, "partner").send_keys(str(PARTNER))
    browser.find_element(By.CSS_SELECTOR, ".filters button").click()
    wait_for(browser, lambda d: "partner=4242" in d.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "#postbacks tbody tr")
    (row,) = rows
    cells = row.find_elements(By.TAG_NAME, "td")
    assert cells[0].text == "900001"
    assert cells[7].text == PAYLOAD
    assert cells[8].text == PAYLOAD
    assert_nothing_ran(browser, server)

    browser.get(server.root + "/__admin/ui/postbacks?url=" + quote(PAYLOADS[0]))
    assert browser.find_element(By.NAME, "url").get_attribute("value") == PAYLOADS[0]
    assert_nothing_ran(browser, server)

    for pixel_id in (900001, 900002):
        browser.get(server.root + "/__admin/ui/postbacks")
        browser.get(f"{server.root}/__admin/ui/postbacks/{pixel_id}")
        assert browser.find_element(By.ID, "entry").text.count("window.__pwned") >= 3
        assert_nothing_ran(browser, server)
    shoot(browser, "postback")


def test_a_conversion_fired_from_the_form_shows_its_deliveries(
    browser: WebDriver, server: LocalServer, receiver: PostbackReceiver
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server.root + "/__admin/ui/deliveries")
    for name, value in (("offer_id", OFFER), ("affiliate_id", PARTNER), ("transaction_id", "t1")):
        browser.find_element(By.NAME, name).send_keys(str(value))
    browser.find_element(By.CSS_SELECTOR, "#fire button").click()

    def rows(driver: WebDriver) -> Any:
        # both rows, the GET's once settled: a poll may show it pending before it is sent
        found = table_texts(driver, "#deliveries tbody tr")
        settled = len(found) == 2 and all(cells[4] != "pending" for cells in found)
        return found if settled else None

    shown = {}
    for cells in wait_for(browser, rows):
        shown[cells[1]] = cells
    assert shown["900100"][3] == receiver.url + "/pb?tid=t1"
    assert shown["900100"][4:6] == ["delivered", "200"]
    assert shown["900001"][3] == PAYLOAD
    assert shown["900001"][4] == "kept"
    assert receiver.urls[-1] == receiver.url + "/pb?tid=t1"
    assert_nothing_ran(browser, server)
    shoot(browser, "deliveries")
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('#deliveries tbody td:nth-child(2) a'),"
        " a => a.getAttribute('href'))"
    )
    assert sorted(links) == sorted(f"/__admin/ui/postbacks/{pixel}" for pixel in shown)

    browser.find_element(By.NAME, "offer_id").send_keys("0")
    browser.find_element(By.NAME, "affiliate_id").send_keys(str(PARTNER))
    browser.find_element(By.CSS_SELECTOR, "#fire button").click()

    def fired(driver: WebDriver) -> str | None:
        # the answer's text, not the "firing…" the form shows while it waits for it
        text: str = driver.find_element(By.ID, "fire-result").text
        return text if text and text != "firing…" else None

    said = wait_for(browser, fired)
    assert said.startswith("HTTP 422: ")
    assert "offer_id" in said


def test_settings_and_reset(browser: WebDriver, server: LocalServer) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server.root + "/__admin/ui/settings")
    settings = browser.find_element(By.ID, "settings").text
    assert "postbacks stored 57" in settings
    assert "rate limit 30/s, burst 50" in settings
    shoot(browser, "settings")
    assert api_get(server, "/networks/pixels/3") == 200
    browser.execute_script("window.__samePage = true")
    browser.find_element(By.ID, "reset").click()
    wait_for(browser, lambda d: d.execute_script("return window.__samePage") is None)  # reloaded
    assert "requests journaled 0 " in browser.find_element(By.ID, "settings").text
    browser.get(server.root + "/__admin/ui/deliveries")
    assert browser.find_elements(By.CSS_SELECTOR, "#deliveries tbody tr") == []


ATTACK = """<!doctype html><title>attack</title><script>
const mock = "{mock}";
const conversion = JSON.stringify({{offer_id: {offer}, affiliate_id: {partner}}});
Promise.allSettled([
  fetch(mock + "/__admin/conversions?wait=2", {{method: "POST", mode: "no-cors",
    headers: {{"Content-Type": "text/plain"}}, body: conversion}}),
  fetch(mock + "/__admin/reset", {{method: "POST", mode: "no-cors"}}),
]).then(() => {{ document.title = "sent"; }});
</script>"""
"""A page that fires a conversion and resets the mock: requests a page may send without a
preflight (``no-cors``, ``text/plain``), whose answers it cannot read but whose effects stay."""


def journal(server: LocalServer) -> list[Any]:
    with urllib.request.urlopen(server.root + "/__admin/requests", timeout=5) as answer:
        requests: list[Any] = json.loads(answer.read())["requests"]
    return requests


@pytest.mark.parametrize("page_host", ["127.0.0.1", "localhost"])
def test_a_page_on_another_port_cannot_fire_or_reset(
    browser: WebDriver, server: LocalServer, receiver: PostbackReceiver, page_host: str
) -> None:
    # 127.0.0.1 on another port is same-site to the mock; localhost is another site.
    from flask import Flask

    attacker = Flask("attacker")
    html = ATTACK.format(mock=server.root, offer=OFFER, partner=PARTNER)
    attacker.add_url_rule("/", "page", lambda: html)
    assert api_get(server, "/networks/pixels/3") == 200
    before = journal(server)
    delivered = len(receiver.requests)
    with LocalServer(attacker) as page:
        browser.get(f"http://{page_host}:{page.port}/")
        wait_for(browser, lambda d: d.title == "sent")
    time.sleep(0.5)  # a conversion that got through would be delivered by now (delay 0)
    assert journal(server) == before  # not reset
    assert len(receiver.requests) == delivered  # nothing fired


def api_post(server: LocalServer, path: str, body: Any) -> int:
    request = urllib.request.Request(
        server.url + path,
        data=json.dumps(body).encode(),
        headers={"X-Eflow-Api-Key": "k-secret", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_journal_shows_each_request_s_duration_and_spec_verdict(
    browser: WebDriver, server: LocalServer
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server.root + "/__admin/ui/")
    browser.execute_script("window.__samePage = true")
    body = PostbackFactory().build(1)
    body["pixel_status"] = PAYLOAD  # the spec's 400 names the value it refused
    assert api_post(server, "/networks/pixels", body) == 400

    def new_row(driver: WebDriver) -> Any:
        rows = table_texts(driver, "#journal tbody tr:first-child")
        return rows[0] if rows and rows[0][2] == "POST" else None

    cells = wait_for(browser, new_row)
    assert browser.execute_script("return window.__samePage") is True  # not reloaded
    headings = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#journal th")]
    assert headings[6:8] == ["ms", "spec verdict"]
    ms = float(cells[6])
    assert ms >= 0
    verdict = cells[7]
    assert verdict.startswith("request invalid, answer valid: pixel_status: ")
    assert "<script>window.__pwned=1;" in verdict  # the value quoted, as text
    assert '<img src=x onerror="window.__pwned=1;' in verdict
    assert_nothing_ran(browser, server)

    browser.find_element(By.CSS_SELECTOR, "#journal tbody tr:first-child td a").click()
    entry = json.loads(wait_for(browser, lambda d: d.find_element(By.ID, "entry").text))
    assert entry["verdict"]["request"] == "invalid"
    assert "<script>window.__pwned=1;" in entry["verdict"]["detail"]
    assert abs(entry["ms"] - ms) < 0.1
    assert entry["headers"]["X-Eflow-Api-Key"] == "********"
    assert_nothing_ran(browser, server)


def test_the_deliveries_view_follows_conversions_fired_elsewhere(
    browser: WebDriver, server: LocalServer, receiver: PostbackReceiver
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server.root + "/__admin/ui/deliveries")
    browser.execute_script("window.__samePage = true")
    before = len(browser.find_elements(By.CSS_SELECTOR, "#deliveries tbody tr"))
    conversion = {"offer_id": OFFER, "affiliate_id": PARTNER, "transaction_id": "elsewhere"}
    request = urllib.request.Request(
        server.root + "/__admin/conversions?wait=5",
        data=json.dumps(conversion).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 202 or answer.status == 200

    def grown(driver: WebDriver) -> Any:
        found = table_texts(driver, "#deliveries tbody tr")
        return found if len(found) == before + 2 else None

    rows = wait_for(browser, grown)
    assert browser.execute_script("return window.__samePage") is True  # not reloaded
    shown = {}
    for cells in rows[:2]:
        shown[cells[1]] = cells
    assert shown["900100"][3] == receiver.url + "/pb?tid=elsewhere"
    assert shown["900100"][4:6] == ["delivered", "200"]
    assert shown["900001"][3] == PAYLOAD  # the planted HTML postback, rendered, as text
    assert browser.find_element(By.ID, "follow-state").text == "following"
    assert_nothing_ran(browser, server)


@pytest.fixture(scope="module")
def guarded() -> Iterator[LocalServer]:
    """A mock that wants an admin token."""
    config = MockConfig(postbacks=[planted(900001, delivery_method="html")], admin_token=TOKEN)
    local = LocalServer(create_app(config)).start()
    yield local
    local.stop()


TOKEN = "t0ken-for-the-page"


def test_with_an_admin_token_the_page_signs_in_once_and_then_works(
    browser: WebDriver, guarded: LocalServer
) -> None:
    from selenium.webdriver.common.by import By

    browser.get(guarded.root + "/__admin/")
    field = browser.find_element(By.NAME, "token")
    assert browser.find_elements(By.ID, "journal") == []  # nothing of the mock before it
    field.send_keys("wrong")
    browser.find_element(By.CSS_SELECTOR, "#token button").click()
    said = wait_for(browser, lambda d: d.find_element(By.ID, "token-result").text or None)
    assert said.startswith("HTTP 401")
    field.clear()
    field.send_keys(TOKEN)
    shoot(browser, "token")
    browser.find_element(By.CSS_SELECTOR, "#token button").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "journal"))
    assert browser.current_url == guarded.root + "/__admin/ui/"
    assert TOKEN not in str(browser.get_cookies())
    assert all(c["httpOnly"] for c in browser.get_cookies())
    names = [c["name"] for c in browser.get_cookies()]
    assert names == [f"everflow_admin_session_{guarded.port}"]  # one per port
    assert browser.execute_script("return document.cookie") == ""  # out of the script's reach

    browser.execute_script("window.__samePage = true")
    assert api_get(guarded, "/networks/pixels/900001") == 200

    def new_row(driver: WebDriver) -> Any:
        rows = table_texts(driver, "#journal tbody tr:first-child")
        return rows[0] if rows and rows[0][3] == "/v1/networks/pixels/900001" else None

    wait_for(browser, new_row)  # the journal's polls carry the session
    assert browser.find_element(By.ID, "follow-state").text == "following"
    assert browser.execute_script("return window.__samePage") is True
    browser.get(guarded.root + "/__admin/ui/postbacks/900001")
    assert "window.__pwned" in browser.find_element(By.ID, "entry").text
    assert browser.execute_script("return window.__pwned === undefined") is True
    browser.get(guarded.root + "/__admin/ui/settings")
    browser.find_element(By.ID, "reset").click()  # the reset the script sends passes too
    wait_for(browser, lambda d: "requests journaled 0 " in d.find_element(By.ID, "settings").text)
    browser.find_element(By.ID, "sign-out").click()  # the session's cookie deleted
    wait_for(browser, lambda d: d.find_elements(By.NAME, "token"))
    assert browser.get_cookies() == []
    assert browser.find_elements(By.ID, "settings") == []
    browser.delete_all_cookies()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalServer, Tally]]:
    """``everflow-mock proxy``'s app on a socket, in front of a mock whose postback 9 has a
    field the spec does not know, named with the payloads, and breaks an enum."""
    body = PostbackFactory().build(9, delivery_method="postback", pixel_level="global")
    body["pixel_status"] = "halted"
    body[PAYLOAD] = PAYLOAD
    body["brand_new_field"] = 1
    path = tmp_path_factory.mktemp("upstream") / "upstream.json"
    path.write_text(json.dumps([body]), encoding="utf-8")
    postbacks = load_data_file(path, allow_drift=True)
    upstream_app = MockApp(MockConfig(postbacks=postbacks, api_keys=("k-up",), rate_limit=None))
    with LocalServer(upstream_app) as upstream_server:
        upstream = Upstream(upstream_server.url, "k-up", rate=1000)
        tally = Tally(upstream.name, "read-only")
        proxy = LocalServer(ProxyApp(upstream, tally)).start()
        yield proxy, tally
        proxy.stop()
        upstream.close()


def test_the_proxy_s_page_shows_violations_and_drift_by_operation(
    browser: WebDriver, proxied: tuple[LocalServer, Tally]
) -> None:
    from selenium.webdriver.common.by import By

    proxy, tally = proxied
    raw = f'<script>{PWN}</script>"><svg/onload="{PWN}">'  # no space: sent as it is
    for query in ("", "?q=" + raw):
        connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
        connection.request("GET", "/v1/networks/pixels/9" + query)
        assert connection.getresponse().status == 200
        connection.close()
    browser.get(proxy.root + "/__admin/")
    assert browser.current_url == proxy.root + "/__admin/ui/"
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav a")] == ["Proxy"]
    assert len(texts(browser, "#operations tbody tr")) == 1
    cells = texts(browser, "#operations tbody tr td")
    assert cells[:3] == ["getPartnerPostback", "2", "2"]
    assert "$.pixel_status:enum: 2" in cells[3]
    # drift by JSON path; a name that is no plain word is shown by its size, as in the report
    assert cells[4].splitlines() == [
        "$.brand_new_field: 2",
        f"${shown_name(PAYLOAD)}: 2",
    ]
    assert "halted" not in browser.find_element(By.TAG_NAME, "main").text
    newest = texts(browser, "#proxy-journal tbody tr:first-child td")
    assert newest[2] == "/v1/networks/pixels/9?q=" + raw  # the query as sent, as text
    assert "a string of 6 characters" in newest[6]
    assert "k-up" not in browser.page_source
    assert tally.by_operation()["broken"] == 2
    assert browser.execute_script("return window.__pwned === undefined") is True
    assert "pwned" not in browser.title
    assert browser.find_elements(By.CSS_SELECTOR, "main img, main script, main svg") == []
    shoot(browser, "proxy")

    browser.execute_script("window.__samePage = true")
    with urllib.request.urlopen(proxy.root + "/v1/networks/pixels/9", timeout=10):
        pass

    def counted_again(driver: WebDriver) -> Any:
        cells = texts(driver, "#operations tbody tr td")
        return cells if len(cells) == 5 and cells[1] == "3" else None

    cells = wait_for(browser, counted_again)  # without a reload
    assert browser.execute_script("return window.__samePage") is True
    assert cells[2] == "3"
    assert "$.pixel_status:enum: 3" in cells[3]
    assert browser.find_element(By.ID, "run").text.startswith("3 requests for ")
    assert browser.find_element(By.ID, "follow-state").text == "following"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#proxy-journal tbody tr")) == 3
    assert browser.execute_script("return window.__pwned === undefined") is True
    assert browser.find_elements(By.CSS_SELECTOR, "main img, main script, main svg") == []
