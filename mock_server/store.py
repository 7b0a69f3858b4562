"""The postbacks the mock serves, each validated once, when it enters the store."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from mock_server.records import (
    EncodedPostbacks,
    RecordChecker,
    encode_records,
)
from mock_server.strictjson import dumps


def encode(body: Any) -> bytes:
    """The compact JSON bytes the mock sends for a body.

    Strict: ``StrictJSONError`` for anything plain JSON cannot carry (NaN, infinity, lone
    surrogates), so that the mock can never send invalid JSON.
    """
    return dumps(body)


class PostbackStore:
    """Postbacks by id, held as ready-to-send JSON bytes that are known to obey the spec.

    Every way in (start data, ``put``, ``put_many``) validates, once; serving never does,
    which is what keeps a hit cheap. Start data that is already ``EncodedPostbacks`` (a
    loaded data file) was validated when it was read and is taken as it is. ``reset``
    returns to the start data.
    """

    def __init__(self, initial: Sequence[dict[str, Any]]) -> None:
        start = initial if isinstance(initial, EncodedPostbacks) else encode_records(initial)
        self._initial = dict(start.encoded)
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
        checker = RecordChecker()
        checker.add(body, expected_id=pixel_id)
        (data,) = checker.result().encoded.values()
        with self._lock:
            created = pixel_id not in self._items
            self._items[pixel_id] = data
        return created

    def put_many(self, bodies: Iterable[dict[str, Any]]) -> None:
        """Store every body under its ``network_pixel_id``; nothing is stored unless all are valid."""
        encoded = encode_records(bodies).encoded
        with self._lock:
            self._items.update(encoded)

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
