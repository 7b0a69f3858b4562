"""``everflow-mock proxy`` as a user runs it: a real process, stopped by a real signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from mock_server.cli.command import main
from mock_server.testing.local_server import LocalServer
from mock_server.testing.spawn import free_port

from .conftest import DRIFT_ID, KEY, leaks


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_proxy_judges_traffic_and_reports_on_exit(
    production: LocalServer, tmp_path: Path, signum: int
) -> None:
    port = free_port()
    report, junit, recording = tmp_path / "r.md", tmp_path / "j.xml", tmp_path / "rec.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mock_server.cli",
            "proxy",
            "--upstream",
            production.url,
            "--port",
            str(port),
            "--report",
            str(report),
            "--junit",
            str(junit),
            "--record",
            str(recording),
        ],
        env={**os.environ, "EVERFLOW_API_KEY": KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert f"127.0.0.1:{port}/v1 -> {production.url}" in banner
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/v1", timeout=30) as http:
            assert http.get("/networks/pixels/1").headers["X-Everflow-Violations"] == "0"
            broken = http.get(f"/networks/pixels/{DRIFT_ID}")
            assert broken.headers["X-Everflow-Violations"] == "1"
            assert http.delete("/networks/pixels/1").status_code == 403
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1, err
    assert "3 requests for" in out
    assert "getPartnerPostback: 2 requests, 1 broken" in out
    assert "    $.pixel_status:enum: 1" in out
    assert "$.pixel_status:enum" in report.read_text()
    failures = ET.parse(junit).getroot().iter("failure")
    assert any("$.pixel_status:enum" in (f.get("message") or "") for f in failures)
    recorded = json.loads(recording.read_text())
    assert [p["network_pixel_id"] for p in recorded] == [1, DRIFT_ID]
    for text in (banner, out, err, *(p.read_text() for p in tmp_path.iterdir())):
        assert leaks(text) == []


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--upstream", "http://api.eflow.team/v1"], "plain http"),
        (["--upstream", "https://api.eflow.team/v2"], "/v1"),
        (["--record", "x.json", "--no-scrub"], "--i-know-this-keeps-secrets"),
    ],
)
def test_usage_errors_exit_2_before_serving(
    options: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["proxy", "--port", "0", *options]) == 2
    err = capsys.readouterr().err
    assert said in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("option", ["--record", "--report", "--junit"])
def test_an_output_in_a_missing_folder_is_refused_before_serving(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "out.json"
    assert main(["proxy", "--port", "0", option, str(target)]) == 2
    assert f"{option} {target}: no folder" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("allow_writes", [True, False])
def test_allow_writes_on_the_command_line_reaches_the_upstream(
    httpserver: HTTPServer, allow_writes: bool
) -> None:
    # The command builds the forwarder from its options: --allow-writes must get there (the
    # forwarder alone is tested in test_forward.py).
    httpserver.expect_request("/v1/networks/pixels/7", method="DELETE").respond_with_json(
        {"result": True}
    )
    port = free_port()
    command = [sys.executable, "-m", "mock_server.cli", "proxy", "--quiet", "--port", str(port)]
    command += ["--upstream", httpserver.url_for("/v1")]
    process = subprocess.Popen(
        [*command, *(["--allow-writes"] if allow_writes else [])],
        env={**os.environ, "EVERFLOW_API_KEY": KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert ("(writes passed on)" if allow_writes else "(read-only)") in banner
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/v1", timeout=30) as http:
            got = http.delete("/networks/pixels/7")
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    if allow_writes:
        assert got.status_code == 200
        assert got.json() == {"result": True}
        ((sent, _),) = httpserver.log
        assert (sent.method, sent.path) == ("DELETE", "/v1/networks/pixels/7")
        assert sent.headers.get("X-Eflow-Api-Key") == KEY
    else:
        assert got.status_code == 403
        assert httpserver.log == []
