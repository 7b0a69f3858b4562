"""The ceilings for bench_scale.py: the bytes of a stored postback, with next to no Python.

Served through granian's WSGI interface (16 threads, as the baseline) or its RSGI interface
(one event loop, as `everflow-mock serve`), on the settings `everflow-mock serve` uses, so the
difference between the two is what the interface itself costs per request.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from benchmarks.bare_app import BODY
from mock_server.http.eager import make_eager
from mock_server.server.port import claim
from mock_server.server.serve import THREADS, ServerOptions, _serve_granian

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]


def wsgi_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]


class RsgiApp:
    def __rsgi_init__(self, loop: Any) -> None:
        make_eager(loop)  # as the mock's RSGI front does

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        protocol.response_bytes(200, HEADERS, BODY)


def load_wsgi() -> Any:
    return wsgi_app


def load_rsgi() -> Any:
    return RsgiApp()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interface", choices=["wsgi", "rsgi"], required=True)
    args = parser.parse_args()
    options = ServerOptions(port=args.port, threads=THREADS, access_log=False)
    listener = claim(options.host, options.port)
    loader = load_wsgi if args.interface == "wsgi" else load_rsgi
    _serve_granian(loader, args.interface, options, listener)
