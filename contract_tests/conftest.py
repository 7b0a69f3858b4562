"""Targets and options for the contract suite's pytest modules.

The mock targets (in-process, and ``everflow-mock serve`` on a socket) always run.
``--everflow-contract-url URL`` adds any base URL, its key from ``EVERFLOW_API_KEY`` (a
placeholder for loopback URLs); ``--everflow-live`` (the everflow plugin's option) adds
production, skipped with a reason when the key or pixel ids are missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from contract_tests.cli import LOOPBACK_PLACEHOLDER_KEY, PIXEL_IDS_ENV
from contract_tests.client import ContractClient, is_loopback
from contract_tests.findings import Report
from contract_tests.suite import run_contract
from mock_server import builtin_postbacks, create_app
from mock_server.spawn import spawn_serve

KEY_ENV = "EVERFLOW_API_KEY"
MOCK_TARGETS = ("mock-in-process", "mock-socket")
# Under the mock's default 30/s bucket, so that the run needs no retries.
MOCK_RATE = 25.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("everflow-contract", "Everflow contract suite")
    group.addoption(
        "--everflow-contract-url",
        action="append",
        default=[],
        help="also judge this base URL, key from env (repeatable)",
    )
    group.addoption(
        "--everflow-pixel-id",
        action="append",
        type=int,
        default=[],
        help=f"pixel ids that exist on the URL or live target (or {PIXEL_IDS_ENV}=12,34)",
    )
    group.addoption("--everflow-strict", action="store_true", help="drift warnings fail")
    group.addoption("--everflow-rate", type=float, default=5.0, help="requests/s (default 5)")
    group.addoption(
        "--everflow-backoff", type=float, default=0.5, help="first retry delay, s (default 0.5)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "contract_report" in metafunc.fixturenames:
        urls = metafunc.config.getoption("--everflow-contract-url")
        targets = [*MOCK_TARGETS, *(f"url:{url}" for url in urls), "live"]
        metafunc.parametrize("contract_report", targets, indirect=True, scope="session")


def _pixel_ids(config: pytest.Config) -> list[int]:
    ids: list[int] = config.getoption("--everflow-pixel-id")
    if not ids and os.environ.get(PIXEL_IDS_ENV):
        try:
            ids = [int(p) for p in os.environ[PIXEL_IDS_ENV].replace(",", " ").split()]
        except ValueError:
            raise pytest.UsageError(f"{PIXEL_IDS_ENV} must be integers like 12,34") from None
    return ids


def _run(
    name: str,
    base_url: str,
    key: str,
    ids: list[int],
    config: pytest.Config,
    rate: float | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Report:
    client = ContractClient(
        base_url,
        key,
        rate=rate if rate is not None else config.getoption("--everflow-rate"),
        backoff=config.getoption("--everflow-backoff"),
        transport=transport,
    )
    try:
        return run_contract(client, name, ids, strict=config.getoption("--everflow-strict"))
    finally:
        client.close()


@pytest.fixture(scope="session")
def contract_report(request: pytest.FixtureRequest) -> Iterator[Report]:
    """The contract suite's report for one target, computed once per session."""
    name: str = request.param
    config = request.config
    mock_ids = [body["network_pixel_id"] for body in builtin_postbacks(0)]
    if name == "mock-in-process":
        transport = httpx.WSGITransport(app=create_app())
        yield _run(
            name,
            "http://127.0.0.1/v1",
            LOOPBACK_PLACEHOLDER_KEY,
            mock_ids,
            config,
            rate=MOCK_RATE,
            transport=transport,
        )
    elif name == "mock-socket":
        with spawn_serve() as spawned:
            yield _run(
                name, spawned.url, LOOPBACK_PLACEHOLDER_KEY, mock_ids, config, rate=MOCK_RATE
            )
    else:
        live = name == "live"
        enabled = (
            config.getoption("--everflow-live", default=False)
            or os.environ.get("EVERFLOW_LIVE") == "1"
        )
        if live and not enabled:
            pytest.skip("live contract skipped: pass --everflow-live and set EVERFLOW_API_KEY")
        url = (
            os.environ.get("EVERFLOW_BASE_URL", "https://api.eflow.team/v1")
            if live
            else name.removeprefix("url:")
        )
        key = os.environ.get(KEY_ENV, "")
        if not key and not is_loopback(httpx.URL(url).host):
            pytest.skip(f"{name} contract skipped: no API key in ${KEY_ENV}")
        ids = _pixel_ids(config)
        if not ids:
            pytest.skip(f"{name} contract skipped: give --everflow-pixel-id or {PIXEL_IDS_ENV}")
        yield _run(name, url, key or LOOPBACK_PLACEHOLDER_KEY, ids, config)
