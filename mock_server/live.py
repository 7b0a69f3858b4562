"""``LiveServer``: a mock app on a real socket in a background thread, for tests.

werkzeug (30 ms to import) comes in with the first server, not with this module, so that
the pytest plugin's in-process mock, which imports this module, never loads it.
"""

from __future__ import annotations

import functools
import threading
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

    from mock_server.app import MockApp


@functools.cache
def _quiet_handler() -> type[WSGIRequestHandler]:
    from werkzeug.serving import WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            """Tests read the journal; one log line per request would only be noise."""

    return QuietHandler


class LiveServer:
    """Serve ``app`` on ``host`` at a free port (werkzeug's threaded server, as
    pytest-httpserver does) until ``stop``; usable as a context manager."""

    def __init__(self, app: Flask | MockApp, host: str = "127.0.0.1") -> None:
        from werkzeug.serving import make_server

        self.app = app
        self._server: BaseWSGIServer = make_server(
            host, 0, app, threaded=True, request_handler=_quiet_handler()
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # how soon stop() returns
            name="everflow-live-server",
            daemon=True,
        )

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
        """``http://host:port`` with no path."""
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The API base URL, ending in ``/v1``."""
        return f"{self.root}/v1"

    def start(self) -> LiveServer:
        """Start answering; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
