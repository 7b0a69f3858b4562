"""What the ``everflow`` pytest fixtures hand to tests, and the session's pool of mocks.

Imported by the plugin on the first use of a fixture, never when pytest starts: this module
is where respx and httpx come in (Flask only when a test uses the admin API or ``app``'s
Flask attributes). The pool keeps one app (for ``everflow_mock``) and
one local server (for ``everflow_server``) per distinct ``MockConfig``, so a test's
``@pytest.mark.everflow(...)`` settings cost one app the first time and a reset after that.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import httpx
import respx

from mock_server.app import MockApp
from mock_server.core.answers import QueuedAnswer, check_answers
from mock_server.core.config import MockConfig
from mock_server.core.controls import FAULTS
from mock_server.data.records import InvalidRecords
from mock_server.http.wsgi import DEFERRED_DELAY
from mock_server.pipeline.registry import get_pipeline, get_state
from mock_server.state.mock_state import MockState

if TYPE_CHECKING:
    from mock_server.testing.local_server import LocalServer

EVERFLOW_HOSTS = ("api.eflow.team", "api-eu.eflow.team")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Distinct configurations kept per kind; the least recently used beyond it is closed.
POOL_SIZE = 16

K = TypeVar("K")
T = TypeVar("T")
SHOWN = 200
"""How much of a request's body or query an ``assert_requested`` failure repeats."""
_ASYNC_CLIENT: ContextVar[bool] = ContextVar("everflow_async_client", default=False)


class InvalidPostback(InvalidRecords):
    """A postback given to ``add`` or ``add_many`` breaks the spec; nothing was added.

    The message names each bad postback by its ``network_pixel_id`` (and, from
    ``add_many``, its place in the batch) and every field and rule it breaks.
    """

    def __init__(self, invalid: InvalidRecords, batch: bool) -> None:
        self._batch = batch
        super().__init__(invalid.problems, invalid.total)

    def lines(self) -> list[str]:
        """A summary line, then each bad postback's problems."""
        if not self._batch:
            (problem,) = self.problems
            return [
                f"postback {problem.pixel_id!r} breaks the spec; it was not added:",
                *problem.lines()[1:],
            ]
        head = f"{len(self.problems)} of {self.total} postbacks break the spec; none was added:"
        body = [
            line
            for problem in self.problems
            for line in (
                f"postback {problem.pixel_id!r} (item {problem.index}):",
                *problem.lines()[1:],
            )
        ]
        return [head, *body]


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def _describe(number: int, entry: dict[str, Any]) -> str:
    """One line of an ``assert_requested`` failure: what one request was."""
    line = f"  {number}. {entry['operation'] or '(no operation)'} {entry['method']} {entry['path']}"
    if entry["query"]:
        line += f" query={_shown(entry['query'])}"
    if entry["json"] is not None:
        line += f" json={_shown(entry['json'])}"
    elif entry["body"]:
        line += f" body={_shown(entry['body'])}"
    status = entry["status"]
    return line + (" -> no answer (raised in the client)" if status is None else f" -> {status}")


def _same_query(found: object, wanted: object) -> bool:
    if isinstance(wanted, list | tuple):
        return isinstance(found, list) and found == [str(value) for value in wanted]
    return found == str(wanted)


class _MockControls:
    """What both mocks offer a test: add postbacks, read them back, reset, read the journal,
    check what was requested and queue answers."""

    app: MockApp
    name = "everflow_mock"
    _raises_in_client = False
    """Whether queued exceptions can be raised in the client (in-process only)."""

    @property
    def state(self) -> MockState:
        """The mock's data, journal and rate limits."""
        return get_state(self.app)

    def add(self, postback: dict[str, Any]) -> dict[str, Any]:
        """Serve ``postback`` under its ``network_pixel_id`` (validated against the spec;
        ``InvalidPostback`` naming the postback and what it breaks)."""
        try:
            self.state.add(postback)
        except InvalidRecords as invalid:
            raise InvalidPostback(invalid, batch=False) from None
        return postback

    def add_many(self, postbacks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Serve several postbacks; none are added unless all are valid (else
        ``InvalidPostback`` naming each bad one)."""
        batch = list(postbacks)
        try:
            self.state.add_many(batch)
        except InvalidRecords as invalid:
            raise InvalidPostback(invalid, batch=True) from None
        return batch

    def _operation_ids(self) -> list[str]:
        return list(get_pipeline(self.app).routes.by_id)

    def _known(self, operation: str) -> None:
        if operation not in self._operation_ids():
            raise ValueError(
                f"{self.name}: unknown operation {operation!r}; the operations are "
                + ", ".join(self._operation_ids())
            )

    def queue(self, operation: str, answers: QueuedAnswer | Iterable[QueuedAnswer]) -> None:
        """Answer the next requests of ``operation`` (an operationId) with ``answers``, in
        order, then serve as usual: for testing retries.

        An answer is a status the operation documents or a gateway's (502, 503, 504; 200
        is a normal answer), the name of a wire fault (``"reset"``, ``"empty"``,
        ``"malformed"``) or, in-process only, an exception (class or instance, such as
        ``httpx.ConnectTimeout``) raised in the client. A queued status is answered before
        the key is checked, as a gateway in front of the API would. Queued answers end with
        the test.
        """
        self._known(operation)
        pipeline = get_pipeline(self.app)
        statuses = pipeline.statuses(pipeline.routes.by_id[operation])
        checked = check_answers(operation, answers, statuses, FAULTS, self._raises_in_client)
        self.state.answers.put(operation, checked)

    def assert_requested(
        self,
        operation: str,
        times: int | None = None,
        json: Any = None,
        query: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Assert that this test requested ``operation`` (an operationId): at least once, or
        exactly ``times`` times, counting only requests whose body equals ``json`` and whose
        query has each parameter of ``query`` with that value (others may be present; a list
        for a repeated parameter). Returns the matching requests; the failure message lists
        every request of the test instead.
        """
        __tracebackhide__ = True  # pytest shows the test's line, not this helper's
        self._known(operation)
        requests = self.requests
        matching = [
            entry
            for entry in requests
            if entry["operation"] == operation
            and (json is None or entry["json"] == json)
            and (
                query is None
                or all(_same_query(entry["query"].get(k), v) for k, v in query.items())
            )
        ]
        if (len(matching) >= 1) if times is None else (len(matching) == times):
            return matching
        wanted = operation
        if json is not None:
            wanted += f" with json={_shown(json)}"
        if query is not None:
            wanted += f" {'and' if json is not None else 'with'} query={_shown(query)}"
        expected = "at least once" if times is None else f"{times} time{'s' * (times != 1)}"
        lines = [
            f"{self.name}: expected {wanted} {expected}, found {len(matching)}; "
            f"the {len(requests)} request{'s' * (len(requests) != 1)} of this test:",
            *(_describe(number, entry) for number, entry in enumerate(requests, 1)),
        ]
        if not requests:
            lines.append("  (none)")
        raise AssertionError("\n".join(lines))

    def reset(self) -> None:
        """Back to the start data and this test's settings."""
        self.state.reset()

    @property
    def postbacks(self) -> list[dict[str, Any]]:
        """Every postback the mock holds now, ordered by ``network_pixel_id``: the start
        data as the code under test left it (created, replaced and deleted postbacks
        included). A fresh copy on every read."""
        return self.state.store.postbacks()

    def fire(
        self,
        type: str = "conversion",
        *,
        wait: float = 10.0,
        delay_scale: float | None = None,
        **values: Any,
    ) -> list[dict[str, Any]]:
        """Fire a conversion (``type``: conversion, event or click; ``values`` keyed by
        macro name, ``offer_id`` and ``affiliate_id`` required) as ``POST
        /__admin/conversions`` does, and return its deliveries once they have ended (at
        most ``wait`` seconds: any still pending say so). ``delay_scale`` multiplies every
        ``delay_ms`` from now until the test ends (0: no delays). A conversion that cannot
        be fired raises ``mock_server.firing.conversion.ConversionError`` naming the field."""
        from mock_server.firing.engine import firing_of  # Faker comes in with the macros

        firing = firing_of(self.state)
        if delay_scale is not None:
            firing.delay_scale = delay_scale
        started = firing.fire({"type": type, **values})
        firing.wait(started, wait)
        return firing.snapshot(started)

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery fired in this test, oldest first (``GET /__admin/deliveries``)."""
        from mock_server.firing.engine import firing_of

        return firing_of(self.state).deliveries()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The API requests of this test, oldest first: each with ``operation`` (the
        operationId), ``method``, ``path``, ``path_params``, ``query``, ``headers`` (keys
        masked), ``json`` (the body), ``body`` (its text) and ``status`` (``None`` when a
        queued exception was raised instead)."""
        return self.state.journal.entries()

    @property
    def dynamic(self) -> bool:
        """Whether unknown ids are generated instead of 404 (``False`` unless set)."""
        return self.state.dynamic

    @dynamic.setter
    def dynamic(self, value: bool) -> None:
        self.state.dynamic = value


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
            ordered = self.routes._routes  # respx has no public way to reorder routes
            kit = [r for r in self.kit_routes if any(r is o for o in ordered)]
            ordered[:] = [r for r in ordered if not any(r is k for k in kit)] + kit
        return added

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        """Answer an async client's request; the kit's side effects then wait with
        ``await`` (delays never block the event loop)."""
        token = _ASYNC_CLIENT.set(True)
        try:
            return await super().async_handler(request)
        finally:
            _ASYNC_CLIENT.reset(token)


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout") or {}
    read = timeout.get("read")
    return float(read) if read is not None else None


def _deliver(outcome: httpx.Response | Exception) -> httpx.Response:
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
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key] = value
    return environ


class EverflowMock(_MockControls):
    """httpx calls to Everflow's hosts, answered in-process by the mock app through respx.

    ``router`` is the respx router: its ``calls`` work as usual, and a route a test adds
    to it is tried before the kit's. Delays (``Prefer: delay=``, the marker's ``delay``)
    are waited out here: past the client's read timeout the client gets
    ``httpx.ReadTimeout``, and an async client waits without blocking its event loop.
    """

    _raises_in_client = True

    def __init__(self, app: MockApp, router: respx.MockRouter) -> None:
        self.app = app
        self.router = router
        self._transport = httpx.WSGITransport(app=app)

    def _answer(
        self, request: httpx.Request
    ) -> httpx.Response | Coroutine[Any, Any, httpx.Response]:
        outcome, delay = self._serve(request)
        if _ASYNC_CLIENT.get():
            return self._answer_later(request, outcome, delay)
        if delay:
            timeout = _read_timeout(request)
            if timeout is not None and delay > timeout:
                time.sleep(timeout)
                raise httpx.ReadTimeout("timed out", request=request)
            time.sleep(delay)
        return _deliver(outcome)

    async def _answer_later(
        self, request: httpx.Request, outcome: httpx.Response | Exception, delay: float
    ) -> httpx.Response:
        if delay:
            import anyio  # httpx's own dependency; works under asyncio and trio

            timeout = _read_timeout(request)
            if timeout is not None and delay > timeout:
                await anyio.sleep(timeout)
                raise httpx.ReadTimeout("timed out", request=request)
            await anyio.sleep(delay)
        return _deliver(outcome)

    def _serve(self, request: httpx.Request) -> tuple[httpx.Response | Exception, float]:
        """The app's answer (or the exception the client gets) and the delay before it, in
        seconds."""
        queued = self._queued_exception(request)
        if queued is not None:
            return queued, 0.0
        delays: list[int] = []
        token = DEFERRED_DELAY.set(delays)
        try:
            answer = self._transport.handle_request(request)
            content = answer.read()
            outcome: httpx.Response | Exception = httpx.Response(
                answer.status_code, headers=answer.headers, content=content, request=request
            )
        except ConnectionAbortedError:
            outcome = httpx.RemoteProtocolError(
                "Server disconnected without sending a complete response.", request=request
            )
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
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = request.read()
        self.state.journal.record(
            _environ(request), None, operation.operation_id, raw_params, body or None
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


class EverflowServer(_MockControls):
    """The mock on a real socket; ``url`` is its base URL, ending in ``/v1``."""

    name = "everflow_server"

    def __init__(self, live: LocalServer) -> None:
        self.app = cast("MockApp", live.app)
        self.live = live
        self.url = live.url
        self.root = live.root

    def __repr__(self) -> str:
        return f"EverflowServer({self.url!r})"


class _Lru(Generic[K, T]):
    """At most ``size`` values by key (a config), made on demand; ``close`` is called on
    the ones dropped."""

    def __init__(self, make: Callable[[K], T], close: Callable[[T], None]) -> None:
        self._make = make
        self._close = close
        self._values: OrderedDict[K, T] = OrderedDict()

    def get(self, config: K) -> T:
        if config in self._values:
            self._values.move_to_end(config)
        else:
            self._values[config] = self._make(config)
            while len(self._values) > POOL_SIZE:
                self._close(self._values.popitem(last=False)[1])
        return self._values[config]

    def values(self) -> list[T]:
        return list(self._values.values())

    def clear(self) -> None:
        while self._values:
            self._close(self._values.popitem(last=False)[1])


def _new_server(config: MockConfig) -> LocalServer:
    # Imported here: a session that only uses everflow_mock never starts a server.
    from mock_server.testing.local_server import LocalServer

    return LocalServer(MockApp(config)).start()


def _stop_server(server: LocalServer) -> None:
    server.stop()


class MockPool:
    """The session's mock apps and local servers, one of each per distinct ``MockConfig``."""

    def __init__(self) -> None:
        self._apps: _Lru[MockConfig, MockApp] = _Lru(MockApp, lambda app: None)
        # A test's respx router is kept for the next test of the same settings: respx rolls
        # back what a test changed when it stops, and a new router costs 0.1 ms a test.
        self._mocks: _Lru[tuple[MockConfig, bool], EverflowMock] = _Lru(
            self._new_mock, lambda mock: None
        )
        self._servers: _Lru[MockConfig, LocalServer] = _Lru(_new_server, _stop_server)

    def _is_own_server(self, request: httpx.Request) -> httpx.Request | None:
        """Let calls to the pool's local servers through; other loopback calls don't match."""
        where = (request.url.host, request.url.port)
        own = any((live.host, live.port) == where for live in self._servers.values())
        return request if own else None

    def _new_mock(self, key: tuple[MockConfig, bool]) -> EverflowMock:
        config, pass_through_unmatched = key
        router = KitRouter()
        mock = EverflowMock(self._apps.get(config), router)
        kit = [
            router.route(scheme="https", host__in=EVERFLOW_HOSTS).mock(side_effect=mock._answer),
            router.route(host__in=LOOPBACK_HOSTS).mock(side_effect=self._is_own_server),
        ]
        if pass_through_unmatched:
            kit.append(router.route().pass_through())
        router.kit_routes = kit
        return mock

    @contextmanager
    def mock(self, config: MockConfig, pass_through_unmatched: bool) -> Iterator[EverflowMock]:
        """The respx mock of Everflow's hosts for one test, reset before and after."""
        mock = self._mocks.get((config, pass_through_unmatched))
        mock.reset()
        try:
            with mock.router:
                yield mock
        finally:
            mock.reset()

    @contextmanager
    def server(
        self, config: MockConfig, user_router: respx.MockRouter | None
    ) -> Iterator[EverflowServer]:
        """The live server for one test, reset before and after; calls to it pass through
        ``user_router`` (the test's own ``respx_mock``) when there is one."""
        server = EverflowServer(self._servers.get(config))
        server.reset()
        route_name = f"everflow_server pass-through {server.root}"
        if user_router is not None:
            user_router.route(url__startswith=server.root + "/", name=route_name).pass_through()
        try:
            yield server
        finally:
            if user_router is not None:
                # Removed before respx_mock's teardown, so that assert_all_called ignores it.
                user_router.routes.pop(route_name)  # type: ignore[no-untyped-call]
            server.reset()

    def close(self) -> None:
        """Stop every live server."""
        self._servers.clear()
        self._mocks.clear()
        self._apps.clear()
