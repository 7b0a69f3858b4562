"""Which URLs are Everflow's, for every client ``everflow_mock`` answers: one decision
(``everflow_host``), so that httpx, ``requests`` and aiohttp answer or refuse the same calls,
and no call to Everflow's hosts reaches a socket or a DNS lookup."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import aiohttp
import httpx
import pytest
import requests

from mock_server.testing.hosts import everflow_host, not_https
from mock_server.testing.mocks import EverflowMock

KEY = {"X-Eflow-Api-Key": "test-key"}
PATH = "/v1/networks/pixels/3"


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://api.eflow.team/v1/networks/pixels/3", "api.eflow.team"),
        ("https://api-eu.eflow.team/v1/networks/pixels", "api-eu.eflow.team"),
        ("https://API.EFLOW.TEAM:443/v1", "api.eflow.team"),
        ("http://api.eflow.team/v1", "api.eflow.team"),
        ("https://api.eflow.team", "api.eflow.team"),
        ("https://api.eflow.team?x=1", "api.eflow.team"),
        ("https://user:pw@api.eflow.team/v1", "api.eflow.team"),
        ("https://api.eflow.team./v1", "api.eflow.team"),
        ("https://api-eu.eflow.team./v1", "api-eu.eflow.team"),
        ("https://api.eflow.team:443./v1", "api.eflow.team"),
        ("https://api.eflow.team\u3002/v1", "api.eflow.team"),  # ideographic full stop
        ("https://api.eflow.team\uff0e/v1", "api.eflow.team"),  # full-width full stop
        ("https://\uff41pi.eflow.team/v1", "api.eflow.team"),  # full-width letter
        ("https://api.eflow.te\u00adam/v1", "api.eflow.team"),  # soft hyphen: IDNA drops it
        ("https://api%2Eeflow.team/v1", "api.eflow.team"),
        ("https://api.eflow.team%2e/v1", "api.eflow.team"),
        ("https://evil.example%5C@api.eflow.team/v1", "api.eflow.team"),  # httpx's form of \\@
    ],
)
def test_everflows_hosts_in_any_spelling_a_client_resolves(url: str, host: str) -> None:
    assert everflow_host(url) == host


@pytest.mark.parametrize(
    "url",
    [
        "https://api.eflow.team.example.com/v1",
        "https://xapi.eflow.team/v1",
        "https://example.com/https://api.eflow.team/v1",
        "https://api.eflow.team@example.com/v1",
        "https://api.eflow.team%5C@example.com/v1",
        "https://example.com/?next=api.eflow.team",
        "https://eflow.team/v1",
        "https://api.eflow.team../v1",
        "https://xn--api-.eflow.team/v1",
        "https://api.eflow.team\u3002\u3002/v1",  # non-ASCII IDNA refuses: compared as given
        "https://\u00e9..eflow.team/v1",
        "http://127.0.0.1:8080/v1",
        "https://[::1]/v1",
        "https://[api.eflow.team/v1",
        "/v1/networks/pixels",
        "",
    ],
)
def test_other_hosts_are_not_everflows(url: str) -> None:
    assert everflow_host(url) is None


def test_plain_http_is_told_to_use_https() -> None:
    assert not_https("GET", "http://api-eu.eflow.team/v1/networks/pixels/3") == (
        "everflow_mock: GET http://api-eu.eflow.team/v1/networks/pixels/3 is not answered: "
        "Everflow's API (and the mock) answer https only; call https://api-eu.eflow.team/v1/..."
    )


def test_a_password_in_the_url_is_not_repeated() -> None:
    told = not_https("GET", "http://user:s3cret@API.eflow.team./v1")
    assert "s3cret" not in told
    assert told.endswith("call https://api.eflow.team/v1/...")


# Every client, every spelling: answered in-process or refused in-process, never looked up.


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Hosts any client tried to look up in this test (each lookup fails)."""
    seen: list[str] = []

    def refuse(host: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(host))
        raise socket.gaierror(socket.EAI_NONAME, f"test: no lookups ({host})")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return seen


def with_httpx(url: str) -> int:
    return httpx.get(url, headers=KEY).status_code


def with_requests(url: str) -> int:
    return requests.get(url, headers=KEY, timeout=5).status_code


def with_aiohttp(url: str) -> int:
    async def call() -> int:
        async with aiohttp.ClientSession(headers=KEY) as session, session.get(url) as answer:
            return answer.status

    return asyncio.run(call())


CLIENTS: dict[str, Callable[[str], int]] = {
    "httpx": with_httpx,
    "requests": with_requests,
    "aiohttp": with_aiohttp,
}

ANSWERED = [
    f"https://user:pw@api.eflow.team{PATH}",
    f"https://api.eflow.team.{PATH}",
    f"https://api-eu.eflow.team.{PATH}",
    f"https://API.EFLOW.TEAM:443{PATH}",
    f"https://Api.Eflow.Team.:443{PATH}",
    f"https://api%2Eeflow.team{PATH}",
    f"https://api.eflow.team%2E{PATH}",
]
"""Spellings every client sends to Everflow's host: every client gets the mock's answer."""

PLAIN_HTTP = [
    f"http://api.eflow.team{PATH}",
    f"http://user:pw@api.eflow.team.{PATH}",
    f"HTTP://API-EU.EFLOW.TEAM:80{PATH}",
]


@pytest.mark.parametrize("url", ANSWERED)
@pytest.mark.parametrize("client", CLIENTS)
def test_every_client_gets_the_mocks_answer_in_any_spelling(
    everflow_mock: EverflowMock, lookups: list[str], client: str, url: str
) -> None:
    assert CLIENTS[client](url) == 200
    assert [entry["operation"] for entry in everflow_mock.requests] == ["getPartnerPostback"]
    assert lookups == []


def refused_over_plain_http(everflow_mock: EverflowMock, lookups: list[str], client: str) -> None:
    for url in PLAIN_HTTP:
        with pytest.raises(Exception, match="answer https only") as refused:
            CLIENTS[client](url)
        assert "pw@" not in str(refused.value)
    assert everflow_mock.requests == []
    assert lookups == []


@pytest.mark.parametrize("client", CLIENTS)
def test_plain_http_is_refused_by_every_client(
    everflow_mock: EverflowMock, lookups: list[str], client: str
) -> None:
    refused_over_plain_http(everflow_mock, lookups, client)


@pytest.mark.everflow(pass_through_unmatched=True)
@pytest.mark.parametrize("client", CLIENTS)
def test_plain_http_is_refused_when_other_hosts_pass_through(
    everflow_mock: EverflowMock, lookups: list[str], client: str
) -> None:
    refused_over_plain_http(everflow_mock, lookups, client)
    failed = (httpx.ConnectError, requests.ConnectionError, aiohttp.ClientConnectorError)
    with pytest.raises(failed, match="no lookups"):  # other hosts do go out
        CLIENTS[client]("https://example.invalid/v1")
    assert lookups[-1:] == ["example.invalid"]


@pytest.mark.everflow(pass_through_unmatched=True)
def test_unicode_spellings_are_answered_where_the_client_accepts_them(
    everflow_mock: EverflowMock, lookups: list[str]
) -> None:
    # aiohttp (yarl) and httpx map the ideographic full stop to a dot, as IDNA does; only
    # yarl maps full-width letters; requests refuses both spellings itself.
    assert with_aiohttp(f"https://api.eflow.team\u3002{PATH}") == 200
    assert with_aiohttp(f"https://\uff41pi.eflow.team{PATH}") == 200
    assert with_httpx(f"https://api.eflow.team\u3002{PATH}") == 200
    with pytest.raises(httpx.InvalidURL):
        with_httpx(f"https://\uff41pi.eflow.team{PATH}")
    with pytest.raises(requests.exceptions.InvalidURL):
        with_requests(f"https://api.eflow.team\u3002{PATH}")
    assert len(everflow_mock.requests) == 3
    assert lookups == []


def test_a_base_url_with_a_trailing_dot_is_answered(
    everflow_mock: EverflowMock, lookups: list[str]
) -> None:
    with httpx.Client(base_url="https://api.eflow.team.", headers=KEY) as client:
        assert client.get(PATH).status_code == 200

    async def relative() -> int:
        async with (
            aiohttp.ClientSession(base_url="https://api-eu.eflow.team.", headers=KEY) as session,
            session.get(PATH) as answer,
        ):
            return answer.status

    assert asyncio.run(relative()) == 200
    assert len(everflow_mock.requests) == 2
    assert lookups == []


def test_a_refusal_never_repeats_the_user_info_of_the_url() -> None:
    from mock_server.testing.hosts import not_https, not_mocked

    said = not_https("GET", "http://u:p@ss@api.eflow.team/v1/x")
    assert said.startswith("everflow_mock: GET http://api.eflow.team/v1/x is not answered")
    assert "p@ss" not in said
    assert "u:" not in said
    assert said.endswith("call https://api.eflow.team/v1/...")
    assert "p@ss" not in not_mocked("GET", "https://u:p@ss@example.com/x")
    assert "route(host='example.com')" in not_mocked("GET", "https://u:p@ss@example.com/x")


def test_plain_http_to_a_host_that_is_not_everflows_is_told_the_first_region() -> None:
    assert not_https("POST", "http://partner.example/v1").endswith(
        "call https://api.eflow.team/v1/..."
    )
