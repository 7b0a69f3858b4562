"""``LocalServer``: a mock app on a real socket in a background thread, for tests.

werkzeug (30 ms to import) comes in with the first server, not with this module, so that
the pytest plugin's in-process mock, which imports this module, never loads it.
"""

from __future__ import annotations

import functools
import io
import queue
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from mock_server.core.config import MockConfig
from mock_server.pipeline.registry import STATE_KEY, get_state
from mock_server.server.port import http_root
from mock_server.testing.receiver import BackgroundServer

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

    from mock_server.app import MockApp


@functools.cache
def _server_classes() -> tuple[type[BaseWSGIServer], type[WSGIRequestHandler]]:
    from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def setup(self) -> None:
            """Every read of the connection (request line, headers, body) within the
            server's ``read_timeout`` of its start: a client that stalls or trickles is
            dropped (a body still arriving is answered 408), its thread freed. werkzeug
            answers one request per connection, so that bounds each request."""
            super().setup()
            seconds: float = self.server.read_timeout  # type: ignore[attr-defined]
            self.connection.settimeout(seconds)
            self.rfile.close()
            self.rfile = io.BufferedReader(_DeadlineReader(self.connection, seconds))

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """Tests read the journal; one log line per request would only be noise."""

    class ReusingThreadsServer(ThreadedWSGIServer):
        """werkzeug's threaded server, whose request threads wait for the next connection
        instead of ending: werkzeug closes every connection after one answer, so a new
        thread per request cost each test a thread start. As many threads as requests at
        once, daemons as werkzeug's are (a delayed answer never holds up the exit)."""

        read_timeout = MockConfig.read_timeout

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._jobs: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()
            self._idle = 0
            self._workers = 0
            self._count_lock = threading.Lock()

        def process_request(self, request: Any, client_address: Any) -> None:
            with self._count_lock:
                spawn = self._idle == 0
                if spawn:
                    self._workers += 1
                else:
                    self._idle -= 1  # that waiting thread takes this connection
            self._jobs.put((request, client_address))
            if spawn:
                name = f"everflow-local-request :{self.server_port}"
                threading.Thread(target=self._work, name=name, daemon=True).start()

        def _work(self) -> None:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                self.process_request_thread(*job)
                with self._count_lock:
                    self._idle += 1

        def server_close(self) -> None:
            super().server_close()
            with self._count_lock:
                workers = self._workers
            for _ in range(workers):
                self._jobs.put(None)

    return ReusingThreadsServer, QuietHandler


class _DeadlineReader(io.RawIOBase):
    """A socket's reads, each given only what is left of ``seconds`` from the first:
    a ``TimeoutError`` past that, however slowly the bytes trickle in."""

    def __init__(self, connection: socket.socket, seconds: float) -> None:
        super().__init__()
        self._connection = connection
        self._seconds = seconds
        self._end = time.monotonic() + seconds

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._end - time.monotonic()
        if left <= 0:
            raise TimeoutError("the read timeout has passed")
        self._connection.settimeout(left)
        try:
            return self._connection.recv_into(buffer)
        finally:
            self._connection.settimeout(self._seconds)  # writes keep the whole timeout


def _read_timeout(app: object) -> float:
    extensions = getattr(app, "extensions", None)
    if isinstance(extensions, dict) and STATE_KEY in extensions:
        return get_state(app).config.read_timeout  # type: ignore[arg-type]
    return MockConfig.read_timeout


class LocalServer(BackgroundServer):
    """Serve ``app`` on ``host`` at a free port (werkzeug's threaded server, as
    pytest-httpserver serves werkzeug's, its threads reused) from ``start`` to ``stop``. A
    connection is read for at most the mock's ``read_timeout`` (the default's for an app
    that holds no mock), as ``serve`` reads it."""

    _server: BaseWSGIServer

    def __init__(self, app: Flask | MockApp, host: str = "127.0.0.1") -> None:
        server, handler = _server_classes()
        self.app = app
        super().__init__(server(host, 0, app, handler), "everflow-local-server")
        self._server.read_timeout = _read_timeout(app)  # type: ignore[attr-defined]

    @property
    def host(self) -> str:
        """The bound address."""
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        """The port the OS gave the server."""
        return int(self._server.server_port)

    @property
    def root(self) -> str:
        """``http://host:port`` with no path (an IPv6 address in brackets)."""
        return http_root(self.host, self.port)

    @property
    def url(self) -> str:
        """The API base URL, ending in ``/v1``."""
        return f"{self.root}/v1"
