"""Which calls ``everflow_mock`` answers, and what a call it does not answer is told.

Everflow's hosts are the spec's servers (``api.eflow.team``, ``api-eu.eflow.team``), over
https. httpx calls to any other host fail (respx's ``not mocked``, with how to let them
through) unless the test lets them through; ``requests`` and aiohttp calls to other hosts are
left alone. A call to Everflow's hosts never leaves the process: the mock answers it, or the
client fails with one of the messages below, which say what to do.
"""

from __future__ import annotations

import functools
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

from mock_server.core.clients import everflow_hosts

PASS_THROUGH = "@pytest.mark.everflow(pass_through_unmatched=True)"
"""The marker that lets ``everflow_mock``'s httpx calls to other hosts through."""


@functools.cache
def everflow_url() -> re.Pattern[str]:
    """Any URL on Everflow's hosts, over any scheme and port (case-insensitive)."""
    hosts = "|".join(re.escape(host) for host in everflow_hosts())
    return re.compile(rf"^[a-z][a-z0-9+.-]*://(?:{hosts})(?::\d*)?(?:[/?#]|$)", re.IGNORECASE)


def not_https(method: str, url: str) -> str:
    """What a call to Everflow's hosts over plain http is told."""
    return (
        f"everflow_mock: {method} {url} is not answered: Everflow's API (and the mock) "
        "answer https only; call https://"
        + (urlsplit(url).hostname or everflow_hosts()[0])
        + "/v1/..."
    )


def not_mocked(method: str, url: str) -> str:
    """What an httpx call to a host the mock does not serve is told: how to let it through."""
    host = urlsplit(url).hostname or ""
    return (
        f"everflow_mock: {method} {url} is not mocked: everflow_mock answers only "
        + " and ".join(f"https://{name}" for name in everflow_hosts())
        + f". To let calls to other hosts through, mark the test {PASS_THROUGH}; to let "
        f"this host through (or answer it yourself), add a respx route: "
        f"everflow_mock.router.route(host={host!r}).pass_through()"
    )


def no_extra(client: str, host: str) -> str:
    """What a ``client`` call to Everflow's ``host`` is told when the kit's extra for that
    client is not installed: it was stopped, never sent."""
    return (
        f"everflow_mock: {client} call to {host} was stopped: everflow_mock answers {client} "
        f"only with the kit's {client} extra (pip install 'everflow-postback-kit[{client}]')"
    )


@contextmanager
def aiohttp_stopped() -> Iterator[None]:
    """While open, aiohttp calls to Everflow's hosts fail before their host is looked up,
    with what to install (for a session without aioresponses). aiohttp's default resolver
    is where every connection without a proxy starts."""
    from aiohttp.resolver import DefaultResolver

    resolve = DefaultResolver.resolve

    async def stopped(resolver: Any, host: str, *args: Any, **kwargs: Any) -> Any:
        if host.lower() in everflow_hosts():
            raise socket.gaierror(socket.EAI_NONAME, no_extra("aiohttp", host))
        return await resolve(resolver, host, *args, **kwargs)

    with mock.patch.object(DefaultResolver, "resolve", stopped):
        yield
