"""A bounded journal of the requests the mock answered, with secrets masked."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

SECRET_HEADERS = frozenset({"x-eflow-api-key", "authorization", "cookie", "proxy-authorization"})
MASK = "********"
ENTRY_BYTES = 16 * 1024
"""The most one entry may hold; past it, long values are cut (a note says how long they were)."""
VALUE_BYTES = 1024
"""How much of one long header value, path or query an oversized entry keeps."""
_OVERHEAD = 256  # what an entry costs beyond its strings, roughly


def mask_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict, with every secret-bearing value replaced by a fixed mask."""
    return {name: (MASK if name.lower() in SECRET_HEADERS else value) for name, value in headers}


def _header_name(environ_key: str) -> str:
    return environ_key[5:].replace("_", "-").title()


def _cut(value: str) -> str:
    if len(value) <= VALUE_BYTES:
        return value
    return f"{value[:VALUE_BYTES]}... ({len(value)} characters, cut)"


_Entry = tuple[float, str, str, str, list[tuple[str, str]], int, int, str | None]


class Journal:
    """The most recent requests: at most ``size`` entries and ``max_bytes`` in all, oldest
    dropped first. An entry larger than ``ENTRY_BYTES`` keeps only the start of its long
    values, so one request with huge headers cannot crowd out the rest.

    Recording copies only the request line and the ``HTTP_*`` headers of the environ (never
    the body); names are formatted and secrets masked when the journal is read.
    """

    def __init__(self, size: int, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: deque[_Entry] = deque(maxlen=size)
        self._bytes = 0
        self._lock = threading.Lock()

    def record(self, environ: Mapping[str, Any], status: int, warning: str | None = None) -> None:
        """Remember one answered request, from its WSGI environ, with the warning its
        answer carried (``X-Everflow-Mock-Warning``: what the mock did not read)."""
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        headers: list[tuple[str, str]] = []
        size = _OVERHEAD + len(path) + len(query) + len(warning or "")
        for name, value in environ.items():
            if name[:5] == "HTTP_":
                headers.append((name, value))
                size += len(name) + len(value)
        if size > ENTRY_BYTES:
            path, query = _cut(path), _cut(query)
            headers = [(k, _cut(v)) for k, v in headers[:64]]
            size = _OVERHEAD + len(path) + len(query) + sum(len(k) + len(v) for k, v in headers)
            size += len(warning or "")
        method = environ.get("REQUEST_METHOD", "")
        entry = (time.time(), method, path, query, headers, status, size, warning)
        with self._lock:
            entries = self._entries
            if len(entries) == entries.maxlen:
                self._bytes -= entries[0][6]
            entries.append(entry)
            self._bytes += size
            while self._bytes > self.max_bytes and len(entries) > 1:
                self._bytes -= entries.popleft()[6]

    @property
    def bytes(self) -> int:
        """Roughly how much memory the entries hold."""
        return self._bytes

    def entries(self) -> list[Mapping[str, Any]]:
        """The remembered requests, oldest first, with secret headers masked."""
        with self._lock:
            raw = list(self._entries)
        return [
            {
                "time": when,
                "method": method,
                "path": path,
                "query": query,
                "headers": mask_headers((_header_name(k), v) for k, v in headers),
                "status": status,
                **({"warning": warning} if warning else {}),
            }
            for when, method, path, query, headers, status, _, warning in raw
        ]

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
