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


class Journal:
    """The most recent requests, oldest dropped first once ``size`` is reached."""

    def __init__(self, size: int) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def record(
        self,
        method: str,
        path: str,
        query: str,
        headers: Iterable[tuple[str, str]],
        status: int,
    ) -> None:
        """Remember one answered request."""
        entry = {
            "time": time.time(),
            "method": method,
            "path": path,
            "query": query,
            "headers": mask_headers(headers),
            "status": status,
        }
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[Mapping[str, Any]]:
        """The remembered requests, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._entries.clear()
