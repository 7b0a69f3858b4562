"""What the ``everflow`` fixtures hand to tests: ``EverflowMock`` and ``EverflowServer``.

Imported by the plugin on the first use of a fixture, never when pytest starts: this is
where respx and httpx come in (Flask only when a test opens the admin page or uses the app's
Flask attributes).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import httpx
import respx
from respx.models import ResolvedRoute
from respx.patterns import Pattern

from mock_server.app import MockApp
from mock_server.core.environ import environ_key
from mock_server.http.wsgi import DEFERRED_DELAY
from mock_server.pipeline.registry import get_pipeline
from mock_server.testing.handle import MockHandle
from mock_server.testing.hosts import everflow_host, is_https, not_https, not_mocked

if TYPE_CHECKING:
    from mock_server.testing.local_server import LocalServer

_ASYNC_CLIENT: ContextVar[bool] = ContextVar("everflow_async_client", default=False)


class EverflowHost(Pattern):
    """respx's pattern for a call to Everflow's hosts, as ``everflow_host`` decides for
    every client (``EverflowHost(True)``): any spelling httpx sends there, over any scheme."""

    # No key: respx registers a keyed pattern class process-wide (``route(name=...)``), and
    # a second import of this module (pytester's in-process runs) would collide with it.
    key = ""

    def parse(self, request: httpx.Request) -> bool:
        return everflow_host(str(request.url)) is not None


class KitRouter(respx.MockRouter):
    """The respx router of ``everflow_mock``: a route a test adds (``route``, ``get``,
    ``post``, ...) is tried before the kit's own, so it can override any Everflow URL."""

    def __init__(self) -> None:
        super().__init__(assert_all_called=False, assert_all_mocked=True)
        self.kit_routes: list[respx.Route] = []

    def add(self, route: respx.Route, *, name: str | None = None) -> respx.Route:
        """Add ``route`` (as respx does), ahead of the kit's routes."""
        added = super().add(route, name=name)
        if self.kit_routes:
            kit = [r for r in self.kit_routes if any(r is o for o in self.routes)]
            reordered = respx.models.RouteList()
            for each in [*(r for r in self.routes if not any(r is k for k in kit)), *kit]:
                reordered.add(each, name=each.name)
            self.routes[:] = reordered  # respx's own way to set every route at once
        return added

    @contextmanager
    def resolver(self, request: httpx.Request) -> Iterator[ResolvedRoute]:
        """respx's, with a ``not mocked`` failure that says how to let the call through."""
        try:
            with super().resolver(request) as resolved:
                yield resolved
        except respx.models.AllMockedAssertionError as refused:
            hint = not_mocked(request.method, str(request.url))
            raise respx.models.AllMockedAssertionError(f"{refused}\n{hint}") from None

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        """Answer an async client's request; the kit's side effects then wait with
        ``await`` (delays never block the event loop)."""
        token = _ASYNC_CLIENT.set(True)
        try:
            return await super().async_handler(request)
        finally:
            _ASYNC_CLIENT.reset(token)


def seconds(timeout: object) -> float | None:
    """A client's read timeout as ``answer`` takes it: seconds, ``None`` for anything but a
    number (no timeout)."""
    if isinstance(timeout, int | float) and not isinstance(timeout, bool):
        return float(timeout)
    return None


def _read_timeout(request: httpx.Request) -> float | None:
    return seconds((request.extensions.get("timeout") or {}).get("read"))


class ClientErrors(NamedTuple):
    """How one client library fails a call: what it raises when its read timeout passes
    before the answer, and when the server closes the connection without one."""

    timed_out: Callable[[httpx.Request], Exception]
    disconnected: Callable[[httpx.Request], Exception]


HTTPX_ERRORS = ClientErrors(
    lambda request: httpx.ReadTimeout("timed out", request=request),
    lambda request: httpx.RemoteProtocolError(
        "Server disconnected without sending a complete response.", request=request
    ),
)


def _deliver(
    request: httpx.Request, outcome: httpx.Response | Exception | None, errors: ClientErrors
) -> httpx.Response:
    if outcome is None:
        raise errors.disconnected(request)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def _environ(request: httpx.Request) -> dict[str, str]:
    """The WSGI-style environ of ``request``, as the journal reads it."""
    environ = {
        "REQUEST_METHOD": request.method,
        "PATH_INFO": request.url.path,
        "QUERY_STRING": request.url.query.decode("latin-1"),
    }
    environ.update((environ_key(name), value) for name, value in request.headers.items())
    return environ


class EverflowMock(MockHandle):
    """Calls to Everflow's hosts, answered in-process by the mock app: httpx's through
    respx, and ``requests``' and aiohttp's through the kit's adapters when those libraries
    are in use (``mock_server.testing.via_requests``, ``via_aiohttp``).

    ``router`` is the respx router: its ``calls`` work as usual, and a route a test adds
    to it is tried before the kit's. Delays (``Prefer: delay=``, the marker's ``delay``)
    are waited out here: past the client's read timeout the client gets its own timeout
    error (``httpx.ReadTimeout`` ...), and an async client waits without blocking its event
    loop.
    """

    _raises_in_client = True

    def __init__(self, app: MockApp, router: respx.MockRouter) -> None:
        self.app = app
        self.router = router
        self._transport = httpx.WSGITransport(app=app)

    def _answer(
        self, request: httpx.Request
    ) -> httpx.Response | Coroutine[Any, Any, httpx.Response]:
        """respx's side effect for Everflow's hosts (``EverflowHost``): the mock's answer,
        or, over plain http, the refusal every client gets (it never passes through,
        whatever the test lets through)."""
        url = str(request.url)
        if not is_https(url):
            raise httpx.ConnectError(not_https(request.method, url), request=request)
        timeout = _read_timeout(request)
        if _ASYNC_CLIENT.get():
            return self.answer_async(request, timeout, HTTPX_ERRORS)
        return self.answer(request, timeout, HTTPX_ERRORS)

    def answer(
        self, request: httpx.Request, timeout: float | None, errors: ClientErrors
    ) -> httpx.Response:
        """The mock's answer to ``request`` for a sync client: the delay waited out (up to
        ``timeout``, the client's read timeout in seconds), a fault or a queued exception
        raised; ``errors`` are the client's own."""
        outcome, delay = self._serve(request)
        if delay:
            if timeout is not None and delay > timeout:
                time.sleep(timeout)
                raise errors.timed_out(request)
            time.sleep(delay)
        return _deliver(request, outcome, errors)

    async def answer_async(
        self, request: httpx.Request, timeout: float | None, errors: ClientErrors
    ) -> httpx.Response:
        """As ``answer``, for an async client: the delay is awaited (anyio: asyncio or trio),
        so the event loop runs on meanwhile."""
        outcome, delay = self._serve(request)
        if delay:
            import anyio  # httpx's own dependency; works under asyncio and trio

            if timeout is not None and delay > timeout:
                await anyio.sleep(timeout)
                raise errors.timed_out(request)
            await anyio.sleep(delay)
        return _deliver(request, outcome, errors)

    def _serve(self, request: httpx.Request) -> tuple[httpx.Response | Exception | None, float]:
        """The app's answer (``None`` when a fault closed the connection without one, or the
        queued exception the client gets) and the delay before it, in seconds."""
        queued = self._queued_exception(request)
        if queued is not None:
            return queued, 0.0
        delays: list[int] = []
        token = DEFERRED_DELAY.set(delays)
        try:
            answer = self._transport.handle_request(request)
            content = answer.read()
            outcome: httpx.Response | None = httpx.Response(
                answer.status_code, headers=answer.headers, content=content, request=request
            )
        except ConnectionAbortedError:
            outcome = None
        finally:
            DEFERRED_DELAY.reset(token)
        return outcome, sum(delays) / 1000

    def _queued_exception(self, request: httpx.Request) -> Exception | None:
        """The exception queued next for the request's operation (journaled), if any."""
        answers = self.state.answers
        if not answers:
            return None
        found = get_pipeline(self.app).routes.match(request.url.path)
        if found is None:
            return None
        methods, raw_params = found
        operation = methods.get("GET" if request.method == "HEAD" else request.method)
        if operation is None:
            return None
        queued = answers.take(operation.operation_id, exception=True)
        if queued is None:
            return None
        self.state.journal.record(  # the body read first if it is still a stream
            _environ(request), None, operation.operation_id, raw_params, request.read() or None
        )
        if isinstance(queued, type):
            message = f"everflow_mock: {queued.__name__} queued for {operation.operation_id}"
            if issubclass(queued, httpx.RequestError):
                return queued(message, request=request)
            made = queued(message)
            return made if isinstance(made, Exception) else RuntimeError(message)
        if isinstance(queued, httpx.RequestError):
            queued.request = request
        return queued if isinstance(queued, Exception) else RuntimeError(str(queued))


class EverflowServer(MockHandle):
    """The mock on a real socket; ``url`` is its base URL, ending in ``/v1``."""

    name = "everflow_server"

    def __init__(self, local: LocalServer) -> None:
        self.app = cast("MockApp", local.app)
        self.local = local
        self.url = local.url
        self.root = local.root

    def __repr__(self) -> str:
        return f"EverflowServer({self.url!r})"
