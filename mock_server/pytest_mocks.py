"""What the ``everflow`` pytest fixtures hand to tests, and the session's pool of mocks.

Imported by the plugin on the first use of a fixture, never when pytest starts: this module
is where respx and httpx come in (Flask only when a test uses the admin API or ``app``'s
Flask attributes). The pool keeps one app (for ``everflow_mock``) and
one live server (for ``everflow_server``) per distinct ``MockConfig``, so a test's
``@pytest.mark.everflow(...)`` settings cost one app the first time and a reset after that.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Generic, TypeVar, cast

import httpx
import respx

from mock_server.app import MockApp, get_state
from mock_server.config import MockConfig
from mock_server.live import LiveServer
from mock_server.state import MockState

EVERFLOW_HOSTS = ("api.eflow.team", "api-eu.eflow.team")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Distinct configurations kept per kind; the least recently used beyond it is closed.
POOL_SIZE = 16

K = TypeVar("K")
T = TypeVar("T")


class _MockControls:
    """What both mocks offer a test: add postbacks, read them back, reset, read the journal."""

    app: MockApp

    @property
    def state(self) -> MockState:
        """The mock's data, journal and rate limits."""
        return get_state(self.app)

    def add(self, postback: dict[str, Any]) -> dict[str, Any]:
        """Serve ``postback`` under its ``network_pixel_id`` (validated against the spec)."""
        self.state.add(postback)
        return postback

    def add_many(self, postbacks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Serve several postbacks; none are added unless all are valid."""
        batch = list(postbacks)
        self.state.add_many(batch)
        return batch

    def reset(self) -> None:
        """Back to the start data and this test's settings."""
        self.state.reset()

    @property
    def postbacks(self) -> list[dict[str, Any]]:
        """Every postback the mock holds now, ordered by ``network_pixel_id``: the start
        data as the code under test left it (created, replaced and deleted postbacks
        included). A fresh copy on every read."""
        return self.state.store.postbacks()

    @property
    def requests(self) -> list[Mapping[str, Any]]:
        """The requests the mock answered in this test, oldest first, API keys masked."""
        return self.state.requests

    @property
    def dynamic(self) -> bool:
        """Whether unknown ids are generated instead of 404 (``False`` unless set)."""
        return self.state.dynamic

    @dynamic.setter
    def dynamic(self, value: bool) -> None:
        self.state.dynamic = value


class EverflowMock(_MockControls):
    """httpx calls to Everflow's hosts, answered in-process by the mock app through respx.

    ``router`` is the respx router: its ``calls`` and routes work as usual.
    """

    def __init__(self, app: MockApp, router: respx.MockRouter) -> None:
        self.app = app
        self.router = router
        self.base_urls = tuple(f"https://{host}/v1" for host in EVERFLOW_HOSTS)
        self._transport = httpx.WSGITransport(app=app)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        try:
            answer = self._transport.handle_request(request)
            content = answer.read()
        except ConnectionAbortedError:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a complete response.", request=request
            ) from None
        return httpx.Response(
            answer.status_code, headers=answer.headers, content=content, request=request
        )


class EverflowServer(_MockControls):
    """The mock on a real socket; ``url`` is its base URL, ending in ``/v1``."""

    def __init__(self, live: LiveServer) -> None:
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


class MockPool:
    """The session's mock apps and live servers, one of each per distinct ``MockConfig``."""

    def __init__(self) -> None:
        self._apps: _Lru[MockConfig, MockApp] = _Lru(MockApp, lambda app: None)
        # A test's respx router is kept for the next test of the same settings: respx rolls
        # back what a test changed when it stops, and a new router costs 0.1 ms a test.
        self._mocks: _Lru[tuple[MockConfig, bool], EverflowMock] = _Lru(
            self._new_mock, lambda mock: None
        )
        self._servers: _Lru[MockConfig, LiveServer] = _Lru(
            lambda config: LiveServer(MockApp(config)).start(), LiveServer.stop
        )

    def _is_own_server(self, request: httpx.Request) -> httpx.Request | None:
        """Let calls to the pool's live servers through; other loopback calls don't match."""
        where = (request.url.host, request.url.port)
        own = any((live.host, live.port) == where for live in self._servers.values())
        return request if own else None

    def _new_mock(self, key: tuple[MockConfig, bool]) -> EverflowMock:
        config, pass_through_unmatched = key
        router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        mock = EverflowMock(self._apps.get(config), router)
        router.route(scheme="https", host__in=EVERFLOW_HOSTS).mock(side_effect=mock._answer)
        router.route(host__in=LOOPBACK_HOSTS).mock(side_effect=self._is_own_server)
        if pass_through_unmatched:
            router.route().pass_through()
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
