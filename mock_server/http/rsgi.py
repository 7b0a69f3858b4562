"""The RSGI front, for granian: API answers on the event loop, everything else in threads.

A delayed answer (``Prefer: delay=...``, ``--delay``) waits with ``asyncio.sleep`` and a
request body is read with ``await``, so neither holds a thread: a thousand slow clients cost
a thousand coroutines, not the server. A body is read only when the pipeline's exchange asks
for it (``NeedBody``: the key, rate limit, controls and parameters have passed), in full, up
to its limit and within ``read_timeout`` (408 past it). The admin API's exchanges, which
may block, run their steps in a thread pool; Flask (the admin page, the spec, unknown paths)
runs in another (a2wsgi) on a body already in memory. The scope is read
as the WSGI-style environ the pipeline reads (``environ_of``). The pipeline is the same one
the WSGI front uses, so both answer byte for byte the same.

RSGI is granian's own interface: one call answers a request, and headers are read from
granian without being copied first. Measured against ASGI on granian (bench_scale.py), it
is what keeps a stored postback as cheap as on the WSGI front.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol
from urllib.parse import quote

from a2wsgi import WSGIMiddleware

from mock_server.core.environ import environ_key
from mock_server.core.errors import ApiError
from mock_server.core.faults import FAULT_MESSAGE, InjectedFault, broken
from mock_server.core.reply import Reply
from mock_server.http.eager import make_eager
from mock_server.http.wsgi import CUT_SHORT, content_length
from mock_server.pipeline.pipeline import NeedBody
from mock_server.pipeline.registry import HoldsMock, get_pipeline, get_rest
from mock_server.state.journal import HEADER_BYTES

FLASK_THREADS = 8
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


BUSY = "Too many request bodies are arriving at once; retry in a second."
SWITCH_SECONDS = 0.0005
"""The worker's GIL switch interval (``sys.setswitchinterval``) while a seed is being drawn."""
BODIES_BYTES = 64 * 1024 * 1024
"""The bytes all bodies still arriving in one worker may hold (at least two ``max_body``)."""
DRAIN_BYTES = 64 * 1024 * 1024
"""The longest body over ``max_body`` that is read to its end (and dropped) before its 413:
a client that reads no answer before it has sent its whole body (urllib, a plain socket)
then reads the 413, where a server that stops reading makes it see a broken pipe. A longer
one is answered at once (granian closes the connection)."""
_QUERY_KEPT = "".join(map(chr, range(0x21, 0x7F)))  # printable ASCII goes to Flask as sent


_Step = Callable[[], "Reply | NeedBody"]
"""One step of an exchange (``start``, or ``receive`` given its body)."""

_ENVIRON_NAMES: dict[str, str] = {}
_MAX_NAMES = 512  # header names remembered, so a client sending random names costs nothing


class Headers(Protocol):
    """RSGI request headers (granian's ``RSGIHeaders``)."""

    def items(self) -> list[tuple[str, str]]: ...


class Scope(Protocol):
    """An RSGI HTTP scope."""

    method: str
    path: str
    query_string: str
    client: str
    server: str
    scheme: str
    http_version: str

    @property
    def headers(self) -> Headers: ...


class Stream(Protocol):
    """What ``response_stream`` gives: a way to send the body in pieces."""

    async def send_bytes(self, data: bytes) -> None: ...


class HTTPProtocol(Protocol):
    """An RSGI HTTP protocol: the request body and the ways to answer."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None: ...

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Stream: ...


def _environ_name(name: str) -> str:
    """The environ key of a header name not yet remembered (``environ_of`` looks first)."""
    found = environ_key(name)
    if len(_ENVIRON_NAMES) < _MAX_NAMES:
        _ENVIRON_NAMES[name] = found
    return found


def environ_of(scope: Scope) -> dict[str, Any]:
    """The WSGI-style environ the pipeline reads; repeated headers are joined with commas.
    It is made for the mock alone, so it says the bytes of its headers and the journal keeps
    it as it is (``HEADER_BYTES``)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.method,
        "PATH_INFO": scope.path,
        "QUERY_STRING": scope.query_string,
    }
    names = _ENVIRON_NAMES
    size = 0
    for name, value in scope.headers.items():
        key = names.get(name) or _environ_name(name)
        environ[key] = f"{environ[key]},{value}" if key in environ else value
        size += len(key) + len(value)
    environ[HEADER_BYTES] = size
    return environ


def _add_caller(environ: dict[str, Any], scope: Scope) -> None:
    """Who is asking, as a WSGI environ says it (``REMOTE_ADDR``, the server's name and port,
    the scheme): what the API's exchanges never read, so ``environ_of`` leaves it out."""
    host, _, port = scope.server.rpartition(":")
    environ["REMOTE_ADDR"] = scope.client.rpartition(":")[0].strip("[]")
    environ["SERVER_NAME"], environ["SERVER_PORT"] = host.strip("[]"), port
    environ["wsgi.url_scheme"] = scope.scheme


def _may_seed(environ: dict[str, Any]) -> bool:
    """Whether the request names a seed (``Prefer: seed=``, ``?__seed=``): it may make the
    factory draw a new seed's pools."""
    prefer = environ.get("HTTP_PREFER")
    if prefer is not None:
        return "seed" in prefer.lower()
    return "__seed" in environ["QUERY_STRING"]


class _ShortSwitch:
    """Python's GIL switch interval at :data:`SWITCH_SECONDS` while any seed is drawn in the
    process: the loop then gets the GIL back from the drawing thread quickly. Otherwise the
    usual interval stands, since a short one costs every request GIL hand-overs with
    granian's threads (about 15% of the stored-postback rate)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._usual = sys.getswitchinterval()

    def __enter__(self) -> None:
        with self._lock:
            if not self._inside:
                self._usual = sys.getswitchinterval()
                sys.setswitchinterval(SWITCH_SECONDS)
            self._inside += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._inside -= 1
            if not self._inside:
                sys.setswitchinterval(self._usual)


_SHORT_SWITCH = _ShortSwitch()


class BodyBudget:
    """The bytes every body still arriving may hold in all, in one worker: a thousand
    clients each sending most of a large body, slowly, cannot take the server's memory."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0


async def read_body(
    protocol: HTTPProtocol,
    environ: dict[str, Any],
    limit: int,
    timeout: float,
    budget: BodyBudget,
) -> bytes | None:
    """The whole body, or ``None`` past ``limit`` bytes (read to its end and dropped first,
    when it ends within ``DRAIN_BYTES`` and ``timeout``). Raises an ``ApiError``: 408 past
    ``timeout`` s (or when the client went away), 400 if the body ends before it is whole
    (never half a body) or its ``Content-Length`` is not digits, 503 when the ``budget`` for all bodies still arriving is spent."""
    length = content_length(environ)
    if environ["REQUEST_METHOD"] in _NO_BODY_METHODS and length is None:
        return b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    pieces = protocol.__aiter__()
    if length is not None and length > limit:
        if length <= DRAIN_BYTES:
            await _drain(pieces, deadline, DRAIN_BYTES)
        return None
    chunks: list[bytes] = []
    size = held = 0
    # granian ends a body with an empty piece, and turns a failure (the client gone before
    # the Content-Length or the last chunk) into an empty piece too: two mean a cut body.
    empty = 0
    try:
        while True:
            try:
                wait = max(0.0, deadline - loop.time())
                chunk = await asyncio.wait_for(pieces.__anext__(), wait)
            except StopAsyncIteration:
                if empty > 1 or (length is not None and size != length):
                    raise ApiError(400, CUT_SHORT) from None
                return b"".join(chunks)
            except (TimeoutError, OSError, RuntimeError):
                raise ApiError(408) from None
            empty += not chunk
            size += len(chunk)
            if size > limit:
                await _drain(pieces, deadline, DRAIN_BYTES - size)
                return None
            if budget.held + len(chunk) > budget.limit:
                raise ApiError(503, BUSY, [("Retry-After", "1")])
            budget.held += len(chunk)
            held += len(chunk)
            chunks.append(chunk)
    finally:
        budget.held -= held


async def _drain(pieces: AsyncIterator[bytes], deadline: float, most: int) -> None:
    """Read and drop what is left of a body, ``most`` bytes at most, until ``deadline``
    (on the running loop's clock) or the client goes away, whichever comes first."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(StopAsyncIteration, TimeoutError, OSError, RuntimeError):
        while most >= 0:
            wait = max(0.0, deadline - loop.time())
            most -= len(await asyncio.wait_for(pieces.__anext__(), wait))


async def send_reply(reply: Reply, protocol: HTTPProtocol, head: bool) -> None:
    """Answer with ``reply``, breaking it on purpose where it says so."""
    if reply.fault is not None:
        answer = broken(reply.fault, reply.body)
        if not answer.dropped:
            protocol.response_bytes(200, answer.headers, answer.sent)
            return
        # No socket to close: what the fault announces, its first byte, then the drop.
        stream = protocol.response_stream(200, answer.headers)
        with contextlib.suppress(RuntimeError):  # granian's RSGIProtocolClosed: client gone
            await stream.send_bytes(answer.sent)
        raise InjectedFault(FAULT_MESSAGE)
    send_plain(reply, protocol, head)


def send_plain(reply: Reply, protocol: HTTPProtocol, head: bool) -> None:
    """Answer with ``reply`` as it is (its ``fault`` is ``None``), in one call."""
    protocol.response_bytes(reply.status, reply.header_list(), b"" if head else reply.body)


def _asgi_scope(scope: Scope, length: int) -> dict[str, Any]:
    """The ASGI scope a2wsgi needs, saying how long the (already read) body is."""
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in scope.headers.items()
        if name not in ("content-length", "transfer-encoding")
    ]
    host, _, port = scope.server.rpartition(":")
    client, _, client_port = scope.client.rpartition(":")
    return {
        "type": "http",
        "http_version": scope.http_version,
        "method": scope.method,
        "scheme": scope.scheme,
        "path": scope.path,
        "raw_path": scope.path.encode("utf-8", "surrogateescape"),
        # a2wsgi takes the query as ASCII: anything else a raw client sent goes percent-encoded.
        "query_string": quote(scope.query_string, _QUERY_KEPT, errors="surrogateescape").encode(),
        "root_path": "",
        "headers": [*headers, (b"content-length", str(length).encode())],
        "server": (host.strip("[]"), int(port or 0)),
        "client": (client.strip("[]"), int(client_port or 0)),
    }


async def _to_flask(
    flask: Callable[..., Awaitable[None]], scope: Scope, body: bytes, protocol: HTTPProtocol
) -> None:
    """Answer through Flask (a2wsgi's thread pool) and send what it answered in one piece."""
    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []
    delivered = False

    async def receive() -> MutableMapping[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.Event().wait()  # a WSGI app asking twice waits for the end
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await flask(_asgi_scope(scope, len(body)), receive, send)
    protocol.response_bytes(status, headers, b"".join(chunks))


class RsgiFront:
    """An RSGI app answering exactly like ``app`` (a ``create_app`` or ``MockApp`` app)."""

    def __init__(self, app: HoldsMock, flask_threads: int = FLASK_THREADS) -> None:
        self.pipeline = get_pipeline(app)
        self.flask = WSGIMiddleware(get_rest(app), workers=flask_threads)  # type: ignore[arg-type]
        self.budget = BodyBudget(max(BODIES_BYTES, 2 * self.pipeline.config.max_body))
        self._seeding = ThreadPoolExecutor(1, thread_name_prefix="everflow-mock-seeds")
        self._blocking = ThreadPoolExecutor(flask_threads, thread_name_prefix="everflow-mock-admin")

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        """Make the worker's loop run each request's first step at once (granian calls this
        when the worker starts): a stored postback then costs the loop one turn, not two."""
        make_eager(loop)

    async def _seeded(self, step: _Step) -> Reply | NeedBody:
        """``step`` in the seeding thread, the switch interval short meanwhile."""
        with _SHORT_SWITCH:
            return await asyncio.get_running_loop().run_in_executor(self._seeding, step)

    async def _rest(self, scope: Scope, protocol: HTTPProtocol, environ: dict[str, Any]) -> None:
        """Answer a request that is neither API's (the admin page, the spec, a path outside
        the API) by Flask, its body read as the API's are."""
        config = self.pipeline.config
        try:
            body = await read_body(
                protocol, environ, config.max_body, config.read_timeout, self.budget
            )
        except ApiError as failure:  # the body could not be read whole
            await send_reply(self.pipeline.failed(failure), protocol, head=False)
            return
        if body is None:
            await send_reply(self.pipeline.error(413), protocol, head=False)
        else:
            await _to_flask(self.flask, scope, body, protocol)

    async def _blocked(self, step: _Step) -> Reply | NeedBody:
        """``step`` in the thread pool of steps that may block (the admin API's)."""
        return await asyncio.get_running_loop().run_in_executor(self._blocking, step)

    async def __rsgi__(self, scope: Scope, protocol: HTTPProtocol) -> None:
        """Answer one HTTP request (granian calls this)."""
        pipeline = self.pipeline
        config = pipeline.config
        environ = environ_of(scope)
        method = environ["REQUEST_METHOD"]  # granian makes a new string per scope.method
        exchange = pipeline.exchange(environ)
        if exchange is None:  # neither the API nor the admin API: to Flask, with its body
            await self._rest(scope, protocol, environ)
            return
        # Steps that may block (the admin API's) run in threads; so does a request naming a
        # new seed, which costs the factory tens of milliseconds: in one thread of its own it
        # costs other clients a GIL switch instead of a stalled loop, and many such requests
        # queue there instead of taking turns on the loop. The rest run right here.
        threaded: Callable[[_Step], Awaitable[Reply | NeedBody]] | None
        if exchange.blocking:
            _add_caller(environ, scope)  # the admin guard reads who is asking
            threaded = self._blocked
        else:
            threaded = self._seeded if _may_seed(environ) else None
        step = await threaded(exchange.start) if threaded else exchange.start()
        if isinstance(step, NeedBody):  # admitted: no key, no token, not one byte read
            try:
                body = await read_body(
                    protocol, environ, step.limit, config.read_timeout, self.budget
                )
            except ApiError as failure:  # the body could not be read whole
                await send_reply(exchange.failed(failure), protocol, head=False)
                return
            if threaded:
                step = await threaded(functools.partial(exchange.receive, body))
            else:
                step = exchange.receive(body)
            body = None  # not held while the answer waits
        reply = step
        assert isinstance(reply, Reply)
        if reply.delay_ms:
            await asyncio.sleep(reply.delay_ms / 1000)
        if reply.fault is None:  # no coroutine of send_reply's for the common answer
            send_plain(reply, protocol, head=method == "HEAD")
        else:
            await send_reply(reply, protocol, head=method == "HEAD")
