"""Broken answers on purpose: a truncated body, an empty reply, a reset connection."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator, Mapping
from typing import Any

from flask import Response


def _abort() -> Iterator[bytes]:
    raise ConnectionAbortedError("everflow-mock fault injected on purpose")
    yield b""  # pragma: no cover - makes this a generator


def fault_response(kind: str, environ: Mapping[str, Any], body: bytes) -> Response:
    """A response that breaks the way ``kind`` says.

    ``malformed`` sends a complete HTTP answer whose JSON is cut in half. ``empty`` and
    ``reset`` close the connection before any byte where the server hands the app its
    socket (werkzeug, used by the pytest plugin), sending a TCP reset for ``reset``; other
    servers (granian) have already sent the status line and headers, so there the
    connection closes before the body.
    """
    if kind == "malformed":
        return Response(body[: max(1, len(body) // 2)], 200, content_type="application/json")
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        if kind == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    response = Response(_abort(), 200, content_type="application/json")
    response.headers["Content-Length"] = str(len(body))
    return response
