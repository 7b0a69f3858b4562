"""RSGI's request side, typed (granian's scope, headers and protocol), and a scope as the
WSGI-style environ the pipeline reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from mock_server.core.environ import environ_key
from mock_server.state.journal import HEADER_BYTES

_ENVIRON_NAMES: dict[str, str] = {}
_MAX_NAMES = 512  # header names remembered, so a client sending random names costs nothing


class Headers(Protocol):
    """RSGI request headers (granian's ``RSGIHeaders``)."""

    def items(self) -> list[tuple[str, str]]: ...


class Scope(Protocol):
    """An RSGI HTTP scope."""

    method: str
    path: str
    query_string: str
    client: str
    server: str
    scheme: str
    http_version: str

    @property
    def headers(self) -> Headers: ...


class Stream(Protocol):
    """What ``response_stream`` gives: a way to send the body in pieces."""

    async def send_bytes(self, data: bytes) -> None: ...


class HTTPProtocol(Protocol):
    """An RSGI HTTP protocol: the request body and the ways to answer."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None: ...

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Stream: ...


def _environ_name(name: str) -> str:
    found = _ENVIRON_NAMES.get(name)
    if found is None:
        found = environ_key(name)
        if len(_ENVIRON_NAMES) < _MAX_NAMES:
            _ENVIRON_NAMES[name] = found
    return found


def environ_of(scope: Scope) -> dict[str, Any]:
    """The WSGI-style environ the pipeline reads; repeated headers are joined with commas.
    It is made for the mock alone, so it says the bytes of its headers and the journal keeps
    it as it is (``HEADER_BYTES``)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope.method,
        "PATH_INFO": scope.path,
        "QUERY_STRING": scope.query_string,
    }
    names = _ENVIRON_NAMES
    size = 0
    for name, value in scope.headers.items():
        key = names.get(name) or _environ_name(name)
        environ[key] = f"{environ[key]},{value}" if key in environ else value
        size += len(key) + len(value)
    environ[HEADER_BYTES] = size
    return environ
