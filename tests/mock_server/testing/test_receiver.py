"""``PostbackReceiver``: records what it gets, answers as told."""

from __future__ import annotations

import socket
import threading
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


def raw_get(receiver: PostbackReceiver, target: str) -> bytes:
    """``GET target`` as HTTP/1.1 on one connection, read to the end: the receiver closes
    it after its answer (a receiver that kept it open would leave this waiting)."""
    with socket.create_connection(("127.0.0.1", int(receiver.url.rsplit(":", 1)[1]))) as sock:
        sock.settimeout(10)
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nX-Sent: yes\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    ("status", "body", "location"),
    [
        (200, b"ok", False),
        (299, b"ok", False),
        (300, b"no", True),
        (399, b"no", True),
        (400, b"no", False),
        (199, b"no", False),
    ],
)
def test_it_answers_ok_for_2xx_no_otherwise_and_redirects_3xx_to_itself(
    status: int, body: bytes, location: bool
) -> None:
    with PostbackReceiver() as receiver:
        receiver.status = status
        answer = raw_get(receiver, "/pb?x=1")
        head, _, got = answer.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        assert lines[0].startswith(f"HTTP/1.1 {status} ")
        fields = dict(line.split(": ", 1) for line in lines[1:])
        assert got == body
        assert fields["Content-Length"] == str(len(body))
        assert fields["Connection"] == "close"
        assert fields.get("Location") == (receiver.url + "/redirected" if location else None)
        (received,) = receiver.requests
        assert received.headers["X-Sent"] == "yes"
        assert received.target == "/pb?x=1"


def test_it_waits_its_delay_before_answering() -> None:
    with PostbackReceiver() as receiver:
        receiver.delay = 0.3
        started = time.monotonic()
        assert raw_get(receiver, "/slow").startswith(b"HTTP/1.1 200 ")
        assert time.monotonic() - started >= 0.3


def test_it_keeps_the_last_max_kept_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    from mock_server.testing import receiver as module

    monkeypatch.setattr(module, "MAX_KEPT", 2)
    with PostbackReceiver() as receiver:
        for n in range(3):
            raw_get(receiver, f"/{n}")
        assert [r.path for r in receiver.requests] == ["/1", "/2"]


def test_a_new_receiver_answers_at_once_with_200() -> None:
    receiver = PostbackReceiver()
    assert (receiver.status, receiver.delay) == (200, 0)
    receiver.delay += 0.05  # seconds, a number to add to
    receiver.stop()


def test_receivers_at_once_each_get_a_free_port_of_their_own() -> None:
    with PostbackReceiver() as one, PostbackReceiver() as other:
        assert one.url != other.url
        for receiver in (one, other):
            with urllib.request.urlopen(receiver.url + "/mine"):
                pass
        assert [len(one.requests), len(other.requests)] == [1, 1]


def test_a_receiver_left_running_never_holds_up_the_process_exit() -> None:
    before = set(threading.enumerate())
    receiver = PostbackReceiver().start()
    try:
        raw_get(receiver, "/pb")
        started = set(threading.enumerate()) - before
        assert started  # its server thread at least
        assert all(thread.daemon for thread in started)
    finally:
        receiver.stop()
