"""The postbacks the mock serves, each validated once, when it enters the store."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from mock_server.core.config import MockConfig
from mock_server.data.records import (
    MAX_ID,
    EncodedPostbacks,
    RecordChecker,
    encode_records,
)

if TYPE_CHECKING:
    from mock_server.state.index import Condition, PostbackIndex


class StoreFull(Exception):
    """A create would pass the store's bound, or there is no id left above those in use
    (the message says which; the pipeline answers it, ``Exchange._operate``)."""


class PostbackStore:
    """Postbacks by id, held as ready-to-send JSON bytes that are known to obey the spec.

    Every way in (start data, ``put``, ``put_many``, ``create``, ``update``) validates,
    once; serving never does, which is what keeps a hit cheap. Start data that is already
    ``EncodedPostbacks`` (a loaded data file) was validated when it was read and is taken as
    it is. ``reset`` returns to the start data.

    For list and search the store keeps a ``PostbackIndex`` (ids in order, ids by field
    value), built the first time a page is asked for and kept up to date on every change
    after that, so a mock that only serves single postbacks never pays for it. Pages are
    put together from the stored bytes, never re-encoded. Created ids are above every id
    stored since the start or the last reset, so a deleted id is never given out again.
    """

    def __init__(
        self,
        initial: Sequence[dict[str, Any]],
        max_postbacks: int = MockConfig.max_postbacks,
        max_bytes: int = MockConfig.max_store_bytes,
    ) -> None:
        start = initial if isinstance(initial, EncodedPostbacks) else encode_records(initial)
        self.max_postbacks = max_postbacks
        self.max_bytes = max_bytes
        self._initial = dict(start.encoded)
        self._initial_high = max(self._initial, default=0)
        self._initial_bytes = sum(map(len, self._initial.values()))
        self._initial_index: PostbackIndex | None = None
        self._items = dict(self._initial)
        self._bytes = self._initial_bytes
        self._high = self._initial_high
        self._index: PostbackIndex | None = None
        self._changed = False
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
        data = _admitted(pixel_id, body)
        with self._lock:
            created = pixel_id not in self._items
            self._keep(pixel_id, body, data)
        return created

    def put_many(self, bodies: Iterable[dict[str, Any]]) -> None:
        """Store every body under its ``network_pixel_id``; nothing is stored unless all are valid."""
        batch = list(bodies)
        encoded = encode_records(batch).encoded
        with self._lock:
            for body in batch:
                pixel_id = body["network_pixel_id"]
                self._keep(pixel_id, body, encoded[pixel_id])

    def create(self, make: Callable[[int], dict[str, Any]]) -> bytes:
        """Store ``make(pixel_id)`` under a new id (see the class); returns its bytes.

        Raises ``StoreFull`` past ``max_postbacks`` or ``max_bytes`` (or past the largest
        id) and ``InvalidRecords`` when the body breaks the spec (nothing is stored then).

        As in ``update``, ``make`` and the validation run without the store's lock; should
        another write take the id meanwhile, ``make`` runs again for the next one.
        """
        while True:
            self._check_room()
            high = self._high
            if high >= MAX_ID:
                raise StoreFull(f"No postback id is left above {MAX_ID}.")
            pixel_id = high + 1
            body = make(pixel_id)
            data = _admitted(pixel_id, body)
            with self._lock:
                if self._high != high:
                    continue
                self._check_room()
                self._keep(pixel_id, body, data)
            return data

    def update(
        self,
        pixel_id: int,
        change: Callable[[dict[str, Any]], dict[str, Any]],
        missing: bytes | None = None,
    ) -> bytes | None:
        """Store ``change(current)`` in place of the postback ``pixel_id``; returns its bytes.

        ``None`` when there is no such postback and no ``missing`` body to start from
        (``missing``: what a read of the id answers when nothing is stored, e.g. a
        generated postback; storing it grows the store, so ``StoreFull`` applies as to a
        create). Whatever ``change`` raises, and ``InvalidRecords`` for a result that
        breaks the spec, leave the store as it was.

        ``change`` and the validation run without the store's lock (a slow or re-entrant
        change cannot hold up other requests); the result is stored only if the postback is
        still the one ``change`` was given, else ``change`` runs again on the newer one.
        """
        while True:
            seen = self._items.get(pixel_id)
            current = missing if seen is None else seen
            if current is None:
                return None
            body = change(json.loads(current))
            data = _admitted(pixel_id, body)
            with self._lock:
                if self._items.get(pixel_id) is not seen:
                    continue
                if seen is None:
                    self._check_room()
                self._keep(pixel_id, body, data)
            return data

    def delete(self, pixel_id: int) -> bool:
        """Remove ``pixel_id``; returns whether it was there."""
        with self._lock:
            data = self._items.pop(pixel_id, None)
            if data is None:
                return False
            self._bytes -= len(data)
            if self._index is not None:
                self._index.remove(pixel_id)
            self._changed = True
            return True

    def reset(self) -> None:
        """Back to the start data."""
        with self._lock:
            if not self._changed:
                return
            self._items = dict(self._initial)
            self._bytes = self._initial_bytes
            self._high = self._initial_high
            self._index = None if self._initial_index is None else self._initial_index.copy()
            self._changed = False

    def page(
        self,
        conditions: Iterable[Condition],
        page: int,
        page_size: int,
        shape: Callable[[bytes], bytes] | None = None,
        order: tuple[str, bool] | None = None,
    ) -> bytes:
        """One page (1-based) of the postbacks that meet every condition, in ``order``
        (a field ``PostbackIndex.ordered`` takes and whether descending; ``None``: by id),
        as the JSON bytes of a ``PartnerPostbackPage`` (each postback through ``shape``
        when given: a search's rows). The page is cut after ordering."""
        start = (page - 1) * page_size
        with self._lock:
            index = self._indexed()
            matched = index.select(conditions)
            if order is not None:
                matched = index.ordered(matched, *order)
            total = len(matched)
            items = self._items
            bodies = [items[pixel_id] for pixel_id in matched[start : start + page_size]]
        if shape is not None:
            bodies = [shape(body) for body in bodies]
        paging = b'"paging":{"page":%d,"page_size":%d,"total_count":%d}' % (
            page,
            page_size,
            total,
        )
        return b'{"pixels":[' + b",".join(bodies) + b"]," + paging + b"}"

    def matching(self, conditions: Iterable[Condition]) -> list[bytes]:
        """The stored bodies that meet every condition, ordered by id (read through the
        list and search index, so firing a conversion never decodes the whole store)."""
        with self._lock:
            items = self._items
            return [items[pixel_id] for pixel_id in self._indexed().select(conditions)]

    def prepare(self) -> None:
        """Build the list and search index now rather than on the first list or search (a
        server does this before its workers start, so that they share it)."""
        with self._lock:
            self._indexed()

    def postbacks(self) -> list[dict[str, Any]]:
        """Every stored postback, decoded, ordered by id."""
        with self._lock:
            stored = [self._items[pixel_id] for pixel_id in sorted(self._items)]
        return [json.loads(data) for data in stored]

    def ids(self) -> list[int]:
        """Every stored id, ascending."""
        return sorted(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def _check_room(self) -> None:
        """``StoreFull`` unless one more postback fits (sure only with the lock held)."""
        if len(self._items) >= self.max_postbacks or self._bytes >= self.max_bytes:
            raise StoreFull(
                f"The mock holds its limit of {self.max_postbacks} postbacks or "
                f"{self.max_bytes} bytes; delete some or reset it."
            )

    def _keep(self, pixel_id: int, body: dict[str, Any], data: bytes) -> None:
        """Store validated ``data`` (``body`` encoded); the lock is held."""
        old = self._items.get(pixel_id)
        self._bytes += len(data) - (0 if old is None else len(old))
        self._items[pixel_id] = data
        if self._index is not None:
            self._index.add(pixel_id, body)
        self._high = max(self._high, pixel_id)
        self._changed = True

    def _indexed(self) -> PostbackIndex:
        """The index of what is stored, built now if it was not yet; the lock is held."""
        from mock_server.state.index import PostbackIndex  # a mock that only serves never needs it

        if self._index is None:
            if self._changed:
                self._index = PostbackIndex.of(self._items)
            else:
                if self._initial_index is None:
                    self._initial_index = PostbackIndex.of(self._initial)
                self._index = self._initial_index.copy()
        return self._index


def _admitted(pixel_id: int, body: Any) -> bytes:
    """``body`` encoded, or ``InvalidRecords`` naming how it breaks the spec or its id."""
    checker = RecordChecker()
    checker.add(body, expected_id=pixel_id)
    (data,) = checker.result().encoded.values()
    return data
