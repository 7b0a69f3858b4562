"""Who sent a request: whether a client's address is this machine's, for what answers
loopback clients only (the mock's admin API, the proxy's)."""

from __future__ import annotations

import ipaddress


def is_loopback_client(address: str | None) -> bool:
    """Whether a client address is this machine's (127.0.0.0/8, ::1), also as an
    IPv4-mapped IPv6 address (``::ffff:127.0.0.1``: an IPv4 client of a server on ``::``)."""
    try:
        found = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(found, "ipv4_mapped", None)
    return (mapped or found).is_loopback
