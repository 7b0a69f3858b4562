"""Shared test fixtures: the kit as a user installs it, and servers too slow to wait for."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytest_plugins = ["pytester"]


@dataclass(frozen=True)
class InstalledKit:
    """The kit's wheel installed into a directory of its own, outside the checkout."""

    site: Path

    def run(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run ``python ARGS`` in ``cwd`` with the installed wheel first on the import path."""
        env = {**os.environ, "PYTHONPATH": str(self.site), "PYTHONSAFEPATH": "1"}
        return subprocess.run(
            [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
        )


@pytest.fixture(scope="session")
def installed_kit(tmp_path_factory: pytest.TempPathFactory) -> InstalledKit:
    """The kit's wheel, built from this checkout and installed into a directory of its own."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("*.whl")
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return InstalledKit(target)


Handler = Callable[[socket.socket, threading.Event], None]
SLOW_SERVER_SECONDS = 10.0
"""How long a slow fake server keeps a connection: beyond every deadline the tests set, and
short enough that a client without deadlines still ends (a failing test, not a hung run)."""


class SlowServer:
    """A raw HTTP/1.1 server on 127.0.0.1 in threads: each connection's request is read,
    then ``handler`` writes whatever it likes, until it returns or the server stops."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        """The API base URL, ending in ``/v1``."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/v1"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(SLOW_SERVER_SECONDS)
            try:
                received = b""
                while b"\r\n\r\n" not in received:
                    data = connection.recv(4096)
                    if not data:
                        return
                    received += data
                self._handler(connection, self._stop)
            except OSError:
                return

    def __enter__(self) -> SlowServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._acceptor.join(timeout=5)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)


def trickle(prefix: bytes, byte: bytes = b"a", every: float = 0.1) -> Handler:
    """Send ``prefix``, then one ``byte`` every ``every`` seconds for
    ``SLOW_SERVER_SECONDS`` (a never-ending header or body)."""

    def handler(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(prefix)
        ends = time.monotonic() + SLOW_SERVER_SECONDS
        while time.monotonic() < ends and not stop.wait(every):
            connection.sendall(byte)

    return handler


TRICKLE_HEADERS = trickle(b"HTTP/1.1 200 OK\r\nX-Slow: ")
TRICKLE_BODY = trickle(
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
    b" ",
)


@pytest.fixture(params=["headers", "body"])
def trickling_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server that sends one byte every 0.1 s, in the headers or in the body."""
    handler = TRICKLE_HEADERS if request.param == "headers" else TRICKLE_BODY
    with SlowServer(handler) as server:
        yield server.url


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Makes named pipes in ``tmp_path``: ``fifo(name)`` one nobody writes to, ``fifo(name,
    data)`` one a thread feeds ``data`` to once a reader opens it. A pipe left unread is
    opened at teardown, so that no feeding thread outlives the test."""
    feeders: list[tuple[Path, threading.Thread]] = []

    def make(name: str, data: bytes | None = None) -> Path:
        path = tmp_path / name
        os.mkfifo(path)
        if data is not None:

            def feed() -> None:
                try:
                    with open(path, "wb") as pipe:
                        pipe.write(data)
                except BrokenPipeError:  # the reader stopped early, as a capped read does
                    pass

            thread = threading.Thread(target=feed, daemon=True)
            thread.start()
            feeders.append((path, thread))
        return path

    yield make
    for path, thread in feeders:
        for _ in range(100):
            if not thread.is_alive():
                break
            reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            thread.join(0.05)
            os.close(reader)
