"""The access log's lines: what they show, and what a client cannot make them show."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest

from mock_server.server.access_log import (
    MAX_METHOD,
    MAX_PATH,
    AccessLog,
    HideMessage,
    RsgiAccessLog,
    granian_logging,
    printable,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

LINE = re.compile(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] (.*) (\d{3}) \d+\.\d\d ms\n")


def _app(status: str = "200 OK", fail: bool = False) -> WSGIApplication:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if fail:
            raise RuntimeError("boom")
        start_response(status, [("Content-Type", "text/plain")])
        return [b"ok"]

    return app


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> Any:
    return None


def logged(app: WSGIApplication, **environ: str) -> list[str]:
    """The access lines written for one request to ``app`` with ``environ``."""
    written: list[bytes] = []
    served = AccessLog(app, written.append)
    with contextlib.suppress(RuntimeError):
        served({"REQUEST_METHOD": "GET", **environ}, _start_response)
    return [data.decode() for data in written]


def test_one_line_with_method_path_status_and_milliseconds_and_no_query() -> None:
    (line,) = logged(
        _app("404 NOT FOUND"),
        REQUEST_METHOD="DELETE",
        PATH_INFO="/__admin/pixels/3",
        QUERY_STRING="api_key=s3cr3t",
        HTTP_X_EFLOW_API_KEY="s3cr3t",
    )
    assert LINE.fullmatch(line)
    assert "] DELETE /__admin/pixels/3 404 " in line
    assert "s3cr3t" not in line


def test_the_rsgi_log_lets_its_app_prepare_the_workers_loop_if_it_wants_to() -> None:
    prepared: list[object] = []

    class Preparing:
        def __rsgi_init__(self, loop: object) -> None:
            prepared.append(loop)

    loop = object()
    RsgiAccessLog(Preparing(), lambda _: None).__rsgi_init__(loop)
    RsgiAccessLog(object(), lambda _: None).__rsgi_init__(loop)
    assert prepared == [loop]


def test_an_app_that_fails_is_logged_as_500() -> None:
    (line,) = logged(_app(fail=True), PATH_INFO="/x")
    assert "] GET /x 500 " in line


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/v1/\n[T] GET /forged 200 0.1 ms", "/v1/\\n[T] GET /forged 200 0.1 ms"),
        ("/a\rb\x1b[31mc\x00", "/a\\rb\\x1b[31mc\\x00"),
        ("/caf\u00e9", "/caf\u00e9"),
    ],
)
def test_unprintable_characters_in_a_path_are_escaped(path: str, shown: str) -> None:
    (line,) = logged(_app(), PATH_INFO=path)
    assert f"] GET {shown} 200 " in line
    assert line.count("\n") == 1


def test_a_long_path_is_cut() -> None:
    (line,) = logged(_app(), PATH_INFO="/" + "x" * 100_000)
    assert len(line) < MAX_PATH + 60
    assert "x... 200 " in line
    assert printable("/" + "y" * MAX_PATH) == "/" + "y" * (MAX_PATH - 1) + "..."


def test_a_long_method_is_cut() -> None:
    (line,) = logged(_app(), REQUEST_METHOD="X" * 60_000, PATH_INFO="/p")
    assert len(line) < MAX_METHOD + 80
    assert f"] {'X' * MAX_METHOD}... /p 200 " in line


def test_a_closed_stdout_stops_the_log_not_the_server() -> None:
    calls: list[bytes] = []

    def broken_pipe(data: bytes) -> None:
        calls.append(data)
        raise BrokenPipeError

    served = AccessLog(_app(), broken_pipe)
    for _ in range(3):
        assert list(served({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}, _start_response)) == [b"ok"]
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (
            "Configuration allows spawning up to 16 Python threads, which seems quite high "
            "compared to the number of CPU cores available.",
            False,
        ),
        ("Killing worker-1 after it refused to gracefully stop", False),
        ("Unexpected exit from worker-1", True),
    ],
)
def test_granians_thread_count_and_kill_warnings_are_hidden_and_others_are_not(
    message: str, shown: bool
) -> None:
    filters = [HideMessage(f["text"]) for f in granian_logging()["filters"].values() if "text" in f]
    record = logging.LogRecord("_granian", logging.WARNING, "", 0, message, None, None)
    assert all(f.filter(record) for f in filters) == shown
