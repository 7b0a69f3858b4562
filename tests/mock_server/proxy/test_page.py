"""The admin page as the proxy serves it: violations and drift by operation, from the
tally, behind the proxy's own guard; nothing of a body or the key on it. (In a real
browser: tests/mock_server/admin/test_page_browser.py.)"""

from __future__ import annotations

import json
import wsgiref.util
from typing import Any

import pytest

from mock_server.admin.page import CSP

from .conftest import DRIFT_ID, Proxy, leaks

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_the_proxy_view_shows_violations_and_drift_by_operation(proxy: Proxy) -> None:
    proxy.http.get("/v1/networks/pixels/1")  # production added brand_new_field: drift
    proxy.http.get(f"/v1/networks/pixels/{DRIFT_ID}")  # a pixel_status the spec lacks
    proxy.http.get(f"/v1/networks/pixels/{DRIFT_ID}")
    page = proxy.http.get("/__admin/ui/", headers=BROWSER)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Content-Security-Policy"] == CSP
    assert int(page.headers["Content-Length"]) == len(page.content)
    text = page.text
    assert "3 requests for" in text
    assert "2 answers broke the spec" in text
    assert "<td>getPartnerPostback</td><td>3</td><td>2</td>" in text
    assert "<div>$.pixel_status:enum: 2</div>" in text
    assert "<div>$.brand_new_field: 1</div>" in text
    assert "a string of 6 characters" in text  # the violation's shape, never its value
    assert "halted" not in text
    assert leaks(text) == []
    summary = proxy.tally.summary()
    assert "    $.pixel_status:enum: 2" in summary  # the same counts as the summary's


def test_a_browser_opening_the_prefix_is_sent_to_the_page_others_keep_the_404(
    proxy: Proxy,
) -> None:
    sent = proxy.http.get("/__admin/", headers=BROWSER)
    assert sent.status_code == 303
    assert sent.headers["Location"].endswith("/__admin/ui/")
    plain = proxy.http.get("/__admin/")
    assert plain.status_code == 404
    assert "no admin endpoint" in plain.json()["error"]
    assert proxy.http.get("/__admin/requests").json() == {"requests": []}
    script = proxy.http.get("/__admin/ui/static/admin.js")
    assert script.status_code == 200
    assert "textContent" in script.text


def _call(proxy: Proxy, path: str, **environ: Any) -> tuple[str, bytes]:
    request: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": path, **environ}
    wsgiref.util.setup_testing_defaults(request)
    started: list[str] = []
    body = b"".join(proxy.app(request, lambda status, headers: started.append(status)))
    return started[0], body


def test_the_page_answers_loopback_clients_only_and_no_other_site(proxy: Proxy) -> None:
    assert _call(proxy, "/__admin/ui/", REMOTE_ADDR="127.0.0.1")[0].startswith("200")
    status, body = _call(proxy, "/__admin/ui/", REMOTE_ADDR="192.0.2.7")
    assert status.startswith("403")
    assert b"loopback clients only" in body
    status, body = _call(
        proxy, "/__admin/ui/", REMOTE_ADDR="127.0.0.1", HTTP_SEC_FETCH_SITE="cross-site"
    )
    assert status.startswith("403")
    assert isinstance(json.loads(body)["error"], str)  # the guard's reason, in Everflow's shape
    status, _ = _call(proxy, "/__admin/ui/", REMOTE_ADDR="127.0.0.1", HTTP_HOST="evil.example:4011")
    assert status.startswith("403")


def test_the_view_s_poll_gives_the_same_counts_as_json(proxy: Proxy) -> None:
    proxy.http.get(f"/v1/networks/pixels/{DRIFT_ID}")
    now = proxy.http.get("/__admin/ui/proxy.json").json()
    assert now["said"].startswith("1 request for ")
    assert "1 answer broke the spec" in now["said"]
    (operation,) = now["run"]["operations"]
    assert operation["violations"] == [["$.pixel_status:enum", 1]]
    (row,) = now["rows"]
    assert row["path"] == f"/v1/networks/pixels/{DRIFT_ID}"
    assert row["violations"].startswith("$.pixel_status:enum at $.pixel_status: expected ")
    assert leaks(str(now)) == []


def test_a_journal_row_names_each_part_of_its_entry() -> None:
    import re

    from mock_server.proxy.page import proxy_page
    from mock_server.proxy.tally import MAX_NAMED, Tally
    from openapi.remote.findings import Finding

    tally = Tally("https://up/v1", "read-only")
    errors = [
        Finding("up", "p", 1, f"rule{n}", f"$.f{n}", "an integer", "a string")
        for n in range(MAX_NAMED + 2)
    ]
    drift = [
        Finding("up", "p", 1, "undocumented_field", f"$.new{n}", "", "present", "warning")
        for n in range(2)
    ]
    common = {"method": "GET", "operation": "getPartnerPostback", "dropped_headers": None}
    tally.add(
        **common,
        path="/v1/networks/pixels/1",
        query="page=2",
        status=200,
        outcome="answered",
        findings=errors + drift,
    )
    tally.add(
        **common, path="/v1/networks/pixels/2", query="", status=504, outcome="timeout", findings=[]
    )
    newest, oldest = proxy_page(tally).test_client().get("/__admin/ui/proxy.json").json["rows"]
    assert re.fullmatch(r"\d\d:\d\d:\d\d", oldest["time"])
    assert oldest["method"] == "GET"
    assert oldest["path"] == "/v1/networks/pixels/1?page=2"
    assert oldest["status"] == "200"
    assert oldest["operation"] == "getPartnerPostback"
    assert oldest["upstream"] == "answered"
    named = oldest["violations"].split("; ")
    assert named[0] == "rule0 at $.f0: expected an integer, got a string"
    assert len(named) == MAX_NAMED
    assert named[-1].endswith(" (and 2 more)")
    assert oldest["drift"] == "$.new0, $.new1"
    assert (newest["path"], newest["status"], newest["upstream"]) == (
        "/v1/networks/pixels/2",
        "504",
        "timeout",
    )
    assert (newest["violations"], newest["drift"]) == ("", "")


def test_a_journal_row_shows_the_time_its_request_came(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from mock_server.proxy.page import proxy_page
    from mock_server.proxy.tally import Tally

    tally = Tally("https://up/v1", "read-only")
    came = time.time() - 3 * 3600 - 125  # hours ago: no clock reads it as now
    with monkeypatch.context() as patched:
        patched.setattr(time, "time", lambda: came)
        tally.add(
            method="GET",
            path="/v1/networks/pixels/1",
            query="",
            operation="getPartnerPostback",
            status=200,
            outcome="answered",
            findings=[],
        )
    (row,) = proxy_page(tally).test_client().get("/__admin/ui/proxy.json").json["rows"]
    assert row["time"] == time.strftime("%H:%M:%S", time.localtime(came))
