"""A hard deadline for every socket operation of a request, connect to last byte.

httpx's timeouts bound each read separately: a server that sends one byte every few seconds
never trips them. ``DeadlineBackend`` wraps httpcore's network backend so that every connect,
TLS handshake, read and write gets at most the time left until ``deadline``, and fails with
httpcore's own timeout errors (which httpx maps to ``httpx.TimeoutException``) once it passed.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore import SOCKET_OPTION


class DeadlineBackend(httpcore.NetworkBackend):
    """A network backend whose streams share one deadline (``time.monotonic()`` seconds);
    ``None`` means no deadline. The owner sets it before each request."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner
        self.deadline: float | None = None

    def bound(self, timeout: float | None, error: type[Exception]) -> float | None:
        """``timeout`` shortened to the time left, or ``error`` when none is left."""
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise error("deadline passed")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self.bound(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _DeadlineStream(stream, self)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self.bound(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_unix_socket(path, timeout, socket_options)
        return _DeadlineStream(stream, self)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream, backend: DeadlineBackend) -> None:
        self._inner = inner
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._backend.bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._backend.bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._backend.bound(timeout, httpcore.ConnectTimeout)
        stream = self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _DeadlineStream(stream, self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def deadline_transport(proxy: str | None = None) -> tuple[httpx.HTTPTransport, DeadlineBackend]:
    """httpx's own transport, its connections running under a ``DeadlineBackend``.

    httpx offers no public way to pass a network backend, so the pool's is wrapped in place;
    ``tests/contract_tests/test_deadline.py`` catches a release that moves it.
    """
    transport = httpx.HTTPTransport(proxy=proxy)
    pool = transport._pool
    backend = DeadlineBackend(pool._network_backend)
    pool._network_backend = backend
    return transport, backend
