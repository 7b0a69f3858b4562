"""What a test author does with the fixtures: isolation, delays and timeouts, verification of
what was requested, failure injection, data files, clear errors from ``add``."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest
import requests
import respx

from fixtures import PostbackFactory
from mock_server.core.callers import everflow_hosts
from mock_server.core.config import MockConfig
from mock_server.testing import Answer
from mock_server.testing.handle import SHOWN, InvalidPostback
from mock_server.testing.mocks import HTTPX_ERRORS, EverflowMock, EverflowServer
from mock_server.testing.pool import MockPool

BASE = "https://api.eflow.team/v1"
KEY = {"X-Eflow-Api-Key": "downstream-key"}


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_downstream=source)
    return pytester.runpytest("-p", "no:cacheprovider", "-q", *args)


# --- isolation ---------------------------------------------------------------------------

DRAWS = """
import json, pathlib
import httpx, pytest

KEY = {"X-Eflow-Api-Key": "k"}

def outcomes(base):
    seen = []
    for _ in range(16):
        try:
            answer = httpx.get(base + "/networks/pixels/3", headers=KEY)
            answer.json()
            seen.append("ok")
        except (httpx.TransportError, ValueError):
            seen.append("fault")
    return seen

def note(name, seen):
    with pathlib.Path("draws.jsonl").open("a") as out:
        out.write(json.dumps([name, seen]) + "\\n")

@pytest.mark.everflow(fault_rate=0.5)
@pytest.mark.parametrize("n", [1, 2, 3])
def test_in_process(everflow_mock, n):
    note(f"mock{n}", outcomes("https://api.eflow.team/v1"))

@pytest.mark.everflow(fault_rate=0.5)
@pytest.mark.parametrize("n", [1, 2])
def test_on_a_socket(everflow_server, n):
    note(f"server{n}", outcomes(everflow_server.url))

def test_queued_answers_end_with_their_test(everflow_mock, everflow_server):
    everflow_mock.queue("getPartnerPostback", [500, 500])
    everflow_server.queue("getPartnerPostback", [500, 500])

def test_the_next_test_is_served_normally(everflow_mock, everflow_server):
    assert httpx.get("https://api.eflow.team/v1/networks/pixels/3", headers=KEY).status_code == 200
    assert httpx.get(everflow_server.url + "/networks/pixels/3", headers=KEY).status_code == 200
"""


def _draws(pytester: pytest.Pytester) -> dict[str, list[str]]:
    path = pytester.path / "draws.jsonl"
    found = dict(json.loads(line) for line in path.read_text().splitlines())
    path.unlink()
    return found


@pytest.mark.slow
def test_fault_draws_restart_in_every_test_whatever_runs_before(
    pytester: pytest.Pytester,
) -> None:
    run(pytester, DRAWS).assert_outcomes(passed=7)
    whole_run = _draws(pytester)
    first = whole_run["mock1"]
    assert "ok" in first
    assert "fault" in first
    # Each test draws the same sequence, in-process and on a socket (same seed).
    assert all(seen == first for seen in whole_run.values()), whole_run
    run(pytester, DRAWS, "-k", "in_process and 3").assert_outcomes(passed=1, deselected=6)
    assert _draws(pytester) == {"mock3": first}
    run(pytester, DRAWS, "-k", "socket and 2").assert_outcomes(passed=1, deselected=6)
    assert _draws(pytester) == {"server2": first}


ASYNC_DELAYS = """
import asyncio, time
import httpx, pytest

URL = "https://api.eflow.team/v1/networks/pixels/3"
KEY = {"X-Eflow-Api-Key": "k"}

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.anyio
async def test_concurrent_delays_overlap(everflow_mock):
    async with httpx.AsyncClient(headers={**KEY, "Prefer": "delay=500"}) as client:
        start = time.monotonic()
        answers = await asyncio.gather(*(client.get(URL) for _ in range(10)))
        took = time.monotonic() - start
    assert [a.status_code for a in answers] == [200] * 10
    assert 0.5 <= took < 2.5, took  # one after another: 5 s

@pytest.mark.anyio
async def test_the_loop_runs_while_an_answer_waits(everflow_mock):
    ticks = 0
    async def tick():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1
    ticker = asyncio.ensure_future(tick())
    async with httpx.AsyncClient(headers=KEY) as client:
        answer = await client.get(URL, headers={"Prefer": "delay=300"})
    ticker.cancel()
    assert answer.status_code == 200 and ticks >= 10

@pytest.mark.anyio
async def test_wait_for_cancels_a_delayed_call(everflow_mock):
    async with httpx.AsyncClient(headers=KEY) as client:
        start = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.get(URL, headers={"Prefer": "delay=5000"}), 0.2)
        assert time.monotonic() - start < 3.0

@pytest.mark.anyio
async def test_async_read_timeout(everflow_mock):
    async with httpx.AsyncClient(headers=KEY, timeout=0.2) as client:
        start = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            await client.get(URL, headers={"Prefer": "delay=4000"})
        assert time.monotonic() - start < 2.5
"""


@pytest.mark.slow
def test_async_delays_do_not_block_the_event_loop(pytester: pytest.Pytester) -> None:
    run(pytester, ASYNC_DELAYS).assert_outcomes(passed=4)


def test_a_delay_past_the_clients_read_timeout_raises_its_timeout(
    everflow_mock: EverflowMock,
) -> None:
    url = f"{BASE}/networks/pixels/3"
    start = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(url, headers={**KEY, "Prefer": "delay=4000"}, timeout=0.2)
    assert 0.2 <= time.monotonic() - start < 2.5
    start = time.monotonic()
    assert httpx.get(url, headers={**KEY, "Prefer": "delay=300"}, timeout=2).status_code == 200
    assert time.monotonic() - start >= 0.3


def test_a_delay_of_exactly_the_read_timeout_is_answered(everflow_mock: EverflowMock) -> None:
    url = f"{BASE}/networks/pixels/3"
    headers = {**KEY, "Prefer": "delay=50"}

    async def get() -> int:
        async with httpx.AsyncClient(timeout=0.05) as client:
            return (await client.get(url, headers=headers)).status_code

    assert httpx.get(url, headers=headers, timeout=0.05).status_code == 200
    assert asyncio.run(get()) == 200


@pytest.mark.everflow(delay=400)
def test_the_markers_delay_honours_the_timeout_too(everflow_mock: EverflowMock) -> None:
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{BASE}/networks/pixels/3", headers=KEY, timeout=0.1)


# --- verification ------------------------------------------------------------------------


def _create_list_get(base: str, client: httpx.Client | requests.Session, body: dict) -> None:
    assert client.post(f"{base}/networks/pixels", json=body, headers=KEY).status_code == 200
    page = client.get(
        f"{base}/networks/pixels",
        params=[("page", "2"), ("filter", "pixel_type=cpc"), ("filter", "pixel_status=active")],
        headers=KEY,
    )
    assert page.status_code == 200
    assert client.get(f"{base}/networks/pixels/999999", headers=KEY).status_code == 404


@pytest.mark.parametrize("kind", ["mock", "server"])
def test_requests_show_what_the_test_sent_in_order(
    kind: str,
    everflow_mock: EverflowMock,
    everflow_server: EverflowServer,
    everflow_factory: PostbackFactory,
) -> None:
    body = everflow_factory.build_input(delivery_method="html", pixel_level="global")
    if kind == "mock":
        mock: EverflowMock | EverflowServer = everflow_mock
        _create_list_get(BASE, httpx.Client(), body)
    else:
        mock = everflow_server
        _create_list_get(everflow_server.url, requests.Session(), body)
    create, page, missing = mock.requests
    assert (create["operation"], create["method"], create["path"]) == (
        "createPartnerPostback",
        "POST",
        "/v1/networks/pixels",
    )
    assert create["json"] == body
    assert create["status"] == 200
    assert create["path_params"] == {}
    assert create["headers"]["X-Eflow-Api-Key"] == "********"
    assert "downstream-key" not in repr(mock.requests)
    assert page["operation"] == "listPartnerPostbacks"
    assert page["query"] == {"page": "2", "filter": ["pixel_type=cpc", "pixel_status=active"]}
    assert page["json"] is None
    assert (missing["operation"], missing["path_params"], missing["status"]) == (
        "getPartnerPostback",
        {"pixelId": 999999},
        404,
    )
    assert mock.assert_requested("createPartnerPostback", times=1, json=body) == [create]
    mock.assert_requested("listPartnerPostbacks", query={"page": 2})
    mock.assert_requested(
        "listPartnerPostbacks", query={"filter": ["pixel_type=cpc", "pixel_status=active"]}
    )
    mock.assert_requested("deletePartnerPostback", times=0)


def test_the_admin_journal_carries_bodies(everflow_server: EverflowServer) -> None:
    body = {"query": {"filters": {"status": "active"}}}
    url = f"{everflow_server.url}/networks/pixelstable"
    assert requests.post(url, json=body, headers=KEY).status_code == 200
    journal = requests.get(f"{everflow_server.root}/__admin/requests").json()["requests"]
    (entry,) = journal
    assert entry["operation"] == "searchPartnerPostbacks"
    assert entry["json"] == body
    assert json.loads(entry["body"]) == body


def test_assert_requested_lists_what_was_requested_instead(everflow_mock: EverflowMock) -> None:
    httpx.get(f"{BASE}/networks/pixels/3", headers=KEY)
    httpx.post(f"{BASE}/networks/pixels", json={"pixel_type": "cpc"}, headers=KEY)
    with pytest.raises(AssertionError) as failure:
        everflow_mock.assert_requested("createPartnerPostback", json={"pixel_type": "event"})
    assert str(failure.value).splitlines() == [
        "everflow_mock: expected createPartnerPostback with json={'pixel_type': 'event'} "
        "at least once, found 0; the 2 requests of this test:",
        "  1. getPartnerPostback GET /v1/networks/pixels/3 -> 200",
        "  2. createPartnerPostback POST /v1/networks/pixels json={'pixel_type': 'cpc'} -> 400",
    ]
    with pytest.raises(AssertionError, match="expected getPartnerPostback 2 times, found 1"):
        everflow_mock.assert_requested("getPartnerPostback", times=2)
    with pytest.raises(ValueError, match="unknown operation 'getPostback'; the operations are"):
        everflow_mock.assert_requested("getPostback")


def test_a_failed_assert_requested_points_at_the_test_s_line_not_the_kit_s(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
def test_expects_a_create(everflow_mock):
    everflow_mock.assert_requested("createPartnerPostback")
""",
    )
    result.assert_outcomes(failed=1)
    shown = result.stdout.str()
    assert '>       everflow_mock.assert_requested("createPartnerPostback")' in shown
    assert "handle.py" not in shown


def test_assert_requested_times_is_exact_not_at_least(everflow_mock: EverflowMock) -> None:
    for _ in range(3):
        httpx.get(f"{BASE}/networks/pixels/3", headers=KEY)
    assert len(everflow_mock.assert_requested("getPartnerPostback", times=3)) == 3
    for fewer in (0, 1, 2):
        with pytest.raises(AssertionError, match="found 3; the 3 requests of this test"):
            everflow_mock.assert_requested("getPartnerPostback", times=fewer)
    with pytest.raises(AssertionError, match="expected getPartnerPostback 4 times, found 3"):
        everflow_mock.assert_requested("getPartnerPostback", times=4)


def test_assert_requested_with_no_requests(everflow_server: EverflowServer) -> None:
    with pytest.raises(AssertionError) as failure:
        everflow_server.assert_requested("getPartnerPostback")
    assert str(failure.value).splitlines()[1:] == ["  (none)"]
    assert "everflow_server: expected getPartnerPostback at least once" in str(failure.value)


# --- failure injection -------------------------------------------------------------------


def test_a_route_the_test_adds_wins_over_the_kits(everflow_mock: EverflowMock) -> None:
    route = everflow_mock.router.get(f"{BASE}/networks/pixels/3").respond(503, text="down")
    everflow_mock.router.route(method="POST", host="api-eu.eflow.team").respond(418)
    answer = httpx.get(f"{BASE}/networks/pixels/3", headers=KEY)
    assert (answer.status_code, answer.text) == (503, "down")
    assert route.called
    assert (
        httpx.post("https://api-eu.eflow.team/v1/networks/pixels", headers=KEY).status_code == 418
    )
    # Everything else is still the kit's.
    assert httpx.get(f"{BASE}/networks/pixels/4", headers=KEY).json()["network_pixel_id"] == 4
    assert [r["path"] for r in everflow_mock.requests] == ["/v1/networks/pixels/4"]


def test_a_route_the_test_names_is_found_by_its_name(everflow_mock: EverflowMock) -> None:
    everflow_mock.router.get(f"{BASE}/networks/pixels/3", name="down").respond(503)
    assert httpx.get(f"{BASE}/networks/pixels/3", headers=KEY).status_code == 503
    assert everflow_mock.router["down"].call_count == 1


def test_routes_a_test_adds_are_tried_in_their_order_and_before_the_kits(
    everflow_mock: EverflowMock,
) -> None:
    first = everflow_mock.router.get(f"{BASE}/networks/pixels/3", name="first").respond(503)
    everflow_mock.router.get(url__regex=r"/networks/pixels/[0-9]+$", name="second").respond(502)
    assert httpx.get(f"{BASE}/networks/pixels/3", headers=KEY).status_code == 503
    assert httpx.get(f"{BASE}/networks/pixels/4", headers=KEY).status_code == 502
    assert httpx.get(f"{BASE}/networks/pixels", headers=KEY).status_code == 200
    assert everflow_mock.router["first"] is first
    assert (first.call_count, everflow_mock.router["second"].call_count) == (1, 1)


def test_queued_answers_in_process(everflow_mock: EverflowMock) -> None:
    everflow_mock.queue("getPartnerPostback", [httpx.ConnectTimeout, 503, "malformed", 200])
    everflow_mock.queue("getPartnerPostback", 504)
    url = f"{BASE}/networks/pixels/3"
    with pytest.raises(httpx.ConnectTimeout) as raised:
        httpx.get(url, headers=KEY)
    assert raised.value.request.url == url
    gateway = httpx.get(url, headers=KEY)
    assert gateway.status_code == 503
    assert gateway.headers["content-type"] == "text/html"
    assert "503 Service Unavailable" in gateway.text
    with pytest.raises(json.JSONDecodeError):
        httpx.get(url, headers=KEY).json()
    for status in (200, 504, 200, 200):
        assert httpx.get(url, headers=KEY).status_code == status
    # Other operations are not touched.
    assert httpx.get(f"{BASE}/networks/pixels", headers=KEY).status_code == 200
    assert [r["status"] for r in everflow_mock.requests] == [
        None,
        503,
        200,
        200,
        504,
        200,
        200,
        200,
    ]
    everflow_mock.assert_requested("getPartnerPostback", times=7)


def test_queued_exception_instances_and_other_errors(everflow_mock: EverflowMock) -> None:
    everflow_mock.queue("createPartnerPostback", [httpx.ReadError("boom"), ConnectionError("no")])
    body = {"pixel_type": "cpc"}
    with pytest.raises(httpx.ReadError, match="boom"):
        httpx.post(f"{BASE}/networks/pixels", json=body, headers=KEY)
    with pytest.raises(ConnectionError, match="no"):
        httpx.post(f"{BASE}/networks/pixels", json=body, headers=KEY)
    everflow_mock.assert_requested("createPartnerPostback", times=2, json=body)


def test_a_queued_exception_class_is_raised_with_a_message_naming_it(
    everflow_mock: EverflowMock,
) -> None:
    everflow_mock.queue("getPartnerPostback", [httpx.ConnectTimeout, ConnectionError])
    url = f"{BASE}/networks/pixels/3"
    with pytest.raises(httpx.ConnectTimeout) as raised:
        httpx.get(url, headers=KEY)
    assert str(raised.value) == "everflow_mock: ConnectTimeout queued for getPartnerPostback"
    # A HEAD is answered as its GET: the queued exception is its too.
    with pytest.raises(ConnectionError) as raised_too:
        httpx.head(url, headers=KEY)
    assert str(raised_too.value) == "everflow_mock: ConnectionError queued for getPartnerPostback"
    assert [(r["method"], r["status"]) for r in everflow_mock.requests] == [
        ("GET", None),
        ("HEAD", None),
    ]


def test_a_queued_exception_that_would_end_the_test_run_is_raised_as_a_runtime_error(
    everflow_mock: EverflowMock,
) -> None:
    """``SystemExit`` or ``KeyboardInterrupt`` raised in the client would stop pytest
    itself: the test gets a ``RuntimeError`` with the same words instead."""
    everflow_mock.queue("getPartnerPostback", [SystemExit, KeyboardInterrupt("stop here")])
    url = f"{BASE}/networks/pixels/3"
    with pytest.raises(RuntimeError) as raised:
        httpx.get(url, headers=KEY)
    assert str(raised.value) == "everflow_mock: SystemExit queued for getPartnerPostback"
    with pytest.raises(RuntimeError, match=r"^stop here$"):
        httpx.get(url, headers=KEY)


def test_a_streamed_body_answered_by_a_queued_exception_is_journaled(
    everflow_mock: EverflowMock,
) -> None:
    """An adapter of another client may hand ``answer`` a request whose body is not read
    yet (respx reads httpx's before)."""
    everflow_mock.queue("createPartnerPostback", httpx.ReadError("boom"))
    request = httpx.Request(
        "POST",
        f"{BASE}/networks/pixels",
        content=iter([b'{"pixel_type": ', b'"cpc"}']),
        headers={**KEY, "Content-Type": "application/json"},
    )
    with pytest.raises(httpx.ReadError):
        everflow_mock.answer(request, None, HTTPX_ERRORS)
    (entry,) = everflow_mock.requests
    assert entry["json"] == {"pixel_type": "cpc"}


def test_a_client_without_a_read_timeout_is_answered(everflow_mock: EverflowMock) -> None:
    with httpx.Client(timeout=None) as client:
        answer = client.get(f"{BASE}/networks/pixels/3", headers={**KEY, "Prefer": "delay=10"})
    assert answer.status_code == 200


def test_a_queued_exception_is_raised_at_once_not_after_a_delay(
    everflow_mock: EverflowMock,
) -> None:
    """Were it waited for like a delay, a client's short read timeout would end in the
    client's own ``ReadTimeout`` instead of the exception the test queued."""
    everflow_mock.queue("getPartnerPostback", httpx.ConnectTimeout)
    with pytest.raises(httpx.ConnectTimeout):
        httpx.get(f"{BASE}/networks/pixels/3", headers=KEY, timeout=0.2)


def test_plain_http_to_everflow_raises_httpxs_connect_error_naming_the_call(
    everflow_mock: EverflowMock,
) -> None:
    with pytest.raises(httpx.ConnectError) as refused:
        httpx.post("http://api.eflow.team/v1/networks/pixels", json={}, headers=KEY)
    assert str(refused.value).startswith(
        "everflow_mock: POST http://api.eflow.team/v1/networks/pixels is not answered: "
    )
    assert refused.value.request.method == "POST"
    assert everflow_mock.requests == []


def test_queued_answers_on_a_socket(everflow_server: EverflowServer) -> None:
    everflow_server.queue("getPartnerPostback", [502, "reset", 429, 500])
    url = f"{everflow_server.url}/networks/pixels/3"
    assert requests.get(url, headers=KEY).status_code == 502
    with pytest.raises(requests.ConnectionError):
        requests.get(url, headers=KEY)
    limited = requests.get(url, headers=KEY)
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert requests.get(url, headers=KEY).status_code == 500
    assert requests.get(url, headers=KEY).status_code == 200
    everflow_server.assert_requested("getPartnerPostback", times=5)


@pytest.mark.parametrize(
    ("operation", "answers", "message"),
    [
        ("getPostback", [500], "unknown operation 'getPostback'"),
        ("getPartnerPostback", [418], "status 418 is not one of 200, 400, 401"),
        ("getPartnerPostback", ["slow"], "fault 'slow' is not one of reset, empty, malformed"),
        ("getPartnerPostback", [1.5], "1.5 is not a status, a fault name or an exception"),
        ("getPartnerPostback", [200] * 1001, "at most 1000 answers"),
    ],
)
def test_queue_refuses_what_the_mock_cannot_answer(
    everflow_mock: EverflowMock, operation: str, answers: list[object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        everflow_mock.queue(operation, answers)  # type: ignore[arg-type]


def test_the_server_cannot_raise_in_the_client(everflow_server: EverflowServer) -> None:
    with pytest.raises(ValueError, match=r"only everflow_mock \(in-process\) can raise"):
        everflow_server.queue("getPartnerPostback", [httpx.ConnectTimeout])


@pytest.mark.parametrize("code", [502, 503, 504])
def test_prefer_gateway_codes(
    code: int, everflow_mock: EverflowMock, everflow_server: EverflowServer
) -> None:
    for base in (BASE, everflow_server.url):
        answer = httpx.get(f"{base}/networks/pixels/3", headers={**KEY, "Prefer": f"code={code}"})
        assert answer.status_code == code
        assert answer.headers["content-type"] == "text/html"
        assert f"<title>{code} " in answer.text


# --- data files, add ---------------------------------------------------------------------


def test_a_marker_data_file_is_found_next_to_its_test_module(pytester: pytest.Pytester) -> None:
    """Relative to the test module's folder, wherever pytest was started from."""
    folder = pytester.path / "tests" / "sub"
    folder.mkdir(parents=True)
    (folder / "postbacks.json").write_text(json.dumps([PostbackFactory(seed=4).build(900)]))
    (folder / "test_sub.py").write_text(
        "import pytest\n\n"
        '@pytest.mark.everflow(data="postbacks.json")\n'
        "def test_it(everflow_mock):\n"
        '    assert [p["network_pixel_id"] for p in everflow_mock.postbacks] == [900]\n'
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "tests/sub/test_sub.py")
    result.assert_outcomes(passed=1)


def test_the_marker_takes_a_data_file_for_both_fixtures(pytester: pytest.Pytester) -> None:
    factory = PostbackFactory(seed=4)
    data = [factory.build(900, delivery_method="tiktok"), factory.build(901)]
    (pytester.path / "data").mkdir()
    (pytester.path / "data" / "postbacks.json").write_text(json.dumps(data))
    (pytester.path / "data" / "bad.json").write_text(json.dumps([{**data[0], "delay_ms": -1}]))
    result = run(
        pytester,
        """
import httpx, pytest, requests

KEY = {"X-Eflow-Api-Key": "k"}
pytestmark = pytest.mark.everflow(data="data/postbacks.json")

def test_in_process(everflow_mock):
    assert [p["network_pixel_id"] for p in everflow_mock.postbacks] == [900, 901]
    answer = httpx.get("https://api.eflow.team/v1/networks/pixels/900", headers=KEY)
    assert answer.json()["delivery_method"] == "tiktok"
    assert httpx.get("https://api.eflow.team/v1/networks/pixels/3", headers=KEY).status_code == 404

def test_on_a_socket(everflow_server):
    assert requests.get(everflow_server.url + "/networks/pixels/901", headers=KEY).status_code == 200
    assert requests.get(everflow_server.url + "/networks/pixels/3", headers=KEY).status_code == 404

@pytest.mark.everflow(data="data/bad.json")
def test_bad_file(everflow_mock):
    pass

@pytest.mark.everflow(data="data/missing.json")
def test_missing_file(everflow_server):
    pass
""",
        "-rE",
    )
    result.assert_outcomes(passed=2, errors=2)
    out = result.stdout.str()
    assert "@pytest.mark.everflow: data: " in out
    assert "bad.json: 1 of 1 records" in out
    assert "$.delay_ms" in out
    assert "missing.json: cannot read" in out
    assert "Traceback" not in out


def test_add_names_the_postback_not_a_record(
    everflow_mock: EverflowMock, everflow_factory: PostbackFactory
) -> None:
    bad = {**everflow_factory.build(1234, delivery_method="postback"), "delay_ms": 400000}
    with pytest.raises(InvalidPostback) as raised:
        everflow_mock.add(bad)
    message = str(raised.value)
    assert message.startswith("postback 1234 breaks the spec; it was not added:\n")
    assert "delay_ms" in message
    # every problem of the postback, without the data file's "record N" heading
    assert message.splitlines()[1:] == raised.value.problems[0].lines()[1:]
    assert "record 0" not in message
    good = everflow_factory.build(1235)
    with pytest.raises(ValueError, match="none was added") as many:
        everflow_mock.add_many([good, bad])
    assert str(many.value).splitlines()[:2] == [
        "1 of 2 postbacks break the spec; none was added:",
        "postback 1234 (item 1):",
    ]
    assert 1235 not in [p["network_pixel_id"] for p in everflow_mock.postbacks]


def test_add_of_a_postback_without_an_id(everflow_server: EverflowServer) -> None:
    with pytest.raises(InvalidPostback, match=r"^postback None breaks the spec") as raised:
        everflow_server.add({"delivery_method": "html"})
    assert "network_pixel_id" in str(raised.value)
    assert "record 0" not in str(raised.value)


def test_data_paths_are_relative_to_the_test_file(tmp_path: Path) -> None:
    from mock_server.testing.marker import marker_settings

    PostbackFactory(seed=1)
    (tmp_path / "one.json").write_text(json.dumps([PostbackFactory(seed=1).build(77)]))
    settings = marker_settings([((), {"data": "one.json"})], 0, tmp_path)
    assert [p["network_pixel_id"] for p in settings.config.postbacks or []] == [77]
    again = marker_settings([((), {"data": tmp_path / "one.json"})], 0, Path("/"))
    assert again == settings  # one load, one mock, for every test naming the file


# --- the session's pool: what one test changes never reaches the next -----------------

URL = "https://api.eflow.team/v1/networks/pixels/3"
OTHER = "https://partner.example/hook"


@pytest.fixture
def pool() -> MockPool:
    return MockPool()


def test_the_router_is_kept_but_each_test_starts_from_the_kits_routes(pool: MockPool) -> None:
    config = MockConfig()
    with pool.mock(config, pass_through_unmatched=False) as first:
        first.router.get(OTHER).respond(418)
        assert httpx.get(OTHER).status_code == 418
        assert httpx.get(URL, headers=KEY).status_code == 200
        assert first.router.calls.call_count == 2
        first.state.store.delete(4)
    with pool.mock(config, pass_through_unmatched=False) as second:
        assert second.router is first.router  # kept: a new router costs every test
        assert second.router.calls.call_count == 0
        with pytest.raises(respx.models.AllMockedAssertionError):
            httpx.get(OTHER)  # the first test's route went with it
        assert httpx.get(URL, headers=KEY).status_code == 200
        assert httpx.get(URL.replace("/3", "/4"), headers=KEY).status_code == 200
        assert len(second.requests) == 2  # the journal starts empty too
    with pool.mock(config, pass_through_unmatched=True) as other:
        assert other.router is not first.router  # another route set, another router


def test_a_route_added_to_a_new_pool_s_router_wins_over_the_kits(pool: MockPool) -> None:
    with pool.mock(MockConfig(), pass_through_unmatched=True) as mock:
        mock.router.get(URL).respond(503, text="down")
        assert httpx.get(URL, headers=KEY).status_code == 503
        assert httpx.get(URL.replace("/3", "/4"), headers=KEY).status_code == 200
        assert [entry["path"] for entry in mock.requests] == ["/v1/networks/pixels/4"]


def test_unmatched_hosts_still_fail_on_a_kept_router(pool: MockPool) -> None:
    config = MockConfig()
    for _ in range(2):
        with (
            pool.mock(config, pass_through_unmatched=False),
            pytest.raises(respx.models.AllMockedAssertionError),
        ):
            httpx.get("https://example.com/")


def test_both_regions_are_answered(pool: MockPool) -> None:
    assert everflow_hosts() == ("api.eflow.team", "api-eu.eflow.team")  # the spec's servers
    with pool.mock(MockConfig(), pass_through_unmatched=False):
        for host in everflow_hosts():
            answer = httpx.get(f"https://{host}/v1/networks/pixels/3", headers=KEY)
            assert answer.json()["network_pixel_id"] == 3


def test_a_wire_fault_is_journaled_as_no_answer_and_named(pool: MockPool) -> None:
    with pool.mock(MockConfig(), pass_through_unmatched=False) as mock:
        mock.queue("getPartnerPostback", ["reset", "empty", "malformed", 429])
        for _ in range(4):
            with contextlib.suppress(httpx.TransportError):
                httpx.get(URL, headers=KEY)
        seen = [(entry["status"], entry.get("fault")) for entry in mock.requests]
    assert seen == [(None, "reset"), (None, "empty"), (200, "malformed"), (429, None)]


@pytest.mark.slow
def test_the_in_process_mock_starts_no_server_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from mock_server.testing.pool import MockPool\n"
        "from mock_server.core.config import MockConfig\n"
        "pool = MockPool()\n"
        "with pool.mock(MockConfig(), False):\n"
        "    pass\n"
        "print('mock_server.testing.local_server' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"  # everflow_mock's first use imports no server


RETRY_AT = datetime(2026, 1, 2, 0, 2, tzinfo=timezone.utc)
RETRY_AT_TEXT = "Fri, 02 Jan 2026 00:02:00 GMT"


def test_a_queued_answer_carries_its_own_headers_and_body(everflow_mock: EverflowMock) -> None:
    url = f"{BASE}/networks/pixels/3"
    everflow_mock.queue(
        "getPartnerPostback",
        [
            429,
            Answer(429, headers={"Retry-After": 120}),
            Answer(429, headers={"retry-after": "5", "X-Request-Id": "r-1"}),
            Answer(503, headers={"Retry-After": RETRY_AT}, body="<h1>down</h1>"),
            Answer(500, json={"error": "An internal error occurred."}),
        ],
    )
    seen = [httpx.get(url, headers=KEY) for _ in range(5)]
    assert [answer.headers["Retry-After"] for answer in seen[:4]] == [
        "1",
        "120",
        "5",
        RETRY_AT_TEXT,
    ]
    assert seen[1].headers.get_list("Retry-After") == ["120"]  # replaced, not added
    assert seen[1].headers["X-RateLimit-Remaining"] == "0"  # the mock's other headers stay
    assert seen[1].json() == {"error": "Rate limit exceeded. Please slow down."}
    assert seen[2].headers["X-Request-Id"] == "r-1"
    assert (seen[3].status_code, seen[3].text) == (503, "<h1>down</h1>")
    assert seen[3].headers["content-type"] == "text/html"
    assert seen[4].json() == {"error": "An internal error occurred."}
    assert [entry["status"] for entry in everflow_mock.requests] == [429, 429, 429, 503, 500]


def test_a_429_may_say_when_to_retry_as_an_http_date(everflow_mock: EverflowMock) -> None:
    everflow_mock.queue("getPartnerPostback", Answer(429, headers={"Retry-After": RETRY_AT}))
    late = httpx.get(f"{BASE}/networks/pixels/3", headers=KEY)
    assert (late.status_code, late.headers["Retry-After"]) == (429, RETRY_AT_TEXT)
    with pytest.raises(ValueError, match="Retry-After 'soon' is neither seconds nor an HTTP date"):
        everflow_mock.queue("getPartnerPostback", Answer(429, headers={"Retry-After": "soon"}))


def test_an_answer_outside_the_spec_needs_breach(everflow_mock: EverflowMock) -> None:
    drained = Answer(429, headers={"X-RateLimit-Remaining": "-1"})
    with pytest.raises(ValueError, match=r"X-RateLimit-Remaining on a 429 as an integer >= 0"):
        everflow_mock.queue("getPartnerPostback", drained)
    with pytest.raises(ValueError, match="the body breaks the spec's EverflowError"):
        everflow_mock.queue("getPartnerPostback", Answer(404, json={"message": "gone"}))
    with pytest.raises(ValueError, match="breaks the spec's PartnerPostback"):
        everflow_mock.queue("getPartnerPostback", Answer(200, json={"network_pixel_id": "3"}))
    with pytest.raises(ValueError, match="JSON body on a 500; the body is not JSON"):
        everflow_mock.queue("getPartnerPostback", Answer(500, body="oops"))
    assert everflow_mock.state.answers.pending("getPartnerPostback") == 0  # nothing half-queued
    everflow_mock.queue(
        "getPartnerPostback",
        [
            Answer(429, headers={"X-RateLimit-Remaining": "-1"}, breach=True),
            Answer(404, json={"message": "gone"}, breach=True),
            Answer(500, body="oops", content_type="text/plain", breach=True),
        ],
    )
    url = f"{BASE}/networks/pixels/3"
    assert httpx.get(url, headers=KEY).headers["X-RateLimit-Remaining"] == "-1"
    assert httpx.get(url, headers=KEY).json() == {"message": "gone"}
    broken = httpx.get(url, headers=KEY)
    assert (broken.status_code, broken.text, broken.headers["content-type"]) == (
        500,
        "oops",
        "text/plain",
    )


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Answer(418), "status 418 is not one of"),
        (Answer(200), "a 200 needs a body of its own"),
        (
            Answer(429, headers={"Retry-After": "soon"}),
            "'soon' is neither seconds nor an HTTP date",
        ),
        (Answer(429, headers={"X-A": "1\r\nSet-Cookie: x"}, breach=True), "line break"),
        (Answer(429, headers={"Content-Length": "0"}, breach=True), "set by the mock"),
        (Answer(429, headers={"bad name": "1"}), "is not a token"),
        (Answer(429, json={"error": "x"}, body="y"), "json or body, not both"),
        (Answer(500, body="x" * (1024 * 1024 + 1), breach=True), "larger than 1048576 bytes"),
        (Answer(500, json={"error": float("nan")}, breach=True), "json is not JSON data"),
        (Answer(500, json={"error": object()}, breach=True), "json is not JSON data"),
        (Answer(429, headers={"X-A": "\u2603"}, breach=True), "only Latin-1"),
        (Answer(429, headers={f"X-{n}": n for n in range(101)}), "at most 100 headers"),
        (Answer(500, body="x", content_type="text/plain\r\nX: y", breach=True), "line break"),
        (Answer(503, headers={"X-A": "a\x01b"}, breach=True), "control character U+0001"),
        (Answer(503, headers={"X-A": "a\x7fb"}, breach=True), "control character U+007F"),
        (Answer(503, headers={"X-A": "a\x1f"}), "control character U+001F"),
        (Answer(503, headers={"X-A": "\x00"}), "control character U+0000"),
        (Answer(500, body="x", content_type="text/plain\x0b", breach=True), "U+000B"),
        *(
            (Answer(503, headers={name: value}, breach=True), f"header {name} is hop-by-hop")
            for name, value in [
                ("Connection", "close"),
                ("keep-alive", "timeout=5"),
                ("Transfer-Encoding", "chunked"),
                ("Upgrade", "h2c"),
                ("TE", "trailers"),
                ("Trailer", "X-A"),
                ("Proxy-Authenticate", "Basic"),
                ("Proxy-Connection", "close"),
            ]
        ),
    ],
)
def test_an_answer_the_mock_cannot_send_is_refused(
    everflow_mock: EverflowMock, answer: Answer, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        everflow_mock.queue("getPartnerPostback", answer)


def test_a_tab_in_a_header_is_sent(everflow_mock: EverflowMock) -> None:
    everflow_mock.queue("getPartnerPostback", Answer(503, headers={"X-A": "a\tb"}))
    assert httpx.get("https://api.eflow.team/v1/networks/pixels/3").headers["X-A"] == "a\tb"


def test_a_hop_by_hop_header_is_refused_for_the_server_too(
    everflow_server: EverflowServer,
) -> None:
    with pytest.raises(ValueError, match="header Connection is hop-by-hop"):
        everflow_server.queue("getPartnerPostback", Answer(503, headers={"Connection": "close"}))


def test_a_queued_answer_with_headers_on_a_socket(everflow_server: EverflowServer) -> None:
    body = {"error": "Rate limit exceeded. Please slow down."}
    everflow_server.queue("getPartnerPostback", Answer(429, headers={"Retry-After": 7}, json=body))
    limited = requests.get(f"{everflow_server.url}/networks/pixels/3", headers=KEY)
    assert (limited.status_code, limited.headers["Retry-After"], limited.json()) == (429, "7", body)


@pytest.mark.parametrize("size", [SHOWN, SHOWN + 1])
def test_assert_requested_repeats_a_body_up_to_its_bound(
    everflow_mock: EverflowMock, size: int
) -> None:
    body = {"a": "x" * (size - len(repr({"a": ""})))}
    shown = repr(body)
    assert len(shown) == size
    with pytest.raises(AssertionError) as failed:
        everflow_mock.assert_requested("createPartnerPostback", json=body)
    head = str(failed.value).splitlines()[0]
    expected = shown if size <= SHOWN else shown[:SHOWN] + "..."
    assert head.startswith(f"everflow_mock: expected createPartnerPostback with json={expected} ")


def test_assert_requested_lists_each_request_s_query_body_and_outcome(
    everflow_mock: EverflowMock,
) -> None:
    httpx.get(f"{BASE}/networks/pixels", params={"page": 2}, headers=KEY)
    httpx.post(f"{BASE}/networks/pixels", content=b"not json", headers=KEY)
    httpx.get(f"{BASE}/networks/elsewhere", headers=KEY)
    with pytest.raises(AssertionError) as failure:
        everflow_mock.assert_requested("deletePartnerPostback")
    listed = str(failure.value).splitlines()[1:]
    assert (
        listed[0] == "  1. listPartnerPostbacks GET /v1/networks/pixels query={'page': '2'} -> 200"
    )
    assert listed[1].startswith("  2. createPartnerPostback POST /v1/networks/pixels body=")
    assert "not json" in listed[1]
    assert listed[2].startswith("  3. (no operation) GET /v1/networks/elsewhere -> 4")


def test_a_repeated_query_parameter_is_matched_as_the_whole_list(
    everflow_mock: EverflowMock,
) -> None:
    httpx.get(f"{BASE}/networks/pixels", params=[("page", "1"), ("page", "3")], headers=KEY)
    with pytest.raises(AssertionError):
        everflow_mock.assert_requested("listPartnerPostbacks", query={"page": [1, 2]})
    with pytest.raises(AssertionError):
        everflow_mock.assert_requested("listPartnerPostbacks", query={"page": 1})
    assert everflow_mock.assert_requested("listPartnerPostbacks", query={"page": [1, 3]})


def test_a_request_answered_by_a_queued_exception_is_journaled_whole(
    everflow_mock: EverflowMock,
) -> None:
    everflow_mock.queue("createPartnerPostback", httpx.ReadError("boom"))
    body = {"pixel_type": "cpc"}
    with pytest.raises(httpx.ReadError):
        httpx.post(
            f"{BASE}/networks/pixels",
            params={"page": "2", "q": "é"},
            json=body,
            headers={**KEY, "X-Custom-Thing": "v"},
        )
    (entry,) = everflow_mock.requests
    assert (entry["method"], entry["path"], entry["query"]) == (
        "POST",
        "/v1/networks/pixels",
        {"page": "2", "q": "é"},
    )
    assert entry["headers"]["X-Custom-Thing"] == "v"
    # as a request on a socket is journaled: its headers, the body's own (type, length) aside
    assert set(entry["headers"]) == {
        "Host",
        "Accept",
        "Accept-Encoding",
        "Connection",
        "User-Agent",
        "X-Eflow-Api-Key",
        "X-Custom-Thing",
    }
    assert entry["headers"]["X-Eflow-Api-Key"] == "********"
    assert entry["json"] == body
    assert entry["status"] is None
    with pytest.raises(AssertionError) as failure:
        everflow_mock.assert_requested("getPartnerPostback")
    assert str(failure.value).splitlines()[1].endswith("-> no answer (raised in the client)")


def test_assert_requested_says_the_body_and_the_query_it_wanted(
    everflow_mock: EverflowMock,
) -> None:
    with pytest.raises(AssertionError) as both:
        everflow_mock.assert_requested("listPartnerPostbacks", json={"a": 1}, query={"page": 2})
    assert str(both.value).startswith(
        "everflow_mock: expected listPartnerPostbacks with json={'a': 1} and query={'page': 2} "
        "at least once, found 0"
    )
    with pytest.raises(AssertionError) as query:
        everflow_mock.assert_requested("listPartnerPostbacks", query={"page": 2})
    assert str(query.value).startswith(
        "everflow_mock: expected listPartnerPostbacks with query={'page': 2} at least once"
    )


def test_add_many_names_each_bad_postback_with_all_its_problems(
    everflow_mock: EverflowMock, everflow_factory: PostbackFactory
) -> None:
    good = everflow_factory.build(1235)
    bad = {**everflow_factory.build(1234, delivery_method="postback"), "delay_ms": 400000}
    worse = {**everflow_factory.build(1236), "delay_ms": -1, "pixel_type": "nope"}
    with pytest.raises(InvalidPostback) as raised:
        everflow_mock.add_many([bad, good, worse])
    first, second = raised.value.problems
    assert str(raised.value).splitlines() == [
        "2 of 3 postbacks break the spec; none was added:",
        "postback 1234 (item 0):",
        *first.lines()[1:],
        "postback 1236 (item 2):",
        *second.lines()[1:],
    ]
    assert len(second.lines()) > 2  # both of its problems are listed


def test_queue_names_the_operation_and_every_one_it_knows(everflow_mock: EverflowMock) -> None:
    from openapi.operations import operations

    with pytest.raises(ValueError, match="unknown operation") as unknown:
        everflow_mock.queue("getPostback", [500])
    head, _, named = str(unknown.value).partition("; the operations are ")
    assert head == "everflow_mock: unknown operation 'getPostback'"
    assert sorted(named.split(", ")) == sorted(operations())
    with pytest.raises(ValueError, match="418") as refused:
        everflow_mock.queue("getPartnerPostback", [200, 418])
    assert str(refused.value).startswith("answer 1 for getPartnerPostback: status 418 is not one")
