"""The ASGI front, for granian: API answers on the event loop, everything else in threads.

A delayed answer (``Prefer: delay=...``, ``--delay``) waits with ``asyncio.sleep`` and a
request body is read with ``await``, so neither holds a thread: a thousand slow clients cost
a thousand coroutines, not the server. Bodies are read in full here, up to ``max_body`` and
within ``read_timeout`` (408 past it), before anything else sees them; Flask (the admin API,
the spec, unknown paths) then runs in a thread pool (a2wsgi) on a body already in memory.
The pipeline is the same one the WSGI front uses, so both answer byte for byte the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from a2wsgi import WSGIMiddleware
from flask import Flask

from mock_server.app import get_pipeline
from mock_server.exchange import Reply
from mock_server.faults import FAULT_MESSAGE, InjectedFault

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

FLASK_THREADS = 8
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


class _TooSlow(Exception):
    """The client did not send its body within the read timeout."""


def environ_of(scope: Scope) -> dict[str, Any]:
    """The WSGI-style environ the pipeline reads (PEP 3333: text is latin-1 decoded bytes)."""
    client = scope.get("client") or ("", 0)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "PATH_INFO": scope["path"].encode("utf-8", "surrogateescape").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "REMOTE_ADDR": client[0],
    }
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        if name not in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            name = "HTTP_" + name
        value = raw_value.decode("latin-1")
        environ[name] = f"{environ[name]},{value}" if name in environ else value
    return environ


async def read_body(
    receive: Receive, environ: dict[str, Any], limit: int, timeout: float
) -> bytes | None:
    """The whole body, or ``None`` past ``limit`` bytes; ``_TooSlow`` past ``timeout`` s."""
    length = environ.get("CONTENT_LENGTH", "")
    if environ["REQUEST_METHOD"] in _NO_BODY_METHODS and not length:
        return b""
    if length and (not length.isdigit() or int(length) > limit):
        return None
    chunks: list[bytes] = []
    size = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
        except TimeoutError:
            raise _TooSlow from None
        if message["type"] != "http.request":
            raise _TooSlow  # the client went away
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_reply(reply: Reply, send: Send, head: bool) -> None:
    """Send ``reply`` as ASGI messages, breaking it on purpose where it says so."""
    body = reply.body
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in reply.header_list()]
    if reply.fault == "malformed":
        body = body[: max(1, len(body) // 2)]
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    if reply.fault is not None:
        # No socket to close: announce the whole body, send one byte, then drop the connection.
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body[:1], "more_body": True})
        raise InjectedFault(FAULT_MESSAGE)
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then whatever the client sends next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def _with_length(scope: Scope, length: int) -> Scope:
    """``scope`` saying how long its (already read) body is, as WSGI apps need to know."""
    headers = [
        (name, value)
        for name, value in scope.get("headers", ())
        if name.lower() not in (b"content-length", b"transfer-encoding")
    ]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def asgi_front(app: Flask, flask_threads: int = FLASK_THREADS) -> ASGIApp:
    """An ASGI app answering exactly like ``app`` (a ``create_app`` app)."""
    pipeline = get_pipeline(app)
    config = pipeline.config
    flask = WSGIMiddleware(app.wsgi_app, workers=flask_threads)  # type: ignore[arg-type]

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        environ = environ_of(scope)
        try:
            body = await read_body(receive, environ, config.max_body, config.read_timeout)
        except _TooSlow:
            await send_reply(pipeline.error(408), send, head=False)
            return
        reply = pipeline.handle(environ, lambda: body)
        if reply is None:
            if body is None:
                await send_reply(pipeline.error(413), send, head=False)
                return
            await flask(_with_length(scope, len(body)), _replay(body, receive), send)  # type: ignore[arg-type]
            return
        if reply.delay_ms:
            await asyncio.sleep(reply.delay_ms / 1000)
        await send_reply(reply, send, head=environ["REQUEST_METHOD"] == "HEAD")

    return asgi
