"""The write probes on the mock: every answer judged, and the probe deleted whatever happens
(a failed check, an exception, Ctrl-C, SIGTERM, the time running out)."""

from __future__ import annotations

import signal
from collections.abc import Callable

import httpx
import pytest
from flask import Flask

from contract_tests.suite import run_contract
from contract_tests.write_probes import WRITE_PROBES
from mock_server import create_app
from openapi.remote.client import ContractClient
from openapi.remote.findings import Report, RunInterrupted, Write

from .conftest import probes_left

RUN = "20250101T000000Z-abcdef"
PIXEL = 1  # a global postback-delivery conversion of the built-in catalogue
Intercept = Callable[[httpx.Request], "httpx.Response | None"]


class Spy(httpx.BaseTransport):
    """The mock in-process; remembers every request, and lets ``intercept`` answer (or
    raise) instead of the mock. ``created`` says whether a create reached the mock."""

    def __init__(self, app: Flask, intercept: Intercept | None = None) -> None:
        self.inner = httpx.WSGITransport(app=app)
        self.sent: list[tuple[str, str]] = []
        self.intercept = intercept
        self.created = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        if self.intercept is not None:
            answer = self.intercept(request)
            if answer is not None:
                return answer
        return self.forward(request)

    def forward(self, request: httpx.Request) -> httpx.Response:
        """The mock's answer."""
        if (request.method, request.url.path) == ("POST", "/v1/networks/pixels"):
            self.created = True
        return self.inner.handle_request(request)

    def writes(self) -> list[tuple[str, str]]:
        """The requests that could change the mock (the search POST cannot)."""
        return [
            (method, path)
            for method, path in self.sent
            if method in ("PUT", "DELETE") or (method, path) == ("POST", "/v1/networks/pixels")
        ]


def spy_with(app: Flask, intercept: Intercept) -> Spy:
    """A spy whose ``intercept`` acts only after the first create reached the mock."""
    spy = Spy(app)
    spy.intercept = lambda request: intercept(request) if spy.created else None
    return spy


def writer(spy: Spy, **kwargs: object) -> ContractClient:
    return ContractClient(
        "http://127.0.0.1/v1",
        "k",
        rate=0,
        retries=0,
        allow_writes=True,
        transport=spy,
        **kwargs,  # type: ignore[arg-type]
    )


def run(spy: Spy, **kwargs: object) -> Report:
    return run_contract(writer(spy, **kwargs), "mock", [PIXEL], run_id=RUN)


def test_the_write_probes_pass_on_the_mock_and_leave_nothing_behind() -> None:
    app = create_app()
    spy = Spy(app)
    report = run(spy)
    assert report.failures == [], "\n".join(f.line() for f in report.failures)
    assert report.mode == "writes"
    created = report.writes[0].pixel_id
    assert created is not None
    path = f"/v1/networks/pixels/{created}"
    assert spy.writes() == [
        ("POST", "/v1/networks/pixels"),
        ("PUT", path),
        ("DELETE", path),
        ("DELETE", path),
        ("POST", "/v1/networks/pixels"),
        ("POST", "/v1/networks/pixels"),  # naming an offer that does not exist: refused
    ]
    assert report.writes == [
        Write("POST", "/v1/networks/pixels", created, "200"),
        Write("PUT", path, created, "200"),
        Write("DELETE", path, created, "200"),
        Write("DELETE", path, created, "404"),
        Write("POST", "/v1/networks/pixels", None, "400"),
        Write("POST", "/v1/networks/pixels", None, "400"),
    ]
    sent_probes = [name.split()[0] for name in report.probes]
    assert [p for p in sent_probes if p in WRITE_PROBES] == [
        "create",
        "read_after_create",
        "replace",
        "read_after_replace",
        "delete",
        "read_after_delete",
        "delete_again",
        "create_invalid",
        "create_unknown_reference",
        "left_behind",
    ]
    observed = {f.check: f.actual for f in report.findings if f.severity == "info"}
    # the template is global (no offer): the probe names a partner that does not exist
    assert observed["observed_unknown_reference"] == (
        "400, a JSON object with fields: error; the error names network_affiliate_id"
    )
    assert probes_left(app) == []


def test_a_read_only_run_sends_no_write() -> None:
    app = create_app()
    spy = Spy(app)
    report = run_contract(
        ContractClient("http://127.0.0.1/v1", "k", rate=0, transport=spy), "mock", [PIXEL]
    )
    assert report.failures == []
    assert spy.writes() == []
    assert {m for m, _ in spy.sent} == {"GET", "POST"}
    assert {p for m, p in spy.sent if m == "POST"} == {
        "/v1/networks/pixelstable",
        "/v1/networks/offerstable",
        "/v1/networks/affiliatestable",
    }


def test_a_check_failing_midway_still_deletes_the_probe() -> None:
    app = create_app()

    def fail_the_replace(request: httpx.Request) -> httpx.Response | None:
        if request.method == "PUT":
            return httpx.Response(500, json={"error": "planted"})
        return None

    report = run(spy_with(app, fail_the_replace))
    assert ("replace", "status") in {(f.probe, f.check) for f in report.failures}
    assert probes_left(app) == []


def test_a_delete_that_fails_is_repeated_by_the_cleanup() -> None:
    app = create_app()
    deletes: list[str] = []

    def fail_the_first_deletes(request: httpx.Request) -> httpx.Response | None:
        if request.method == "DELETE":
            deletes.append(request.url.path)
            if len(deletes) <= 2:
                return httpx.Response(500, json={"error": "planted"})
        return None

    report = run(spy_with(app, fail_the_first_deletes))
    failed = {(f.probe, f.check) for f in report.failures}
    assert {("delete", "status"), ("delete_again", "status"), ("left_behind", "left_behind")} <= (
        failed
    )
    assert [w.status for w in report.writes if w.method == "DELETE"] == ["500", "500", "200"]
    assert "cleanup " + deletes[0].rsplit("/", 1)[1] in report.probes
    assert probes_left(app) == []


def test_an_exception_after_the_create_deletes_the_probe_and_goes_on() -> None:
    app = create_app()

    def explode(request: httpx.Request) -> httpx.Response | None:
        if request.method == "GET":
            raise RuntimeError("planted bug")
        return None

    spy = spy_with(app, explode)
    with pytest.raises(RuntimeError, match="planted bug"):
        run(spy)
    assert spy.sent[-1][0] == "DELETE"
    assert probes_left(app) == []


def test_ctrl_c_after_the_create_deletes_the_probe_then_interrupts() -> None:
    app = create_app()

    def ctrl_c(request: httpx.Request) -> httpx.Response | None:
        if request.method == "GET":
            raise KeyboardInterrupt
        return None

    spy = spy_with(app, ctrl_c)
    with pytest.raises(RunInterrupted) as stopped:
        run(spy)
    report = stopped.value.report
    assert [f.check for f in report.findings][-1] == "interrupted"
    created = report.writes[0].pixel_id
    assert report.writes[-1] == Write("DELETE", f"/v1/networks/pixels/{created}", created, "200")
    assert probes_left(app) == []


def test_ctrl_c_before_a_create_is_answered_finds_the_probe_by_the_run_id() -> None:
    app = create_app()
    spy = Spy(app)

    def lose_the_answer(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/pixels") and not spy.created:
            spy.forward(request)  # stored, but the answer never arrives
            raise KeyboardInterrupt
        return None

    spy.intercept = lose_the_answer
    with pytest.raises(RunInterrupted) as stopped:
        run(spy)
    report = stopped.value.report
    assert report.writes[0] == Write(
        "POST", "/v1/networks/pixels", None, "no answer (KeyboardInterrupt)"
    )
    assert "cleanup_search" in report.probes
    assert report.writes[-1].method == "DELETE"
    assert report.writes[-1].status == "200"
    assert probes_left(app) == []


def test_sigterm_interrupts_like_ctrl_c_and_the_handler_is_restored() -> None:
    app = create_app()
    before = signal.getsignal(signal.SIGTERM)

    def terminate(request: httpx.Request) -> httpx.Response | None:
        if request.method == "PUT":
            signal.raise_signal(signal.SIGTERM)
        return None

    with pytest.raises(RunInterrupted):
        run(spy_with(app, terminate))
    assert signal.getsignal(signal.SIGTERM) == before
    assert probes_left(app) == []


def test_ctrl_c_during_the_cleanup_waits_for_the_cleanup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = create_app()
    inner = httpx.WSGITransport(app=app)
    before = signal.getsignal(signal.SIGINT)
    deletes: list[str] = []

    def fail_deletes_then_ctrl_c_in_the_cleanup(request: httpx.Request) -> httpx.Response | None:
        if request.method != "DELETE":
            return None
        deletes.append(request.url.path)
        if len(deletes) <= 2:
            return httpx.Response(500, json={"error": "planted"})
        signal.raise_signal(signal.SIGINT)  # held back: this delete still happens
        return inner.handle_request(request)

    with pytest.raises(RunInterrupted) as stopped:
        run(spy_with(app, fail_deletes_then_ctrl_c_in_the_cleanup))
    assert [w.status for w in stopped.value.report.writes if w.method == "DELETE"] == [
        "500",
        "500",
        "200",
    ]
    assert "deleting the probe postbacks first" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) == before
    assert probes_left(app) == []


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_time_running_out_after_the_create_still_deletes_the_probe() -> None:
    app = create_app()
    clock = Clock()

    def use_up_the_time(request: httpx.Request) -> httpx.Response | None:
        clock.now = 100.0
        return None

    report = run(
        spy_with(app, use_up_the_time), max_time=50, sleep=clock.sleep, clock=lambda: clock.now
    )
    checks = [(f.probe, f.check) for f in report.findings]
    assert ("replace", "max_time") in checks
    assert ("delete", "not_sent") in checks
    assert report.writes[-1].method == "DELETE"
    assert report.writes[-1].status == "200"
    assert probes_left(app) == []


def test_without_a_postback_to_copy_nothing_is_written() -> None:
    sent: list[tuple[str, str]] = []

    def empty_network(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, request.url.path))
        if request.url.path.startswith("/v1/networks/pixels/"):
            return httpx.Response(404, json={"error": "Pixel not found"})
        paging = {"page": 1, "page_size": 5, "total_count": 0}
        return httpx.Response(200, json={"pixels": [], "paging": paging})

    client = ContractClient(
        "http://127.0.0.1/v1",
        "k",
        rate=0,
        allow_writes=True,
        transport=httpx.MockTransport(empty_network),
    )
    report = run_contract(client, "empty", [7], run_id=RUN)
    assert ("create", "not_sent") in {(f.probe, f.check) for f in report.unfinished}
    assert client.writes == []
    assert all(method in ("GET", "POST") for method, _ in sent)
    assert ("POST", "/v1/networks/pixels") not in sent


def test_a_lost_create_answer_is_remembered_past_later_creates() -> None:
    """The first create times out after storing; the later, refused create must not make
    the run forget it, even when the search for leftovers has no answer either."""
    app = create_app()
    spy = Spy(app)
    creates: list[str] = []

    def lose_the_first_create_and_every_search(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and request.url.path.endswith("/pixels") and not creates:
            creates.append("first")
            spy.forward(request)
            raise httpx.ReadTimeout("planted", request=request)
        if request.url.path.endswith("/pixelstable") and creates and len(creates) < 2:
            creates.append("search refused")
            return httpx.Response(503, json={"error": "planted"})
        return None

    spy.intercept = lose_the_first_create_and_every_search
    report = run(spy)
    assert "cleanup_search" in report.probes
    assert [w.method for w in report.writes] == ["POST", "POST", "POST", "DELETE"]
    assert probes_left(app) == []
