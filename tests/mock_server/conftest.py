"""Ways to talk to a mock app in these tests: Flask's test client and a real socket.

Every answer to an API path is judged by openapi-core on the way, so any test that talks
to the mock also checks that the mock keeps to the spec.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from flask import Flask

from mock_server import MockConfig, create_app
from mock_server.testing.local_server import LocalServer
from openapi.httpx_validation import response_violations

KEY = {"X-Eflow-Api-Key": "test-key"}
PIXELS = "/v1/networks/pixels/"
API = "/v1/networks/pixels"
"""Every API path starts so: the list, one postback, the search."""


@dataclass
class Answer:
    """What came back, whichever way the request went."""

    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        return httpx.Response(200, content=self.body).json()


class Talker:
    """Sends requests to an app in-process (Flask's test client) or over a real socket
    (httpx); every answer to an API path is judged by the spec."""

    def __init__(self, app: Flask, local: LocalServer | None) -> None:
        self.app = app
        self.local = local
        self._test_client = app.test_client()
        self._http = httpx.Client(base_url=local.root, timeout=10) if local else None

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        check: bool = True,
    ) -> Answer:
        """One request; ``json_body`` is sent as JSON, ``content`` as it is."""
        headers = dict(headers or {})
        if json_body is not None:
            content = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        if self._http is None:
            got = self._test_client.open(path, method=method, headers=headers, data=content)
            request = httpx.Request(
                method, "http://127.0.0.1" + path, headers=headers, content=content
            )
            answer = Answer(
                got.status_code, httpx.Headers(list(got.headers.items())), got.get_data()
            )
        else:
            response = self._http.request(method, path, headers=headers, content=content)
            request = response.request
            answer = Answer(response.status_code, response.headers, response.content)
        if check and path.startswith(API) and answer.status != 422:
            judged = httpx.Response(
                answer.status, headers=answer.headers, content=answer.body, request=request
            )
            # A path outside the operation (".../1/2") cannot be judged by the spec at all.
            judgeable = [v for v in response_violations(judged) if v.keyword != "PathNotFound"]
            assert judgeable == []
        return answer

    def get(self, path: str, headers: dict[str, str] | None = None, check: bool = True) -> Answer:
        return self.request("GET", path, headers, check=check)

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", path, headers if headers is not None else KEY, json_body=body)

    def put(self, path: str, body: Any, headers: dict[str, str] | None = None) -> Answer:
        return self.request("PUT", path, headers if headers is not None else KEY, json_body=body)

    def delete(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        return self.request("DELETE", path, headers if headers is not None else KEY)


MakeTalker = Callable[..., Talker]


@pytest.fixture(params=["test-client", "socket"])
def make_talker(request: pytest.FixtureRequest) -> Iterator[MakeTalker]:
    """Build a mock from ``MockConfig`` keywords and talk to it one of the two ways."""
    servers: list[LocalServer] = []
    talkers: list[Talker] = []

    def make(**config: Any) -> Talker:
        app = create_app(MockConfig(**config))
        local = None
        if request.param == "socket":
            local = LocalServer(app).start()
            servers.append(local)
        talkers.append(Talker(app, local))
        return talkers[-1]

    yield make
    for talker in talkers:
        talker.close()
    for server in servers:
        server.stop()


@pytest.fixture
def talker(make_talker: MakeTalker) -> Talker:
    """The default mock (built-in catalogue, seed 0), both ways."""
    return make_talker()
