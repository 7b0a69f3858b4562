"""``everflow-mock proxy`` as a user runs it: a real process, stopped by a real signal."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer

from mock_server.cli.command import main
from mock_server.cli.upstream import check_host
from mock_server.testing.local_server import LocalServer
from mock_server.testing.spawn import free_port

from .conftest import DRIFT_ID, KEY, leaks, planted_postbacks


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
            offer_id = planted_postbacks()[0]["network_offer_id"]
            offer = http.get(f"/networks/offers/{offer_id}")  # read-only: no --allow-writes
            assert (offer.status_code, offer.headers["X-Everflow-Violations"]) == (200, "0")
        page_url = f"http://127.0.0.1:{port}/__admin/ui/"
        assert f"page: {page_url}" in banner
        page = httpx.get(page_url, headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code == 200  # the page, from the command's own server
        assert "<td>getPartnerPostback</td><td>2</td><td>1</td>" in page.text
        process.send_signal(signum)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 1, err
    assert "4 requests for" in out
    assert "getPartnerPostback: 2 requests, 1 broken" in out
    assert "getOffer: 1 requests" in out
    assert "recorded 2 postbacks, 1 offer and 0 partners to" in out
    assert "    $.pixel_status:enum: 1" in out
    assert "$.pixel_status:enum" in report.read_text()
    failures = ET.parse(junit).getroot().iter("failure")
    assert any("$.pixel_status:enum" in (f.get("message") or "") for f in failures)
    recorded = json.loads(recording.read_text())["postbacks"]
    assert [p["network_pixel_id"] for p in recorded] == [1, DRIFT_ID]
    (offer_recorded,) = json.loads(recording.read_text())["offers"]
    assert offer_recorded["name"] == recorded[0]["relationship"]["offer"]["name"]
    for text in (banner, out, err, page.text, *(p.read_text() for p in tmp_path.iterdir())):
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


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (
            ["proxy", "--port", "-1"],
            "argument --port: must be a port number (0: any free one), not '-1'",
        ),
        (
            ["proxy", "--port", "4.5"],
            "argument --port: must be a port number (0: any free one), not '4.5'",
        ),
        (
            ["proxy", "--port", "65536"],
            "argument --port: must be a port number (0: any free one), not '65536'",
        ),
        (["proxy", "--rate", "0"], "argument --rate: must be a number > 0, not '0'"),
        (["proxy", "--rate", "inf"], "argument --rate: must be a number > 0, not 'inf'"),
        (["proxy", "--timeout", "nan"], "argument --timeout: must be a number > 0, not 'nan'"),
        (
            ["record", "--out", "x.json", "--pixel-id", "1,x"],
            "pixel ids must be integers, not '1,x'",
        ),
        (
            ["record", "--out", "x.json", "--pixel-id", "3,0"],
            "pixel ids must be positive, not '3,0'",
        ),
        (
            ["record", "--out", "x.json", "--pixel-id", " , "],
            "pixel ids must be positive, not ' , '",
        ),
    ],
)
def test_an_option_out_of_range_is_a_usage_error_naming_it(
    options: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(options)
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(said)


def test_the_smallest_port_and_rate_are_taken() -> None:
    from mock_server.cli.command import build_parser

    args = build_parser().parse_args(["proxy", "--port", "0", "--rate", "1e-9", "--timeout", "2"])
    assert (args.port, args.rate, args.timeout) == (0, 1e-9, 2.0)
    args = build_parser().parse_args(
        ["record", "--out", "x", "--pixel-id", "1, 2", "--pixel-id", "3"]
    )
    assert args.pixel_id == [[1, 2], [3]]


def test_the_documented_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_server.cli.command import build_parser

    proxy = build_parser().parse_args(["proxy"])
    assert (proxy.upstream, proxy.host, proxy.port, proxy.timeout, proxy.rate) == (
        None,  # Everflow's (options.everflow)
        "127.0.0.1",
        4011,
        30.0,
        5.0,
    )
    assert (proxy.api_key_env, proxy.allow_writes, proxy.quiet, proxy.no_scrub) == (
        "EVERFLOW_API_KEY",
        False,
        False,
        False,
    )
    record = build_parser().parse_args(["record", "--out", "x.json"])
    assert (record.max_time, record.pixel_id, record.api_key_env) == (
        300.0,
        None,
        "EVERFLOW_API_KEY",
    )


@pytest.mark.parametrize(
    ("command", "options"),
    [
        (
            "proxy",
            [
                "--upstream URL",
                "--host HOST",
                "--allow-remote-clients",
                "--port PORT",
                "--allow-writes",
                "--record FILE",
                "--report FILE.md",
                "--junit FILE",
                "--quiet",
                "--api-key-env VAR",
                "--rate PER_S",
                "--timeout S",
                "--no-scrub",
                "--i-know-this-keeps-secrets",
            ],
        ),
        (
            "record",
            [
                "--base-url URL",
                "--out FILE",
                "--pixel-id ID",
                "--max-time S",
                "--api-key-env VAR",
                "--rate PER_S",
                "--timeout S",
                "--no-scrub",
                "--i-know-this-keeps-secrets",
            ],
        ),
    ],
)
def test_every_option_is_named_as_the_docs_name_it_and_described(
    command: str, options: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    described = capsys.readouterr().out.partition("\noptions:\n")[2]
    for option in options:  # the option, its value's name, then words (not the next option)
        assert re.search(rf"^  {re.escape(option)}\s+[a-zA-Z]", described, re.MULTILINE), option
    assert described.count("\n  --") == len(options)


@pytest.mark.parametrize("option", ["--record", "--report", "--junit"])
def test_an_output_in_a_missing_folder_is_refused_before_serving(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "out.json"
    assert main(["proxy", "--port", "0", option, str(target)]) == 2
    assert f"{option} {target}: no folder" in capsys.readouterr().err


TOKEN = "tok-BODY-4711x"


EMAIL = "jörg.body@bücher-mail.de"


BODY_SECRETS = (TOKEN, EMAIL, "jörg", "body@", "BODY-47")
"""What the upstream's answers hold that no output may show, or any 5 characters of them
(``body@``: the e-mail's ASCII middle)."""


def _broken_upstream(httpserver: HTTPServer) -> None:
    """An upstream whose answers plant a token and an e-mail address every way the checks
    could quote them: a body cut short, values the schema refuses, a property name, a
    rate-limit header, a media type, and a stacked-gzip bomb."""
    import gzip

    planted = f"{TOKEN} {EMAIL}"
    whole = json.dumps({"network_pixel_id": 1, "postback_url": f"https://x/?t={TOKEN}&e={EMAIL}"})
    cut_short = whole.encode()[:-30]
    invalid = {
        "network_pixel_id": planted,
        "delivery_method": planted,
        "pixel_status": {planted: [planted]},
        "postback_url": EMAIL,
        planted: planted,
        TOKEN: 1,
    }
    answers: dict[str, tuple[bytes, dict[str, str]]] = {
        "/v1/networks/pixels/1": (cut_short, {}),
        "/v1/networks/pixels/2": (json.dumps(invalid).encode(), {}),
        "/v1/networks/pixels/3": (b'{"network_pixel_id": 3}', {"X-RateLimit-Limit": TOKEN}),
        "/v1/networks/pixels/4": (gzip.compress(gzip.compress(bytes(64 << 20))), {}),
    }
    for path, (body, headers) in answers.items():
        if path.endswith("/4"):
            headers = {"Content-Encoding": "gzip, gzip"}
        httpserver.expect_request(path).respond_with_data(
            body, headers=headers, content_type="application/json"
        )
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_data(
        planted.encode(), content_type=f"text/{TOKEN}"
    )
    httpserver.expect_request("/v1/networks/pixels/6").respond_with_json(
        {"error": planted}, status=404
    )
    recorded = {"network_pixel_id": 7, "delivery_method": planted, planted: 1, EMAIL: {TOKEN: 2}}
    httpserver.expect_request("/v1/networks/pixels/7").respond_with_json(recorded)


def _body_leaks(text: str) -> list[str]:
    return [secret for secret in BODY_SECRETS if secret in text]


@pytest.mark.slow
def test_no_part_of_an_answers_body_reaches_any_output(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    _broken_upstream(httpserver)
    report, junit, recording = tmp_path / "r.md", tmp_path / "j.xml", tmp_path / "rec.json"
    process, port = start_proxy(
        httpserver.url_for("/v1"),
        *("--timeout", "2", "--report", str(report), "--junit", str(junit)),
        *("--record", str(recording)),
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            counts = [
                http.get(f"/v1/networks/pixels/{n}").headers["X-Everflow-Violations"]
                for n in range(1, 8)
            ]
            bomb = http.get("/v1/networks/pixels/4")
            journal = http.get("/__admin/requests").text
    finally:
        out, err = stop(process, signal.SIGINT)
    assert counts[0] != "0"
    assert counts[1] != "0"
    assert bomb.status_code == 502
    assert "encoded 2 times" in bomb.text
    assert "body is not valid JSON" in journal
    assert "body is not valid JSON" in out  # the access log
    assert "body is not valid JSON" in report.read_text()
    assert "body is not valid JSON" in junit.read_text()
    assert "DataValidationError" not in out
    scrub_report = json.loads((tmp_path / "rec.json.scrub.json").read_text())
    assert scrub_report["drift"][0]["network_pixel_id"] == 7
    # the recording itself is the scrubber's to clean (by allow-list); its report names
    # paths, rules and counts only
    for text in (
        out,
        err,
        journal,
        report.read_text(),
        junit.read_text(),
        json.dumps(scrub_report),
    ):
        assert _body_leaks(text) == [], text[
            max(0, text.find("BODY-47") - 300) : text.find("BODY-47") + 100
        ]
        assert leaks(text) == []


CALLER_KEY = "clé-sécrète-àpi-0042"
"""A caller's key that is not ASCII: waitress decodes its UTF-8 bytes as Latin-1."""


def _key_forms(key: str) -> list[str]:
    """Every way an output could write ``key``: raw, as its UTF-8 bytes read as Latin-1,
    percent-encoded from UTF-8 or Latin-1 bytes, upper- or lower-case hex."""
    import urllib.parse

    mojibake = key.encode().decode("latin-1")
    quoted = [urllib.parse.quote(key), urllib.parse.quote(key, encoding="latin-1")]
    quoted += [urllib.parse.quote(mojibake)]
    return [key, mojibake, *quoted, *(q.lower() for q in quoted)]


@pytest.mark.slow
def test_a_callers_key_is_masked_in_every_form_and_long_keys_cost_only_themselves(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/v1/networks/pixels/3").respond_with_json({"network_pixel_id": 3})
    process, port = start_proxy(
        httpserver.url_for("/v1"),
        *("--rate", "1000", "--report", str(tmp_path / "r.md"), "--junit", str(tmp_path / "j.xml")),
    )
    forms = _key_forms(CALLER_KEY)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/v1", timeout=30) as http:
            raw_key = {"X-Eflow-Api-Key": CALLER_KEY.encode()}
            for form in forms[2:]:
                refused = http.get(f"/networks/pixels/3?api_key={form}", headers=raw_key)
                assert refused.status_code == 400
            # 20 callers with distinct 60 KB keys: each refused before anything ...
            started = time.monotonic()
            for n in range(20):
                long_key = f"{n:02d}" + "k" * 60_000
                got = http.get(
                    f"/networks/pixels/3?api_key={long_key[:100]}",
                    headers={"X-Eflow-Api-Key": long_key},
                )
                assert got.status_code == 400
                assert "longer than 256 characters" in got.json()["error"]
            # ... and 100 with distinct keys at the cap, passed on and remembered
            for n in range(100):
                got = http.get(
                    "/networks/pixels/3", headers={"X-Eflow-Api-Key": f"{n:03d}" + "q" * 253}
                )
                assert got.status_code == 200
            churn = time.monotonic() - started
            started = time.monotonic()
            assert http.get("/networks/pixels/3").status_code == 200
            ordinary = time.monotonic() - started
            journal = http.get(f"http://127.0.0.1:{port}/__admin/requests").text
    finally:
        out, err = stop(process, signal.SIGINT)
    assert ordinary < 1.0, ordinary  # it took 25.8 s after 20 distinct 60 KB keys
    assert churn < 30, churn
    outputs = [out, err, journal, *(p.read_text() for p in tmp_path.iterdir())]
    for text in outputs:
        for form in forms:
            assert form[3:11] not in text, (form, text[:2000])
        assert "kkkkkkkk" not in text
        assert leaks(text) == []
    assert json.loads(journal)["requests"][-1]["path"] == "/v1/networks/pixels/3"


def start_proxy(upstream: str, *options: str, key: str = KEY) -> tuple[subprocess.Popen[str], int]:
    """``everflow-mock proxy`` in front of ``upstream``, serving once its banner is out:
    the process and its port."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mock_server.cli",
            "proxy",
            "--upstream",
            upstream,
            "--port",
            str(port),
            *options,
        ],
        env={**os.environ, "EVERFLOW_API_KEY": key},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert f":{port}/v1 -> {upstream}" in process.stdout.readline()
    return process, port


def stop(process: subprocess.Popen[str], *signals: int) -> tuple[str, str]:
    """Send ``signals`` 20 ms apart (signals sent at once arrive as one); what the proxy
    printed once it ended."""
    try:
        for n, signum in enumerate(signals):
            time.sleep(0.02 if n else 0)
            process.send_signal(signum)
        return process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def raw_request(port: int, method: str, target: str) -> tuple[int, bytes]:
    """Send ``method target`` as it is (no client normalises it); the status and the
    header block of the answer."""
    request = (
        f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request.encode("latin-1"))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head = answer.partition(b"\r\n\r\n")[0]
    return int(head.split()[1]), head


LEAVING_V1 = [
    "/v1/../admin",
    "/v1/networks/pixels/..%2F..%2F..%2Fv2%2Fsecret",
    "/v1/networks/pixels/%2e%2e/%2E%2E/%2e%2e/admin",
    "/v1/networks/%252e%252e/%252e%252e/admin",
    "/v1/networks/pixels/" + "%25252e%25252e%25252f" * 3 + "admin",
    "/v1/networks/..\\..\\admin",
    "/v1/networks/..%5C..%5C..%5Cadmin",
    "/v1/..;/admin",
    "/v1/./../admin",
    "//v1//..//..//admin",
    "/v1%2F..%2Fadmin",
    "/v1/networks/pixels/..%00/..%00/..%00/admin",
    "/v1/networks/pixels/../../../v1/../v2/secret",
]
"""Request targets that leave ``/v1`` once decoded and normalised."""


@pytest.mark.slow
@pytest.mark.parametrize("writes", [[], ["--allow-writes"]])
def test_nothing_outside_v1_ever_reaches_the_upstream(
    httpserver: HTTPServer, writes: list[str]
) -> None:
    euro = "€ und Grüße"
    httpserver.expect_request(re.compile(".*")).respond_with_json(
        {"error": "Not found"}, 404, headers={"X-Note": euro.encode().decode("latin-1")}
    )
    process, port = start_proxy(httpserver.url_for("/v1"), *writes)
    try:
        targets = LEAVING_V1 + [f"http://127.0.0.1:{port}{path}" for path in LEAVING_V1[:3]]
        refused = [
            raw_request(port, method, target)[0]
            for target in targets
            for method in ("GET", "DELETE", "POST")
        ]
        inside, head = raw_request(port, "GET", "/v1/networks/x/..%2Fpixels/./5")
        write, _ = raw_request(port, "DELETE", "/v1/networks/pixels/./6")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            journal = http.get("/__admin/requests").json()["requests"]
    finally:
        _, err = stop(process, signal.SIGTERM)
    assert refused == [404] * len(targets) * 3
    arrived = [request.environ["REQUEST_URI"] for request, _ in httpserver.log]
    # a write inside /v1 is passed on only with --allow-writes
    assert arrived == ["/v1/networks/pixels/5"] + ["/v1/networks/pixels/6"] * len(writes)
    assert write == (404 if writes else 403)
    # the upstream's header, not Latin-1, reaches the client as it was sent, and the
    # journal says what the client got
    assert inside == 404
    assert b"\r\nX-Note: " + euro.encode() + b"\r\n" in head + b"\r\n"
    assert [(e["path"], e["status"]) for e in journal] == [
        ("/v1/networks/pixels/5", 404),
        ("/v1/networks/pixels/6", write),
    ]
    assert process.returncode == 0, err
    assert "Traceback" not in err


@pytest.mark.slow
@pytest.mark.parametrize(
    "signals",
    [
        [signal.SIGTERM, signal.SIGTERM],
        [signal.SIGINT, signal.SIGTERM, signal.SIGINT],
        [signal.SIGTERM] * 5,
    ],
)
def test_signals_in_quick_succession_end_the_proxy_cleanly(
    httpserver: HTTPServer, tmp_path: Path, signals: list[int]
) -> None:
    httpserver.expect_request("/v1/networks/pixels/5").respond_with_json({"error": "x"}, 404)
    report = tmp_path / "report.md"
    process, port = start_proxy(httpserver.url_for("/v1"), "--report", str(report))
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/v1") as http:
        assert http.get("/networks/pixels/5").status_code == 404
    out, err = stop(process, *signals)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "Error" not in err
    assert "1 request for" in out
    assert report.is_file()


def test_a_host_beyond_loopback_is_refused_without_its_option(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", KEY)
    assert main(["proxy", "--host", "0.0.0.0", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "--host 0.0.0.0 is not a loopback address" in err
    assert "the key in $EVERFLOW_API_KEY (the operator's) is added" in err
    assert "add --allow-remote-clients" in err
    assert err.count("\n") == 1
    assert leaks(err) == []


@pytest.mark.parametrize(
    ("host", "key", "said"),
    [
        ("127.0.0.1", KEY, None),
        ("localhost", KEY, None),
        ("::1", KEY, None),
        (
            "0.0.0.0",
            KEY,
            "the key in $EVERFLOW_API_KEY (the operator's) is added to every request that "
            "carries none",
        ),
        ("192.0.2.7", "", "no key is set ($EVERFLOW_API_KEY): each client's own key is passed on"),
    ],
)
def test_listening_beyond_loopback_says_whose_key_the_proxy_relays(
    host: str, key: str, said: str | None
) -> None:
    args = argparse.Namespace(host=host, allow_remote_clients=True, api_key_env="EVERFLOW_API_KEY")
    warning = check_host(args, key)
    if said is None:
        assert warning is None
    else:
        assert warning is not None
        assert f"listening on {host}, beyond loopback (--allow-remote-clients)" in warning
        assert said in warning


@pytest.mark.slow
def test_the_proxy_started_beyond_loopback_says_so_first(httpserver: HTTPServer) -> None:
    process, _ = start_proxy(
        httpserver.url_for("/v1"), "--host", "0.0.0.0", "--allow-remote-clients"
    )
    _, err = stop(process, signal.SIGTERM)
    assert err.splitlines()[0].startswith("everflow-mock proxy: listening on 0.0.0.0, beyond")
    assert "(the operator's)" in err
    assert process.returncode == 0, err


@pytest.mark.parametrize("option", ["--record", "--report", "--junit"])
def test_an_output_that_is_no_regular_file_is_refused_before_serving(
    option: str, fifo: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    pipe = fifo("out")
    assert main(["proxy", "--port", "0", option, str(pipe)]) == 2
    assert f"{option} {pipe}: a FIFO (named pipe)" in capsys.readouterr().err
    assert main(["proxy", "--port", "0", option, ""]) == 2
    assert f"{option} '': an empty name names no file" in capsys.readouterr().err
    assert stat.S_ISFIFO(pipe.stat().st_mode)


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


@pytest.mark.slow
def test_a_second_signal_stops_the_recordings_scrubbing_and_writes_nothing(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    macros = "{sub1}" * 10_000  # slow to judge, a macro at a time: about 0.5 s a postback
    for pixel_id in range(1, 41):  # about 20 s of scrubbing in all
        postback = {"network_pixel_id": pixel_id, "notes": [macros] * 16}
        path = f"/v1/networks/pixels/{pixel_id}"
        httpserver.expect_request(path).respond_with_json(postback)
    out = tmp_path / "rec.json"
    process, port = start_proxy(httpserver.url_for("/v1"), "--record", str(out), "--quiet")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/v1") as http:
        for pixel_id in range(1, 41):
            assert http.get(f"/networks/pixels/{pixel_id}").status_code == 200
    process.send_signal(signal.SIGTERM)  # stops the proxy; the recording is written ...
    assert process.stdout is not None
    while "requests for" not in (line := process.stdout.readline()):
        assert line, "the proxy ended before its summary"
    started = time.monotonic()
    _, err = stop(process, signal.SIGTERM)  # ... unless a second signal says now
    assert process.returncode == 130, err
    assert time.monotonic() - started < 8  # not the 20 s the scrubbing takes
    assert f"interrupted; {out} was not written" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


JSON_TYPE = {"Content-Type": "application/json"}


PAGE_HEADERS = [
    # what pages on other origins send (a no-cors fetch needs no preflight)
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"},
    {"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:8123"},  # another port
    {"Sec-Fetch-Site": "CROSS-SITE"},
    {"Origin": "http://localhost:8123"},  # a browser that sends no Sec-Fetch-Site
    {"Origin": "https://evil.example"},  # https is no pass: the host is compared
    {"Origin": "https://localhost:8123"},
    # DNS rebinding: the page's own name pointed at 127.0.0.1, same-origin to the browser
    {"Host": "attacker.rebind.example:5700", "Sec-Fetch-Site": "same-origin"},
    {"Host": "evil.example"},
]


@pytest.mark.slow
def test_a_web_page_cannot_drive_the_proxy(httpserver: HTTPServer) -> None:
    httpserver.expect_request(re.compile(".*")).respond_with_json({"network_pixel_id": 9}, 200)
    process, port = start_proxy(httpserver.url_for("/v1"), "--allow-writes")
    body = json.dumps({"network_offer_id": 1})
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            refused = []
            for page in PAGE_HEADERS:
                for content_type in ("text/plain", "application/json"):
                    headers = {**page, "Content-Type": content_type}
                    write = http.post("/v1/networks/pixels", content=body, headers=headers)
                    refused.append(write.status_code)
                    assert "error" in write.json()  # Everflow's error shape
                read = http.get("/v1/networks/pixels/1", headers=page)
                journal = http.get("/__admin/requests", headers=page)
                refused += [read.status_code, journal.status_code]
            plain = http.post(
                "/v1/networks/pixels", content=body, headers={"Content-Type": "text/plain"}
            )
            form = http.post("/v1/networks/pixels", data={"network_offer_id": "1"})
            arrived_before = len(httpserver.log)
            # curl, httpx, requests: no Origin, no Sec-Fetch-Site, JSON declared
            write = http.post("/v1/networks/pixels", content=body, headers=JSON_TYPE)
            read = http.get("/v1/networks/pixels/1")
            # its own page behind a reverse proxy that ends TLS: an https Origin, same host
            behind_tls = {"Origin": f"https://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"}
            tls_read = http.get("/v1/networks/pixels/1", headers=behind_tls)
            own_origin = {"Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"}
            journal = http.get("/__admin/requests", headers=own_origin)
    finally:
        out, err = stop(process, signal.SIGTERM)
    assert refused == [403] * len(PAGE_HEADERS) * 4
    assert (plain.status_code, form.status_code) == (415, 415)
    assert arrived_before == 0  # nothing a page sent reached the upstream, key or not
    assert (write.status_code, read.status_code, journal.status_code) == (200, 200, 200)
    assert tls_read.status_code == 200
    assert [request.method for request, _ in httpserver.log] == ["POST", "GET", "GET"]
    # refusals are in the access log, not in the journal
    assert [e["method"] for e in journal.json()["requests"]] == ["POST", "GET", "GET"]
    assert out.count("POST /v1/networks/pixels 403") == len(PAGE_HEADERS) * 2
    assert out.count("POST /v1/networks/pixels 415") == 2
    assert "Traceback" not in err


@pytest.mark.slow
def test_a_run_where_no_answer_was_usable_exits_1_and_says_so(httpserver: HTTPServer) -> None:
    import gzip

    bomb = gzip.compress(gzip.compress(bytes(64 << 20)))
    httpserver.expect_request("/v1/networks/pixels/4").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip, gzip"}, content_type="application/json"
    )
    process, port = start_proxy(httpserver.url_for("/v1"))
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/v1", timeout=30) as http:
        statuses = [http.get("/networks/pixels/4").status_code for _ in range(2)]
    out, err = stop(process, signal.SIGTERM)
    assert statuses == [502, 502]
    assert "2 requests for" in out
    assert "2 got no usable answer (502, 504); 0 answers broke the spec" in out
    assert process.returncode == 1, err


def test_a_signal_between_the_stop_and_the_writing_still_stops_the_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mock_server.cli import proxy as proxy_command
    from mock_server.proxy.record import Recording

    recording = Recording()
    recording.add({"network_pixel_id": 1})
    out = tmp_path / "rec.json"
    args = argparse.Namespace(record=out, no_scrub=False)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:  # the command sets the handlers of its own process: this one's are put back
        monkeypatch.setattr(proxy_command.SIGNALLED, "again", True)  # as note() leaves it
        with pytest.raises(KeyboardInterrupt):
            proxy_command._write_recording(args, recording, [KEY])
        assert list(tmp_path.iterdir()) == []
        monkeypatch.setattr(proxy_command.SIGNALLED, "again", False)
        proxy_command._write_recording(args, recording, [KEY])
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert json.loads(out.read_text())["postbacks"][0]["network_pixel_id"] == 1
