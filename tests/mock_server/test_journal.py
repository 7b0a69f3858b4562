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
        journal.record({"REQUEST_METHOD": "GET", "PATH_INFO": f"/p/{n}"}, 200)
    assert [e["path"] for e in journal.entries()] == ["/p/1", "/p/2"]
    journal.clear()
    assert journal.entries() == []


def test_entries_are_read_from_the_environ_with_keys_masked() -> None:
    journal = Journal(size=5)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/v1/networks/pixels/3",
        "QUERY_STRING": "__code=404",
        "HTTP_X_EFLOW_API_KEY": "live-secret",
        "HTTP_USER_AGENT": "curl/8",
        "wsgi.input": object(),
        "HOME": "/root",
    }
    journal.record(environ, 404)
    (entry,) = journal.entries()
    assert entry["method"] == "GET"
    assert entry["query"] == "__code=404"
    assert entry["status"] == 404
    assert entry["headers"] == {"X-Eflow-Api-Key": MASK, "User-Agent": "curl/8"}
    assert "live-secret" not in repr(journal.entries())
