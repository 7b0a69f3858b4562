"""Recording production: a scrubbed data file the mock serves, its report, drift marked and
refused unless allowed, written whole or not at all."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mock_server import MockConfig, MockState
from mock_server.app import MockApp
from mock_server.cli import record as record_command
from mock_server.cli.command import main
from mock_server.data.datafile import DataFileError, load_data_file
from mock_server.proxy.record import Recording, report_path
from mock_server.proxy.scrub import Deadline
from mock_server.testing.local_server import LocalServer
from mock_server.testing.spawn import free_port
from openapi.httpx_validation import response_violations
from openapi.remote.checks import shown_name
from openapi.remote.failures import OutOfTime
from openapi.violations import shape

from .conftest import DRIFT_ID, KEY, leaks, planted_postbacks

JSON = "application/json"


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", KEY)


def _admin(production: LocalServer, method: str = "GET") -> list[dict[str, object]]:
    answer = httpx.request(method, f"{production.root}/__admin/requests")
    return list(answer.json().get("requests", [])) if method == "GET" else []


def record(production: LocalServer, out: Path, *more: str) -> int:
    return main(
        ["record", "--base-url", production.url, "--out", str(out), "--rate", "1000", *more]
    )


@pytest.mark.usefixtures("key_env")
def test_record_pages_through_every_postback(
    production: LocalServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_command, "PAGE_SIZE", 2)
    _admin(production, "DELETE")
    out = tmp_path / "production.json"
    assert record(production, out) == 0
    recorded = json.loads(out.read_text())["postbacks"]
    assert [p["network_pixel_id"] for p in recorded] == [
        p["network_pixel_id"] for p in planted_postbacks()
    ]
    pages = [r for r in _admin(production) if r["operation"] == "listPartnerPostbacks"]
    assert [r["query"] for r in pages] == [{"page": str(n), "page_size": "2"} for n in (1, 2, 3)]


def full_pages(httpserver: HTTPServer, total: int | None) -> None:
    """An upstream whose every list page is full (2 postbacks, ids going on from page to
    page), claiming ``total`` postbacks in all (``None``: not saying)."""

    def page(request: Request) -> Response:
        number = int(request.args["page"])
        paging = {} if total is None else {"paging": {"page": number, "total_count": total}}
        pixels = [{"network_pixel_id": 2 * number - 1}, {"network_pixel_id": 2 * number}]
        return Response(json.dumps({"pixels": pixels, **paging}), 200, mimetype=JSON)

    httpserver.expect_request("/v1/networks/pixels").respond_with_handler(page)


def pages_read(httpserver: HTTPServer) -> list[str]:
    return [request.args["page"] for request, _ in httpserver.log]


@pytest.mark.usefixtures("key_env")
@pytest.mark.parametrize(
    ("total", "pages"), [(4, ["1", "2"]), (3, ["1", "2"]), (5, ["1", "2", "3"])]
)
def test_paging_stops_once_the_total_count_is_read(
    httpserver: HTTPServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    total: int,
    pages: list[str],
) -> None:
    monkeypatch.setattr(record_command, "PAGE_SIZE", 2)
    full_pages(httpserver, total)
    out = tmp_path / "rec.json"
    argv = ["record", "--base-url", httpserver.url_for("/v1"), "--out", str(out), "--rate", "1000"]
    assert main(argv) == 0
    assert pages_read(httpserver) == pages
    assert len(json.loads(out.read_text())["postbacks"]) == 2 * len(pages)


@pytest.mark.usefixtures("key_env")
def test_paging_stops_at_max_pages_when_every_page_is_full(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(record_command, "PAGE_SIZE", 2)
    monkeypatch.setattr(record_command, "MAX_PAGES", 3)
    full_pages(httpserver, None)
    out = tmp_path / "rec.json"
    argv = ["record", "--base-url", httpserver.url_for("/v1"), "--out", str(out), "--rate", "1000"]
    assert main(argv) == 0
    assert pages_read(httpserver) == ["1", "2", "3"]
    assert [p["network_pixel_id"] for p in json.loads(out.read_text())["postbacks"]] == [
        1,
        2,
        3,
        4,
        5,
        6,
    ]


def test_an_answer_keeps_the_postbacks_of_a_list_page_or_a_read_only() -> None:
    recording = Recording()
    recording.add_answer("/v1/networks/pixels/", {"pixels": [{"network_pixel_id": 4}]})
    recording.add_answer("/v1/networks/pixels/7", {"network_pixel_id": 7})
    recording.add_answer("/v1/networks/pixels/8", "network_pixel_id")  # no postback
    recording.add_answer("/v1/networks/pixels/9", ["network_pixel_id"])
    recording.add_answer("/v1/networks/pixels/10", {"error": "not found"})
    # a page of items under a path that is not the list's is not read as one
    recording.add_answer("/v1/networks/pixels/X", {"pixels": [{"network_pixel_id": 11}]})
    assert [p["network_pixel_id"] for p in recording.postbacks()] == [4, 7]


@pytest.mark.usefixtures("key_env")
def test_no_planted_value_or_piece_of_the_key_is_in_any_output(
    production: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "production.json"
    assert record(production, out) == 0
    written = capsys.readouterr()
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name, report_path(out).name]
    for text in (out.read_text(), report_path(out).read_text(), written.out, written.err):
        assert leaks(text) == []


@pytest.mark.usefixtures("key_env")
def test_the_report_names_paths_counts_and_drift_never_values(
    production: LocalServer, tmp_path: Path
) -> None:
    out = tmp_path / "production.json"
    assert record(production, out) == 0
    report = json.loads(report_path(out).read_text())
    assert report["scrubbed"] is True
    assert report["postbacks"] == len(planted_postbacks())
    sections = (report, report["offers"], report["affiliates"])
    assert report["values_scrubbed"] == sum(sum(s["paths"].values()) for s in sections) > 0
    assert "$.postback_url" in report["paths"]
    (drift,) = report["drift"]
    assert drift["network_pixel_id"] == DRIFT_ID
    assert drift["violations"] == [
        {"rule": "$.pixel_status:enum", "path": "$.pixel_status", "keyword": "enum"}
    ]
    written = out.read_text()
    ids = [postback["network_pixel_id"] for postback in json.loads(written)["postbacks"]]
    assert drift["index"] == ids.index(DRIFT_ID)  # where to find it in the recording
    assert report["recording"] == out.name
    assert report["offers"]["not_recorded"] == report["affiliates"]["not_recorded"] == 0
    assert written.startswith('{\n  "postbacks": [\n    {\n      "')  # readable, diffable
    assert "halted" not in report_path(out).read_text()
    # production's postback 1 carries a field the spec does not document: named, not refused
    assert [(u["network_pixel_id"], u["paths"]) for u in report["undocumented"]] == [
        (1, ["$.brand_new_field"])
    ]
    assert report["undocumented"][0]["index"] == ids.index(1)


@pytest.mark.usefixtures("key_env")
def test_serve_refuses_drift_naming_it_and_serves_it_with_allow_drift(
    production: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "production.json"
    assert record(production, out) == 0
    with pytest.raises(DataFileError, match=rf"network_pixel_id {DRIFT_ID}\).*\n.*pixel_status"):
        load_data_file(out)
    capsys.readouterr()
    assert main(["serve", "--port", str(free_port()), "--data", str(out)]) == 2
    assert f"(network_pixel_id {DRIFT_ID})" in capsys.readouterr().err
    app = MockApp(MockConfig(postbacks=load_data_file(out, allow_drift=True)))
    recorded = {p["network_pixel_id"]: p for p in json.loads(out.read_text())["postbacks"]}
    with (
        LocalServer(app) as live,
        httpx.Client(base_url=live.url, headers={"X-Eflow-Api-Key": "k"}) as http,
    ):
        for pixel_id, postback in recorded.items():
            answer = http.get(f"/networks/pixels/{pixel_id}")
            assert answer.json() == postback  # served as recorded
            if pixel_id != DRIFT_ID:
                assert response_violations(answer) == []  # and it validates


@pytest.mark.usefixtures("key_env")
def test_a_recording_without_drift_loads_as_the_fixtures_load_it(
    production: LocalServer, tmp_path: Path
) -> None:
    out = tmp_path / "clean.json"
    assert record(production, out, "--pixel-id", "1,2", "--pixel-id", "3") == 0
    assert [p["network_pixel_id"] for p in load_data_file(out)] == [1, 2, 3]


@pytest.mark.usefixtures("key_env")
@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--no-scrub"], "--i-know-this-keeps-secrets"),
        (["--i-know-this-keeps-secrets"], "only with --no-scrub"),
    ],
)
def test_no_scrub_needs_its_confirmation(
    production: LocalServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    said: str,
) -> None:
    out = tmp_path / "raw.json"
    assert record(production, out, *options) == 2
    assert said in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.usefixtures("key_env")
def test_no_scrub_with_its_confirmation_keeps_values_but_masks_the_key(
    production: LocalServer, tmp_path: Path
) -> None:
    out = tmp_path / "raw.json"
    assert record(production, out, "--no-scrub", "--i-know-this-keeps-secrets") == 0
    text = out.read_text()
    assert "Janet Plantedsdottir" in text
    assert KEY not in text


def test_a_remote_target_without_a_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("EVERFLOW_API_KEY", raising=False)
    out = tmp_path / "x.json"
    assert main(["record", "--out", str(out)]) == 2
    assert "EVERFLOW_API_KEY" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.usefixtures("key_env")
def test_an_answer_other_than_200_writes_nothing(
    production: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.json"
    assert record(production, out, "--pixel-id", "1,404404") == 2
    assert "404" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("key_env")
@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (
            Response('{"error": "no such pixel"}', 404, mimetype=JSON),
            "GET /networks/pixels/7 answered 404: " + shape("no such pixel"),
        ),
        (
            Response('{"result": "gone"}', 410, mimetype=JSON),
            "GET /networks/pixels/7 answered 410: " + shape({"result": "gone"}),
        ),
        (
            Response("<html>oops</html>", 200, mimetype="text/html"),
            "GET /networks/pixels/7 answered 200: a body that is not JSON, 17 bytes",
        ),
    ],
)
def test_an_answer_that_cannot_be_recorded_is_named_by_its_shape(
    httpserver: HTTPServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    answer: Response,
    said: str,
) -> None:
    httpserver.expect_request("/v1/networks/pixels/7").respond_with_response(answer)
    out = tmp_path / "x.json"
    argv = ["record", "--base-url", httpserver.url_for("/v1"), "--out", str(out)]
    assert main([*argv, "--pixel-id", "7"]) == 2
    assert capsys.readouterr().err == (f"everflow-mock: record: {said}; nothing was written\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("key_env")
@pytest.mark.parametrize("paging", ["none", None, [1]])
def test_a_list_page_whose_paging_is_no_object_ends_the_paging_not_the_run(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], paging: object
) -> None:
    httpserver.expect_request("/v1/networks/pixels").respond_with_json(
        {"pixels": [], "paging": paging}
    )
    out = tmp_path / "x.json"
    assert main(["record", "--base-url", httpserver.url_for("/v1"), "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("everflow-mock record: 0 postbacks")
    assert json.loads(out.read_text())["postbacks"] == []


def test_a_loopback_upstream_is_recorded_without_a_key(
    httpserver: HTTPServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVERFLOW_API_KEY", raising=False)
    httpserver.expect_request("/v1/networks/pixels/7").respond_with_json({"network_pixel_id": 7})
    out = tmp_path / "x.json"
    argv = ["record", "--base-url", httpserver.url_for("/v1"), "--out", str(out)]
    assert main([*argv, "--pixel-id", "7"]) == 0
    (request, _) = httpserver.log[0]
    assert request.headers["X-Eflow-Api-Key"] == record_command.LOOPBACK_KEY
    assert [p["network_pixel_id"] for p in json.loads(out.read_text())["postbacks"]] == [7]


@pytest.mark.usefixtures("key_env")
def test_ctrl_c_while_reading_writes_nothing_and_says_so(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(request: Request) -> Response:
        os.kill(os.getpid(), signal.SIGINT)  # the recorder runs in this process's main thread
        time.sleep(1)  # the answer comes too late: the read is interrupted first
        return Response('{"network_pixel_id": 7}', 200, mimetype=JSON)

    httpserver.expect_request("/v1/networks/pixels/7").respond_with_handler(interrupted)
    out = tmp_path / "x.json"
    saved = signal.getsignal(signal.SIGTERM)
    try:
        argv = ["record", "--base-url", httpserver.url_for("/v1"), "--out", str(out)]
        code = main([*argv, "--pixel-id", "7"])
    finally:
        signal.signal(signal.SIGTERM, saved)
    assert code == record_command.EXIT_INTERRUPTED
    assert capsys.readouterr().err == f"everflow-mock record: interrupted; {out} was not written\n"
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_write_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = Recording()
    for postback in planted_postbacks():
        recording.add(postback)
    real_replace = os.replace

    def interrupted(source: str, target: Path) -> None:
        if Path(target).suffix == ".json" and not str(target).endswith(".scrub.json"):
            raise KeyboardInterrupt
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        recording.write(tmp_path / "rec.json", [KEY])
    assert list(tmp_path.iterdir()) == []


def test_postbacks_past_the_byte_limit_are_counted_too() -> None:
    first, second, *_ = planted_postbacks()
    recording = Recording(max_bytes=len(json.dumps(first, ensure_ascii=False)) + 10)
    recording.add(first)
    recording.add(second)
    recording.add(first)  # the same id again takes no more room
    assert len(recording) == 1
    assert recording.not_recorded == 1


def test_the_byte_limit_holds_exactly_what_fits_however_often_one_is_read() -> None:
    first, second, third, *_ = planted_postbacks()
    both = sum(len(json.dumps(p, ensure_ascii=False)) for p in (first, second))
    recording = Recording(max_bytes=both)
    for postback in (first, first, first, second, third):  # first read again: no more room
        recording.add(postback)
    assert [p["network_pixel_id"] for p in recording.postbacks()] == [1, 2]  # to the byte
    assert recording.not_recorded == 1
    short = Recording(max_bytes=both - 1)
    short.add(first)
    short.add(second)
    assert (len(short), short.not_recorded) == (1, 1)


def test_at_the_limit_a_kept_postback_read_again_stays_and_a_non_object_is_counted() -> None:
    first, second, *_ = planted_postbacks()
    recording = Recording(limit=1)
    recording.add(first)
    recording.add(first)
    assert recording.not_recorded == 0
    recording.add_answer("/v1/networks/pixels", {"pixels": ["not an object", second]})
    assert [p["network_pixel_id"] for p in recording.postbacks()] == [1]
    assert recording.not_recorded == 2


def test_postbacks_past_the_limit_are_counted_not_dropped_silently(tmp_path: Path) -> None:
    recording = Recording(limit=2)
    for postback in planted_postbacks():
        recording.add(postback)
    recording.add({"no": "id"})
    assert len(recording) == 2
    recording.write(tmp_path / "rec.json", [])
    report = json.loads(report_path(tmp_path / "rec.json").read_text())
    assert report["not_recorded"] == len(planted_postbacks()) - 2 + 1


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_recording_leaves_no_file(
    production_file: Path, tmp_path: Path, signum: int
) -> None:
    postbacks = load_data_file(production_file, allow_drift=True)
    slow = MockApp(MockConfig(postbacks=postbacks, api_keys=(KEY,), rate_limit=None, delay_ms=200))
    out = tmp_path / "rec.json"
    ids = ",".join(["1", "2", "3", "5"] * 10)
    with LocalServer(slow) as live:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mock_server.cli",
                "record",
                "--base-url",
                live.url,
                "--out",
                str(out),
                "--rate",
                "1000",
                "--pixel-id",
                ids,
            ],
            env={**os.environ, "EVERFLOW_API_KEY": KEY},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while not _admin(live) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        process.send_signal(signum)
        out_text, err_text = process.communicate(timeout=30)
    assert process.returncode == record_command.EXIT_INTERRUPTED, err_text
    assert "interrupted" in err_text
    assert list(tmp_path.iterdir()) == []
    assert leaks(out_text + err_text) == []


def test_an_out_file_in_a_missing_folder_is_refused_before_any_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "rec.json"
    assert main(["record", "--base-url", "http://127.0.0.1:9/v1", "--out", str(target)]) == 2
    assert "--out" in capsys.readouterr().err


def test_undocumented_fields_are_reported_by_path_and_recorded_not_refused(
    tmp_path: Path,
) -> None:
    documented, extended = (p for p in planted_postbacks() if p["network_pixel_id"] in (2, 5))
    extended["brand_new_field"] = {"note": "written by a newer Everflow"}
    extended["relationship"]["brand_new_too"] = 1
    recording = Recording()
    recording.add(documented)
    recording.add(extended)
    out = tmp_path / "production.json"
    report = json.loads(recording.write(out, [KEY]).read_text())
    (entry,) = report["undocumented"]
    assert entry["network_pixel_id"] == extended["network_pixel_id"]
    assert sorted(entry["paths"]) == ["$.brand_new_field", "$.relationship.brand_new_too"]
    assert report["drift"] == []  # they break no rule of the spec: a warning, as in the suite
    assert "newer Everflow" not in report_path(out).read_text()
    loaded = load_data_file(out)  # and the file is served as it is
    assert "brand_new_field" in next(
        p for p in loaded if p["network_pixel_id"] == extended["network_pixel_id"]
    )


@pytest.mark.parametrize("scrub", [True, False])
def test_a_value_utf8_cannot_hold_is_escaped_named_and_the_rest_written(
    tmp_path: Path, scrub: bool
) -> None:
    first, second, *_ = planted_postbacks()
    second["description"] = "half \ud800 a pair"
    second["brand_new"] = {"k\udc00": "v", "list": ["ok", "\ud800"]}
    second["brand_new_too"] = {"k\udc00": "\udc00"}  # a key and its value: one place
    second["k\udc00"] = "\udc00"  # one place, unwritable and undocumented: one name
    recording = Recording()
    recording.add(first)
    recording.add(second)
    out = tmp_path / "rec.json"
    report = json.loads(recording.write(out, [KEY], scrub=scrub).read_text(encoding="utf-8"))
    # the key as written (the scrubber's stand-in, or the escape), named by size and digest
    key = shown_name("key-1" if scrub else "k\\udc00")
    assert re.fullmatch(rf"\[a name of {5 if scrub else 7} characters #[0-9a-f]{{8}}\]", key)
    assert report["unwritable"] == [
        {"index": 1, "network_pixel_id": 2, "path": path}
        for path in (
            "$.description",
            f"$.brand_new{key}",
            "$.brand_new.list[1]",
            f"$.brand_new_too{key}",
            f"${key}",
        )
    ]
    (undocumented,) = (u for u in report["undocumented"] if u["network_pixel_id"] == 2)
    assert f"${key}" in undocumented["paths"]
    written = {p["network_pixel_id"]: p for p in load_data_file(out)}  # loads, and whole
    assert sorted(written) == [1, 2]
    if scrub:
        assert written[2]["description"] == "Postback 2"
        assert written[2]["brand_new"] == {"key-1": "text-1", "list": ["text-2", "text-3"]}
    else:  # kept, as asked, with the half of a pair written as its escape
        assert written[2]["description"] == "half \\ud800 a pair"
        assert written[2]["brand_new"] == {"k\\udc00": "v", "list": ["ok", "\\ud800"]}
    assert "half" not in report_path(out).read_text(encoding="utf-8")


@pytest.mark.usefixtures("key_env")
@pytest.mark.parametrize(
    ("encoding", "said"),
    [("gzip, gzip", "encoded 2 times"), ("gzip", "larger than 1048576 bytes once decoded")],
)
def test_a_compression_bomb_stops_the_recording_at_the_cap(
    httpserver: HTTPServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    encoding: str,
    said: str,
) -> None:
    import gzip
    import tracemalloc

    bomb = gzip.compress(bytes(64 << 20))
    if encoding == "gzip, gzip":
        bomb = gzip.compress(bomb)
    httpserver.expect_request("/v1/networks/pixels/1").respond_with_data(
        bomb, headers={"Content-Encoding": encoding}, content_type="application/json"
    )
    out = tmp_path / "x.json"
    started = time.monotonic()
    tracemalloc.start()
    try:
        code = main(
            [
                "record",
                "--base-url",
                httpserver.url_for("/v1"),
                "--out",
                str(out),
                "--pixel-id",
                "1",
                "--timeout",
                "2",
                "--max-time",
                "5",
            ]
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2
    assert said in capsys.readouterr().err
    assert time.monotonic() - started < 5
    assert peak < 16 << 20  # not the 64 MiB the bomb decodes to (the client, spec included)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("out", "said"),
    [
        ("", "--out '': an empty name names no file"),
        ("pipe", "--out {dir}/pipe: a FIFO (named pipe); only a regular file is written"),
        ("report", "--out {dir}/rec.json: its report {dir}/rec.json.scrub.json: a FIFO"),
        (".", "--out {dir}: a folder; only a regular file is written"),
    ],
)
def test_an_out_that_is_no_regular_file_is_refused_before_any_request(
    out: str,
    said: str,
    tmp_path: Path,
    fifo: Callable[..., Path],
    httpserver: HTTPServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fifo("pipe")
    fifo("rec.json.scrub.json")
    target = {"": "", "pipe": str(tmp_path / "pipe"), "report": str(tmp_path / "rec.json")}
    argv = [
        "record",
        "--base-url",
        httpserver.url_for("/v1"),
        "--out",
        target.get(out, str(tmp_path)),
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said.format(dir=tmp_path) in err
    assert err.count("\n") == 1
    assert httpserver.log == []
    assert stat.S_ISFIFO((tmp_path / "pipe").stat().st_mode)
    assert stat.S_ISFIFO((tmp_path / "rec.json.scrub.json").stat().st_mode)


def test_scrubbing_stops_at_the_deadline_and_nothing_is_written(tmp_path: Path) -> None:
    recording = Recording()
    for postback in planted_postbacks():
        recording.add(postback)
    ticks = itertools.count()  # a clock one step on at each look
    deadline = Deadline(20, "--max-time 5 s", clock=lambda: next(ticks))
    out = tmp_path / "rec.json"
    with pytest.raises(OutOfTime, match=r"^--max-time 5 s used up while scrubbing"):
        recording.write(out, [KEY], deadline=deadline)
    assert next(ticks) == 21  # looked at before each string: stopped at the 20th
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("key_env")
def test_a_postback_built_to_be_slow_to_scrub_is_recorded_within_max_time(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    postback = next(p for p in planted_postbacks() if p["network_pixel_id"] == 1)
    # the attack's shape (quadratic before: ~10 s for this one value), and two more long
    # values, below the bound and past it
    postback["html_code"] = "<!--" * 16_000
    postback["brand_new"] = ['<x y="' * 10_000, "<a/" * 30_000]
    httpserver.expect_request("/v1/networks/pixels/1").respond_with_json(postback)
    for gone in ("offers", "affiliates"):  # what it names is gone: left out, not fatal
        httpserver.expect_request(re.compile(f"/v1/networks/{gone}/.*")).respond_with_json(
            {"error": "not found"}, status=404
        )
    out = tmp_path / "rec.json"
    argv = ["record", "--base-url", httpserver.url_for("/v1"), "--out", str(out)]
    started = time.monotonic()
    assert main([*argv, "--pixel-id", "1", "--max-time", "5"]) == 0, capsys.readouterr().err
    assert time.monotonic() - started < 5  # --max-time bounds the scrubbing too
    (record,) = load_data_file(out, allow_drift=True)
    stand_ins = [record["html_code"], *record["brand_new"]]
    assert [re.fullmatch(r"text-[0-9]+", text) is not None for text in stand_ins] == [True] * 3


@pytest.mark.usefixtures("key_env")
def test_a_recording_carries_the_offers_and_partners_its_postbacks_name_scrubbed(
    production: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _admin(production, "DELETE")
    out = tmp_path / "production.json"
    assert record(production, out) == 0
    said = capsys.readouterr().out
    recorded = json.loads(out.read_text())
    postbacks = {p["network_pixel_id"]: p for p in recorded["postbacks"]}
    offers = {o["network_offer_id"]: o for o in recorded["offers"]}
    partners = {a["network_affiliate_id"]: a for a in recorded["affiliates"]}
    named_offers = {
        p["network_offer_id"] for p in planted_postbacks() if p["pixel_level"] != "global"
    }
    named_partners = {
        p["network_affiliate_id"]
        for p in planted_postbacks()
        if p["pixel_level"] != "global_offer" and p["network_affiliate_id"]
    }
    assert (set(offers), set(partners)) == (named_offers, named_partners)
    offers_said = "1 offer" if len(offers) == 1 else f"{len(offers)} offers"
    assert f"5 postbacks, {offers_said} and {len(partners)} partners to" in said
    first = postbacks[1]
    offer = offers[first["network_offer_id"]]
    partner = partners[first["network_affiliate_id"]]
    # the stand-ins the postback carries name its offer and partner alike
    assert offer["name"] == first["relationship"]["offer"]["name"] == "Offer 1"
    assert partner["name"] == first["relationship"]["affiliate"]["name"]
    assert partner["internal_notes"] == first["relationship"]["affiliate"]["internal_notes"]
    # read with its payout/revenue entries: the one the postback names is there, by id
    entries = offer["relationship"]["payout_revenue"]["entries"]
    if first["network_offer_payout_revenue_id"]:
        assert first["network_offer_payout_revenue_id"] in {
            e["network_offer_payout_revenue_id"] for e in entries
        }
    assert "advertiser" in offer["relationship"]
    report = json.loads(report_path(out).read_text())
    assert report["offers"]["recorded"] == len(offers)
    assert report["affiliates"]["recorded"] == len(partners)
    assert report["offers"]["missing"] == report["affiliates"]["missing"] == []
    assert report["offers"]["paths"]["$.name"] == len(offers)
    reads = [r["operation"] for r in _admin(production)]
    assert reads.count("getOffer") == len(offers)  # each read once
    assert reads.count("getAffiliate") == len(partners)


@pytest.mark.slow
@pytest.mark.usefixtures("key_env")
def test_served_from_its_recording_a_postbacks_references_hold_in_strict_mode(
    production: LocalServer, tmp_path: Path
) -> None:
    out = tmp_path / "production.json"
    assert record(production, out) == 0
    recorded = json.loads(out.read_text())
    first = next(p for p in recorded["postbacks"] if p["network_pixel_id"] == 1)
    config = MockConfig(postbacks=load_data_file(out, allow_drift=True), references="strict")
    with (
        LocalServer(MockApp(config)) as live,
        httpx.Client(base_url=live.url, headers={"X-Eflow-Api-Key": "k"}) as http,
    ):
        for offer in recorded["offers"]:  # served as recorded
            answer = http.get(
                f"/networks/offers/{offer['network_offer_id']}",
                params={"relationship": ["advertiser", "payout_revenue"]},
            )
            assert answer.json() == offer
            assert response_violations(answer) == []
        for partner in recorded["affiliates"]:
            answer = http.get(f"/networks/affiliates/{partner['network_affiliate_id']}")
            assert answer.json() == partner
        body = {k: v for k, v in first.items() if k not in ("relationship", "brand_new_field")}
        body.pop("network_pixel_id")
        replaced = http.put("/networks/pixels/1", json=body)
        assert replaced.status_code == 200, replaced.text
        created = http.post("/networks/pixels", json=body)
        assert created.status_code == 200, created.text
        assert created.json()["relationship"]["offer"]["name"] == "Offer 1"
        unknown = http.post("/networks/pixels", json={**body, "network_offer_id": 999_999})
        assert unknown.status_code == 400  # strict: what is not in the world is refused
        assert "999999" in unknown.text


@pytest.mark.usefixtures("key_env")
def test_an_offer_production_no_longer_has_is_named_missing_and_filled_in_when_served(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    postback = next(p for p in planted_postbacks() if p["network_pixel_id"] == 1)
    httpserver.expect_request("/v1/networks/pixels/1").respond_with_json(postback)
    httpserver.expect_request(re.compile("/v1/networks/offers/.*")).respond_with_json(
        {"error": "not found"}, status=404
    )
    partner = {
        **postback["relationship"]["affiliate"],
        "relationship": {},
    }
    httpserver.expect_request(
        f"/v1/networks/affiliates/{postback['network_affiliate_id']}"
    ).respond_with_json(partner)
    out = tmp_path / "rec.json"
    argv = ["record", "--base-url", httpserver.url_for("/v1"), "--out", str(out)]
    assert main([*argv, "--pixel-id", "1"]) == 0
    report = json.loads(report_path(out).read_text())
    assert report["offers"]["missing"] == [postback["network_offer_id"]]
    assert report["affiliates"]["recorded"] == 1
    state = MockState(MockConfig(postbacks=load_data_file(out)))
    (served,) = list(load_data_file(out))
    assert state.world.missing(served) == []  # the offer filled in from the postback
    offer = state.world.offers[postback["network_offer_id"]]
    assert offer["name"] == served["relationship"]["offer"]["name"]


@pytest.mark.usefixtures("key_env")
def test_an_offer_read_failing_otherwise_writes_nothing(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    postback = next(p for p in planted_postbacks() if p["network_pixel_id"] == 1)
    httpserver.expect_request("/v1/networks/pixels/1").respond_with_json(postback)
    httpserver.expect_request(re.compile("/v1/networks/offers/.*")).respond_with_json(
        {"error": "forbidden"}, status=403
    )
    out = tmp_path / "rec.json"
    argv = ["record", "--base-url", httpserver.url_for("/v1"), "--out", str(out)]
    assert main([*argv, "--pixel-id", "1"]) == 2
    assert "GET /networks/offers/" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_offers_and_affiliates_are_kept_from_reads_of_one_and_bounded_like_postbacks() -> None:
    recording = Recording(limit=1)
    recording.add_answer("/v1/networks/offers/5", {"network_offer_id": 5, "name": "x"})
    recording.add_answer("/v1/networks/offers/6", {"network_offer_id": 6, "name": "y"})
    recording.add_answer("/v1/networks/affiliates/7", {"network_affiliate_id": 7})
    recording.add_answer("/v1/networks/offerstable", {"offers": [{"network_offer_id": 8}]})
    assert [o["network_offer_id"] for o in recording.records("offers")] == [5]
    assert [a["network_affiliate_id"] for a in recording.records("affiliates")] == [7]
    assert len(recording) == 0  # none of it is a postback


@pytest.mark.usefixtures("key_env")
def test_everflow_contract_rechecks_the_recordings_offers_and_partners_offline(
    production: LocalServer, tmp_path: Path
) -> None:
    from contract_tests.recording import recording_report

    out = tmp_path / "production.json"
    assert record(production, out) == 0
    recorded = json.loads(out.read_text())
    report = recording_report(out)
    probes = [p for p in report.probes if p.startswith(("offer", "affiliate"))]
    assert len(probes) == len(recorded["offers"]) + len(recorded["affiliates"]) > 0
    errors = {(f.probe, f.check) for f in report.findings if f.severity == "error"}
    assert not [e for e in errors if e[0] in probes]  # scrubbed, they still keep the spec


def test_a_later_read_of_an_offer_keeps_the_related_data_an_earlier_asked_for() -> None:
    from fixtures import PostbackFactory

    whole = PostbackFactory(0).build_offer(605)
    recording = Recording()
    recording.add_answer("/v1/networks/offers/605", whole)
    renamed = {**whole, "name": "Renamed", "relationship": {}}
    recording.add_answer("/v1/networks/offers/605", renamed)  # read again, nothing related
    (kept,) = recording.records("offers")
    assert kept == {**renamed, "relationship": whole["relationship"]}


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@pytest.mark.usefixtures("key_env")
@pytest.mark.parametrize("scrub", [True, False])
def test_the_closing_line_says_what_was_written_how_and_how_much_breaks_the_spec(
    production: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], scrub: bool
) -> None:
    out = tmp_path / "production.json"
    unscrubbed = [] if scrub else ["--no-scrub", "--i-know-this-keeps-secrets"]
    assert record(production, out, *unscrubbed) == 0
    written = json.loads(out.read_text())
    held = (
        ", ".join(
            [
                _counted(len(written["postbacks"]), "postback"),
                _counted(len(written["offers"]), "offer"),
            ]
        )
        + f" and {_counted(len(written['affiliates']), 'partner')}"
    )
    how = "scrubbed" if scrub else "NOT scrubbed"
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"everflow-mock record: {held} to {out}, {how}; report: {report_path(out)}; "
        "1 postback breaks the spec (serve --data ... --allow-drift)"
    )
    assert len(written["postbacks"]) == len(planted_postbacks())


@pytest.mark.usefixtures("key_env")
def test_a_recording_without_drift_says_nothing_of_drift(
    production: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "one.json"
    assert record(production, out, "--pixel-id", "1") == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith(f"; report: {report_path(out)}")


@pytest.mark.usefixtures("key_env")
def test_the_closing_line_counts_every_postback_that_breaks_the_spec(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = [{"network_pixel_id": n, "pixel_status": "bogus"} for n in (1, 2, 3, 4)]
    httpserver.expect_request("/v1/networks/pixels").respond_with_json({"pixels": broken})
    out = tmp_path / "rec.json"
    argv = ["record", "--base-url", httpserver.url_for("/v1"), "--out", str(out), "--rate", "1000"]
    assert main(argv) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.endswith("; 4 postbacks break the spec (serve --data ... --allow-drift)")


def test_an_offer_read_again_without_related_data_replaces_it_and_others_are_counted(
    tmp_path: Path,
) -> None:
    from fixtures import PostbackFactory

    whole = PostbackFactory(0).build_offer(605)
    recording = Recording()
    recording.add_offer(whole)
    bare = {k: v for k, v in whole.items() if k != "relationship"}
    recording.add_offer(bare)  # an answer with no related data at all: nothing to keep
    recording.add_offer(["network_offer_id", 605])  # not an offer
    recording.add_offer({"network_offer_id": "605", "relationship": {}})  # no integer id
    assert recording.records("offers") == [bare]
    out = tmp_path / "rec.json"
    recording.write(out, [KEY], scrub=False)
    assert json.loads(report_path(out).read_text())["offers"]["not_recorded"] == 2
