"""Run the mock on a production WSGI server: granian, or waitress where granian is missing."""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import Any

from flask import Flask

from mock_server.app import create_app
from mock_server.config import MockConfig

# Filled in the parent before granian forks its workers, so they start without rebuilding.
_PRELOADED: dict[int, Flask] = {}


def preload(config: MockConfig) -> Flask:
    """Build (and validate) the app once, before any worker starts."""
    app = create_app(config)
    _PRELOADED[id(config)] = app
    return app


def _load_app(config: MockConfig, key: int) -> Flask:
    return _PRELOADED.get(key) or create_app(config)


def server_name() -> str:
    """The server ``serve`` will use: granian when installed, else waitress."""
    return "granian" if importlib.util.find_spec("granian") else "waitress"


def run(
    config: MockConfig, host: str, port: int, workers: int, on_ready: Callable[[], None]
) -> None:
    """Serve until Ctrl-C or SIGTERM; ``on_ready`` is called just before the server starts."""
    app = preload(config)
    loader = functools.partial(_load_app, config, id(config))
    if server_name() == "granian":
        from granian.constants import Interfaces
        from granian.log import LogLevels
        from granian.server import Server

        server: Any = Server(
            "mock_server.serve:preloaded",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            log_level=LogLevels.warning,
            blocking_threads=8,
        )
        on_ready()
        server.serve(target_loader=loader, wrap_loader=False)
    else:
        import waitress

        on_ready()
        waitress.serve(app, host=host, port=port, threads=max(4, workers * 4), _quiet=True)
