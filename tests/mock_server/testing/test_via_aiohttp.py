"""aiohttp calls answered by ``everflow_mock`` (the kit's ``aiohttp`` extra)."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import aiohttp
import httpx
import pytest

from fixtures import PostbackFactory
from mock_server import builtin_postbacks, create_app
from mock_server.testing.hosts import aiohttp_stopped
from mock_server.testing.local_server import LocalServer
from mock_server.testing.mocks import EverflowMock

BASE = "https://api.eflow.team/v1"
URL = f"{BASE}/networks/pixels/3"
KEY = {"X-Eflow-Api-Key": "test-key"}


async def get(url: str, **kwargs: Any) -> tuple[int, bytes]:
    async with aiohttp.ClientSession(headers=KEY) as session, session.get(url, **kwargs) as answer:
        return answer.status, await answer.read()


def test_the_same_mock_answers_aiohttp_and_httpx(
    everflow_mock: EverflowMock, everflow_factory: PostbackFactory
) -> None:
    body = everflow_factory.build_input(delivery_method="html", pixel_level="global")

    async def create() -> Any:
        async with (
            aiohttp.ClientSession(headers=KEY) as session,
            session.post(f"{BASE}/networks/pixels", json=body) as answer,
        ):
            assert answer.status == 200
            return await answer.json()

    created = asyncio.run(create())
    pixel = f"{BASE}/networks/pixels/{created['network_pixel_id']}"
    assert asyncio.run(get(pixel)) == (200, httpx.get(pixel, headers=KEY).content)
    everflow_mock.assert_requested("createPartnerPostback", times=1, json=body)
    everflow_mock.assert_requested("getPartnerPostback", times=2)


def test_query_parameters_and_a_base_url_reach_the_mock(everflow_mock: EverflowMock) -> None:
    async def page() -> Any:
        async with (
            aiohttp.ClientSession(base_url="https://api-eu.eflow.team", headers=KEY) as session,
            session.get("/v1/networks/pixels", params={"page": 2, "page_size": 5}) as answer,
        ):
            return await answer.json()

    assert asyncio.run(page())["paging"]["page"] == 2
    everflow_mock.assert_requested("listPartnerPostbacks", times=1, query={"page": 2})


def test_queued_answers_and_faults_reach_aiohttp(everflow_mock: EverflowMock) -> None:
    everflow_mock.queue("getPartnerPostback", [aiohttp.ClientConnectionError, 429, "reset"])
    with pytest.raises(aiohttp.ClientConnectionError, match="queued for getPartnerPostback"):
        asyncio.run(get(URL))
    assert asyncio.run(get(URL))[0] == 429
    with pytest.raises(aiohttp.ServerDisconnectedError):
        asyncio.run(get(URL))
    assert [entry["status"] for entry in everflow_mock.requests] == [None, 429, None]


def test_delays_are_awaited_and_time_out_as_aiohttp_does(everflow_mock: EverflowMock) -> None:
    async def five_at_once() -> list[tuple[int, bytes]]:
        return await asyncio.gather(*(get(URL, headers={"Prefer": "delay=300"}) for _ in range(5)))

    started = time.monotonic()
    assert {status for status, _ in asyncio.run(five_at_once())} == {200}
    assert time.monotonic() - started < 1.2  # overlapped: 5 x 0.3 s would be 1.5 s
    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(get(URL, headers={"Prefer": "delay=2000"}, timeout=aiohttp.ClientTimeout(0.05)))


def test_plain_http_to_everflow_never_leaves_the_process(everflow_mock: EverflowMock) -> None:
    with pytest.raises(aiohttp.ClientConnectionError, match="answer https only"):
        asyncio.run(get("http://api.eflow.team/v1/networks/pixels/3"))


def test_other_hosts_are_left_alone(everflow_mock: EverflowMock) -> None:
    with LocalServer(create_app()) as plain:
        assert asyncio.run(get(plain.url + "/networks/pixels/3"))[0] == 200
    assert everflow_mock.requests == []


@pytest.mark.parametrize(
    "url",
    [
        URL,
        "https://api.eflow.team./v1/networks/pixels/3",
        "https://user:pw@API-EU.eflow.team.:443/v1/networks/pixels/3",
        "https://api.eflow.team\u3002/v1/networks/pixels/3",
    ],
)
def test_without_the_extra_a_call_to_everflow_is_stopped_and_says_what_to_install(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []
    lookup = socket.getaddrinfo

    def recorded(host: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(str(host))
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recorded)
    with aiohttp_stopped():
        with pytest.raises(aiohttp.ClientConnectorError) as stopped:
            asyncio.run(get(url))
        assert looked_up == []
        with LocalServer(create_app()) as plain:  # other hosts still go out
            assert asyncio.run(get(plain.url + "/networks/pixels/3"))[0] == 200
    assert "pip install 'everflow-postback-kit[aiohttp]'" in str(stopped.value)
    assert looked_up  # the local server's host was looked up: the record works


def test_without_the_extra_a_connector_of_its_own_is_stopped_too() -> None:
    class Refusing(aiohttp.abc.AbstractResolver):
        async def resolve(self, host: str, port: int = 0, family: int = 0) -> Any:
            raise AssertionError(f"looked up {host}")

        async def close(self) -> None:
            pass

    async def call() -> None:
        connector = aiohttp.TCPConnector(resolver=Refusing())
        async with aiohttp.ClientSession(connector=connector) as session:
            await session.get(URL)

    with aiohttp_stopped(), pytest.raises(aiohttp.ClientConnectorError, match=r"\[aiohttp\]"):
        asyncio.run(call())


def test_any_method_and_a_connector_of_its_own_are_answered(everflow_mock: EverflowMock) -> None:
    async def call() -> tuple[int, int]:
        connector = aiohttp.TCPConnector(resolver=aiohttp.ThreadedResolver())
        async with (
            aiohttp.ClientSession(connector=connector, headers=KEY) as session,
            session.get(URL) as answer,
            session.request("PROPFIND", URL) as other,
        ):
            return answer.status, other.status

    found, other = asyncio.run(call())
    assert found == 200
    assert other == everflow_mock.requests[1]["status"]  # the mock's answer, whatever it is


async def post(**kwargs: Any) -> int:
    async with (
        aiohttp.ClientSession(headers=KEY) as session,
        session.post(f"{BASE}/networks/pixels", **kwargs) as answer,
    ):
        return answer.status


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'{"pixel_type": "cpc"}', id="bytes"),
        pytest.param(bytearray(b'{"pixel_type": "cpc"}'), id="bytearray"),
        pytest.param('{"pixel_type": "cpc"}', id="text"),
    ],
)
def test_a_data_body_reaches_the_mock_as_sent(
    everflow_mock: EverflowMock, data: bytes | bytearray | str
) -> None:
    asyncio.run(post(data=data, headers={"Content-Type": "application/json"}))
    everflow_mock.assert_requested("createPartnerPostback", times=1, json={"pixel_type": "cpc"})


def test_a_form_is_sent_urlencoded(everflow_mock: EverflowMock) -> None:
    asyncio.run(post(data={"pixel_type": "cpc", "b": "x y"}))
    (entry,) = everflow_mock.requests
    assert entry["body"] == "pixel_type=cpc&b=x+y"
    assert entry["json"] is None


ADMIN = "https://api.eflow.team/__admin"


async def admin(method: str, path: str, **kwargs: Any) -> int:
    """The status of an admin call: the admin API takes a body only if it is declared JSON."""
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, f"{ADMIN}{path}", **kwargs) as answer,
    ):
        return answer.status


def test_a_json_body_is_declared_json_unless_the_call_names_its_own_type(
    everflow_mock: EverflowMock,
) -> None:
    postback = builtin_postbacks(0)[2]
    assert asyncio.run(admin("PUT", "/pixels/3", json=postback)) == 200
    # aiohttp keeps a Content-Type the call sets, so the admin API refuses the body
    own = {"Content-Type": "text/plain"}
    assert asyncio.run(admin("PUT", "/pixels/3", json=postback, headers=own)) == 415


def test_a_form_keeps_a_content_type_the_call_sets(everflow_mock: EverflowMock) -> None:
    declared = {"Content-Type": "application/json"}
    # declared JSON, the admin API reads the form as JSON (and finds none) rather than 415
    assert asyncio.run(admin("PUT", "/pixels/3", data={"a": "b"}, headers=declared)) == 422
    assert asyncio.run(admin("PUT", "/pixels/3", data={"a": "b"})) == 415


def test_a_call_without_a_body_sends_none(everflow_mock: EverflowMock) -> None:
    # a body (of any length) without a Content-Type would be a 415 here
    assert asyncio.run(admin("POST", "/reset")) == 200


def test_a_body_it_cannot_read_is_a_type_error_naming_its_type(everflow_mock: EverflowMock) -> None:
    with pytest.raises(TypeError) as refused:
        asyncio.run(post(data=3.5))
    assert str(refused.value) == "everflow_mock: cannot read an aiohttp body of type float"


def test_plain_http_is_refused_naming_the_method_and_the_url(everflow_mock: EverflowMock) -> None:
    async def call() -> None:
        async with aiohttp.ClientSession(headers=KEY) as session:
            await session.delete("http://api.eflow.team/v1/networks/pixels/3")

    with pytest.raises(aiohttp.ClientConnectionError) as refused:
        asyncio.run(call())
    assert str(refused.value).startswith(
        "everflow_mock: DELETE http://api.eflow.team/v1/networks/pixels/3 is not answered"
    )


def test_the_answer_carries_the_mock_s_headers_type_and_reason(everflow_mock: EverflowMock) -> None:
    async def call() -> tuple[str, str | None, str, str]:
        async with aiohttp.ClientSession(headers=KEY) as session, session.get(URL) as answer:
            return (
                answer.content_type,
                answer.reason,
                answer.headers["X-RateLimit-Limit"],
                answer.headers["Content-Type"],
            )

    assert asyncio.run(call()) == ("application/json", "OK", "30", "application/json")


def test_a_call_without_a_body_is_journaled_as_httpx_s(everflow_mock: EverflowMock) -> None:
    assert asyncio.run(get(URL))[0] == 200
    assert httpx.get(URL, headers=KEY).status_code == 200
    from_aiohttp, from_httpx = everflow_mock.requests
    assert from_aiohttp["body"] == from_httpx["body"]
    assert from_aiohttp["json"] is None


def test_the_answer_names_the_method_it_answers(everflow_mock: EverflowMock) -> None:
    async def call() -> list[str]:
        async with aiohttp.ClientSession(headers=KEY) as session:
            methods = []
            for method in ("GET", "DELETE", "PATCH"):
                async with session.request(method, URL) as answer:
                    methods.append(answer.method)
                    assert answer.request_info.method == method
            return methods

    assert asyncio.run(call()) == ["GET", "DELETE", "PATCH"]


@pytest.mark.parametrize(
    "timeout",
    [
        pytest.param(0.05, id="seconds"),
        pytest.param(aiohttp.ClientTimeout(sock_read=0.05), id="sock_read"),
    ],
)
def test_a_call_s_own_timeout_in_any_form_is_honoured(
    everflow_mock: EverflowMock, timeout: object
) -> None:
    started = time.monotonic()
    with pytest.raises(aiohttp.ServerTimeoutError, match="read timed out"):
        asyncio.run(get(URL, headers={"Prefer": "delay=2000"}, timeout=timeout))
    assert time.monotonic() - started < 1.5


def test_a_call_with_no_timeout_waits_out_the_delay(everflow_mock: EverflowMock) -> None:
    no_limit = aiohttp.ClientTimeout(total=None)
    assert asyncio.run(get(URL, headers={"Prefer": "delay=50"}, timeout=no_limit))[0] == 200
