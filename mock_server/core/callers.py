"""Who sent a request: whether a client's address is this machine's, for what answers
loopback clients only (the mock's admin API, the proxy's), and ``browser_refusal``, the one
guard that keeps web pages out of them."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from openapi.spec import everflow_base_urls


def is_loopback_client(address: str | None) -> bool:
    """Whether a client address is this machine's (127.0.0.0/8, ::1), also as an
    IPv4-mapped IPv6 address (``::ffff:127.0.0.1``: an IPv4 client of a server on ``::``)."""
    try:
        found = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(found, "ipv4_mapped", None)
    return (mapped or found).is_loopback


def everflow_hosts() -> tuple[str, ...]:
    """The hosts of Everflow's API (the spec's servers), answered by ``everflow_mock``."""
    return tuple(urlsplit(url).hostname or "" for url in everflow_base_urls())


def is_unspoofable_host(host: str) -> bool:
    """Whether a request's ``Host`` is one no web page can point at this machine:
    ``localhost`` (or a name under it), an IP address, or Everflow's own API hosts (which
    the in-process mock answers). Any other name may be one a page's author made resolve
    to 127.0.0.1 (DNS rebinding), to reach a loopback-only service from a browser."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.removeprefix("[").split("]", 1)[0].rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost") or name in everflow_hosts():
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


SAME_ORIGIN_FETCHES = frozenset({"same-origin", "none"})
"""The ``Sec-Fetch-Site`` values answered: a page of the same origin (the admin page's own
scripts), or a request no page made (an address typed, a bookmark)."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
"""The methods whose ``Content-Type`` is checked."""
JSON_MEDIA_TYPE = "application/json"
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused: ``status`` (403, or 415 for the content type),
    ``reason`` (``cross-site``, ``host`` or ``content-type``), a title and a detail to
    send in the service's own error shape."""

    status: int
    reason: str
    title: str
    detail: str


def browser_refusal(environ: Mapping[str, Any], *, check_host: bool = True) -> Refusal | None:
    """Why a request to a service on this machine may have been sent by a web page, or
    ``None`` when it cannot have been: a browser is a loopback client too, and without this
    any page a developer opens could reset the mock, fire conversions or send writes with
    the proxy's key. ``environ`` is the request's WSGI environ.

    Refused, in this order: a ``Sec-Fetch-Site`` (any case) other than ``same-origin`` or
    ``none``; an ``Origin`` not of the request's ``Host`` (``_same_host``); a ``Host`` that
    ``is_unspoofable_host`` doubts, when ``check_host``; a POST, PUT or PATCH whose
    ``Content-Type`` is not ``application/json`` or that carries a body without one (a page
    can send ``text/plain`` without asking first, never JSON). Clients that are no browser
    (curl, httpx, requests) send neither ``Sec-Fetch-Site`` nor ``Origin``."""
    fetch_site = environ.get("HTTP_SEC_FETCH_SITE")
    if fetch_site is not None and fetch_site.strip().lower() not in SAME_ORIGIN_FETCHES:
        return Refusal(
            403,
            "cross-site",
            "Cross-site requests refused",
            "the browser marked this request as sent by a page of another origin "
            "(Sec-Fetch-Site is neither same-origin nor none); a page on another site or "
            "port may not call this service",
        )
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    )
    origin = environ.get("HTTP_ORIGIN")
    if origin is not None and not _same_host(origin, host):
        return Refusal(
            403,
            "cross-site",
            "Cross-site requests refused",
            "the Origin header names another host or port than the request's own Host; "
            "a page on another site or port may not call this service",
        )
    if check_host and not is_unspoofable_host(host):
        return Refusal(
            403,
            "host",
            "Requests for this machine only",
            "the request must be addressed to localhost (or a name under it), an IP address "
            "or one of Everflow's API hosts, so that a web page cannot reach this service "
            "through a domain name it points at 127.0.0.1 (DNS rebinding)",
        )
    if environ.get("REQUEST_METHOD", "GET").upper() in BODY_METHODS:
        content_type = str(environ.get("CONTENT_TYPE") or "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type != JSON_MEDIA_TYPE and (media_type or _has_body(environ)):
            return Refusal(
                415,
                "content-type",
                "JSON bodies only",
                f"a {environ.get('REQUEST_METHOD')} must send its body as "
                f"'Content-Type: {JSON_MEDIA_TYPE}' (or send no body and no Content-Type)",
            )
    return None


def _same_host(origin: str, host: str) -> bool:
    """Whether ``origin`` is a bare http or https origin of the host and port the request's
    ``Host`` names (a ``Host`` without a port: the origin scheme's own). The scheme is not
    compared: behind a reverse proxy that ends TLS, a page of ``https://host`` reaches the
    service over plain http, and one listener on one host and port is one service."""
    sent_from = _origin(origin)
    if sent_from is None or sent_from[0] not in DEFAULT_PORTS:
        return False
    own = _origin(f"{sent_from[0]}://{host}")
    return own is not None and own[1:] == sent_from[1:]


def _origin(url: str) -> tuple[str, str, int] | None:
    """``url``'s scheme, host and port (the scheme's own when none is given), or ``None``
    when it is no bare origin (``null``, a path, user info, a bad port)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname or parts.path or parts.query or parts.fragment or "@" in parts.netloc:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS.get(scheme, 0)


def _has_body(environ: Mapping[str, Any]) -> bool:
    length = str(environ.get("CONTENT_LENGTH") or "0").strip()
    return length != "0" or "HTTP_TRANSFER_ENCODING" in environ
