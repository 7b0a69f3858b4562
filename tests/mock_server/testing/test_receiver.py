"""``PostbackReceiver``: records what it gets, answers as told."""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request

import pytest

from mock_server.testing.receiver import PostbackReceiver


def test_it_records_requests_and_answers_200() -> None:
    with PostbackReceiver() as receiver:
        assert receiver.url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(receiver.url + "/pb?tid=a%20b&s=") as answer:
            assert answer.status == 200
        (got,) = receiver.wait_for(1)
        assert got.method == "GET"
        assert got.path == "/pb"
        assert got.query == {"tid": ["a b"], "s": [""]}
        assert receiver.urls == [receiver.url + "/pb?tid=a%20b&s="]
        receiver.clear()
        assert receiver.requests == []


def test_it_answers_the_status_it_is_given() -> None:
    with PostbackReceiver() as receiver:
        receiver.status = 503
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(receiver.url + "/x")
        assert error.value.code == 503
        assert len(receiver.requests) == 1


def _port_is_free(port: int) -> bool:
    """Whether a new socket can listen on 127.0.0.1:``port`` (no ``SO_REUSEADDR``: a socket
    still open on it, listening or not, is refused)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        probe.listen()
        return True


@pytest.mark.parametrize("started", [False, True])
def test_stop_releases_the_port_started_or_not(started: bool) -> None:
    receiver = PostbackReceiver()
    port = int(receiver.url.rpartition(":")[2])
    if started:
        receiver.start()
    assert not _port_is_free(port)  # the probe can tell: the receiver holds it
    receiver.stop()
    assert _port_is_free(port)


def test_wait_for_returns_once_enough_arrived_and_waits_at_most_its_timeout() -> None:
    with PostbackReceiver() as receiver:
        started = time.monotonic()
        assert receiver.wait_for(1, timeout=0.3) == []
        assert 0.25 < time.monotonic() - started < 10
        with urllib.request.urlopen(receiver.url + "/one"):
            pass
        started = time.monotonic()
        (got,) = receiver.wait_for(1, timeout=30)
        assert got.path == "/one"
        assert time.monotonic() - started < 10  # not the whole timeout: one was asked for
