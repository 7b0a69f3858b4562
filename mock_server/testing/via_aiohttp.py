"""aiohttp calls to Everflow's hosts, answered by ``everflow_mock`` through ``aioresponses``.

Loaded only when the kit's ``aiohttp`` extra is installed (it adds ``aioresponses``) and the
test process has imported ``aiohttp``. Every call to Everflow's hosts is turned into the
``httpx.Request`` the in-process mock reads and answered by ``EverflowMock.answer_async``,
the same call that answers httpx's async clients: same store, journal, controls, queued
answers, and delays awaited without blocking the event loop. Calls to other hosts go out as
they would without the kit.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import aiohttp
import httpx
from aioresponses import CallbackResult, aioresponses
from aioresponses.core import RequestMatch
from yarl import URL

from mock_server.testing.hosts import everflow_host, is_https, not_https
from mock_server.testing.mocks import ClientErrors, EverflowMock, seconds

ERRORS = ClientErrors(
    lambda request: aiohttp.ServerTimeoutError(f"everflow_mock: read timed out: {request.url}"),
    lambda request: aiohttp.ServerDisconnectedError(
        f"everflow_mock: the server closed the connection without an answer: {request.url}"
    ),
)


@functools.cache
def _response_class() -> type[aiohttp.ClientResponse]:
    """The response class aioresponses builds answers with: aiohttp's own, or, on an aiohttp
    that requires a ``stream_writer`` aioresponses does not pass (3.14, aioresponses issue
    289), a subclass that passes one with nothing left to upload."""
    wanted = inspect.signature(aiohttp.ClientResponse.__init__).parameters.get("stream_writer")
    if wanted is None or wanted.default is not inspect.Parameter.empty:
        return aiohttp.ClientResponse

    class Answered(aiohttp.ClientResponse):
        def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", SimpleNamespace(output_size=0))
            super().__init__(method, url, **kwargs)

    return Answered


def _timeout(timeout: object) -> float | None:
    """The read timeout of an aiohttp call (``None``: none, or the session's, which the call
    does not carry)."""
    if isinstance(timeout, aiohttp.ClientTimeout):
        timeout = timeout.sock_read or timeout.total
    return seconds(timeout)


def _content(kwargs: Mapping[str, Any], headers: dict[str, str]) -> bytes:
    """The body aiohttp would send for the call's ``json`` or ``data`` (``headers`` gets the
    media type aiohttp would add)."""
    named = {name.lower() for name in headers}
    if kwargs.get("json") is not None:
        if "content-type" not in named:
            headers["Content-Type"] = "application/json"
        return json.dumps(kwargs["json"]).encode()
    data = kwargs.get("data")
    if data is None:
        return b""
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, Mapping):
        if "content-type" not in named:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return urlencode(list(data.items())).encode()
    raise TypeError(f"everflow_mock: cannot read an aiohttp body of type {type(data).__name__}")


async def _answer(
    mock: EverflowMock, method: str, url: URL, kwargs: Mapping[str, Any]
) -> CallbackResult:
    if not is_https(str(url)):
        raise aiohttp.ClientConnectionError(not_https(method, str(url)))
    headers = {str(name): str(value) for name, value in (kwargs.get("headers") or {}).items()}
    content = _content(kwargs, headers)
    request = httpx.Request(method, str(url), headers=headers, content=content)
    answer = await mock.answer_async(request, _timeout(kwargs.get("timeout")), ERRORS)
    return CallbackResult(
        method=method,  # aioresponses' default is GET, whatever was sent
        status=answer.status_code,
        body=answer.content,
        headers=dict(answer.headers.items()),
        content_type=answer.headers.get("content-type", "application/octet-stream"),
        reason=answer.reason_phrase,
        response_class=_response_class(),
    )


_ANY_URL = re.compile("")
"""The pattern of the one-off match that builds an answer (``_EverflowOnly`` has chosen)."""


class _EverflowOnly(aioresponses):
    """aioresponses that answers, with ``mock``, every call (any method) to a URL that
    ``everflow_host`` names Everflow's, the test that every client's adapter asks; any other
    call is unmatched, so it goes out as it would without the kit."""

    def __init__(self, mock: EverflowMock) -> None:
        super().__init__(passthrough_unmatched=True)
        self.everflow = mock

    async def match(
        self, method: str, url: URL, allow_redirects: bool = True, **kwargs: Any
    ) -> aiohttp.ClientResponse | None:
        """The mock's answer to a call to Everflow's hosts (``None`` for other hosts).
        No redirect to follow: no operation documents a 3xx, so the mock answers none."""
        if everflow_host(str(url)) is None:
            return None

        async def callback(url: URL, **kwargs: Any) -> CallbackResult:
            return await _answer(self.everflow, method, url, kwargs)

        found = RequestMatch(_ANY_URL, method=method, callback=callback)
        answer = await found.build_response(url, **kwargs)
        if isinstance(answer, BaseException):
            raise answer
        return answer


def answered(mock: EverflowMock) -> aioresponses:
    """While open, aiohttp calls to Everflow's hosts are answered by ``mock``."""
    return _EverflowOnly(mock)
