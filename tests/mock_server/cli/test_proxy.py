"""What ``everflow-mock proxy`` does once it has stopped (``_finish``), in-process: the
summary, the reports, the recording and the exit code, as the subprocess tests in
``test_command.py`` see them from outside, but with each case's outcome pinned down."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from mock_server.cli import proxy as proxy_command
from mock_server.cli.command import main
from mock_server.cli.upstream import EXIT_INTERRUPTED
from mock_server.http.wsgi import STOPPING
from mock_server.proxy.forward import Upstream
from mock_server.proxy.record import Recording, report_path
from mock_server.proxy.server import ProxyApp
from mock_server.proxy.tally import Tally
from mock_server.testing.local_server import LocalServer
from mock_server.testing.spawn import free_port
from openapi.remote.findings import Finding
from openapi.remote.masking import MASK

from ..proxy.conftest import DRIFT_ID, KEY, PLANTED, leaks, planted_postbacks

TARGET = f"https://up.example/v1/{KEY}"
"""The upstream as the tally names it, holding the key: the summary must mask it."""


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    """An upstream that is never called: ``_finish`` reads its keys and its writes only."""
    made = Upstream("http://127.0.0.1:9/v1", KEY)
    yield made
    made.close()


@pytest.fixture(autouse=True)
def handlers() -> Iterator[None]:
    """The command installs its own handlers (it runs in a process of its own, and leaves
    SIGINT and SIGTERM ignored once it stopped): put the test process's back, forget a
    signal noted by a test, and undo the stop the command's handler announced."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)
    proxy_command.SIGNALLED.again = False
    STOPPING.clear()


def tally(*checks: str) -> Tally:
    """A tally of one ``getPartnerPostback`` per check given (a violation), or one good one."""
    made = Tally(TARGET, "read-only")
    for check in checks or ("",):
        findings = [Finding(TARGET, "p", 1, check, "$.x", "enum", "'y'")] if check else []
        made.add(
            method="GET",
            path="/v1/networks/pixels/1",
            query="",
            operation="getPartnerPostback",
            status=200,
            outcome="answered",
            findings=findings,
        )
    return made


def args(tmp_path: Path, record: bool = False) -> argparse.Namespace:
    return argparse.Namespace(
        junit=str(tmp_path / "j.xml"),
        report=str(tmp_path / "r.md"),
        record=str(tmp_path / "rec.json") if record else None,
        no_scrub=False,
    )


def test_a_run_with_a_violation_prints_the_summary_writes_the_reports_and_exits_1(
    tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    counted = tally("$.pixel_status:enum")
    code = proxy_command._finish(args(tmp_path), upstream, counted, None)
    out, err = capsys.readouterr()
    assert code == 1
    assert out.splitlines() == [line.replace(KEY, MASK) for line in counted.summary().splitlines()]
    assert err == ""
    assert "$.pixel_status:enum" in (tmp_path / "r.md").read_text()
    assert "$.pixel_status:enum" in (tmp_path / "j.xml").read_text()
    assert not (tmp_path / "rec.json").exists()
    for written in (out, *(p.read_text() for p in tmp_path.iterdir())):
        assert leaks(written) == []


def test_a_run_with_no_violation_exits_0(
    tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    assert proxy_command._finish(args(tmp_path), upstream, tally(), None) == 0
    assert capsys.readouterr().out.startswith("everflow-mock proxy: 1 request for ")


def test_the_recording_is_written_scrubbed_and_said(
    tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = Recording()
    for postback in planted_postbacks():
        recording.add(postback)
    code = proxy_command._finish(args(tmp_path, record=True), upstream, tally(), recording)
    out = capsys.readouterr().out
    recorded = tmp_path / "rec.json"
    assert code == 0
    assert out.splitlines()[-1] == (
        f"everflow-mock proxy: recorded {len(planted_postbacks())} postbacks, 0 offers and "
        f"0 partners to {recorded} "
        f"({report_path(recorded)})"
    )
    records = json.loads(recorded.read_text())["postbacks"]
    assert [r["network_pixel_id"] for r in records] == [
        p["network_pixel_id"] for p in planted_postbacks()
    ]
    assert leaks(recorded.read_text()) == []
    assert leaks(report_path(recorded).read_text()) == []


def test_a_signal_noted_after_the_stop_leaves_the_recording_unwritten(
    tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = Recording()
    recording.add(planted_postbacks()[0])
    proxy_command.SIGNALLED.note(signal.SIGINT, None)
    code = proxy_command._finish(args(tmp_path, record=True), upstream, tally(), recording)
    out, err = capsys.readouterr()
    assert code == EXIT_INTERRUPTED
    assert err == f"everflow-mock proxy: interrupted; {tmp_path / 'rec.json'} was not written\n"
    assert out.startswith("everflow-mock proxy: 1 request for ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j.xml", "r.md"]
    # the command's handlers are in place for the rest of the process's life
    assert signal.getsignal(signal.SIGINT) == proxy_command.SIGNALLED.note
    assert signal.getsignal(signal.SIGTERM) == proxy_command.SIGNALLED.note


def test_a_report_that_cannot_be_written_is_a_usage_error_naming_no_key(
    tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / KEY
    folder.mkdir()
    asked = argparse.Namespace(junit=None, report=str(folder), record=None, no_scrub=False)
    code = proxy_command._finish(asked, upstream, tally("$.x:enum"), None)
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("everflow-mock: cannot write: ")
    assert err.count("\n") == 1
    assert leaks(err) == []


def test_no_scrub_records_production_s_values_as_they_are(
    tmp_path: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = Recording()
    recording.add(planted_postbacks()[0])
    asked = argparse.Namespace(**{**vars(args(tmp_path, record=True)), "no_scrub": True})
    assert proxy_command._finish(asked, upstream, tally(), recording) == 0
    assert PLANTED["token"] in (tmp_path / "rec.json").read_text()


def served(port: int, calls: Callable[[httpx.Client], None]) -> Callable[[], None]:
    """A thread's work: once the proxy on ``port`` accepts, make ``calls`` through it, then
    stop it as Ctrl-C does. What went wrong in the thread is raised by the returned check."""
    failed: list[BaseException] = []

    def work() -> None:
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
                calls(http)
        except BaseException as error:  # raised in the test's thread by check()
            failed.append(error)
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()

    def check() -> None:
        thread.join(timeout=60)
        if failed:
            raise failed[0]

    return check


@pytest.mark.slow
def test_the_proxy_serves_in_front_of_the_upstream_until_ctrl_c_then_reports(
    production: LocalServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", KEY)
    port = free_port()
    seen: list[httpx.Response] = []

    def calls(http: httpx.Client) -> None:
        seen.append(http.get("/v1/networks/pixels/1"))
        seen.append(http.get(f"/v1/networks/pixels/{DRIFT_ID}"))
        seen.append(http.delete("/v1/networks/pixels/1"))
        seen.append(http.get("/__admin/requests"))

    check = served(port, calls)
    out_files = [tmp_path / "r.md", tmp_path / "j.xml", tmp_path / "rec.json"]
    code = main(
        [
            "proxy",
            "--upstream",
            production.url,
            "--port",
            str(port),
            "--rate",
            "1000",
            *("--report", str(out_files[0]), "--junit", str(out_files[1])),
            *("--record", str(out_files[2])),
        ]
    )
    check()
    out, err = capsys.readouterr()
    assert code == 1, err
    assert [r.status_code for r in seen] == [200, 200, 403, 200]
    assert [r.headers["X-Everflow-Violations"] for r in seen[:2]] == ["0", "1"]
    assert [e["status"] for e in seen[3].json()["requests"]] == [200, 200, 403]
    lines = out.splitlines()
    assert lines[0] == (
        f"everflow-mock proxy: http://127.0.0.1:{port}/v1 -> {production.url} (read-only); "
        f"journal: http://127.0.0.1:{port}/__admin/requests  "
        f"page: http://127.0.0.1:{port}/__admin/ui/  stop: Ctrl-C"
    )
    assert f"GET /v1/networks/pixels/{DRIFT_ID} 200" in out  # the access lines
    assert "  violation: $.pixel_status:enum at $.pixel_status" in out
    assert "everflow-mock proxy: 3 requests for " in out
    assert "  getPartnerPostback: 2 requests, 1 broken" in out
    assert lines[-1] == (
        f"everflow-mock proxy: recorded 2 postbacks, 0 offers and 0 partners to {out_files[2]} "
        f"({report_path(out_files[2])})"
    )
    assert err == ""
    assert "$.pixel_status:enum" in out_files[0].read_text()
    assert "$.pixel_status:enum" in out_files[1].read_text()
    recorded = json.loads(out_files[2].read_text())["postbacks"]
    assert [p["network_pixel_id"] for p in recorded] == [1, DRIFT_ID]
    for text in (out, *(p.read_text() for p in tmp_path.iterdir())):
        assert leaks(text) == []


@pytest.mark.slow
def test_a_quiet_proxy_beyond_loopback_with_writes_says_so_and_passes_writes_on(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", KEY)
    httpserver.expect_request("/v1/networks/pixels/1", method="DELETE").respond_with_json(
        {"result": True}
    )
    port = free_port()
    seen: list[httpx.Response] = []
    check = served(port, lambda http: seen.append(http.delete("/v1/networks/pixels/1")))
    upstream = httpserver.url_for("/v1")
    code = main(
        [
            "proxy",
            "--upstream",
            upstream,
            "--host",
            "0.0.0.0",
            "--allow-remote-clients",
            "--port",
            str(port),
            "--allow-writes",
            "--quiet",
        ]
    )
    check()
    out, err = capsys.readouterr()
    assert [r.status_code for r in seen] == [200]
    (sent,) = [request for request, _ in httpserver.log]
    assert (sent.method, sent.headers["X-Eflow-Api-Key"]) == ("DELETE", KEY)
    assert err.splitlines() == [
        "everflow-mock proxy: listening on 0.0.0.0, beyond loopback (--allow-remote-clients): "
        "any client that reaches it is answered; the key in $EVERFLOW_API_KEY (the "
        "operator's) is added to every request that carries none"
    ]
    assert out.splitlines()[0] == (
        f"everflow-mock proxy: http://0.0.0.0:{port}/v1 -> {upstream} (writes passed on); "
        f"journal: http://0.0.0.0:{port}/__admin/requests  "
        f"page: http://0.0.0.0:{port}/__admin/ui/  stop: Ctrl-C"
    )
    assert "DELETE /v1" not in out  # --quiet: no access lines
    assert out.splitlines()[1].startswith("everflow-mock proxy: 1 request for ")
    assert code == 0, err


@pytest.mark.parametrize(
    ("host", "options", "mode", "said"),
    [
        ("127.0.0.1", [], "read-only", "read-only"),
        ("0.0.0.0", ["--allow-remote-clients", "--allow-writes"], "writes", "writes passed on"),
    ],
)
def test_the_proxy_listens_where_asked_bounded_and_says_so_before_it_serves(
    monkeypatch: pytest.MonkeyPatch, host: str, options: list[str], mode: str, said: str
) -> None:
    """Run in-process up to the server (waitress's ``serve`` stands in, returning as a
    Ctrl-C would): what it is handed, and what a script reading the command's output
    through a pipe (fully buffered) has already been given by then."""
    import io
    import sys

    import waitress

    from mock_server.core.config import MockConfig
    from mock_server.proxy.server import MAX_BODY

    monkeypatch.setenv("EVERFLOW_API_KEY", KEY)
    out, err = io.BytesIO(), io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(out, encoding="utf-8"))
    monkeypatch.setattr(sys, "stderr", io.TextIOWrapper(err, encoding="utf-8"))
    port = free_port()
    seen: dict[str, object] = {}

    def serve(app: ProxyApp, *, sockets: list[socket.socket], **options: object) -> None:
        (listener,) = sockets
        seen.update(options, address=listener.getsockname()[:2], out=out.getvalue())
        seen["err"] = err.getvalue()
        with httpx.Client(
            transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1"
        ) as http:
            seen["run"] = http.get("/__admin/ui/proxy.json").json()["run"]
            seen["upstream"] = app.upstream

    monkeypatch.setattr(waitress, "serve", serve)
    argv = ["proxy", "--upstream", "https://up.example/v1", "--host", host, "--port", str(port)]
    code = main([*argv, *options, "--quiet", "--rate", "7", "--timeout", "2.5"])
    assert code == 0
    assert seen["address"] == (host, port)
    # a silent client is dropped after the mock's read timeout; no body past the bound is read
    assert seen["channel_timeout"] == int(MockConfig.read_timeout)
    assert seen["max_request_body_size"] == 2 * MAX_BODY
    assert f"proxy: http://{host}:{port}/v1 -> https://up.example/v1 ({said})" in (
        str(seen["out"], "utf-8")
    )
    warned = str(seen["err"], "utf-8")
    assert ("beyond loopback" in warned) == (host != "127.0.0.1")
    assert seen["run"]["mode"] == mode  # type: ignore[index]
    upstream = seen["upstream"]
    assert isinstance(upstream, Upstream)
    assert (upstream.rate, upstream.timeout) == (7, 2.5)
