"""The session's pool of mocks: one app (for ``everflow_mock``) and one local server (for
``everflow_server``) per distinct ``MockConfig``, so a test's ``@pytest.mark.everflow(...)``
settings cost one app the first time and a reset after that."""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Generic, TypeVar

import httpx
import respx

from mock_server.app import MockApp
from mock_server.core.config import MockConfig
from mock_server.testing.hosts import aiohttp_stopped
from mock_server.testing.mocks import EverflowHost, EverflowMock, EverflowServer, KitRouter

if TYPE_CHECKING:
    from mock_server.testing.local_server import LocalServer

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
POOL_SIZE = 16
"""Distinct configurations kept per kind; the least recently used beyond it is closed."""

K = TypeVar("K")
T = TypeVar("T")


@functools.cache
def installed(library: str) -> bool:
    """Whether ``library`` can be imported (looked up once per process)."""
    return importlib.util.find_spec(library) is not None


@contextmanager
def other_clients(mock: EverflowMock) -> Iterator[None]:
    """While open, ``requests`` and aiohttp calls to Everflow's hosts are answered by
    ``mock``, each only when the test process has imported it (a session that uses neither
    loads neither). aiohttp's need the kit's ``aiohttp`` extra (aioresponses); without it
    they are stopped, saying so."""
    with ExitStack() as stack:
        if "requests" in sys.modules:
            from mock_server.testing import via_requests

            stack.enter_context(via_requests.answered(mock))
        if "aiohttp" in sys.modules:
            if installed("aioresponses"):
                from mock_server.testing import via_aiohttp

                stack.enter_context(via_aiohttp.answered(mock))
            else:
                stack.enter_context(aiohttp_stopped())
        yield


class _Lru(Generic[K, T]):
    """At most ``POOL_SIZE`` values by key (a config), made on demand; ``close``, if given, is
    called on the ones dropped."""

    def __init__(self, make: Callable[[K], T], close: Callable[[T], None] = lambda _: None) -> None:
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


class MockPool:
    """The session's mock apps and local servers, one of each per distinct ``MockConfig``."""

    def __init__(self) -> None:
        self._apps: _Lru[MockConfig, MockApp] = _Lru(MockApp)
        # A test's respx router is kept for the next test of the same settings: respx rolls
        # back what a test changed when it stops, and a new router costs 0.1 ms a test.
        self._mocks: _Lru[tuple[MockConfig, bool], EverflowMock] = _Lru(self._new_mock)
        self._servers: _Lru[MockConfig, LocalServer] = _Lru(
            _new_server, lambda server: server.stop()
        )

    def _is_own_server(self, request: httpx.Request) -> httpx.Request | None:
        """Let calls to the pool's local servers through; other loopback calls don't match."""
        where = (request.url.host, request.url.port)
        own = any((local.host, local.port) == where for local in self._servers.values())
        return request if own else None

    def _new_mock(self, key: tuple[MockConfig, bool]) -> EverflowMock:
        config, pass_through_unmatched = key
        router = KitRouter()
        mock = EverflowMock(self._apps.get(config), router)
        kit = [
            router.route(EverflowHost(True)).mock(side_effect=mock._answer),
            router.route(host__in=LOOPBACK_HOSTS).mock(side_effect=self._is_own_server),
        ]
        if pass_through_unmatched:
            kit.append(router.route().pass_through())
        router.kit_routes = kit
        return mock

    @contextmanager
    def mock(self, config: MockConfig, pass_through_unmatched: bool) -> Iterator[EverflowMock]:
        """The mock of Everflow's hosts for one test (respx for httpx, and ``requests`` and
        aiohttp when in use), reset before and after."""
        mock = self._mocks.get((config, pass_through_unmatched))
        mock.reset()
        try:
            with mock.router, other_clients(mock):
                yield mock
        finally:
            mock.reset()

    @contextmanager
    def server(
        self, config: MockConfig, user_router: respx.MockRouter | None
    ) -> Iterator[EverflowServer]:
        """The local server for one test, reset before and after; calls to it pass through
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
