"""Which client addresses are this machine's: the admin APIs answer only those."""

from __future__ import annotations

import pytest

from mock_server.core.clients import is_loopback_client


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),  # an IPv4 client of a server listening on ::
        ("::1%lo", True),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("localhost", False),  # a client address is never a name
        ("", False),
        (None, False),
    ],
)
def test_only_this_machines_addresses_are_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback_client(address) is loopback
