"""``spawn_serve``: ``everflow-mock serve`` in a child process, ready when it returns.

What the server prints is read as it comes (it writes an access line per request, and a
pipe nobody reads would soon block it) and kept for the caller: ``Spawned.output``.
"""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, cast

KEPT_LINES = 10_000
"""Lines of output kept per stream, newest last."""


class ServeFailed(RuntimeError):
    """The server exited or did not answer in time; the message holds what it printed."""


class _Drain:
    """Reads a stream to its end in a thread, keeping the last ``KEPT_LINES`` lines."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: collections.deque[str] = collections.deque(maxlen=KEPT_LINES)
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        stream.close()

    def text(self) -> str:
        with self._changed:
            return "".join(self._lines)

    def wait_for(self, found: Callable[[str], bool], timeout: float) -> str:
        """Wait until ``found(text so far)``; returns the text, or raises ``TimeoutError``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not found(text := "".join(self._lines)):
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    raise TimeoutError(f"not seen in {timeout:g} s; output so far:\n{text}")
                self._changed.wait(min(left, 0.5))
            return text

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


@dataclass
class Spawned:
    """A running ``everflow-mock serve``: its root URL (no path), API URL and process."""

    root: str
    process: subprocess.Popen[str]
    _out: _Drain = field(repr=False)
    _err: _Drain = field(repr=False)

    @property
    def url(self) -> str:
        """The API base URL, ending in ``/v1``."""
        return self.root + "/v1"

    def output(self) -> str:
        """What the server has printed on stdout so far (the last ``KEPT_LINES`` lines)."""
        return self._out.text()

    def errors(self) -> str:
        """What the server has printed on stderr so far."""
        return self._err.text()

    def wait_for_output(self, text: str, timeout: float = 30.0) -> str:
        """Wait until stdout holds ``text`` (an access line is written after its answer)."""
        return self._out.wait_for(lambda out: text in out, timeout)

    def stop(self, how: int = signal.SIGINT, timeout: float = 30.0) -> tuple[int, str, str]:
        """Stop the server with ``how`` (Ctrl-C's SIGINT by default), by force if it takes
        longer than ``timeout``; returns its exit code, stdout and stderr."""
        if self.process.poll() is None:
            self.process.send_signal(how)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait(timeout)
        self._out.join(timeout)
        self._err.join(timeout)
        return code, self.output(), self.errors()


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def spawn_serve(
    *args: str, timeout: float = 60.0, port: int | None = None, ignore_sigint: bool = False
) -> Iterator[Spawned]:
    """Start ``everflow-mock serve ARGS`` on a free loopback port (or ``port``), as a user
    would, and wait until its health endpoint answers; stop it on exit if it still runs.

    ``ignore_sigint`` starts it with Ctrl-C ignored, as ``nohup`` or ``&`` in a script do.
    """
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding="utf-8",
        errors="replace",  # a reader thread that died on a bad byte would let the pipe fill
        start_new_session=True,  # its own process group, so workers can be stopped with it
        preexec_fn=_ignore_sigint if ignore_sigint else None,
    )
    out, err = cast("IO[str]", process.stdout), cast("IO[str]", process.stderr)  # PIPEs
    spawned = Spawned(f"http://127.0.0.1:{port}", process, _Drain(out), _Drain(err))
    try:
        _wait_until_answering(spawned, timeout)
        yield spawned
    finally:
        if process.poll() is None:
            spawned.stop()


# Straight to loopback, whatever proxy the environment names.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _wait_until_answering(spawned: Spawned, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with _DIRECT.open(spawned.root + "/__admin/health", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers, if not with 200: the caller will see
        except OSError:  # refused, reset, timed out (URLError is an OSError)
            if spawned.process.poll() is not None or time.monotonic() > deadline:
                code, out, err = spawned.stop()
                raise ServeFailed(
                    f"everflow-mock serve exited with {code} or did not answer in "
                    f"{timeout:g} s\n{out}{err}"
                ) from None
            time.sleep(0.05)
