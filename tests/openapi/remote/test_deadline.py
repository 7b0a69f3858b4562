"""DeadlineBackend: every socket operation of a request gets at most the time left."""

from __future__ import annotations

import os
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Iterable

import httpcore
import httpx
import pytest
from httpcore import SOCKET_OPTION

from mock_server import create_app
from mock_server.testing.local_server import LocalServer
from openapi.remote.deadline import DeadlineBackend, _DeadlineStream, deadline_transport


def test_the_transport_runs_its_connections_under_the_deadline() -> None:
    # httpx has no public hook for this; an httpx release that moves the pool fails here.
    transport, backend = deadline_transport()
    assert transport._pool._network_backend is backend


def test_timeouts_are_cut_to_the_time_left_and_refused_after_it() -> None:
    backend = DeadlineBackend(httpcore.SyncBackend())
    assert backend.bound(30.0, httpcore.ReadTimeout) == 30.0
    backend.deadline = time.monotonic() + 2
    assert 1 < (backend.bound(30.0, httpcore.ReadTimeout) or 0) <= 2
    assert (backend.bound(None, httpcore.ReadTimeout) or 0) <= 2
    assert backend.bound(0.5, httpcore.ReadTimeout) == 0.5
    backend.deadline = time.monotonic() - 1
    with pytest.raises(httpcore.ConnectTimeout):
        backend.bound(30.0, httpcore.ConnectTimeout)


def test_requests_within_the_deadline_work() -> None:
    transport, backend = deadline_transport()
    with LocalServer(create_app()) as local, httpx.Client(transport=transport) as client:
        backend.deadline = time.monotonic() + 10
        response = client.get(f"{local.url}/networks/pixels/1", headers={"X-Eflow-Api-Key": "k"})
        assert response.status_code == 200
        backend.deadline = time.monotonic() - 1
        with pytest.raises(httpx.TimeoutException):
            client.get(f"{local.url}/networks/pixels/1", headers={"X-Eflow-Api-Key": "k"})


class _Recorded(httpcore.NetworkStream):
    """A stream that records what it is asked (the calls' timeouts): what the deadline
    stream passes on to the real one."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        self.calls.append(("read", max_bytes, timeout))
        return b"answer"

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.calls.append(("write", buffer, timeout))

    def close(self) -> None:
        self.calls.append(("close",))

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        self.calls.append(("start_tls", ssl_context, server_hostname, timeout))
        self.tls = _Recorded()
        return self.tls

    def get_extra_info(self, info: str) -> object:
        self.calls.append(("get_extra_info", info))
        return f"info {info}"


def _bounded_stream(seconds_left: float) -> tuple[httpcore.NetworkStream, _Recorded]:
    backend = DeadlineBackend(httpcore.SyncBackend())
    backend.deadline = time.monotonic() + seconds_left
    inner = _Recorded()
    return _DeadlineStream(inner, backend), inner


def test_a_tls_handshake_gets_the_time_left_and_its_stream_stays_under_the_deadline() -> None:
    stream, inner = _bounded_stream(2)
    context = ssl.create_default_context()
    tls = stream.start_tls(context, "api.eflow.team", timeout=30.0)
    [(call, given_context, hostname, timeout)] = inner.calls
    assert (call, given_context, hostname) == ("start_tls", context, "api.eflow.team")
    assert isinstance(timeout, float)
    assert 1 < timeout <= 2
    # the encrypted stream is bounded by the same deadline
    assert tls.read(10, timeout=30.0) == b"answer"
    [(read, most, read_timeout)] = inner.tls.calls
    assert (read, most) == ("read", 10)
    assert isinstance(read_timeout, float)
    assert 1 < read_timeout <= 2


def test_a_tls_handshake_after_the_deadline_is_refused_unstarted() -> None:
    stream, inner = _bounded_stream(-1)
    with pytest.raises(httpcore.ConnectTimeout):
        stream.start_tls(ssl.create_default_context(), "api.eflow.team", timeout=30.0)
    assert inner.calls == []


def test_reads_and_writes_get_the_time_left_and_the_rest_is_passed_on() -> None:
    stream, inner = _bounded_stream(2)
    stream.write(b"GET / HTTP/1.1\r\n\r\n", timeout=30.0)
    assert stream.get_extra_info("server_addr") == "info server_addr"
    stream.close()
    [write, extra, close] = inner.calls
    assert write[:2] == ("write", b"GET / HTTP/1.1\r\n\r\n")
    assert isinstance(write[2], float)
    assert 1 < write[2] <= 2
    assert extra == ("get_extra_info", "server_addr")
    assert close == ("close",)


def test_a_write_after_the_deadline_is_a_write_timeout() -> None:
    stream, inner = _bounded_stream(-1)
    with pytest.raises(httpcore.WriteTimeout):
        stream.write(b"x", timeout=30.0)
    with pytest.raises(httpcore.ReadTimeout):
        stream.read(10, timeout=30.0)
    assert inner.calls == []


class _Backend(httpcore.SyncBackend):
    """The real backend, its calls recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        self.calls.append(("connect_tcp", host, port, timeout, local_address, socket_options))
        return super().connect_tcp(host, port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        self.calls.append(("connect_unix_socket", path, timeout, socket_options))
        return super().connect_unix_socket(path, timeout, socket_options)

    def sleep(self, seconds: float) -> None:
        self.calls.append(("sleep", seconds))


def _read_then_cut_off_at_the_deadline(
    server: socket.socket, stream: httpcore.NetworkStream, backend: DeadlineBackend
) -> None:
    """The connected ``stream`` reads what the peer sends, until ``backend``'s deadline has
    passed: then a read times out, whatever its own timeout."""
    peer, _ = server.accept()
    with peer:
        peer.sendall(b"hello")
        assert stream.read(5, timeout=30.0) == b"hello"
        backend.deadline = time.monotonic() - 1
        with pytest.raises(httpcore.ReadTimeout):
            stream.read(5, timeout=30.0)
    stream.close()


def test_a_unix_socket_is_connected_within_the_deadline_and_read_under_it() -> None:
    # a short path: Unix socket paths are limited to about 100 bytes
    with tempfile.TemporaryDirectory() as folder, socket.socket(socket.AF_UNIX) as server:
        path = os.path.join(folder, "s")
        server.bind(path)
        server.listen(1)
        inner = _Backend()
        backend = DeadlineBackend(inner)
        backend.deadline = time.monotonic() + 2
        options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
        stream = backend.connect_unix_socket(path, timeout=30.0, socket_options=options)
        [(call, given_path, timeout, given_options)] = inner.calls
        assert (call, given_path, given_options) == ("connect_unix_socket", path, options)
        assert isinstance(timeout, float)
        assert 1 < timeout <= 2
        _read_then_cut_off_at_the_deadline(server, stream, backend)


def test_sleeping_is_the_inner_backends() -> None:
    inner = _Backend()
    DeadlineBackend(inner).sleep(0.25)
    assert inner.calls == [("sleep", 0.25)]


def test_a_tcp_connection_is_made_as_asked_within_the_deadline_and_read_under_it() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        inner = _Backend()
        backend = DeadlineBackend(inner)
        backend.deadline = time.monotonic() + 3600
        options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
        stream = backend.connect_tcp(
            "127.0.0.1", port, timeout=0.5, local_address="127.0.0.1", socket_options=options
        )
        # host, port, local address and options as given; a timeout shorter than the time
        # left is kept as it is
        assert inner.calls == [("connect_tcp", "127.0.0.1", port, 0.5, "127.0.0.1", options)]
        _read_then_cut_off_at_the_deadline(server, stream, backend)


@pytest.mark.parametrize(
    "connect",
    [
        lambda backend: backend.connect_tcp("127.0.0.1", 9, timeout=30.0),
        lambda backend: backend.connect_unix_socket("/nonexistent/s", timeout=30.0),
    ],
    ids=["tcp", "unix socket"],
)
def test_no_connection_is_made_after_the_deadline(
    connect: Callable[[DeadlineBackend], object],
) -> None:
    inner = _Backend()
    backend = DeadlineBackend(inner)
    backend.deadline = time.monotonic() - 1
    with pytest.raises(httpcore.ConnectTimeout):
        connect(backend)
    assert inner.calls == []


def test_a_unix_socket_connect_keeps_a_timeout_shorter_than_the_time_left() -> None:
    with tempfile.TemporaryDirectory() as folder, socket.socket(socket.AF_UNIX) as server:
        path = os.path.join(folder, "s")
        server.bind(path)
        server.listen(1)
        inner = _Backend()
        backend = DeadlineBackend(inner)
        backend.deadline = time.monotonic() + 3600
        backend.connect_unix_socket(path, timeout=0.5).close()
        assert inner.calls == [("connect_unix_socket", path, 0.5, None)]


def test_reads_writes_and_handshakes_keep_a_timeout_shorter_than_the_time_left() -> None:
    stream, inner = _bounded_stream(3600)
    context = ssl.create_default_context()
    assert stream.read(10, timeout=0.5) == b"answer"
    stream.write(b"x", timeout=0.25)
    stream.start_tls(context, "api.eflow.team", timeout=0.75)
    assert inner.calls == [
        ("read", 10, 0.5),
        ("write", b"x", 0.25),
        ("start_tls", context, "api.eflow.team", 0.75),
    ]
