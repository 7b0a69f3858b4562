"""everflow-contract: exit codes, reports, skipping without a key."""

from __future__ import annotations

import json
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, Response

from contract_tests import cli
from contract_tests.cli import main
from contract_tests.options import build_parser
from fixtures import PostbackFactory
from mock_server import create_app, get_state
from mock_server.testing.local_server import LocalServer
from openapi.remote.checks import shown_name

from ..conftest import SLOW_SERVER_SECONDS

FAST = ["--rate", "1000"]


@pytest.fixture(scope="module")
def mock_url() -> object:
    with LocalServer(create_app()) as local:
        yield local.url


def test_passing_run_writes_reports(
    mock_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, md = tmp_path / "j.xml", tmp_path / "r.md"
    assert (
        main(
            [
                "--base-url",
                mock_url,
                "--pixel-id",
                "1",
                "--pixel-id",
                "2,3",
                "--junit",
                str(junit),
                "--report",
                str(md),
                *FAST,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith(f"everflow-contract PASS: {mock_url}: 14 requests, 0 errors")
    assert out.endswith("writes: none (read-only run)\n")
    # fourteen probes (three ids, no key, unknown id, list, search, the three searches that
    # observe open points, an offer, a partner and their tables) and "observed", the info
    # findings (what the target chose where Everflow is open): no drift, nothing failing
    junit_text = junit.read_text()
    assert 'tests="15" failures="0"' in junit_text
    assert 'name="offers_table"' in junit_text
    assert 'name="affiliates_table"' in junit_text
    assert 'name="observed"><system-out>[info]' in junit_text
    assert "observed_error_key" in junit_text
    assert 'name="list"' in junit.read_text()
    assert 'name="search"' in junit.read_text()
    assert 'name="drift"' not in junit.read_text()
    assert md.read_text().startswith("# Everflow contract: passed")
    assert "None: the run was read-only." in md.read_text()


def test_strict_passes_on_a_healthy_mock(mock_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--base-url", mock_url, "--pixel-id", "1,2,3", "--strict", *FAST]) == 0
    assert "0 errors, 0 warnings (strict" in capsys.readouterr().out


def test_pixel_ids_from_the_environment(
    mock_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EVERFLOW_PIXEL_IDS", "4, 5")
    assert main(["--base-url", mock_url, *FAST]) == 0
    assert "13 requests" in capsys.readouterr().out


def test_missing_id_that_exists_is_a_violation(
    mock_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--base-url", mock_url, "--pixel-id", "1", "--missing-id", "2", *FAST]) == 1
    assert "unknown_id (pixel 2): status at $: expected 404, got 200" in capsys.readouterr().out


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``main(args)``'s exit code (argparse's SystemExit included), stdout and stderr."""
    try:
        code = main(args)
    except SystemExit as exit_info:
        code = int(exit_info.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


REMOTE = ["--base-url", "https://api.eflow.team/v1", "--pixel-id", "1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "https://api.eflow.team/v1"], "give at least one --pixel-id"),
        (
            ["--base-url", "https://api.eflow.team/v1", "--pixel-id", "x"],
            "pixel ids must be integers",
        ),
        (["--pixel-id", "1"], "--base-url"),
        ([*REMOTE, "--retries", "-1"], "argument --retries: must be a number >= 0, not '-1'"),
        ([*REMOTE, "--retries", "1.5"], "argument --retries: must be a number >= 0"),
        ([*REMOTE, "--rate", "0"], "argument --rate: must be a number > 0, not '0'"),
        ([*REMOTE, "--rate", "-2"], "argument --rate: must be a number > 0"),
        ([*REMOTE, "--rate", "nan"], "argument --rate: must be a number > 0"),
        ([*REMOTE, "--timeout", "0"], "argument --timeout: must be a number > 0"),
        ([*REMOTE, "--max-time", "-1"], "argument --max-time: must be a number > 0"),
        ([*REMOTE, "--backoff", "-0.1"], "argument --backoff: must be a number >= 0"),
        ([*REMOTE, "--missing-id", "0"], "argument --missing-id: must be a number >= 1"),
        (
            ["--base-url", "https://api.eflow.team", "--pixel-id", "1"],
            "base URL must end in /v1, e.g. https://api.eflow.team/v1",
        ),
        (
            ["--base-url", "http://127.0.0.1:4010/", "--pixel-id", "1"],
            "base URL must end in /v1, e.g. https://api.eflow.team/v1",
        ),
        (
            [*REMOTE, "--pixel-id", "2,3,4", "--rate", "0.5", "--max-time", "12"],
            "15 requests at --rate 0.5/s need 28 s, more than --max-time 12 s",
        ),
        (
            [*REMOTE, "--allow-writes", "--rate", "1", "--max-time", "12"],
            "22 requests at --rate 1/s need 21 s, more than --max-time 12 s",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EVERFLOW_PIXEL_IDS", raising=False)
    monkeypatch.setenv("EVERFLOW_API_KEY", "a-key-for-usage-tests")
    code, out, err = run(args, capsys)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert out == ""


def test_a_key_variable_named_but_unset_is_an_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MY_KEY", raising=False)
    for base_url in ("https://api.eflow.team/v1", "http://127.0.0.1:9/v1"):
        code, _out, err = run(
            ["--base-url", base_url, "--pixel-id", "1", "--api-key-env", "MY_KEY"], capsys
        )
        assert code == 2
        assert (
            err
            == "everflow-contract: $MY_KEY is not set: put the API key there (--api-key-env MY_KEY)\n"
        )


def test_plain_http_to_a_remote_host_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--base-url", "http://api.eflow.team/v1", "--pixel-id", "1"]) == 2
    assert "refusing to send an API key over plain http" in capsys.readouterr().err


def test_no_key_for_a_remote_target_skips_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("EVERFLOW_API_KEY", raising=False)
    assert main(REMOTE) == 0
    assert (
        capsys.readouterr().out == "everflow-contract: skipped: no API key in $EVERFLOW_API_KEY\n"
    )


@pytest.mark.slow
def test_console_script_is_installed(mock_url: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "contract_tests.cli",
            "--base-url",
            mock_url,
            "--pixel-id",
            "9",
            *FAST,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_version_comes_from_the_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--version"], capsys)
    assert code == 0
    assert out == f"everflow-contract {version('everflow-postback-kit')} (everflow-postback-kit)\n"


def test_every_option_says_its_default() -> None:
    parser = build_parser()
    for action in parser._actions:
        if action.dest in ("help", "version"):
            continue
        assert action.help, action.dest
        assert "default:" in action.help or action.required, action.dest
    text = parser.format_help()
    for shown in ("(default: 30)", "(default: 300)", "(default: 5)", "(default: 3)"):
        assert shown in text


@pytest.mark.slow
def test_help_imports_nothing_heavy() -> None:
    """``--help`` and ``--version`` load neither httpx, openapi-core nor the suite (the
    package's ``__init__`` is bypassed: this is about the CLI module itself)."""
    code = f"""
import sys, types
package = types.ModuleType("contract_tests")
package.__path__ = [{str(Path(cli.__file__).parent)!r}]
sys.modules["contract_tests"] = package
from contract_tests.cli import main
for args in (["--help"], ["--version"]):
    try:
        main(args)
    except SystemExit:
        pass
heavy = ("httpx", "httpcore", "openapi_core", "jsonschema", "yaml", "flask", "contract_tests.suite")
print(sorted(name for name in heavy if name in sys.modules))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


@pytest.mark.slow
def test_a_slow_server_ends_in_exit_2_with_the_reports_written(
    trickling_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, md = tmp_path / "j.xml", tmp_path / "r.md"
    args = ["--base-url", trickling_url, "--pixel-id", "1", "--timeout", "0.3"]
    started = time.monotonic()
    code, out, _ = run(
        [*args, "--retries", "0", "--junit", str(junit), "--report", str(md)], capsys
    )
    # ten probes, 0.3 s each (no postback answered names an offer or partner to read, so
    # only their tables are asked); the server trickles 10 s
    assert time.monotonic() - started < 6
    assert code == 2
    assert "10 errors, 10 unanswered" in out
    assert "known_id (pixel 1): timeout at $: expected 200, got no complete answer" in out
    assert "within 0.3 s (--timeout)" in junit.read_text()
    assert "| timeout |" in md.read_text()


@pytest.mark.slow
def test_the_run_budget_ends_a_slow_run_with_the_reports_written(
    trickling_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, md = tmp_path / "j.xml", tmp_path / "r.md"
    args = ["--base-url", trickling_url, "--pixel-id", "1,2", "--max-time", "0.6", *FAST]
    started = time.monotonic()
    code, out, _ = run([*args, "--junit", str(junit), "--report", str(md)], capsys)
    assert time.monotonic() - started < 5
    assert code == 2
    assert "max_time at $: expected 200, got --max-time 0.6 s used up during GET" in out
    assert out.count("not_sent at $") == 10
    assert 'failures="0" errors="11"' in junit.read_text()  # no answer to judge: errors
    assert "Unfinished: 11 probes" in md.read_text()


def test_a_server_that_always_asks_to_wait_a_minute_is_given_up_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Flask("throttled")
    calls: list[int] = []

    @app.get("/v1/networks/pixels/<int:pixel_id>")
    def busy(pixel_id: int) -> Response:
        calls.append(pixel_id)
        headers = {"Retry-After": "60", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0"}
        return Response(
            '{"error": "Too many requests"}', 429, headers, content_type="application/json"
        )

    junit = tmp_path / "j.xml"
    started = time.monotonic()
    with LocalServer(app) as local:
        code, out, _ = run(
            ["--base-url", local.url, "--pixel-id", "1", "--junit", str(junit)], capsys
        )
    assert time.monotonic() - started < 5
    assert code == 2
    assert calls == [1]
    assert (
        "retry_after at $: expected 200, got GET /networks/pixels/1 answered 429 with Retry-After 60 s"
        in out
    )
    assert "retry_after" in junit.read_text()


def test_allow_writes_runs_the_write_probes_and_lists_every_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, md = tmp_path / "j.xml", tmp_path / "r.md"
    app = create_app()
    with LocalServer(app) as local:
        args = ["--base-url", local.url, "--pixel-id", "1", "--allow-writes", *FAST]
        assert main([*args, "--junit", str(junit), "--report", str(md)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"everflow-contract PASS: {local.url}: 22 requests, 0 errors")
    assert "writes: 6\n" in out
    assert "  write: POST /v1/networks/pixels (pixel 55): 200\n" in out
    assert "  write: PUT /v1/networks/pixels/55 (pixel 55): 200\n" in out
    assert out.count("  write: DELETE /v1/networks/pixels/55 (pixel 55): ") == 2
    # the rule-breaking create and the one naming a partner that does not exist
    assert out.count("  write: POST /v1/networks/pixels (no pixel id): 400\n") == 2
    assert "| PUT | `/v1/networks/pixels/55` | 55 | 200 |" in md.read_text()
    assert 'name="writes" value="6"' in junit.read_text()
    with app.test_client() as client:
        assert (
            client.get("/v1/networks/pixels/55", headers={"X-Eflow-Api-Key": "x"}).status_code
            == 404
        )


def test_writes_are_never_enabled_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("EVERFLOW_ALLOW_WRITES", "EVERFLOW_CONTRACT_ALLOW_WRITES", "ALLOW_WRITES"):
        monkeypatch.setenv(name, "1")
    app = create_app()
    with LocalServer(app) as local:
        assert main(["--base-url", local.url, "--pixel-id", "1", *FAST]) == 0
    assert "writes: none (read-only run)" in capsys.readouterr().out
    sent = {(entry["method"], entry["path"]) for entry in get_state(app).requests}
    assert {method for method, _ in sent} == {"GET", "POST"}
    assert {path for method, path in sent if method == "POST"} == {
        "/v1/networks/pixelstable",
        "/v1/networks/offerstable",
        "/v1/networks/affiliatestable",
    }


@pytest.mark.slow
def test_ctrl_c_deletes_the_probe_then_exits_130_with_the_reports(tmp_path: Path) -> None:
    """A real SIGINT to a real process, while it waits for the read after its create."""
    app = create_app()
    waiting, release = threading.Event(), threading.Event()
    inner = app.wsgi_app
    created: list[bool] = []

    def stall_the_read_after_the_create(environ: Any, start_response: Any) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"] == "/v1/networks/pixels":
            created.append(True)
        elif created and environ["REQUEST_METHOD"] == "GET" and not waiting.is_set():
            waiting.set()
            release.wait(SLOW_SERVER_SECONDS)
        return inner(environ, start_response)

    app.wsgi_app = stall_the_read_after_the_create  # type: ignore[method-assign]
    md = tmp_path / "r.md"
    with LocalServer(app) as local:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "contract_tests.cli",
                "--base-url",
                local.url,
                "--pixel-id",
                "1",
                "--allow-writes",
                "--report",
                str(md),
                *FAST,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert waiting.wait(30), "the run never read its probe"
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=30)
        finally:
            release.set()
            if process.poll() is None:  # pragma: no cover
                process.kill()
    assert process.returncode == 130, out + err
    assert err.endswith("everflow-contract: interrupted\n")
    assert "Traceback" not in err
    assert "interrupted at $" in out
    assert "  write: DELETE /v1/networks/pixels/55 (pixel 55): 200\n" in out
    assert "| DELETE | `/v1/networks/pixels/55` | 55 | 200 |" in md.read_text()
    with app.test_client() as client:
        assert (
            client.get("/v1/networks/pixels/55", headers={"X-Eflow-Api-Key": "x"}).status_code
            == 404
        )


def _reports(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    junit, md = tmp_path / "j.xml", tmp_path / "r.md"
    return junit, md, ["--junit", str(junit), "--report", str(md)]


def _odd_answers(app: Flask) -> None:
    """Wrap ``app``: every answer gets non-ASCII header values (Latin-1 and UTF-8 bytes),
    pixel 2 answers JSON nested 100,000 deep, pixel 3 first answers 429 with a
    ``Retry-After`` of a superscript two, and pixel 4 a JSON body that is not UTF-8."""
    inner = app.wsgi_app
    asked: list[str] = []

    def odd(environ: Any, start_response: Any) -> Any:
        path = environ["PATH_INFO"]
        asked.append(path)
        if path == "/v1/networks/pixels/2":
            body = b"[" * 100_000 + b"]" * 100_000
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if path == "/v1/networks/pixels/4":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'\xff\xfe{"network_pixel_id": 4}']
        if path == "/v1/networks/pixels/3" and asked.count(path) == 1:
            start_response("429 Too Many Requests", [("Retry-After", "²")])
            return [b'{"error": "slow down"}']

        def with_notes(status: str, headers: list[tuple[str, str]], *exc: Any) -> Any:
            notes = [("X-Note", "café"), ("X-Utf8", "café".encode().decode("latin-1"))]
            return start_response(status, [*headers, *notes], *exc)

        return inner(environ, with_notes)

    app.wsgi_app = odd  # type: ignore[method-assign]


@pytest.mark.parametrize("writes", [False, True], ids=["read-only", "allow-writes"])
def test_odd_answers_are_findings_not_crashes(
    writes: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app()
    _odd_answers(app)
    junit, md, reports = _reports(tmp_path)
    extra = ["--allow-writes"] if writes else []
    with LocalServer(app) as local:
        args = ["--base-url", local.url, "--pixel-id", "1,2,3,4", "--backoff", "0", *FAST, *extra]
        code, out, err = run([*args, *reports], capsys)
    assert code == 1, out + err
    assert "Traceback" not in err
    assert "known_id (pixel 2): json_depth at $: expected 200, got the answer to GET " in out
    assert "nests JSON more than 64 levels deep" in junit.read_text()
    assert "| json_depth |" in md.read_text()
    assert "known_id (pixel 3)" not in out  # retried after its 429, then fine
    assert (
        "known_id (pixel 4): $:json at $: expected a JSON body, got body is not valid JSON, "
        "25 bytes" in out
    )
    if writes:
        assert "  write: DELETE /v1/networks/pixels/55 (pixel 55): 200\n" in out
        with app.test_client() as client:
            gone = client.get("/v1/networks/pixels/55", headers={"X-Eflow-Api-Key": "x"})
        assert gone.status_code == 404


FORGED = "7\x1b[2J\x1b]0;owned\x07\x00\n[error] forged line\u202e\r"


def test_a_servers_control_characters_are_escaped_in_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Flask("forger")

    @app.get("/v1/networks/pixels/<int:pixel_id>")
    def forged(pixel_id: int) -> Response:
        body = {"network_pixel_id": FORGED, FORGED: FORGED}
        return Response(json.dumps(body), 200, content_type="application/json")

    junit, md, reports = _reports(tmp_path)
    with LocalServer(app) as local:
        code, out, err = run(["--base-url", local.url, "--pixel-id", "1", *FAST, *reports], capsys)
    assert code == 1
    shown = f"a string of {len(FORGED)} characters"
    assert f"pixel_id at $.network_pixel_id: expected 1, got {shown}" in out
    assert f"undocumented_field at ${shown_name(FORGED)}" in out
    for produced in (out, err, junit.read_text(), md.read_text()):
        assert not any(c in produced for c in "\x1b\x00\x07\u202e\r")
        assert "forged" not in produced
    ET.parse(junit).getroot()  # well-formed


TOKEN_NAME = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"


@pytest.mark.slow
def test_a_token_shaped_field_name_is_one_stand_in_in_every_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A field the spec does not document is named in every output, and its name is the
    server's text: one shaped like a token is replaced, by the same stand-in everywhere."""
    app = Flask("token-namer")

    @app.get("/v1/networks/pixels/<int:pixel_id>")
    def named(pixel_id: int) -> Response:
        body = {**PostbackFactory().build(pixel_id), TOKEN_NAME: 1, "brand_new_field": 2}
        return Response(json.dumps(body), 200, content_type="application/json")

    junit, md, reports = _reports(tmp_path)
    with LocalServer(app) as local:
        code, out, err = run(
            ["--base-url", local.url, "--pixel-id", "1", "--strict", *FAST, *reports], capsys
        )
    assert code == 1  # drift fails under --strict
    stand_in = shown_name(TOKEN_NAME)
    assert re.fullmatch(rf"\[a name of {len(TOKEN_NAME)} characters #[0-9a-f]{{8}}\]", stand_in)
    for produced in (out + err, junit.read_text(), md.read_text()):
        assert TOKEN_NAME not in produced
        assert "4eC39HqL" not in produced
        assert f"${stand_in}" in produced
        assert "$.brand_new_field" in produced  # a name shaped like Everflow's, as it is


@pytest.mark.slow
def test_sigterm_while_reading_exits_130_with_the_reports(tmp_path: Path) -> None:
    """A real SIGTERM (how CI cancels a job) to a read-only run, while it waits for an
    answer: exit 130 and the reports written, as for Ctrl-C."""
    app = create_app()
    waiting, release = threading.Event(), threading.Event()
    inner = app.wsgi_app

    def stall_the_second_read(environ: Any, start_response: Any) -> Any:
        if environ["PATH_INFO"] == "/v1/networks/pixels/2" and not waiting.is_set():
            waiting.set()
            release.wait(SLOW_SERVER_SECONDS)
        return inner(environ, start_response)

    app.wsgi_app = stall_the_second_read  # type: ignore[method-assign]
    junit, md, reports = _reports(tmp_path)
    with LocalServer(app) as local:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "contract_tests.cli", "--base-url", local.url),
                *("--pixel-id", "1,2", *reports, *FAST),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert waiting.wait(30), "the run never asked for pixel 2"
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        finally:
            release.set()
            if process.poll() is None:  # pragma: no cover
                process.kill()
    assert process.returncode == 130, out + err
    assert err.endswith("everflow-contract: interrupted\n")
    assert "Traceback" not in err
    assert "run (no pixel): interrupted at $" in out
    assert "writes: none (read-only run)" in out
    suite = ET.parse(junit).getroot()
    assert [case.get("name") for case in suite.iter("testcase") if case.find("error") is not None]
    assert "| interrupted |" in md.read_text()


@pytest.mark.slow
def test_max_time_counts_from_the_start_of_the_process(
    trickling_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import openapi.installation

    def slow_start(name: str) -> None:
        time.sleep(2.5)  # as loading httpx, openapi-core and the spec may take

    monkeypatch.setattr(openapi.installation, "exit_on_clash", slow_start)
    started = time.monotonic()
    # FAST: at the default 5/s the run's 12 requests would need more than --max-time 2 s
    args = ["--base-url", trickling_url, "--pixel-id", "1", "--max-time", "2", *FAST]
    code, out, _ = run(args, capsys)
    took = time.monotonic() - started
    assert code == 2
    assert "max_time at $" in out
    assert took < 4.0, f"{took:.1f} s: --max-time 2 started its clock after start-up"


NO_KEY = "no API key in $EVERFLOW_API_KEY"


@pytest.mark.parametrize("unset", [True, False], ids=["unset", "empty"])
def test_a_skipped_run_writes_both_reports_saying_why(
    unset: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if unset:
        monkeypatch.delenv("EVERFLOW_API_KEY", raising=False)
    else:
        monkeypatch.setenv("EVERFLOW_API_KEY", "")  # a CI secret that is missing
    junit, md, reports = _reports(tmp_path)
    code, out, _ = run([*REMOTE, *reports], capsys)
    assert code == 0
    assert out == f"everflow-contract: skipped: {NO_KEY}\n"
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("skipped"), suite.get("failures")) == ("1", "1", "0")
    skipped = suite.find("testcase/skipped")
    assert skipped is not None
    assert skipped.get("message") == NO_KEY
    assert md.read_text() == (
        "# Everflow contract: skipped\n\n"
        f"Target: `https://api.eflow.team/v1`; nothing was checked: {NO_KEY}.\n"
    )


@pytest.mark.parametrize("base_url", ["https://api.eflow.team/v1", "http://127.0.0.1:9/v1"])
def test_require_key_makes_a_missing_key_a_usage_error(
    base_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", "")
    junit, md, reports = _reports(tmp_path)
    code, out, err = run(
        ["--base-url", base_url, "--pixel-id", "1", "--require-key", *reports], capsys
    )
    assert code == 2
    assert err == f"everflow-contract: {NO_KEY} (--require-key): set it, or drop the option\n"
    assert out == ""
    assert not junit.exists()
    assert not md.exists()


WORKFLOW = Path(__file__).parents[2] / ".github" / "workflows" / "everflow-contract.yml"


def _workflow() -> dict[str, Any]:
    import yaml

    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def _step(name: str) -> dict[str, Any]:
    (step,) = [s for s in _workflow()["jobs"]["contract"]["steps"] if s.get("name") == name]
    return step


def _run_step(
    name: str, tmp_path: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the workflow step ``name``'s shell as GitHub runs it (bash -e -o pipefail), with
    the workflow's ``env``, ``env``, and a ``pip`` on the PATH that only records its
    arguments (in ``pip.args``, one per line)."""
    import os
    import stat

    shims = tmp_path / "bin"
    shims.mkdir(exist_ok=True)
    pip = shims / "pip"
    pip.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> {tmp_path / "pip.args"}\n')
    pip.chmod(pip.stat().st_mode | stat.S_IEXEC)
    script = _step(name)["run"]
    path = f"{shims}{os.pathsep}{os.environ['PATH']}"
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={"PATH": path, **_workflow()["env"], **env},
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result, tmp_path / "pip.args"


def test_the_example_workflow_installs_the_kit_only_from_a_pinned_commit(tmp_path: Path) -> None:
    # As copied, the commit is a placeholder: the step stops before pip, saying what to set.
    unpinned, pip_args = _run_step("Install the kit", tmp_path)
    assert unpinned.returncode != 0
    assert "::error::set KIT_COMMIT" in unpinned.stdout
    assert not pip_args.exists()
    for commit in ("main", "v1.0", "a" * 39, "A" * 40, "a" * 40 + "\nb"):
        refused, _ = _run_step("Install the kit", tmp_path, KIT_COMMIT=commit)
        assert refused.returncode != 0, commit
        assert not pip_args.exists(), commit
    sha = "0123456789abcdef0123456789abcdef01234567"
    pinned, _ = _run_step("Install the kit", tmp_path, KIT_COMMIT=sha)
    assert pinned.returncode == 0, pinned.stderr
    repository = _workflow()["env"]["KIT_REPOSITORY"]
    # Never the bare name, which an index would resolve to whoever registered it.
    assert pip_args.read_text().splitlines() == [
        "install",
        f"everflow-postback-kit @ git+{repository}@{sha}",
    ]
    assert repository.startswith("https://")


@pytest.mark.parametrize(
    ("report", "has_key", "said"),
    [
        ("# Contract report\n", "true", "# Contract report\n"),
        (None, "false", "nothing was checked: the secret EVERFLOW_API_KEY is missing or empty"),
        (None, "true", "wrote no report"),
    ],
)
def test_the_example_workflows_summary_says_when_the_key_is_missing(
    tmp_path: Path, report: str | None, has_key: str, said: str
) -> None:
    summary = tmp_path / "summary.md"
    if report is not None:
        (tmp_path / "everflow-contract.md").write_text(report)
    step = "Add the report to the run summary"
    assert _step(step)["env"]["HAS_KEY"] == "${{ secrets.EVERFLOW_API_KEY != '' }}"
    result, _ = _run_step(step, tmp_path, HAS_KEY=has_key, GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 0, result.stderr
    assert said in summary.read_text()


def test_the_example_workflow_requires_the_key() -> None:
    import shlex

    steps = _workflow()["jobs"]["contract"]["steps"]
    (command,) = [s["run"] for s in steps if str(s.get("run", "")).startswith("everflow-contract")]
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.require_key
    assert args.junit
    assert args.report
    assert not args.allow_writes


@pytest.mark.slow
def test_an_unreachable_target_is_a_junit_error_not_a_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    junit, _, reports = _reports(tmp_path)
    args = ["--base-url", f"http://127.0.0.1:{port}/v1", "--pixel-id", "1", "--retries", "0"]
    code, _, _ = run([*args, *reports], capsys)
    assert code == 2
    suite = ET.parse(junit).getroot()
    cases = list(suite.iter("testcase"))
    # every probe of a read-only run, the three search ones and the two tables included;
    # the offer and the partner, which no postback answered names, are not probed (info)
    assert len(cases) == 12
    sent = [case for case in cases if case.get("name") not in ("offer", "affiliate")]
    assert len(sent) == 10
    assert all(case.find("error") is not None for case in sent)
    assert not any(case.find("failure") is not None for case in cases)
    assert (suite.get("errors"), suite.get("failures")) == ("10", "0")
    assert "transport" in (cases[0].find("error").get("message") or "")  # type: ignore[union-attr]


def test_a_short_key_leaves_the_report_readable(
    mock_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", "x")
    code, out, _ = run(
        ["--base-url", mock_url, "--pixel-id", "3", "--missing-id", "2", *FAST], capsys
    )
    assert code == 1
    assert "unknown_id (pixel 2): status at $: expected 404, got 200" in out
    assert "********" not in out


def test_sigterm_while_the_reports_are_written_lets_them_finish(
    mock_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from openapi.remote import reporting

    real_markdown = reporting.markdown

    def terminated_midway(*args: Any) -> str:
        signal.raise_signal(signal.SIGTERM)
        return real_markdown(*args)

    monkeypatch.setattr(reporting, "markdown", terminated_midway)
    junit, md, reports = _reports(tmp_path)
    code, out, err = run(["--base-url", mock_url, "--pixel-id", "1", *FAST, *reports], capsys)
    assert code == 130
    assert err == (
        "everflow-contract: interrupted; writing the reports first\n"
        "everflow-contract: interrupted\n"
    )
    assert out.startswith("everflow-contract PASS")
    assert md.read_text().startswith("# Everflow contract: passed")
    assert junit.exists()


TOKEN = "tok-BODY-4711x"


EMAIL = "jörg.body@bücher-mail.de"


def _planting_app() -> Flask:
    """A target whose every answer plants a token and an e-mail address: a read's body cut
    short, a page whose postbacks break the schema with them (values, a property name), a
    refusal's message, a rate-limit header."""
    app = Flask("planting")
    planted = f"{TOKEN} {EMAIL}"

    def answer(body: bytes, status: int = 200) -> Response:
        headers = {
            "X-RateLimit-Limit": TOKEN,
            "X-RateLimit-Remaining": EMAIL.encode().decode("latin-1"),
        }
        return Response(body, status, headers, content_type="application/json")

    @app.get("/v1/networks/pixels/<int:pixel_id>")
    def read(pixel_id: int) -> Response:
        if pixel_id > 1000:
            return answer(json.dumps({"error": planted}).encode(), 404)
        whole = json.dumps(
            {"network_pixel_id": pixel_id, "postback_url": f"https://x/?t={planted}"}
        )
        return answer(whole.encode()[:-20])

    @app.route("/v1/networks/pixels", methods=["GET"])
    @app.post("/v1/networks/pixelstable")
    def page() -> Response:
        postback = {"network_pixel_id": 2, "delivery_method": planted, planted: planted}
        paging = {"page": planted, "page_size": EMAIL, "total_count": 1}
        return answer(json.dumps({"pixels": [postback], "paging": paging}).encode())

    return app


def test_no_part_of_a_targets_body_reaches_any_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, md, reports = _reports(tmp_path)
    with LocalServer(_planting_app()) as local:
        args = ["--base-url", local.url, "--pixel-id", "1,2", "--retries", "0", *FAST]
        code, out, err = run([*args, *reports], capsys)
    assert code == 1
    assert (
        "known_id (pixel 1): $:json at $: expected a JSON body, got body is not valid JSON" in out
    )
    assert "expected DataValidationError" not in out
    assert "$.pixels[0].delivery_method:enum" in out
    for produced in (out, err, junit.read_text(), md.read_text()):
        for planted in (TOKEN, EMAIL, "jörg", "body@", "BODY-47", "bücher"):
            assert planted not in produced


def test_a_stacked_compression_bomb_is_a_violation_found_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import gzip

    bomb = gzip.compress(gzip.compress(bytes(64 << 20)))
    app = Flask("bomb")

    @app.get("/v1/networks/pixels/<int:pixel_id>")
    def read(pixel_id: int) -> Response:
        headers = {"Content-Encoding": "gzip, gzip"}
        return Response(bomb, 200, headers, content_type="application/json")

    junit, md, reports = _reports(tmp_path)
    started = time.monotonic()
    with LocalServer(app) as local:
        args = ["--base-url", local.url, "--pixel-id", "1", "--timeout", "2", "--max-time", "5"]
        code, out, _ = run([*args, "--retries", "0", *FAST, *reports], capsys)
    assert time.monotonic() - started < 5
    assert code == 1
    assert "known_id (pixel 1): content_encoding at $: expected 200, got the answer to GET" in out
    assert "(Content-Encoding: 'gzip', 'gzip'); the client decodes at most one encoding" in out
    assert "content_encoding" in junit.read_text()
    assert "| content_encoding |" in md.read_text()


@pytest.mark.parametrize("option", ["--junit", "--report"])
def test_a_report_that_would_replace_no_regular_file_is_refused_before_the_run(
    option: str,
    tmp_path: Path,
    fifo: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("nothing runs before the outputs are checked")

    monkeypatch.setattr(cli, "_run", refuse)
    monkeypatch.setattr(cli, "_check_recording", refuse)
    pipe = fifo("report")
    for value, said in [
        (str(pipe), f"{option} {pipe}: a FIFO (named pipe); only a regular file is written"),
        ("", f"{option} '': an empty name names no file"),
        (str(tmp_path), f"{option} {tmp_path}: a folder"),
    ]:
        for target in (["--base-url", "http://127.0.0.1:9/v1"], ["--recording", "x.json"]):
            assert main([*target, option, value]) == 2
            err = capsys.readouterr().err
            assert said in err
            assert err.count("\n") == 1
    assert stat.S_ISFIFO(pipe.stat().st_mode)
