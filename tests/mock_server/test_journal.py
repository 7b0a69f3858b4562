"""The request journal: bounded, secrets masked."""

from __future__ import annotations

from mock_server.journal import MASK, Journal, mask_headers


def test_secret_headers_are_masked_whatever_their_case() -> None:
    masked = mask_headers(
        [("x-eflow-api-key", "abc"), ("Authorization", "Bearer t"), ("Accept", "application/json")]
    )
    assert masked == {"x-eflow-api-key": MASK, "Authorization": MASK, "Accept": "application/json"}


def test_oldest_entries_are_dropped() -> None:
    journal = Journal(size=2)
    for n in range(3):
        journal.record("GET", f"/p/{n}", "", [], 200)
    assert [e["path"] for e in journal.entries()] == ["/p/1", "/p/2"]
    journal.clear()
    assert journal.entries() == []
