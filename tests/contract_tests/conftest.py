"""Deliberately broken Everflow servers: the real mock with one thing planted wrong."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from mock_server import create_app
from mock_server.live import LiveServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Answer = tuple[int, dict[str, str], bytes]
Mutation = Callable[["WSGIEnvironment", Answer], Answer]


def _json(mutate: Callable[[dict[str, Any]], None]) -> Mutation:
    """Change the body of every 200."""

    def apply(environ: WSGIEnvironment, answer: Answer) -> Answer:
        status, headers, body = answer
        if status != 200:
            return answer
        data = json.loads(body)
        mutate(data)
        return status, headers, json.dumps(data).encode()

    return apply


def _status(old: int, new: int, content_type: str, body: bytes) -> Mutation:
    def apply(environ: WSGIEnvironment, answer: Answer) -> Answer:
        status, headers, _ = answer
        if status != old:
            return answer
        return new, {**headers, "Content-Type": content_type}, body

    return apply


def _as_tiktok(data: dict[str, Any]) -> None:
    data["delivery_method"] = "tiktok"
    data["delay_ms"] = 0
    data.pop("postback_url", None)


@dataclass(frozen=True)
class Breakage:
    """One planted fault and the check the suite must name for it."""

    name: str
    mutation: Mutation
    probe: str
    check: str
    strict: bool = False
    key_free: bool = False  # answer requests without a key as if they had one


BREAKAGES = [
    Breakage(
        "wrong_enum",
        _json(lambda d: d.update(pixel_status="paused")),
        "known_id",
        "$.pixel_status:enum",
    ),
    Breakage(
        "delay_too_long",
        _json(lambda d: d.update(delay_ms=400000)),
        "known_id",
        "$.delay_ms:maximum",
    ),
    Breakage("tiktok_without_pixel", _json(_as_tiktok), "known_id", "tiktok_pixel_required"),
    Breakage(
        "global_with_offer",
        _json(lambda d: d.update(network_offer_id=77)),
        "known_id",
        "global_has_no_offer",
    ),
    Breakage(
        "wrong_pixel_id",
        _json(lambda d: d.update(network_pixel_id=d["network_pixel_id"] + 1)),
        "known_id",
        "pixel_id",
    ),
    Breakage("ok_without_key", lambda e, a: a, "no_key", "status", key_free=True),
    Breakage(
        "500_for_unknown_id",
        _status(404, 500, "application/json", b'{"error": "Internal error"}'),
        "unknown_id",
        "status",
    ),
    Breakage(
        "html_error_page",
        _status(404, 404, "text/html", b"<html><body><h1>Not Found</h1></body></html>"),
        "unknown_id",
        "content_type",
    ),
    Breakage(
        "undocumented_field",
        _json(lambda d: d.update(brand_new_field={"added": True})),
        "known_id",
        "undocumented_field",
        strict=True,
    ),
]

# Pixel 1 of the built-in catalogue: a global postback-delivery conversion.
PIXEL = 1


def broken_app(breakage: Breakage) -> WSGIApplication:
    """The mock, with ``breakage`` applied to its answers."""
    app = create_app()

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if breakage.key_free:
            environ.setdefault("HTTP_X_EFLOW_API_KEY", "planted")
        captured: dict[str, Any] = {}

        def capture(status: str, headers: Any, exc_info: Any = None) -> Any:
            captured.update(status=int(status[:3]), headers=dict(headers))
            return lambda data: None

        body = b"".join(app(environ, capture))
        headers: dict[str, str] = captured["headers"]
        status, headers, body = breakage.mutation(environ, (captured["status"], headers, body))
        headers["Content-Length"] = str(len(body))
        start_response(f"{status} X", list(headers.items()))
        return [body]

    return wsgi


@pytest.fixture(scope="session")
def broken_servers() -> Iterator[dict[str, str]]:
    """Every breakage on its own socket: name -> base URL."""
    from flask import Flask

    servers = {}
    for breakage in BREAKAGES:
        holder = Flask(breakage.name)
        holder.wsgi_app = broken_app(breakage)  # type: ignore[method-assign,assignment]
        servers[breakage.name] = LiveServer(holder).start()
    yield {name: server.url for name, server in servers.items()}
    for server in servers.values():
        server.stop()


Handler = Callable[[socket.socket, threading.Event], None]
SLOW_SERVER_SECONDS = 10.0
"""How long a slow fake server keeps a connection: beyond every deadline the tests set, and
short enough that a client without deadlines still ends (a failing test, not a hung run)."""


class SlowServer:
    """A raw HTTP/1.1 server on 127.0.0.1 in threads: each connection's request is read,
    then ``handler`` writes whatever it likes, until it returns or the server stops."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        """The API base URL, ending in ``/v1``."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(SLOW_SERVER_SECONDS)
            try:
                received = b""
                while b"\r\n\r\n" not in received:
                    data = connection.recv(4096)
                    if not data:
                        return
                    received += data
                self._handler(connection, self._stop)
            except OSError:
                return

    def __enter__(self) -> SlowServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._acceptor.join(timeout=5)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)


def trickle(prefix: bytes, byte: bytes = b"a", every: float = 0.1) -> Handler:
    """Send ``prefix``, then one ``byte`` every ``every`` seconds for
    ``SLOW_SERVER_SECONDS`` (a never-ending header or body)."""

    def handler(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(prefix)
        ends = time.monotonic() + SLOW_SERVER_SECONDS
        while time.monotonic() < ends and not stop.wait(every):
            connection.sendall(byte)

    return handler


TRICKLE_HEADERS = trickle(b"HTTP/1.1 200 OK\r\nX-Slow: ")
TRICKLE_BODY = trickle(
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
    b" ",
)


@pytest.fixture(params=["headers", "body"])
def trickling_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server that sends one byte every 0.1 s, in the headers or in the body."""
    handler = TRICKLE_HEADERS if request.param == "headers" else TRICKLE_BODY
    with SlowServer(handler) as server:
        yield server.url
