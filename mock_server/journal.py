"""A bounded journal of the requests the mock answered, with secrets masked."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

SECRET_HEADERS = frozenset({"x-eflow-api-key", "authorization", "cookie", "proxy-authorization"})
MASK = "********"


def mask_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict, with every secret-bearing value replaced by a fixed mask."""
    return {name: (MASK if name.lower() in SECRET_HEADERS else value) for name, value in headers}


def _header_name(environ_key: str) -> str:
    return environ_key[5:].replace("_", "-").title()


class Journal:
    """The most recent requests, oldest dropped first once ``size`` is reached.

    Recording keeps a reference to the request's WSGI environ; names are formatted and
    secrets masked only when the journal is read, which keeps recording off the hot path.
    """

    def __init__(self, size: int) -> None:
        self._entries: deque[tuple[float, Mapping[str, Any], int]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def record(self, environ: Mapping[str, Any], status: int) -> None:
        """Remember one answered request, from its WSGI environ."""
        # Keeping the environ itself costs nothing here; entries() reads it on the way out.
        with self._lock:
            self._entries.append((time.time(), environ, status))

    def entries(self) -> list[Mapping[str, Any]]:
        """The remembered requests, oldest first, with secret headers masked."""
        with self._lock:
            raw = list(self._entries)
        return [
            {
                "time": when,
                "method": kept.get("REQUEST_METHOD", ""),
                "path": kept.get("PATH_INFO", ""),
                "query": kept.get("QUERY_STRING", ""),
                "headers": mask_headers(
                    (_header_name(k), v) for k, v in kept.items() if k[:5] == "HTTP_"
                ),
                "status": status,
            }
            for when, kept, status in raw
        ]

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._entries.clear()
