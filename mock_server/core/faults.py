"""Broken answers on purpose: a truncated body, an empty reply, a reset connection."""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

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


class Broken(NamedTuple):
    """What a fault sends, on any front: a 200's headers, the bytes that go out, and whether
    the connection is dropped after them."""

    headers: list[tuple[str, str]]
    sent: bytes
    dropped: bool


def broken(kind: str, body: bytes) -> Broken:
    """The answer ``kind`` breaks ``body`` into: ``malformed``, a complete answer whose
    JSON is cut in half; ``empty`` and ``reset``, the whole body announced, its first byte
    sent, then the connection dropped (a front that holds the socket drops it before any
    byte instead)."""
    json_type = ("Content-Type", "application/json")
    if kind == "malformed":
        cut = body[: max(1, len(body) // 2)]
        return Broken([json_type, ("Content-Length", str(len(cut)))], cut, dropped=False)
    return Broken([json_type, ("Content-Length", str(len(body)))], body[:1], dropped=True)


def _abort(first: bytes) -> Iterator[bytes]:
    # Some servers (waitress) answer 500 to an app that fails before its first byte.
    if first:
        yield first
    raise InjectedFault(FAULT_MESSAGE)


def fault_reply(
    kind: str, environ: WSGIEnvironment, body: bytes, start_response: StartResponse
) -> Iterable[bytes]:
    """Answer (or fail to) the way ``kind`` says, as WSGI (``broken``). Where the server
    hands the app its socket (werkzeug, used by the pytest plugin), ``empty`` and ``reset``
    close it before any byte, with a zero linger for ``reset``. In-process the abort
    surfaces as ``ConnectionAbortedError``.
    """
    answer = broken(kind, body)
    start_response("200 OK", answer.headers)
    if not answer.dropped:
        return [answer.sent]
    sock = environ.get("werkzeug.socket")
    first = answer.sent
    if isinstance(sock, socket.socket):
        if kind == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
        first = b""
    return _abort(first)
