"""Targets for the contract suite's pytest modules.

The mock targets (in-process, and ``everflow-mock serve`` on a socket) always run,
read-only unless ``--everflow-allow-writes``; ``mock-writes`` (in-process) always runs the
write probes too. ``--everflow-contract-url URL`` adds any base URL, its key from
``EVERFLOW_API_KEY`` (a placeholder for loopback URLs); ``--everflow-live`` adds production,
skipped with a reason when the key or pixel ids are missing (the key stops the run instead
under ``--everflow-require-key``, checked by the plugin). They write only with
``--everflow-allow-writes``. ``--everflow-offer-id`` and ``--everflow-affiliate-id`` name
the offers and partners read on the URL and live targets (``everflow-contract --offer-id``
and ``--affiliate-id``); the mock targets read those their postbacks name. The suite's options are registered by its own plugin
(``contract_tests.plugin``, the ``everflow_contract`` entry point), so that pytest knows them
before it reads this file, as under ``pytest --pyargs contract_tests``; ``--everflow-live``
and the installation check are the mocks' plugin's (``mock_server.testing.pytest_plugin``).

The kit's modules are imported inside the fixture, after the plugin's installation check,
so that a clashing package fails the suite's tests with one line, not a collection error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import pytest

from contract_tests.defaults import PIXEL_IDS_ENV
from mock_server.testing.pytest_plugin import (
    BASE_URL_ENV,
    KEY_ENV,
    live_enabled,
    refuse_a_broken_installation,
)
from openapi.spec import everflow_base_urls

if TYPE_CHECKING:
    import httpx

    from openapi.remote.findings import Report

MOCK_TARGETS = ("mock-in-process", "mock-socket", "mock-writes")
# Under the mock's default 30/s bucket, so that the run needs no retries.
MOCK_RATE = 25.0


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "contract_report" in metafunc.fixturenames:
        urls = metafunc.config.getoption("--everflow-contract-url")
        targets = [*MOCK_TARGETS, *(f"url:{url}" for url in urls), "live"]
        metafunc.parametrize("contract_report", targets, indirect=True, scope="session")


def _pixel_ids(config: pytest.Config) -> list[int]:
    """``--everflow-pixel-id`` (repeatable, ``12,34`` as ``everflow-contract --pixel-id``),
    or ``EVERFLOW_PIXEL_IDS``."""
    import argparse

    from openapi.remote.values import pixel_ids

    given: list[str] = config.getoption("--everflow-pixel-id")
    name, values = ("--everflow-pixel-id", given) if given else (PIXEL_IDS_ENV, [])
    if not given and os.environ.get(PIXEL_IDS_ENV):
        values = [os.environ[PIXEL_IDS_ENV]]
    try:
        return [i for value in values for i in pixel_ids(value)]
    except argparse.ArgumentTypeError as error:
        raise pytest.UsageError(f"{name}: {error}") from None


def _run(
    name: str,
    base_url: str,
    key: str,
    ids: list[int],
    config: pytest.Config,
    rate: float | None = None,
    transport: httpx.BaseTransport | None = None,
    allow_writes: bool = False,
    offer_ids: Sequence[int] = (),
    affiliate_ids: Sequence[int] = (),
) -> Report:
    from contract_tests.suite import run_contract
    from openapi.remote.client import ContractClient

    client = ContractClient(
        base_url,
        key,
        rate=rate if rate is not None else config.getoption("--everflow-rate"),
        backoff=config.getoption("--everflow-backoff"),
        transport=transport,
        allow_writes=allow_writes or bool(config.getoption("--everflow-allow-writes")),
    )
    try:
        return run_contract(
            client,
            name,
            ids,
            strict=config.getoption("--everflow-strict"),
            offer_ids=offer_ids,
            affiliate_ids=affiliate_ids,
        )
    finally:
        client.close()


@pytest.fixture(scope="session")
def contract_report(request: pytest.FixtureRequest) -> Iterator[Report]:
    """The contract suite's report for one target, computed once per session."""
    refuse_a_broken_installation("everflow contract suite")

    import httpx

    from contract_tests.cli import LOOPBACK_PLACEHOLDER_KEY
    from mock_server import builtin_postbacks, create_app
    from mock_server.data.catalogue import catalogue_rows
    from mock_server.testing.spawn import spawn_serve
    from openapi.remote.targets import is_loopback

    name: str = request.param
    config = request.config
    # The catalogue's extra_field postback is drift on purpose (a field the spec does not
    # document): under --everflow-strict, which fails on drift, the mock is judged without it.
    drift_on_purpose = {"extra_field"} if config.getoption("--everflow-strict") else set()
    mock_ids = [
        row.pixel_id
        for row in catalogue_rows(builtin_postbacks(0))
        if row.shape not in drift_on_purpose
    ]
    if name in ("mock-in-process", "mock-writes"):
        transport = httpx.WSGITransport(app=create_app())
        yield _run(
            name,
            "http://127.0.0.1/v1",
            LOOPBACK_PLACEHOLDER_KEY,
            mock_ids,
            config,
            rate=MOCK_RATE,
            transport=transport,
            allow_writes=name == "mock-writes",
        )
    elif name == "mock-socket":
        with spawn_serve() as spawned:
            yield _run(
                name, spawned.url, LOOPBACK_PLACEHOLDER_KEY, mock_ids, config, rate=MOCK_RATE
            )
    else:
        live = name == "live"
        if live and not live_enabled(config):
            pytest.skip(f"live contract skipped: pass --everflow-live and set {KEY_ENV}")
        url = (
            os.environ.get(BASE_URL_ENV) or everflow_base_urls()[0]
            if live
            else name.removeprefix("url:")
        )
        key = os.environ.get(KEY_ENV, "")
        if not key and not is_loopback(httpx.URL(url).host):
            pytest.skip(f"{name} contract skipped: no API key in ${KEY_ENV}")
        ids = _pixel_ids(config)
        if not ids:
            pytest.skip(f"{name} contract skipped: give --everflow-pixel-id or {PIXEL_IDS_ENV}")
        from contract_tests.plugin import neighbour_ids

        yield _run(
            name,
            url,
            key or LOOPBACK_PLACEHOLDER_KEY,
            ids,
            config,
            offer_ids=neighbour_ids(config, "offer"),
            affiliate_ids=neighbour_ids(config, "affiliate"),
        )
