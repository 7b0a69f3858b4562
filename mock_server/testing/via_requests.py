"""``requests`` calls to Everflow's hosts, answered by ``everflow_mock`` through ``responses``.

Loaded only when the kit's ``requests`` extra is installed (it adds ``responses``) and the
test process has imported ``requests``. Every call to Everflow's hosts is turned into the
``httpx.Request`` the in-process mock reads and answered by ``EverflowMock.answer``, the same
call that answers httpx: same store, journal, controls, queued answers and delays. Calls to
other hosts go out as they would without the kit.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import requests
import responses

from mock_server.testing.hosts import everflow_url, not_https, other_hosts
from mock_server.testing.mocks import ClientErrors, EverflowMock

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

ERRORS = ClientErrors(
    lambda request: requests.ReadTimeout(f"everflow_mock: read timed out: {request.url}"),
    lambda request: requests.ConnectionError(
        f"everflow_mock: the server closed the connection without an answer: {request.url}"
    ),
)


def _timeout(kwargs: dict[str, Any]) -> float | None:
    """The read timeout of a ``requests`` call, in seconds (``None``: none)."""
    timeout = kwargs.get("timeout")
    if isinstance(timeout, tuple):
        timeout = timeout[1]
    return None if timeout is None else float(timeout)


def _body(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes):
        return body
    if hasattr(body, "read"):
        read = body.read()
        return read.encode() if isinstance(read, str) else bytes(read)
    return b"".join(part.encode() if isinstance(part, str) else part for part in body)  # type: ignore[attr-defined]


def _answer(
    mock: EverflowMock, prepared: requests.PreparedRequest
) -> tuple[int, dict[str, str], bytes]:
    url = prepared.url or ""
    method = prepared.method or "GET"
    if not url.lower().startswith("https://"):
        raise requests.ConnectionError(not_https(method, url))
    request = httpx.Request(
        method, url, headers=list(prepared.headers.items()), content=_body(prepared.body)
    )
    kwargs = getattr(prepared, "req_kwargs", {})  # what responses keeps of the call
    answer = mock.answer(request, _timeout(kwargs), ERRORS)
    return answer.status_code, dict(answer.headers.items()), answer.content


@contextmanager
def answered(mock: EverflowMock) -> Iterator[responses.RequestsMock]:
    """While open, ``requests`` calls to Everflow's hosts are answered by ``mock``."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        for method in METHODS:
            mocked.add_callback(
                method,
                everflow_url(),
                callback=lambda prepared: _answer(mock, prepared),
                content_type=None,
            )
        mocked.add_passthru(other_hosts())
        yield mocked
