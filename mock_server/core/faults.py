"""Broken answers on purpose: a truncated body, an empty reply, a reset connection."""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class InjectedFault(ConnectionAbortedError):
    """Raised on purpose to break a connection; servers may log it, we hide it."""


FAULT_MESSAGE = "everflow-mock fault injected on purpose"


class HideInjectedFaults(logging.Filter):
    """A logging filter that drops a server's report of an ``InjectedFault``, so that a
    chaos run (``--fault-rate``) does not fill the console with tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, InjectedFault) and FAULT_MESSAGE not in record.getMessage()


def _abort(first: bytes) -> Iterator[bytes]:
    # Some servers (waitress) answer 500 to an app that fails before its first byte.
    if first:
        yield first
    raise InjectedFault(FAULT_MESSAGE)


def fault_reply(
    kind: str, environ: WSGIEnvironment, body: bytes, start_response: StartResponse
) -> Iterable[bytes]:
    """Answer (or fail to) the way ``kind`` says.

    ``malformed`` sends a complete HTTP answer whose JSON is cut in half. ``empty`` and
    ``reset`` close the connection before any byte where the server hands the app its
    socket (werkzeug, used by the pytest plugin), with a zero linger for ``reset``. Other
    servers (granian, waitress) give an app no socket: there the status line, the headers
    and the body's first byte go out, then the connection is dropped. In-process the abort
    surfaces as ``ConnectionAbortedError``.
    """
    if kind == "malformed":
        cut = body[: max(1, len(body) // 2)]
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(cut)))]
        )
        return [cut]
    sock = environ.get("werkzeug.socket")
    first = body[:1]
    if isinstance(sock, socket.socket):
        if kind == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
        first = b""
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return _abort(first)
