"""``PostbackReceiver``: a real HTTP server on loopback that records the postbacks it gets.

What a partner's endpoint is to Everflow: put ``receiver.url`` (plus any path and query)
in a postback, fire a conversion, and assert on ``receiver.requests`` or
``receiver.urls``. ``status`` sets what it answers (a 500 makes every delivery fail),
``delay`` how long it takes. Standard library only; it keeps the last ``MAX_KEPT`` requests.
"""

from __future__ import annotations

import socketserver
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

MAX_KEPT = 10_000

_Started = TypeVar("_Started", bound="BackgroundServer")


class BackgroundServer:
    """A ``socketserver`` server answering in a daemon thread from ``start`` to ``stop``; a
    context manager. ``PostbackReceiver`` and ``LocalServer`` are two."""

    def __init__(self, server: socketserver.BaseServer, name: str) -> None:
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},  # how soon stop() returns
            name=name,
            daemon=True,
        )

    def start(self: _Started) -> _Started:
        """Start answering; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and release the port (also when never started)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self: _Started) -> _Started:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@dataclass(frozen=True)
class Received:
    """One request the receiver got: its method, target (path and query) and headers."""

    method: str
    target: str
    headers: dict[str, str]

    @property
    def path(self) -> str:
        """The path, without the query."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        """The query's values by name, decoded (blank values kept)."""
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        receiver = self.server.receiver
        headers = {name: value for name, value in self.headers.items()}
        if receiver.delay:
            time.sleep(receiver.delay)
        status = receiver.status
        receiver._record(Received(self.command, self.path, headers))
        body = b"ok" if 200 <= status < 300 else b"no"
        self.close_connection = True
        try:
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", receiver.url + "/redirected")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the sender left once it had the status (the mock reads no body)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads ``requests``."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: PostbackReceiver


class PostbackReceiver(BackgroundServer):
    """A loopback HTTP server recording every request (see the module)."""

    _server: _Server

    def __init__(self) -> None:
        self.status = 200
        """The status every request is answered with."""
        self.delay = 0.0
        """Seconds to wait before answering."""
        self._kept: deque[Received] = deque(maxlen=MAX_KEPT)
        self._arrived = threading.Condition()
        super().__init__(_Server(("127.0.0.1", 0), _Handler), "postback-receiver")
        self._server.receiver = self

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the start of a postback URL that reaches it."""
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def requests(self) -> list[Received]:
        """Every request received so far, oldest first."""
        with self._arrived:
            return list(self._kept)

    @property
    def urls(self) -> list[str]:
        """The full URL of every request received so far, oldest first."""
        return [self.url + received.target for received in self.requests]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The requests, once at least ``count`` have arrived (at most ``timeout`` s)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self._kept) >= count, timeout)
            return list(self._kept)

    def clear(self) -> None:
        """Forget what was received."""
        with self._arrived:
            self._kept.clear()

    def _record(self, received: Received) -> None:
        with self._arrived:
            self._kept.append(received)
            self._arrived.notify_all()

    def __repr__(self) -> str:
        return f"PostbackReceiver({self.url!r})"
