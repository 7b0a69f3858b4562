"""The local server of the pytest fixtures: request threads reused, never a bottleneck;
a body it cannot read a journaled 400, a client that stalls dropped at the read timeout."""

from __future__ import annotations

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from fixtures import PostbackFactory
from mock_server.app import MockApp, create_app
from mock_server.core.config import MockConfig
from mock_server.http.wsgi import BAD_LENGTH, CUT_SHORT
from mock_server.pipeline.registry import get_state
from mock_server.testing.local_server import LocalServer

KEY = {"X-Eflow-Api-Key": "k"}


def _request_threads(local: LocalServer) -> int:
    name = f"everflow-local-request :{local.port}"
    return sum(t.name == name and t.is_alive() for t in threading.enumerate())


def _wait_until_idle(local: LocalServer) -> None:
    """Until every request thread waits for a connection: a client may get its answer
    before the thread that wrote it is back, and then the next connection needs another."""
    deadline = time.monotonic() + 5
    while local._server._idle < _request_threads(local) and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.001)


def test_one_request_after_another_reuses_its_threads() -> None:
    with LocalServer(MockApp()) as local, httpx.Client(base_url=local.url) as client:
        for _ in range(20):  # werkzeug closes every connection: 20 connections
            assert client.get("/networks/pixels/3", headers=KEY).status_code == 200
            _wait_until_idle(local)
        assert _request_threads(local) == 1


def test_requests_at_once_are_answered_at_once() -> None:
    with LocalServer(MockApp()) as local:
        headers = {**KEY, "Prefer": "delay=400"}

        def get(_: int) -> int:
            return httpx.get(local.url + "/networks/pixels/3", headers=headers).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(get, range(8)))
        took = time.monotonic() - started
    assert statuses == [200] * 8
    assert took < 2.4  # one after another would take 3.2 s


def test_stop_ends_the_waiting_threads() -> None:
    with LocalServer(MockApp()) as local:
        assert httpx.get(local.url + "/networks/pixels/3", headers=KEY).status_code == 200
        assert _request_threads(local) == 1
    deadline = time.monotonic() + 5
    while _request_threads(local) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _request_threads(local) == 0


def _post(port: int, framing: str, body: bytes) -> socket.socket:
    """A raw upload to the pixels endpoint: httpx would refuse to send most of these."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(
        f"POST /v1/networks/pixels HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"X-Eflow-Api-Key: k\r\nContent-Type: application/json\r\n{framing}\r\n\r\n".encode()
        + body
    )
    return sock


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    """The status and body of the one answer on ``sock``, read until the server closes it
    (werkzeug closes every connection)."""
    got = b""
    while piece := sock.recv(65536):
        got += piece
    head, _, body = got.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.slow
@pytest.mark.parametrize(
    ("framing", "body", "message"),
    [
        ("Transfer-Encoding: chunked", b"zz\r\n", CUT_SHORT),
        ("Transfer-Encoding: chunked", b"2\r\n{}XX0\r\n\r\n", CUT_SHORT),
        ("Transfer-Encoding: chunked", b"2\r\n{}\r\n0\r\nX-T: 1\r\n\r\n", CUT_SHORT),
        ("Content-Length: -5", b"", BAD_LENGTH),
        ("Content-Length: abc", b"", BAD_LENGTH),
        ("Content-Length: +2", b"{}", BAD_LENGTH),
        ("Content-Length: 0x2", b"{}", BAD_LENGTH),
        ("Content-Length: \u0662".encode().decode("latin-1"), b"{}", BAD_LENGTH),
    ],
    ids=["bad size", "overlong chunk", "trailer", "-5", "abc", "+2", "0x2", "arabic-indic"],
)
def test_a_body_that_cannot_be_read_is_a_journaled_400_on_a_real_socket(
    framing: str, body: bytes, message: str, capfd: pytest.CaptureFixture[str]
) -> None:
    app = MockApp()
    with LocalServer(app) as local, _post(local.port, framing, body) as sock:
        status, answer = _answer(sock)
    assert (status, json.loads(answer)) == (400, {"error": message})
    (entry,) = get_state(app).journal.entries()
    assert (entry["status"], entry["path"]) == (400, "/v1/networks/pixels")
    assert "Traceback" not in capfd.readouterr().err


@pytest.mark.slow
def test_whitespace_around_a_content_length_is_read_as_http_allows() -> None:
    body = json.dumps(PostbackFactory().build_input()).encode()
    framing = f"Content-Length:  {len(body)} \t"
    with LocalServer(MockApp()) as local, _post(local.port, framing, body) as sock:
        status, answer = _answer(sock)
    assert status == 200, answer


@pytest.mark.slow
def test_a_body_that_ends_before_its_length_is_cut_short_on_a_real_socket() -> None:
    with LocalServer(MockApp()) as local, _post(local.port, "Content-Length: 10", b"{}") as sock:
        sock.shutdown(socket.SHUT_WR)  # the client is done sending: 2 bytes of 10
        status, answer = _answer(sock)
    assert (status, json.loads(answer)) == (400, {"error": CUT_SHORT})


TIMEOUT = 0.5


@pytest.mark.slow
@pytest.mark.parametrize(
    ("framing", "body"),
    [("Content-Length: 100", b'{"pixel'), ("Transfer-Encoding: chunked", b'7\r\n{"pixel\r\n')],
    ids=["short of its length", "unfinished chunks"],
)
def test_a_stalled_upload_is_answered_408_within_the_read_timeout(
    framing: str, body: bytes
) -> None:
    app = MockApp(MockConfig(read_timeout=TIMEOUT))
    with LocalServer(app) as local:
        started = time.monotonic()
        uploads = [_post(local.port, framing, body) for _ in range(10)]
        answers = [_answer(sock) for sock in uploads]
        took = time.monotonic() - started
        for sock in uploads:
            sock.close()
        _wait_until_idle(local)
        workers = _request_threads(local)
        assert local._server._idle == workers  # type: ignore[attr-defined]
        assert httpx.get(local.url + "/networks/pixels/3", headers=KEY).status_code == 200
        assert _request_threads(local) == workers  # a freed thread took it
    assert {status for status, _ in answers} == {408}
    assert TIMEOUT <= took < TIMEOUT + 3  # not the 10 s default, nor for ever
    assert [e["status"] for e in get_state(app).journal.entries()] == [408] * 10 + [200]


@pytest.mark.slow
def test_headers_trickled_in_are_dropped_at_the_read_timeout_and_free_their_thread() -> None:
    """A per-read socket timeout alone would let a line every 0.1 s hold the thread for
    ever: the read timeout counts from the connection's start."""
    with LocalServer(MockApp(MockConfig(read_timeout=TIMEOUT))) as local:
        sock = socket.create_connection(("127.0.0.1", local.port), timeout=10)
        sock.sendall(b"GET /v1/networks/pixels/3 HTTP/1.1\r\n")
        started = time.monotonic()
        closed_after = None
        for number in range(100):  # 10 s of headers, if the server kept listening
            try:
                sock.sendall(f"X-Trickle-{number}: 1\r\n".encode())
            except OSError:  # reset: the server closed the connection
                closed_after = time.monotonic() - started
                break
            sock.settimeout(0.1)
            try:
                if sock.recv(1) == b"":  # closed, no answer
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                pass
        sock.close()
        assert closed_after is not None
        assert closed_after < TIMEOUT + 3  # the trickle would go on for 10 s
        _wait_until_idle(local)
        assert local._server._idle == _request_threads(local) == 1  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_flask_app_of_create_app_is_read_within_its_mocks_read_timeout() -> None:
    with LocalServer(create_app(MockConfig(read_timeout=TIMEOUT))) as local:
        started = time.monotonic()
        with _post(local.port, "Content-Length: 100", b"{") as sock:
            status, _ = _answer(sock)
        took = time.monotonic() - started
    assert status == 408
    assert TIMEOUT <= took < TIMEOUT + 3


def test_a_flask_app_that_holds_no_mock_is_served_with_the_default_read_timeout() -> None:
    from flask import Flask

    plain = Flask(__name__)
    plain.add_url_rule("/hello", "hello", lambda: "hi")
    with LocalServer(plain) as local:
        assert httpx.get(local.root + "/hello").text == "hi"
        assert local._server.read_timeout == MockConfig.read_timeout  # type: ignore[attr-defined]


def test_the_server_thread_never_holds_up_the_exit_of_a_test_process() -> None:
    before = set(threading.enumerate())
    local = LocalServer(MockApp()).start()
    try:
        started = [t for t in threading.enumerate() if t not in before]
        assert started
        assert all(t.daemon for t in started)  # a test that forgets stop() still ends
    finally:
        local.stop()


def test_a_server_on_an_ipv6_address_is_reached_at_its_root() -> None:
    try:
        socket.socket(socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 on this machine")
    with LocalServer(MockApp(MockConfig()), host="::1") as server:
        assert server.root == f"http://[::1]:{server.port}"
        assert (
            httpx.get(
                server.url + "/networks/pixels/1", headers={"X-Eflow-Api-Key": "k"}
            ).status_code
            == 200
        )
