"""The WSGI front: API requests to the pipeline, everything else to Flask.

Used in-process (``create_app``'s app, Flask's test client, the pytest fixtures) and by
servers that speak only WSGI (waitress, werkzeug).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from mock_server.core.controls import MAX_DIGITS
from mock_server.core.errors import ApiError
from mock_server.pipeline.pipeline import NeedBody, Pipeline

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

DEFERRED_DELAY: ContextVar[list[int] | None] = ContextVar("everflow_deferred_delay", default=None)
"""Set to a list by a caller that waits out delays itself (the ``everflow_mock`` fixture,
which must honour the client's timeout and not block an event loop): the front then
appends a reply's ``delay_ms`` to it instead of sleeping."""


STOPPING = threading.Event()
"""Set when the server stops: delayed answers still waiting are sent at once."""


CUT_SHORT = "The request body was cut short."
"""The 400's message for a body that could not be read whole: it ended (or its chunks
broke) before it was complete. Both fronts answer it."""
BAD_LENGTH = "The request's Content-Length is not a number of bytes."
"""The 400's message for a ``Content-Length`` that is not ASCII digits."""


def content_length(environ: Mapping[str, Any]) -> int | None:
    """The request's ``Content-Length`` (``None`` when it has none), whitespace around it
    allowed as HTTP allows it; an ``ApiError`` 400 when it is not ASCII digits (``-5``,
    ``+2``, ``0x2``, an Arabic-Indic digit), never read as a length. More than
    ``MAX_DIGITS`` digits is past any limit: read as ``10 ** MAX_DIGITS``."""
    text = (environ.get("CONTENT_LENGTH") or "").strip(" \t")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()):
        raise ApiError(400, BAD_LENGTH)
    return int(text) if len(text) <= MAX_DIGITS else 10**MAX_DIGITS


def read_wsgi_body(environ: WSGIEnvironment, limit: int) -> bytes | None:
    """The request body, or ``None`` when it is longer than ``limit`` bytes (then unread).

    Raises an ``ApiError``: 400 for a bad ``Content-Length`` (``content_length``) and for a
    body that cannot be read whole (shorter than its length, broken chunks, or chunks with
    trailers, which werkzeug's reader cannot read); 408 when the server's socket timeout
    passes while the body is still arriving."""
    length = content_length(environ)
    stream = environ.get("wsgi.input")
    if length is not None:
        if length > limit:
            return None
        data = _read(stream, length) if stream is not None and length else b""
        if len(data) != length:
            raise ApiError(400, CUT_SHORT)
        return data
    if stream is None or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return b""
    data = _read(stream, limit + 1)
    return data if len(data) <= limit else None


def _read(stream: Any, most: int) -> bytes:
    """Up to ``most`` bytes of ``stream``, fewer only where it ends; a read that times out
    is a 408, one the server's reader refuses (werkzeug's ``OSError`` for a bad chunk) a
    400."""
    try:
        data: bytes = stream.read(most)
    except TimeoutError:
        raise ApiError(408) from None
    except OSError:
        raise ApiError(400, CUT_SHORT) from None
    return data


def rest_app(flask_app: WSGIApplication, pipeline: Pipeline) -> WSGIApplication:
    """A WSGI app for what the pipeline does not answer (the admin page, the spec, paths
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
        if isinstance(step, NeedBody):
            try:
                body = read_wsgi_body(environ, step.limit)
            except ApiError as failure:  # the body could not be read
                reply = exchange.failed(failure)
            else:
                reply = exchange.receive(body)
        else:
            reply = step
        if reply.delay_ms:
            deferred = DEFERRED_DELAY.get()
            if deferred is None:
                STOPPING.wait(reply.delay_ms / 1000)
            else:
                deferred.append(reply.delay_ms)
        return reply.send(environ, start_response)

    return app
