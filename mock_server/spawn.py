"""``spawn_serve``: ``everflow-mock serve`` in a child process, ready when it returns."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx


class ServeFailed(RuntimeError):
    """The server exited or did not answer in time; the message holds what it printed."""


@dataclass(frozen=True)
class Spawned:
    """A running ``everflow-mock serve``: its root URL (no path), API URL and process."""

    root: str
    process: subprocess.Popen[str]

    @property
    def url(self) -> str:
        """The API base URL, ending in ``/v1``."""
        return self.root + "/v1"


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def spawn_serve(*args: str, timeout: float = 30.0) -> Iterator[Spawned]:
    """Start ``everflow-mock serve ARGS`` on a free loopback port, as a user would, and wait
    until its health endpoint answers; kill it on exit if it is still running."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so workers can be stopped with it
    )
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(root + "/__admin/health", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise ServeFailed(_stop(process)) from None
                time.sleep(0.05)
        yield Spawned(root, process)
    finally:
        if process.poll() is None:
            _stop(process)


def _stop(process: subprocess.Popen[str]) -> str:
    """Stop the server as Ctrl-C would, then by force; returns what it wrote to stderr."""
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=15)[1]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.communicate(timeout=15)[1]
