"""``requests`` calls to Everflow's hosts, answered by ``everflow_mock`` at requests' transport.

Loaded only when the test process has imported ``requests``. While a test uses
``everflow_mock``, requests' transport adapter (``HTTPAdapter.send``, what every ``Session``
sends through) answers calls to Everflow's hosts from the mock instead of the network: each
is turned into the ``httpx.Request`` the in-process mock reads and answered by
``EverflowMock.answer``, the same call that answers httpx (same store, journal, controls,
queued answers and delays), and the answer is built into a ``requests.Response`` by the
adapter's own ``build_response``, so hooks, redirects and ``raise_for_status`` work as on
the wire. Calls to other hosts go out as they would without the kit.

The adapter is patched for the test, as ``responses`` does; ``responses`` itself is not
used: importing it would cost every session that has ``requests`` loaded (many pytest
plugins load it) 17 ms on the first use of ``everflow_mock``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any
from unittest import mock as patching

import httpx
import requests
import urllib3

from mock_server.testing.hosts import everflow_host, is_https, not_https
from mock_server.testing.mocks import ClientErrors, EverflowMock, seconds

ERRORS = ClientErrors(
    lambda request: requests.ReadTimeout(f"everflow_mock: read timed out: {request.url}"),
    lambda request: requests.ConnectionError(
        f"everflow_mock: the server closed the connection without an answer: {request.url}"
    ),
)


def _timeout(timeout: object) -> float | None:
    """The read timeout of a ``requests`` call: a number, or a (connect, read) pair's read."""
    return seconds(timeout[1] if isinstance(timeout, tuple) else timeout)


def _body(body: object) -> bytes:
    """The bytes of a prepared request's body (text, bytes, a file or an iterable of parts)."""
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    read = getattr(body, "read", None)
    if callable(read):
        return _body(read())
    if isinstance(body, Iterable):
        return b"".join(_body(part) for part in body)
    raise TypeError(f"everflow_mock: cannot read a requests body of type {type(body).__name__}")


def _answer(
    mock: EverflowMock,
    adapter: requests.adapters.HTTPAdapter,
    prepared: requests.PreparedRequest,
    timeout: object,
) -> requests.Response:
    url = prepared.url or ""
    method = prepared.method or "GET"
    if not is_https(url):
        raise requests.ConnectionError(not_https(method, url), request=prepared)
    headers: Mapping[str, str] = prepared.headers
    request = httpx.Request(
        method, url, headers=list(headers.items()), content=_body(prepared.body)
    )
    answer = mock.answer(request, _timeout(timeout), ERRORS)
    raw = urllib3.HTTPResponse(
        body=io.BytesIO(answer.content),
        headers=dict(answer.headers.items()),
        status=answer.status_code,
        reason=answer.reason_phrase,
        preload_content=False,
        request_method=method,
        request_url=url,
    )
    return adapter.build_response(prepared, raw)


def answered(mock: EverflowMock) -> AbstractContextManager[Any]:
    """While open, ``requests`` calls to Everflow's hosts are answered by ``mock``."""
    send = requests.adapters.HTTPAdapter.send

    def send_or_answer(
        adapter: requests.adapters.HTTPAdapter,
        request: requests.PreparedRequest,
        *args: Any,
        **kwargs: Any,
    ) -> requests.Response:
        if everflow_host(request.url or "") is None:
            return send(adapter, request, *args, **kwargs)
        timeout = kwargs["timeout"] if "timeout" in kwargs else (args[1] if len(args) > 1 else None)
        return _answer(mock, adapter, request, timeout)

    return patching.patch.object(requests.adapters.HTTPAdapter, "send", send_or_answer)
