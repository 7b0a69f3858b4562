"""The API key never appears in anything the suite produces, even when a server echoes it."""

from __future__ import annotations

import html
import json
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask, Response, request

import contract_tests
from contract_tests.cli import main
from contract_tests.probe_postback import PROBE_MARKER
from mock_server import create_app
from mock_server.testing.local_server import LocalServer
from openapi.remote.masking import MASK

CANARY = "canary-key-5f1e9c2b"
# Characters that XML, JSON, Markdown and Python's repr escape; and a key longer than any
# cut the reports make (values used to be cut to 120 characters before they were masked).
CANARIES = {
    "plain": CANARY,
    "escapable": "canary&<>|\"'-5f1e9c2b",
    "long": "canary-long-" + "9f8e7d6c5b4a3210" * 20,
    "long-escapable": "c&a<n>a|r\"y'-" + "0123456789abcdef" * 12 + "&<>|\"'",
}


def leaks(produced: str, key: str) -> list[str]:
    """Every way ``key`` shows in ``produced``: whole, escaped, or 8+ characters of it."""
    forms = {
        key,
        html.escape(key),
        html.escape(key, quote=False),
        html.escape(key).replace("&#x27;", "&apos;"),
        json.dumps(key)[1:-1],
        repr(key)[1:-1],
        key.replace("|", "\\|"),
        quoted(key),
        quoted(key).lower(),
        urllib.parse.quote(key),
    }
    found = [form for form in forms if form in produced]
    for form in forms:
        found += [form[i : i + 8] for i in range(len(form) - 7) if form[i : i + 8] in produced]
    return found


def quoted(key: str) -> str:
    """``key`` percent-encoded, as in a URL's query."""
    return urllib.parse.quote(key, safe="")


def echoing_app() -> Flask:
    """A server that puts whatever key it gets into bodies, headers and error messages, for
    every operation: reads, pages, and writes (a create answers an id, so that the write
    probes go on to replace and delete it); raw, and percent-encoded (in a header, the
    ``Content-Type`` of its 404s, and a JSON key)."""
    app = Flask("echo")

    def echo(status: int, body: object) -> Response:
        key = request.headers.get("X-Eflow-Api-Key", "")
        headers = {
            "X-Echo": key,
            "X-RateLimit-Limit": key or "x",
            "X-RateLimit-Remaining": quoted(key) or "x",
        }
        media_type = f"text/x-{quoted(key)}" if status == 404 else "application/json"
        return Response(json.dumps(body), status, headers, content_type=media_type)

    def postback(pixel_id: object) -> dict[str, object]:
        key = request.headers.get("X-Eflow-Api-Key", "")
        return {
            "network_pixel_id": pixel_id,
            "description": f"{PROBE_MARKER} {key} - safe to delete",
            "pixel_level": "global",
            "network_affiliate_id": 7,
            "network_offer_id": 0,
            key: key,
            quoted(key): 1,
            "delay_ms": key[:150],
        }

    @app.get("/v1/networks/pixels/<int:pixel_id>")
    def pixel(pixel_id: int) -> Response:
        key = request.headers.get("X-Eflow-Api-Key", "")
        if pixel_id > 10**12:
            return echo(404, {"error": f"no pixel for key {key}"})
        return echo(200, {**postback(key), "network_pixel_id": key})

    @app.route("/v1/networks/pixels", methods=["GET", "POST"])
    @app.post("/v1/networks/pixelstable")
    def pages() -> Response:
        key = request.headers.get("X-Eflow-Api-Key", "")
        if request.path.endswith("/pixels") and request.method == "POST":
            return echo(200, postback(5))
        paging = {"page": key, "page_size": 5, "total_count": key}
        return echo(200, {"pixels": [postback(5), postback(key)], "paging": paging, key: key})

    @app.route("/v1/networks/pixels/<int:pixel_id>", methods=["PUT", "DELETE"])
    def write(pixel_id: int) -> Response:
        key = request.headers.get("X-Eflow-Api-Key", "")
        if request.method == "PUT":
            return echo(200, {**postback(pixel_id), "time_saved": key})
        return echo(500, {"error": f"cannot delete for key {key}", "result": key})

    return app


@pytest.fixture
def echo_url() -> object:
    with LocalServer(echoing_app()) as local:
        yield local.url


MODES = {"read-only": [], "allow-writes": ["--allow-writes"], "cleanup": ["--cleanup"]}


@pytest.mark.parametrize("mode", MODES.keys())
@pytest.mark.parametrize("key", CANARIES.values(), ids=CANARIES.keys())
def test_cli_never_prints_or_writes_the_key(
    key: str,
    mode: str,
    echo_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", key)
    junit, report = tmp_path / "junit.xml", tmp_path / "report.md"
    code = main(
        [
            "--base-url",
            echo_url,
            "--pixel-id",
            "7",
            "--junit",
            str(junit),
            "--report",
            str(report),
            "--rate",
            "1000",
            "--retries",
            "0",
            *MODES[mode],
        ]
    )
    assert code == 1
    out, err = capfd.readouterr()
    produced = out + err + junit.read_text() + report.read_text()
    # the echoed key really was in findings and writes
    if mode == "cleanup":
        assert "DELETE /v1/networks/pixels/5 (pixel 5): 500" in produced
        assert "paging_page at $.paging.page" in produced
    else:
        assert "pixel_id" in produced
        assert "paging_page at $.paging.page" in produced
    if mode == "allow-writes":
        assert "create_stored at $.description" in produced
        assert "time_saved_forward at $.time_saved" in produced
        assert "write: PUT /v1/networks/pixels/5 (pixel 5): 200" in produced
    assert leaks(produced, key) == []
    if mode != "cleanup":
        # the echoed key, masked as it arrived, is named by its size, never shown
        said = f"pixel_id at $.network_pixel_id: expected 7, got a string of {len(MASK)} characters"
        assert said in produced
    ET.fromstring(junit.read_text())  # still well-formed


@pytest.mark.slow
@pytest.mark.parametrize("writes", [False, True], ids=["read-only", "allow-writes"])
def test_pytest_path_never_shows_the_key(
    writes: bool, pytester: pytest.Pytester, echo_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = CANARIES["long-escapable"]
    suite = Path(contract_tests.__file__).parent / "test_contract.py"
    monkeypatch.setenv("EVERFLOW_API_KEY", key)
    result = pytester.runpytest_subprocess(
        str(suite),
        "-p",
        "no:cacheprovider",
        "-k",
        "url",
        "-rA",
        "-vv",
        "--everflow-contract-url",
        echo_url,
        "--everflow-pixel-id",
        "7",
        "--everflow-rate",
        "1000",
        "--everflow-backoff",
        "0.001",
        *(["--everflow-allow-writes"] if writes else []),
    )
    produced = result.stdout.str() + result.stderr.str()
    assert "FAILED" in produced
    assert "test_list_answers_a_valid_consistent_page" in produced
    if writes:
        assert "test_writes_behave_as_state_and_leave_nothing_behind" in produced
        assert "create_stored" in produced
    assert leaks(produced, key) == []


def test_the_mock_journal_and_logs_never_hold_the_key_in_clear(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", CANARY)
    app = create_app()
    with LocalServer(app) as local:
        assert main(["--base-url", local.url, "--pixel-id", "3", "--rate", "1000"]) == 0
        journal = app.test_client().get("/__admin/requests").get_data(as_text=True)
    out, err = capfd.readouterr()
    assert CANARY not in journal + out + err


def test_transport_errors_do_not_carry_the_key(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", CANARY)
    code = main(["--base-url", "http://127.0.0.1:9/v1", "--pixel-id", "3", "--retries", "0"])
    assert code == 2
    out, err = capfd.readouterr()
    assert "transport" in out
    assert CANARY not in out + err


def test_credentials_in_the_base_url_are_refused_and_never_shown(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    junit, report = tmp_path / "junit.xml", tmp_path / "report.md"
    with LocalServer(create_app()) as local:
        url = local.url.replace("http://", "http://user:hunter2-s3cr3t-9x@")
        args = [
            "--base-url",
            url,
            "--pixel-id",
            "3",
            "--junit",
            str(junit),
            "--report",
            str(report),
        ]
        assert main(args) == 2
    out, err = capfd.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "credentials in the base URL are refused" in err
    assert "EVERFLOW_API_KEY" in err
    assert leaks(out + err, "hunter2-s3cr3t-9x") == []
    assert not junit.exists()
    assert not report.exists()
