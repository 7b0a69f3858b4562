"""The WSGI front: API requests to the pipeline, everything else to Flask.

Used in-process (``create_app``'s app, Flask's test client, the pytest fixtures) and by
servers that speak only WSGI (waitress, werkzeug).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING

from mock_server.pipeline.pipeline import NeedBody, Pipeline

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

DEFERRED_DELAY: ContextVar[list[int] | None] = ContextVar("everflow_deferred_delay", default=None)
"""Set to a list by a caller that waits out delays itself (the ``everflow_mock`` fixture,
which must honour the client's timeout and not block an event loop): the front then
appends a reply's ``delay_ms`` to it instead of sleeping."""


STOPPING = threading.Event()
"""Set when the server stops: delayed answers still waiting are sent at once."""


def read_wsgi_body(environ: WSGIEnvironment, limit: int) -> bytes | None:
    """The request body, or ``None`` when it is longer than ``limit`` bytes (then unread)."""
    length_text = environ.get("CONTENT_LENGTH") or ""
    stream = environ.get("wsgi.input")
    if length_text:
        if not (length_text.isascii() and length_text.isdigit()):
            return None
        length = int(length_text)
        if length > limit:
            return None
        return stream.read(length) if stream is not None and length else b""
    if stream is None or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return b""
    data: bytes = stream.read(limit + 1)
    return data if len(data) <= limit else None


def rest_app(flask_app: WSGIApplication, pipeline: Pipeline) -> WSGIApplication:
    """A WSGI app for what the pipeline does not answer (the admin API, the spec, paths
    outside it): Flask, its answers under the API's base path journaled as the pipeline's
    are. Both fronts hand it those requests, so none passes the pipeline twice."""
    journal = pipeline.state.journal
    base = pipeline.routes.prefix

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not environ.get("PATH_INFO", "").startswith(base):
            return flask_app(environ, start_response)

        def journaling(status: str, headers: object, exc_info: object = None) -> object:
            journal.record(environ, int(status[:3]))
            return start_response(status, headers, exc_info)  # type: ignore[arg-type]

        return flask_app(environ, journaling)  # type: ignore[arg-type]

    return app


def wsgi_front(rest: WSGIApplication, pipeline: Pipeline) -> WSGIApplication:
    """A WSGI app that answers the spec's operations itself and hands the rest to ``rest``
    (``rest_app``)."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        exchange = pipeline.exchange(environ)
        if exchange is None:
            return rest(environ, start_response)
        step = exchange.start()
        reply = (
            exchange.receive(read_wsgi_body(environ, step.limit))
            if isinstance(step, NeedBody)
            else step
        )
        if reply.delay_ms:
            deferred = DEFERRED_DELAY.get()
            if deferred is None:
                STOPPING.wait(reply.delay_ms / 1000)
            else:
                deferred.append(reply.delay_ms)
        return reply.send(environ, start_response)

    return app
