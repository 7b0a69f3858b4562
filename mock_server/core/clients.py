"""Who sent a request: whether a client's address is this machine's, for what answers
loopback clients only (the mock's admin API, the proxy's)."""

from __future__ import annotations

import ipaddress
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
