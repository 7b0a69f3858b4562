"""Which URLs are Everflow's, for every client ``everflow_mock`` answers."""

from __future__ import annotations

import pytest

from mock_server.testing.hosts import everflow_url, not_https


@pytest.mark.parametrize(
    "url",
    [
        "https://api.eflow.team/v1/networks/pixels/3",
        "https://api-eu.eflow.team/v1/networks/pixels",
        "https://API.EFLOW.TEAM:443/v1",
        "http://api.eflow.team/v1",
        "https://api.eflow.team",
        "https://api.eflow.team?x=1",
    ],
)
def test_everflows_hosts_over_any_scheme_and_port(url: str) -> None:
    assert everflow_url().match(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.eflow.team.example.com/v1",
        "https://xapi.eflow.team/v1",
        "https://example.com/https://api.eflow.team/v1",
        "https://eflow.team/v1",
        "http://127.0.0.1:8080/v1",
    ],
)
def test_other_hosts_are_not_everflows(url: str) -> None:
    assert not everflow_url().match(url)


def test_plain_http_is_told_to_use_https() -> None:
    assert not_https("GET", "http://api-eu.eflow.team/v1/networks/pixels/3") == (
        "everflow_mock: GET http://api-eu.eflow.team/v1/networks/pixels/3 is not answered: "
        "Everflow's API (and the mock) answer https only; call https://api-eu.eflow.team/v1/..."
    )
