"""The ``everflow`` pytest plugin: Everflow mocks and factories as fixtures, no conftest needed.

Fixtures (each says what it gives): ``everflow_factory``, ``everflow_mock``,
``everflow_server``, ``postback_receiver`` and ``everflow_live``. The contract
suite in ``contract_tests`` registers its own options (``contract_tests.plugin``) and uses
``--everflow-live`` from here; this module knows nothing of it.

Every pytest run in an environment with the kit loads this module, so it imports only
pytest and the standard library; Flask, respx, httpx, Faker and the spec come in on the
first use of a fixture, after a check that no other installed distribution has taken
one of the kit's package names.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import respx

    from fixtures import PostbackFactory
    from mock_server.testing.marker import MarkerSettings
    from mock_server.testing.mocks import EverflowMock, EverflowServer
    from mock_server.testing.pool import MockPool
    from mock_server.testing.receiver import PostbackReceiver

KEY_ENV = "EVERFLOW_API_KEY"
LIVE_ENV = "EVERFLOW_LIVE"
BASE_URL_ENV = "EVERFLOW_BASE_URL"
STRICT_INI = "everflow_mock_strict"
"""The ini setting that makes every test's mock strict (``MockConfig.strict``)."""
ENABLE_LIVE = (
    f"set {KEY_ENV} and pass --everflow-live (or set {LIVE_ENV}=1) to run tests against "
    "the real Everflow API"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("everflow", "Everflow partner postback mocks")
    group.addoption(
        "--everflow-seed",
        type=int,
        default=0,
        metavar="N",
        help="seed of the built-in catalogue, the factories and generated postbacks "
        "(default: %(default)s)",
    )
    group.addoption(
        "--everflow-live",
        action="store_true",
        default=False,
        help=f"run tests marked everflow_live against the real API "
        f"(also {LIVE_ENV}=1); the key is read from {KEY_ENV}, never from the command line "
        "(default: off)",
    )
    parser.addini(
        STRICT_INI,
        type="bool",
        default=False,
        help="everflow_mock and everflow_server answer 400 for what they would otherwise "
        "only name in X-Everflow-Mock-Warning (as everflow-mock serve --strict); a test's "
        "@pytest.mark.everflow(strict=False) turns it off again (default: false)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "everflow_live: the test talks to the real Everflow API (GET only)"
    )
    config.addinivalue_line(
        "markers",
        "everflow(seed=, dynamic=, api_keys=, error_key=, rate_limit='R/B'|'off', delay=MS, "
        "fault_rate=, clock=, data=FILE, strict=, references='strict'|'loose', "
        "pass_through_unmatched=): settings of everflow_mock and everflow_server in this test "
        "(defaults as everflow-mock serve)",
    )


def live_enabled(config: pytest.Config) -> bool:
    """Whether live mode is on: ``--everflow-live`` or ``EVERFLOW_LIVE=1``."""
    return bool(config.getoption("--everflow-live")) or os.environ.get(LIVE_ENV) == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if live_enabled(config) and os.environ.get(KEY_ENV):
        return
    skip = pytest.mark.skip(reason=f"everflow_live test skipped: {ENABLE_LIVE}")
    for item in items:
        if item.get_closest_marker("everflow_live"):
            item.add_marker(skip)


def refuse_a_broken_installation(who: str) -> None:
    """Fail the current test with one line if another distribution has taken one of the
    kit's package names (see ``openapi.installation``)."""
    from openapi.installation import clash_message

    message = clash_message(who)
    if message is not None:
        pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def _everflow_installed() -> None:
    """The installation check, once per session; a clash fails every test using the kit."""
    refuse_a_broken_installation("everflow pytest plugin")


@pytest.fixture(scope="session")
def _everflow_pool(_everflow_installed: None) -> Iterator[MockPool]:
    from mock_server.testing import marker  # noqa: F401 - every fixture's settings need it
    from mock_server.testing.pool import MockPool

    pool = MockPool()
    yield pool
    pool.close()


def _settings(request: pytest.FixtureRequest) -> MarkerSettings:
    from mock_server.testing.marker import MarkerError, marker_settings

    markers = [(m.args, m.kwargs) for m in request.node.iter_markers("everflow")]
    try:
        return marker_settings(
            reversed(markers),
            request.config.getoption("--everflow-seed"),
            request.path.parent,
            strict=bool(request.config.getini(STRICT_INI)),
        )
    except MarkerError as error:
        problem = str(error)
    pytest.fail(problem, pytrace=False)  # outside the except: no "during handling" chain


@pytest.fixture
def everflow_factory(request: pytest.FixtureRequest, _everflow_installed: None) -> PostbackFactory:
    """A ``PostbackFactory`` seeded by the test's ``everflow`` marker or ``--everflow-seed``
    (default 0), fresh for each test."""
    from fixtures import PostbackFactory

    return PostbackFactory(seed=_settings(request).config.seed)


@pytest.fixture
def everflow_mock(
    request: pytest.FixtureRequest, _everflow_pool: MockPool
) -> Iterator[EverflowMock]:
    """Everflow's API in-process: httpx calls to api.eflow.team and api-eu.eflow.team are
    answered by the mock (built-in catalogue, unknown ids 404, settings from the test's
    ``everflow`` marker), and ``requests`` and aiohttp calls too when loaded (aiohttp with
    the kit's extra). httpx calls to other hosts fail, saying how to let them through
    (``@pytest.mark.everflow(pass_through_unmatched=True)`` or a respx route). A route the test adds to
    ``everflow_mock.router`` is tried before the kit's; ``.requests`` and
    ``.assert_requested(...)`` tell what the test sent, ``.queue(...)`` sets answers to come."""
    settings = _settings(request)
    with _everflow_pool.mock(settings.config, settings.pass_through_unmatched) as mock:
        yield mock


@pytest.fixture
def everflow_server(
    request: pytest.FixtureRequest, _everflow_pool: MockPool
) -> Iterator[EverflowServer]:
    """The mock on a real socket (one per session and ``everflow`` marker setting, reset
    before and after each test), for requests, urllib, subprocesses or any other client:
    ``everflow_server.url`` ends in /v1.

    When the test also uses respx's ``respx_mock``, calls to this server pass through it."""
    settings = _settings(request)
    user_router: respx.MockRouter | None = None
    if "respx_mock" in request.fixturenames:
        user_router = request.getfixturevalue("respx_mock")
    with _everflow_pool.server(settings.config, user_router) as server:
        yield server


@pytest.fixture
def postback_receiver(_everflow_installed: None) -> Iterator[PostbackReceiver]:
    """A real HTTP server on 127.0.0.1 (a free port) that records every request: a
    partner's endpoint for postbacks the mocks fire. Put ``postback_receiver.url`` in a
    postback URL; read ``.requests``, ``.urls``; set ``.status`` or ``.delay`` to fail."""
    from mock_server.testing.receiver import PostbackReceiver

    with PostbackReceiver() as receiver:
        yield receiver


class EverflowLive:
    """The real API: ``base_url`` and ``headers`` (with the key). The key never shows in
    ``repr`` or assertion output."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self._key = key

    @property
    def headers(self) -> dict[str, str]:
        """Headers for a GET: the API key and JSON accept."""
        from openapi.spec import api_key_header

        return {api_key_header(): self._key, "Accept": "application/json"}

    def __repr__(self) -> str:
        return f"EverflowLive({self.base_url!r}, key=********)"


@pytest.fixture
def everflow_live(request: pytest.FixtureRequest, _everflow_installed: None) -> EverflowLive:
    """The real API for tests marked ``everflow_live``: skipped unless live mode is on and
    ``EVERFLOW_API_KEY`` is set. ``EVERFLOW_BASE_URL`` picks another region."""
    key = os.environ.get(KEY_ENV, "")
    if not (live_enabled(request.config) and key):
        pytest.skip(f"everflow_live skipped: {ENABLE_LIVE}")
    from openapi.spec import everflow_base_urls

    return EverflowLive(os.environ.get(BASE_URL_ENV) or everflow_base_urls()[0], key)
