"""The sender's HTTP, on its own."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from mock_server.firing.journal import Delivery
from mock_server.firing.sender import USER_AGENT, Sender, Target


@pytest.fixture
def answering() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback server that sends back, to each connection, the next canned bytes."""
    answers: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                connection.sendall(answers.pop(0))

    threading.Thread(target=serve, daemon=True).start()
    yield listener.getsockname()[1], answers
    listener.close()


def send(port: int) -> tuple[str, int | None, str | None]:
    ended: list[tuple[str, int | None, str | None]] = []
    done = threading.Event()

    def outcome(d: Delivery, state: str, status: int | None, ms: float, error: str | None) -> None:
        ended.append((state, status, error))
        done.set()

    sender = Sender(2.0, outcome)
    target = Target("127.0.0.1", port, False, f"127.0.0.1:{port}", "/pb?a=1")
    assert sender.deliver([(Delivery(1, "postback", "conversion"), target, 0.0)]) == []
    assert done.wait(5)
    return ended[0]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (b"HTTP/1.1 204 No Content\r\n\r\n", ("delivered", 204, None)),
        (b"HTTP/1.0 200 OK\r\nX: y\r\n\r\nbody", ("delivered", 200, None)),
        (b"HTTP/1.1 404 Not Found\r\n\r\n", ("failed", 404, "the receiver answered 404")),
        (b"HTTP/1.1 299 Fine\r\n\r\n", ("delivered", 299, None)),
        (b"HTTP/1.1 300 Multiple Choices\r\n\r\n", ("failed", 300, "the receiver answered 300")),
        (
            b"SSH-2.0-OpenSSH\r\n\r\n",
            (
                "failed",
                None,
                "ValueError: not an HTTP answer: illegal status line: bytearray(b'SSH-2.0-OpenSSH')",
            ),
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-Cut: ",  # the head cut short: no answer, not a 200
            (
                "failed",
                None,
                "ValueError: not an HTTP answer: peer unexpectedly closed connection",
            ),
        ),
        (
            b"",
            (
                "failed",
                None,
                "ConnectionResetError: the receiver closed the connection without an answer",
            ),
        ),
    ],
)
def test_the_status_is_read_from_the_answer(
    answering: tuple[int, list[bytes]], answer: bytes, expected: tuple[str, int | None, str | None]
) -> None:
    port, answers = answering
    answers.append(answer)
    assert send(port) == expected


def test_the_get_says_its_host_and_who_sends_it_and_leaves_no_per_host_state() -> None:
    got: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def serve() -> None:
        for _ in range(3):
            connection, _ = listener.accept()
            with connection:
                got.append(connection.recv(65536))
                connection.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    port = listener.getsockname()[1]
    ended = threading.Semaphore(0)
    sender = Sender(2.0, lambda *_: ended.release())
    target = Target("127.0.0.1", port, False, "partner.example:8080", "/pb?a=1")
    batch = [(Delivery(i, "postback", "conversion"), target, 0.0) for i in range(3)]
    try:
        assert sender.deliver(batch) == []
        for _ in range(3):
            assert ended.acquire(timeout=5)
    finally:
        listener.close()
    head = got[0].split(b"\r\n\r\n")[0].split(b"\r\n")
    assert head[0] == b"GET /pb?a=1 HTTP/1.1"
    assert sorted(head[1:]) == sorted(
        [
            b"Host: partner.example:8080",
            f"User-Agent: {USER_AGENT}".encode(),
            b"Accept: */*",
            b"Connection: close",
        ]
    )
    assert len(got) == 3
    assert sender.pending == 0
    assert sender._hosts == {}  # the per-receiver limit's bookkeeping ends with its deliveries
    assert sender._tasks == set()  # and so do their tasks


def test_a_cancelled_delivery_ends_cancelled_saying_why() -> None:
    ended: list[tuple[Delivery, str, int | None, float, str | None]] = []
    done = threading.Event()

    def outcome(d: Delivery, state: str, status: int | None, ms: float, error: str | None) -> None:
        ended.append((d, state, status, ms, error))
        done.set()

    sender = Sender(2.0, outcome)
    delivery = Delivery(1, "postback", "conversion")
    target = Target("127.0.0.1", 9, False, "127.0.0.1:9", "/pb")
    assert sender.deliver([(delivery, target, 300.0)]) == []  # waits 300 s before its GET
    sender.cancel()
    assert done.wait(5)
    assert ended == [(delivery, "cancelled", None, 0.0, "cancelled by a reset before it ended")]
    assert sender.pending == 0
