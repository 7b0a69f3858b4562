"""The ``everflow`` pytest plugin: Everflow mocks and factories as fixtures, no conftest needed.

Fixtures: ``everflow_factory`` (a seeded ``PostbackFactory``), ``everflow_mock`` (httpx calls
to Everflow answered in-process through respx), ``everflow_server`` (the mock on a real
socket, for any client) and ``everflow_live`` (the real API, for tests marked
``everflow_live``, only with ``--everflow-live`` and ``EVERFLOW_API_KEY``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import httpx
import pytest
import respx
from flask import Flask

from fixtures import PostbackFactory
from mock_server.app import create_app, get_state
from mock_server.config import MockConfig
from mock_server.live import LiveServer
from mock_server.state import MockState

EVERFLOW_HOSTS = ("api.eflow.team", "api-eu.eflow.team")
DEFAULT_BASE_URL = "https://api.eflow.team/v1"
KEY_ENV = "EVERFLOW_API_KEY"
LIVE_ENV = "EVERFLOW_LIVE"
BASE_URL_ENV = "EVERFLOW_BASE_URL"
ENABLE_LIVE = (
    f"set {KEY_ENV} and pass --everflow-live (or set {LIVE_ENV}=1) to run tests against "
    "the real Everflow API"
)

_live_servers: dict[tuple[str, int], LiveServer] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("everflow", "Everflow partner postback mocks")
    group.addoption(
        "--everflow-seed",
        type=int,
        default=0,
        help="seed of the built-in catalogue, the factories and generated postbacks (default 0)",
    )
    group.addoption(
        "--everflow-live",
        action="store_true",
        default=False,
        help=f"run tests marked everflow_live against the real API (also {LIVE_ENV}=1); "
        f"the key is read from {KEY_ENV}, never from the command line",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "everflow_live: the test talks to the real Everflow API (GET only)"
    )
    config.addinivalue_line(
        "markers",
        "everflow(dynamic=False, pass_through_unmatched=False): settings for everflow_mock and "
        "everflow_server in this test",
    )


def _live_enabled(config: pytest.Config) -> bool:
    return bool(config.getoption("--everflow-live")) or os.environ.get(LIVE_ENV) == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _live_enabled(config) and os.environ.get(KEY_ENV):
        return
    skip = pytest.mark.skip(reason=f"everflow_live test skipped: {ENABLE_LIVE}")
    for item in items:
        if item.get_closest_marker("everflow_live"):
            item.add_marker(skip)


def _settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("everflow")
    return dict(marker.kwargs) if marker else {}


class _MockControls:
    """What both mocks offer a test: add postbacks, reset, read the journal."""

    app: Flask

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
        """Back to the built-in catalogue and defaults."""
        self.state.reset()

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

    def __init__(self, app: Flask, router: respx.MockRouter) -> None:
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
        self.app = live.app
        self.live = live
        self.url = live.url
        self.root = live.root

    def __repr__(self) -> str:
        return f"EverflowServer({self.url!r})"


class EverflowLive:
    """The real API: ``base_url`` and ``headers`` (with the key). The key never shows in
    ``repr`` or assertion output."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self._key = key

    @property
    def headers(self) -> dict[str, str]:
        """Headers for a GET: the API key and JSON accept."""
        return {"X-Eflow-Api-Key": self._key, "Accept": "application/json"}

    def __repr__(self) -> str:
        return f"EverflowLive({self.base_url!r}, key=********)"


@pytest.fixture
def everflow_factory(request: pytest.FixtureRequest) -> PostbackFactory:
    """A ``PostbackFactory`` seeded by ``--everflow-seed`` (default 0), fresh for each test."""
    return PostbackFactory(seed=request.config.getoption("--everflow-seed"))


def _config(request: pytest.FixtureRequest) -> MockConfig:
    return MockConfig(seed=request.config.getoption("--everflow-seed"))


@pytest.fixture(scope="session")
def _everflow_session_app(request: pytest.FixtureRequest) -> Flask:
    return create_app(_config(request))


@pytest.fixture
def everflow_mock(
    request: pytest.FixtureRequest, _everflow_session_app: Flask
) -> Iterator[EverflowMock]:
    """Everflow's API for httpx, in-process: calls to api.eflow.team and api-eu.eflow.team
    are answered by the mock (built-in catalogue, unknown ids 404). Calls to other hosts
    fail as respx fails them, unless the test is marked
    ``@pytest.mark.everflow(pass_through_unmatched=True)``."""
    settings = _settings(request)
    app = _everflow_session_app
    get_state(app).reset()
    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    mock = EverflowMock(app, router)
    if "dynamic" in settings:
        mock.dynamic = bool(settings["dynamic"])
    for host in EVERFLOW_HOSTS:
        router.route(scheme="https", host=host).mock(side_effect=mock._answer)
    router.route(host__in=("127.0.0.1", "localhost", "::1")).mock(side_effect=_to_live_servers)
    if settings.get("pass_through_unmatched"):
        router.route().pass_through()
    with router:
        yield mock
    get_state(app).reset()


def _to_live_servers(request: httpx.Request) -> httpx.Request | None:
    """Let calls to the plugin's own live servers through; other loopback calls don't match."""
    return request if (request.url.host, request.url.port) in _live_servers else None


@pytest.fixture(scope="session")
def _everflow_live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    live = LiveServer(create_app(_config(request))).start()
    _live_servers[(live.host, live.port)] = live
    yield live
    del _live_servers[(live.host, live.port)]
    live.stop()


@pytest.fixture
def everflow_server(
    request: pytest.FixtureRequest, _everflow_live_server: LiveServer
) -> Iterator[EverflowServer]:
    """The mock on a real socket (one per session, reset before and after each test), for
    requests, urllib, subprocesses or any other client: ``everflow_server.url`` ends in /v1.

    When the test also uses respx's ``respx_mock``, calls to this server pass through it."""
    server = EverflowServer(_everflow_live_server)
    server.reset()
    if "dynamic" in _settings(request):
        server.dynamic = bool(_settings(request)["dynamic"])
    user_router: respx.MockRouter | None = None
    route_name = f"everflow_server pass-through {server.root}"
    if "respx_mock" in request.fixturenames:
        user_router = request.getfixturevalue("respx_mock")
        user_router.route(url__startswith=server.root + "/", name=route_name).pass_through()
    yield server
    if user_router is not None:
        # Removed before respx_mock's teardown, so that assert_all_called ignores it.
        user_router.routes.pop(route_name)  # type: ignore[no-untyped-call]
    server.reset()


@pytest.fixture
def everflow_live(request: pytest.FixtureRequest) -> EverflowLive:
    """The real API for tests marked ``everflow_live``: skipped unless live mode is on and
    ``EVERFLOW_API_KEY`` is set. ``EVERFLOW_BASE_URL`` picks another region."""
    key = os.environ.get(KEY_ENV, "")
    if not (_live_enabled(request.config) and key):
        pytest.skip(f"everflow_live skipped: {ENABLE_LIVE}")
    return EverflowLive(os.environ.get(BASE_URL_ENV, DEFAULT_BASE_URL), key)
