"""Run the mock on a production WSGI server: granian, or waitress where granian is missing."""

from __future__ import annotations

import functools
import gc
import importlib.util
import logging
import signal
from collections.abc import Callable
from typing import Any

from flask import Flask

from mock_server.app import create_app
from mock_server.config import MockConfig
from mock_server.faults import HideInjectedFaults

# Filled in the parent before granian forks its workers, so they start without rebuilding.
_PRELOADED: dict[int, Flask] = {}


def preload(config: MockConfig) -> Flask:
    """Build (and validate) the app once, before any worker starts."""
    app = create_app(config)
    _PRELOADED[id(config)] = app
    # Everything built so far lives as long as the server: keep the cyclic GC from rescanning
    # it (a full collection over Faker, openapi-core and the catalogue costs milliseconds).
    gc.collect()
    gc.freeze()
    return app


def _load_app(config: MockConfig, key: int) -> Flask:
    return _PRELOADED.get(key) or create_app(config)


SERVERS = ("granian", "waitress")
# Python threads per granian worker: enough for delayed answers (Prefer: delay=...) to
# overlap; the hot path is short enough that GIL hand-offs cost little (bench_server.py).
THREADS = 16


def server_name(choice: str = "auto") -> str:
    """The server ``serve`` will use: ``choice``, or for ``auto`` granian when it is
    installed and waitress otherwise."""
    if choice != "auto":
        return choice
    return "granian" if importlib.util.find_spec("granian") else "waitress"


# granian's own console logging, with injected faults filtered out.
_GRANIAN_LOGGING: dict[str, Any] = {
    "filters": {"hide_injected_faults": {"()": "mock_server.faults.HideInjectedFaults"}},
    "handlers": {
        "console": {
            "formatter": "generic",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["hide_injected_faults"],
        },
        "access": {
            "formatter": "access",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
        },
    },
}


def run_wsgi(
    app: Flask,
    loader: Callable[[], Flask],
    host: str,
    port: int,
    workers: int,
    server: str = "auto",
    threads: int = THREADS,
) -> None:
    """Serve a WSGI app the way ``everflow-mock serve`` does, until Ctrl-C or SIGTERM.

    ``loader`` gives each granian worker its app. The benchmarks serve their baseline app
    through this too, so that both run on exactly the same server settings.
    """
    if server_name(server) == "granian":
        from granian.constants import Interfaces
        from granian.log import LogLevels
        from granian.server import Server

        granian: Any = Server(
            "everflow-mock",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=threads,
            log_level=LogLevels.warning,
            log_dictconfig=_GRANIAN_LOGGING,
        )
        granian.serve(target_loader=loader, wrap_loader=False)
    else:
        import waitress

        # waitress runs one process: workers become more threads; state is shared by all.
        logging.getLogger("waitress").addFilter(HideInjectedFaults())
        signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
        waitress.serve(app, host=host, port=port, threads=threads * workers, _quiet=True)


def _stop_like_ctrl_c(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(
    config: MockConfig,
    host: str,
    port: int,
    workers: int,
    on_ready: Callable[[], None],
    server: str = "auto",
) -> None:
    """Serve the mock until Ctrl-C or SIGTERM; ``on_ready`` is called just before it starts."""
    app = preload(config)
    on_ready()
    loader = functools.partial(_load_app, config, id(config))
    run_wsgi(app, loader, host, port, workers, server)
