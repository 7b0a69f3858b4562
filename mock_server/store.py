"""The postbacks the mock serves, each validated once, when it enters the store."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from mock_server.records import InvalidRecords, RecordProblem, check_records


def encode(body: Any) -> bytes:
    """The compact JSON bytes the mock sends for a body."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class PostbackStore:
    """Postbacks by id, held as ready-to-send JSON bytes that are known to obey the spec.

    Every way in (start data, ``put``) validates; serving never does, which is what keeps a
    hit cheap. ``reset`` returns to the start data.
    """

    def __init__(self, initial: Sequence[dict[str, Any]]) -> None:
        problems = check_records(initial)
        if problems:
            raise InvalidRecords(problems, len(initial))
        self._initial = {body["network_pixel_id"]: encode(body) for body in initial}
        self._items = dict(self._initial)
        self._lock = threading.Lock()

    def get(self, pixel_id: int) -> bytes | None:
        """The stored body for ``pixel_id``, or ``None``."""
        return self._items.get(pixel_id)

    def put(self, pixel_id: int, body: Any) -> bool:
        """Store ``body`` under ``pixel_id`` (its ``network_pixel_id`` must agree, or be absent).

        Returns whether it is new; raises ``InvalidRecords`` when it breaks the spec.
        """
        if isinstance(body, dict) and "network_pixel_id" not in body:
            body = {"network_pixel_id": pixel_id, **body}
        problems = check_records([body])
        problem = problems[0] if problems else RecordProblem(0, pixel_id)
        if isinstance(body, dict) and body.get("network_pixel_id") != pixel_id:
            found = body.get("network_pixel_id")
            problem.notes.append(f"$.network_pixel_id: {found!r} differs from the id {pixel_id}")
        if problem.notes or problem.violations:
            raise InvalidRecords([problem], 1)
        data = encode(body)
        with self._lock:
            created = pixel_id not in self._items
            self._items[pixel_id] = data
        return created

    def delete(self, pixel_id: int) -> bool:
        """Remove ``pixel_id``; returns whether it was there."""
        with self._lock:
            return self._items.pop(pixel_id, None) is not None

    def reset(self) -> None:
        """Back to the start data."""
        with self._lock:
            self._items = dict(self._initial)

    def ids(self) -> list[int]:
        """Every stored id, ascending."""
        return sorted(self._items)

    def __len__(self) -> int:
        return len(self._items)
