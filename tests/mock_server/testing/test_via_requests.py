"""``requests`` calls answered by ``everflow_mock`` at requests' transport adapter."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest
import requests

from fixtures import PostbackFactory
from mock_server import create_app
from mock_server.testing import Answer
from mock_server.testing.local_server import LocalServer
from mock_server.testing.mocks import EverflowMock, EverflowServer

BASE = "https://api.eflow.team/v1"
URL = f"{BASE}/networks/pixels/3"
KEY = {"X-Eflow-Api-Key": "test-key"}


def test_the_same_mock_answers_requests_and_httpx(
    everflow_mock: EverflowMock, everflow_factory: PostbackFactory
) -> None:
    added = everflow_mock.add(everflow_factory.build(777, delivery_method="postback"))
    assert requests.get(f"{BASE}/networks/pixels/777", headers=KEY).json() == added
    body = everflow_factory.build_input(delivery_method="html", pixel_level="global")
    created = requests.post(f"{BASE}/networks/pixels", json=body, headers=KEY).json()
    # What requests created is in the store httpx reads, byte for byte as httpx sees it.
    pixel = f"{BASE}/networks/pixels/{created['network_pixel_id']}"
    assert httpx.get(pixel, headers=KEY).content == requests.get(pixel, headers=KEY).content
    everflow_mock.assert_requested("createPartnerPostback", times=1, json=body)
    everflow_mock.assert_requested("getPartnerPostback", times=3)
    assert everflow_mock.requests[1]["headers"]["X-Eflow-Api-Key"] == "********"


def test_a_session_streams_heads_and_raises_as_on_the_wire(everflow_mock: EverflowMock) -> None:
    seen: list[int] = []
    with requests.Session() as session:
        session.headers.update(KEY)
        session.hooks["response"].append(lambda answer, **_: seen.append(answer.status_code))
        streamed = session.get(URL, stream=True)
        assert b"".join(streamed.iter_content(7)) == httpx.get(URL, headers=KEY).content
        head = session.head(URL)
        assert (head.status_code, head.content) == (200, b"")
        missing = session.get(f"{BASE}/networks/pixels/999999")
        with pytest.raises(requests.HTTPError):
            missing.raise_for_status()
        assert missing.json() == {"error": "Partner postback not found."}
    assert seen == [200, 200, 404]
    assert [entry["method"] for entry in everflow_mock.requests] == ["GET", "GET", "HEAD", "GET"]


def test_query_parameters_reach_the_mock(everflow_mock: EverflowMock) -> None:
    page = requests.get(f"{BASE}/networks/pixels", params={"page": 2, "page_size": 5}, headers=KEY)
    assert page.json()["paging"]["page"] == 2
    everflow_mock.assert_requested("listPartnerPostbacks", times=1, query={"page_size": 5})


def test_queued_answers_and_controls_reach_requests(everflow_mock: EverflowMock) -> None:
    everflow_mock.queue("getPartnerPostback", [requests.ConnectTimeout, 503, "reset"])
    with pytest.raises(requests.ConnectTimeout, match="queued for getPartnerPostback"):
        requests.get(URL, headers=KEY)
    assert requests.get(URL, headers=KEY).status_code == 503
    with pytest.raises(requests.ConnectionError, match="closed the connection"):
        requests.get(URL, headers=KEY)
    assert requests.get(URL, headers={**KEY, "Prefer": "code=404"}).status_code == 404
    assert [entry["status"] for entry in everflow_mock.requests] == [None, 503, None, 404]


def test_a_queued_answers_own_headers_reach_requests(everflow_mock: EverflowMock) -> None:
    when = "Fri, 02 Jan 2026 00:02:00 GMT"
    everflow_mock.queue("getPartnerPostback", Answer(503, headers={"Retry-After": when}))
    answer = requests.get(URL, headers=KEY)
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, when)


def test_a_delay_past_the_read_timeout_raises_requests_own_timeout(
    everflow_mock: EverflowMock,
) -> None:
    with pytest.raises(requests.ReadTimeout):
        requests.get(URL, headers={**KEY, "Prefer": "delay=2000"}, timeout=(5, 0.05))
    slow = requests.get(URL, headers={**KEY, "Prefer": "delay=50"}, timeout=1)
    assert slow.status_code == 200


def test_an_adapter_called_with_positional_arguments_is_answered_as_with_keywords(
    everflow_mock: EverflowMock,
) -> None:
    """``HTTPAdapter.send(request, stream, timeout, ...)``: a caller may pass requests'
    arguments by position; the timeout is the second."""
    adapter = requests.adapters.HTTPAdapter()
    slow = requests.Request("GET", URL, headers={**KEY, "Prefer": "delay=2000"}).prepare()
    with pytest.raises(requests.ReadTimeout):
        adapter.send(slow, False, (5, 0.05))
    with pytest.raises(requests.ReadTimeout):
        adapter.send(slow, False, timeout=(5, 0.05))
    assert adapter.send(requests.Request("GET", URL, headers=KEY).prepare(), False).ok


def test_an_adapter_call_to_another_host_keeps_its_positional_and_keyword_arguments(
    everflow_mock: EverflowMock,
) -> None:
    """Passed through to requests' own ``send`` as given: a read timeout by position or by
    keyword ends a slow answer of a server on another host."""
    with LocalServer(create_app()) as plain:
        slow = requests.Request(
            "GET", plain.url + "/networks/pixels/3", headers={**KEY, "Prefer": "delay=2000"}
        ).prepare()
        adapter = requests.adapters.HTTPAdapter()
        with pytest.raises(requests.ReadTimeout):
            adapter.send(slow, False, (5, 0.05))
        with pytest.raises(requests.ReadTimeout):
            adapter.send(slow, timeout=(5, 0.05))
        adapter.close()
    assert everflow_mock.requests == []


def test_plain_http_to_everflow_never_leaves_the_process(everflow_mock: EverflowMock) -> None:
    with pytest.raises(requests.ConnectionError, match="answer https only"):
        requests.get("http://api.eflow.team/v1/networks/pixels/3", headers=KEY)
    assert everflow_mock.requests == []


def test_a_session_with_adapters_of_its_own_is_answered(everflow_mock: EverflowMock) -> None:
    class Retrying(requests.adapters.HTTPAdapter):
        def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
            request.headers["X-Sent-By"] = "retrying"
            return super().send(request, *args, **kwargs)

    with requests.Session() as session:
        session.mount("https://api.eflow.team", requests.adapters.HTTPAdapter(max_retries=3))
        session.mount("https://api-eu.eflow.team", Retrying())
        assert session.get(URL, headers=KEY).status_code == 200
        assert session.get(URL.replace("api.", "api-eu."), headers=KEY).status_code == 200
    assert everflow_mock.requests[1]["headers"]["X-Sent-By"] == "retrying"


def test_other_hosts_are_left_alone(
    everflow_mock: EverflowMock, everflow_server: EverflowServer
) -> None:
    with LocalServer(create_app()) as plain:
        assert requests.get(plain.url + "/networks/pixels/3", headers=KEY).status_code == 200
    assert requests.get(everflow_server.url + "/networks/pixels/3", headers=KEY).ok
    assert everflow_mock.requests == []


@pytest.mark.slow
def test_a_session_that_never_imports_requests_loads_neither_it_nor_responses() -> None:
    code = (
        "import sys\n"
        "from mock_server.testing.pool import MockPool\n"
        "from mock_server.core.config import MockConfig\n"
        "with MockPool().mock(MockConfig(), False):\n"
        "    pass\n"
        "print(sorted(m for m in ('requests', 'responses', 'aiohttp', 'aioresponses')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_plain_http_is_refused_naming_the_method_and_the_request(
    everflow_mock: EverflowMock,
) -> None:
    with pytest.raises(requests.ConnectionError) as refused:
        requests.delete("http://api.eflow.team/v1/networks/pixels/3", headers=KEY)
    assert str(refused.value).startswith(
        "everflow_mock: DELETE http://api.eflow.team/v1/networks/pixels/3 is not answered"
    )
    assert refused.value.request is not None
    assert refused.value.request.method == "DELETE"


class Reader:
    """A file-like body that can only be read whole (not iterated by lines)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def read(self) -> bytes:
        return self.raw


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(lambda raw: Reader(raw), id="file"),
        pytest.param(lambda raw: iter([raw[:5], raw[5:].decode()]), id="parts"),
        pytest.param(lambda raw: raw.decode(), id="text"),
    ],
)
def test_a_body_is_read_whatever_requests_was_given(
    everflow_mock: EverflowMock, everflow_factory: PostbackFactory, body: Any
) -> None:
    sent = everflow_factory.build_input(delivery_method="html", pixel_level="global")
    raw = json.dumps(sent).encode()
    headers = {**KEY, "Content-Type": "application/json"}
    created = requests.post(f"{BASE}/networks/pixels", data=body(raw), headers=headers)
    assert created.status_code == 200, created.text
    everflow_mock.assert_requested("createPartnerPostback", times=1, json=sent)


def test_a_body_it_cannot_read_is_a_type_error_naming_its_type() -> None:
    from mock_server.testing.via_requests import _body

    assert _body(None) == b""
    assert _body(bytearray(b"ab")) == b"ab"
    with pytest.raises(TypeError) as refused:
        _body(3.5)
    assert str(refused.value) == "everflow_mock: cannot read a requests body of type float"


def test_the_answer_carries_its_reason_as_on_the_wire(everflow_mock: EverflowMock) -> None:
    found = requests.get(URL, headers=KEY)
    missing = requests.get(f"{BASE}/networks/pixels/999999", headers=KEY)
    assert (found.reason, missing.reason) == ("OK", "Not Found")
    with pytest.raises(requests.HTTPError) as raised:
        missing.raise_for_status()
    assert (
        str(raised.value) == f"404 Client Error: Not Found for url: {BASE}/networks/pixels/999999"
    )
