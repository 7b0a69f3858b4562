"""Which client addresses are this machine's: the admin APIs answer only those."""

from __future__ import annotations

import pytest

from mock_server.core.clients import is_loopback_client, is_unspoofable_host


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


@pytest.mark.parametrize(
    ("host", "unspoofable"),
    [
        ("localhost", True),
        ("LOCALHOST.:4010", True),
        ("app.localhost:8000", True),
        ("127.0.0.1:4010", True),
        ("10.1.2.3", True),  # an address is not a name anyone can re-point
        ("[::1]:4010", True),
        ("::1", True),
        ("api.eflow.team", True),  # the in-process mock's hosts: Everflow's, not a page's
        ("api-eu.eflow.team:443", True),
        ("evil.example:4010", False),
        ("127.0.0.1.nip.io", False),
        ("localhost.evil.example", False),
        ("eflow.team.evil.example", False),
        ("", False),
    ],
)
def test_only_names_no_page_can_point_here_are_unspoofable(host: str, unspoofable: bool) -> None:
    assert is_unspoofable_host(host) is unspoofable
