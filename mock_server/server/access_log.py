"""What ``everflow-mock serve`` prints while it runs: one access line per request, and the
server's own warnings without the noise.

An access line says when, which method and path, the status and how long the answer took::

    [2025-06-01 12:00:00 +0000] GET /v1/networks/pixels/3 200 0.42 ms

and, when the answer carried ``X-Everflow-Mock-Warning`` (part of the request was not read),
that warning after it: ``... 200 0.42 ms warning: ignored query parameter pge (...)``.

It never shows the query string or any header, so never an API key or a token. The line
is granian's access-log format (``time``, ``method``, ``path``, ``status``, ``dt_ms``) but
written by :class:`AccessLines`, behind :class:`AccessLog` for granian and waitress alike:
granian's own access log goes through the ``logging`` module, about 30 us a request (as long
as the mock takes to answer one) where this takes a few.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mock_server.core.mock_warning import warning_of
from openapi.remote.masking import printable as escaped
from openapi.text import cut

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

TIME_FORMAT = "%Y-%m-%d %H:%M:%S %z"
"""The ``time`` of an access line, as granian formats it."""

MAX_PATH = 200
"""Characters of a path printed before it is cut: a hostile client must not fill the console
(and a line stays shorter than a pipe's atomic write, so lines of concurrent requests and
workers never interleave)."""

MAX_METHOD = 20
"""Characters of a method printed before it is cut (HTTP's own are at most 7; a client may
send any token)."""

_HIDDEN_WARNINGS = {  # granian_logging's filters: name -> the text of the hidden message
    "hide_thread_count_warning": "Python threads, which seems quite high",
    "hide_kill_warning": "after it refused to gracefully stop",
}


def printable(text: str, limit: int = MAX_PATH) -> str:
    """``text`` cut to ``limit`` characters (ending in ``...``), with unprintable
    characters written as Python escapes: a request cannot forge or garble console lines
    (``GET /%0a[...] fake line`` arrives as a decoded newline)."""
    return escaped(cut(text, limit))


def stdout_writer() -> Callable[[bytes], object]:
    """Writes bytes to stdout at once, one system call a line (atomic on a pipe)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by something without a file
        return _write_text
    return functools.partial(os.write, fd)


def _write_text(data: bytes) -> object:
    sys.stdout.write(data.decode())
    return sys.stdout.flush()


class AccessLines:
    """Writes access lines; shared by the WSGI middleware and any other front.

    When stdout is gone (``serve | head``), the lines stop and the server goes on.
    """

    def __init__(self, write: Callable[[bytes], object] | None = None) -> None:
        self._write: Callable[[bytes], object] | None = write or stdout_writer()
        self._stamp = (-1, "")  # (second, its time text): formatted once a second

    def log(
        self,
        method: str,
        path: str,
        status: int,
        started: float,
        clock: float,
        warning: str | None = None,
    ) -> None:
        """One line for a request that came in at ``started`` (``time.time()``) and
        ``clock`` (``time.perf_counter()``) and was answered with ``status`` just now,
        with the answer's warning, if any."""
        write = self._write
        if write is None:
            return
        elapsed_ms = (time.perf_counter() - clock) * 1000
        second, stamp = self._stamp
        if int(started) != second:
            stamp = time.strftime(TIME_FORMAT, time.localtime(started))
            self._stamp = (int(started), stamp)
        if len(path) > MAX_PATH or not path.isprintable():
            path = printable(path)
        if len(method) > MAX_METHOD or not method.isprintable():
            method = printable(method, MAX_METHOD)
        said = f" warning: {printable(warning)}" if warning else ""
        line = f"[{stamp}] {method} {path} {status} {elapsed_ms:.2f} ms{said}\n"
        try:
            write(line.encode("utf-8", "backslashreplace"))
        except OSError:
            self._write = None


class AccessLog:
    """WSGI middleware that writes one access line per request.

    The time is taken until the application returns its answer, as granian takes it; a
    request whose application fails is logged with status 500, which is what the servers
    send.
    """

    def __init__(
        self, app: WSGIApplication, write: Callable[[bytes], object] | None = None
    ) -> None:
        self.app = app
        self.lines = AccessLines(write)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started, clock = time.time(), time.perf_counter()
        status = 500
        warning: str | None = None

        def recording_start_response(
            line: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            nonlocal status, warning
            status = int(line[:3])
            warning = warning_of(headers)
            return start_response(line, headers, exc_info)

        try:
            return self.app(environ, recording_start_response)
        finally:
            method, path = environ.get("REQUEST_METHOD", "-"), environ.get("PATH_INFO") or "/"
            self.lines.log(method, path, status, started, clock, warning)


class _StatusOf:
    """An RSGI protocol that remembers the status it answered with, and its warning."""

    __slots__ = ("inner", "status", "warning")

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.status = 500
        self.warning: str | None = None

    def __aiter__(self) -> Any:
        return self.inner.__aiter__()

    def response_bytes(self, status: int, headers: Any, body: bytes) -> None:
        self.status = status
        self.warning = warning_of(headers)
        self.inner.response_bytes(status, headers, body)

    def response_stream(self, status: int, headers: Any) -> Any:
        self.status = status
        return self.inner.response_stream(status, headers)


class RsgiAccessLog:
    """RSGI middleware that writes one access line per HTTP request, as :class:`AccessLog`
    does for WSGI; the time runs until the answer was handed to the server."""

    def __init__(self, app: Any, write: Callable[[bytes], object] | None = None) -> None:
        self.app = app
        self.lines = AccessLines(write)

    def __rsgi_init__(self, loop: Any) -> None:
        """Let the app prepare the worker's loop, as it would without the log."""
        init = getattr(self.app, "__rsgi_init__", None)
        if init is not None:
            init(loop)

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        """Answer through the app, then write the line."""
        started, clock = time.time(), time.perf_counter()
        recorded = _StatusOf(protocol)
        try:
            await self.app.__rsgi__(scope, recorded)
        finally:
            path = scope.path or "/"
            self.lines.log(scope.method, path, recorded.status, started, clock, recorded.warning)


def with_access_log(loader: Callable[[], WSGIApplication]) -> WSGIApplication:
    """``loader``'s app behind an :class:`AccessLog`: a granian worker's loader (a
    module-level function, so that it pickles where workers are spawned, not forked)."""
    return AccessLog(loader())


def granian_logging() -> dict[str, Any]:
    """granian's ``log_dictconfig``: its console on stdout, without the reports of injected
    faults, the warning that the thread count is high for the cores the machine has
    (``serve`` chooses it on purpose: ``--threads``) or that a worker was killed after
    ``serve.STOP_SECONDS`` (that is how a stop ends answers still in flight)."""
    return {
        "formatters": {
            "generic": {"format": "[%(levelname)s] %(message)s"},
            "access": {"format": "%(message)s"},
        },
        "filters": {
            "hide_injected_faults": {"()": "mock_server.core.faults.HideInjectedFaults"},
            **{
                name: {"()": "mock_server.server.access_log.HideMessage", "text": text}
                for name, text in _HIDDEN_WARNINGS.items()
            },
        },
        "handlers": {
            "console": {
                "formatter": "generic",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "filters": ["hide_injected_faults", *_HIDDEN_WARNINGS],
            },
            # Unused (serve writes its own access lines) but named by granian's loggers.
            "access": {
                "formatter": "access",
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
            },
        },
    }


class HideMessage(logging.Filter):
    """A logging filter that drops records whose message contains ``text``."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()
