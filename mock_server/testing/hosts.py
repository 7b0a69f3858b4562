"""Which calls ``everflow_mock`` answers, and what a call it does not answer is told.

Everflow's hosts are the spec's servers (``api.eflow.team``, ``api-eu.eflow.team``), over
https. httpx calls to any other host fail (respx's ``not mocked``, with how to let them
through) unless the test lets them through; ``requests`` and aiohttp calls to other hosts are
left alone. A call to Everflow's hosts never leaves the process: the mock answers it, or the
client fails with one of the messages below, which say what to do.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock
from urllib.parse import unquote, urlsplit

import idna

from mock_server.core.callers import everflow_hosts

PASS_THROUGH = "@pytest.mark.everflow(pass_through_unmatched=True)"
"""The marker that lets ``everflow_mock``'s httpx calls to other hosts through."""


def everflow_host(url: str) -> str | None:
    """Which of Everflow's hosts a call to ``url`` reaches, or ``None`` for any other host.

    The one place every client's adapter asks (``requests``, aiohttp and httpx), given the
    URL as that client normalised it, so that all three answer or refuse the same calls: the
    host as ``urllib.parse`` finds it (user info and port ignored), percent-decoded,
    IDNA-normalised as the clients' own ``idna`` does (full-width letters, ideographic full
    stops, case), with one trailing dot (the DNS root, which reaches the same host) dropped.
    """
    try:
        name = urlsplit(url).hostname
    except ValueError:  # a malformed IPv6 literal: no client sends it anywhere
        return None
    if not name:
        return None
    name = unquote(name)
    if not name.isascii():  # IDNA maps an ASCII name to its lower case: 45 us spared a call
        # A name IDNA cannot carry is compared as given.
        with contextlib.suppress(idna.IDNAError, UnicodeError):
            name = idna.encode(name, uts46=True).decode("ascii")
    name = name.lower().removesuffix(".")
    return name if name in everflow_hosts() else None


def is_https(url: str) -> bool:
    """Whether ``url`` is an https URL (the only scheme Everflow's API, and the mock, answer)."""
    return urlsplit(url).scheme == "https"


def _shown(url: str) -> str:
    """``url`` without its user info (a password has no place in a message)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def not_https(method: str, url: str) -> str:
    """What a call to Everflow's hosts over plain http is told."""
    return (
        f"everflow_mock: {method} {_shown(url)} is not answered: Everflow's API (and the "
        "mock) answer https only; call https://"
        + (everflow_host(url) or everflow_hosts()[0])
        + "/v1/..."
    )


def not_mocked(method: str, url: str) -> str:
    """What an httpx call to a host the mock does not serve is told: how to let it through."""
    host = urlsplit(url).hostname or ""
    return (
        f"everflow_mock: {method} {_shown(url)} is not mocked: everflow_mock answers only "
        + " and ".join(f"https://{name}" for name in everflow_hosts())
        + f". To let calls to other hosts through, mark the test {PASS_THROUGH}; to let "
        f"this host through (or answer it yourself), add a respx route: "
        f"everflow_mock.router.route(host={host!r}).pass_through()"
    )


@contextmanager
def aiohttp_stopped() -> Iterator[None]:
    """While open, aiohttp calls to Everflow's hosts fail before any connection is made (or
    their host looked up), with what to install (for a session without aioresponses).
    ``BaseConnector.connect`` is where every connector starts a call, whatever its resolver."""
    from aiohttp import BaseConnector, ClientConnectorError

    connect = BaseConnector.connect

    async def stopped(connector: BaseConnector, request: Any, *args: Any, **kwargs: Any) -> Any:
        host = everflow_host(str(request.url))
        if host is not None:
            refused = ConnectionRefusedError(
                errno.ECONNREFUSED,
                f"everflow_mock: aiohttp call to {host} was stopped: everflow_mock answers "
                "aiohttp only with the kit's aiohttp extra "
                "(pip install 'everflow-postback-kit[aiohttp]')",
            )
            raise ClientConnectorError(request.connection_key, refused)
        return await connect(connector, request, *args, **kwargs)

    with mock.patch.object(BaseConnector, "connect", stopped):
        yield
