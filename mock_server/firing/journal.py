"""The deliveries journal: what firing did with each postback that applied, bounded.

Each ``Delivery`` is ``pending`` until its answer or its end, then final; the journal keeps
the last ``size`` of them, each entry's rendered text at most ``TEXT_BYTES`` characters.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from openapi.text import cut as shortened

TEXT_BYTES = 16 * 1024
"""The most of a rendered delivery, in characters: rendering a postback URL, HTML code or
a platform event stops there (a longer postback URL is not sent), and a journal entry keeps
no more."""

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
REFUSED = "refused"
KEPT = "kept"
CANCELLED = "cancelled"


def cut(text: str, more: bool = False) -> str:
    """``text``, or its first ``TEXT_BYTES`` characters and a note when it is longer or when
    there was ``more`` of it (rendering stopped at ``TEXT_BYTES``)."""
    return shortened(text, TEXT_BYTES, noted=True, more=more)


@dataclass
class Delivery:
    """One postback fired for one conversion: what was rendered and what became of it.

    ``state``: ``pending`` (waiting for its delay or its answer), ``delivered`` (a 2xx),
    ``failed`` (connection error, timeout or another status), ``refused`` (not sent: not an
    allowed destination, a rendered URL longer than ``TEXT_BYTES``, or too many pending), ``kept`` (html and platform deliveries,
    which the mock renders and keeps but never sends), ``cancelled`` (a reset came first).
    """

    pixel_id: int
    delivery_method: str
    type: str
    method: str | None = None
    url: str | None = None
    html: str | None = None
    event: dict[str, Any] | None = None
    delay_ms: int = 0
    state: str = PENDING
    status: int | None = None
    ms: float | None = None
    error: str | None = None
    deactivated: bool = False
    id: int = 0
    generation: int = 0
    """The firing's reset count when it started: an outcome from before a reset is ignored."""
    done: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """The journal entry: plain JSON."""
        return {"id": self.id, **{name: getattr(self, name) for name in _JOURNALED}}


_JOURNALED = tuple(f.name for f in fields(Delivery) if f.name not in ("id", "generation", "done"))
"""What a journal entry holds after its ``id``: every field but the firing's own."""


class DeliveryJournal:
    """The most recent ``size`` deliveries, oldest dropped first; ids count up from 1."""

    def __init__(self, size: int) -> None:
        self._entries: deque[Delivery] = deque(maxlen=size)
        self._next_id = 1
        self._lock = threading.Lock()

    def add(self, delivery: Delivery) -> Delivery:
        """Journal ``delivery`` under the next id; finished at once if its state is final."""
        with self._lock:
            delivery.id = self._next_id
            self._next_id += 1
            self._entries.append(delivery)
        if delivery.state != PENDING:
            delivery.done.set()
        return delivery

    def finish(
        self,
        delivery: Delivery,
        state: str,
        status: int | None = None,
        ms: float | None = None,
        error: str | None = None,
    ) -> None:
        with self._lock:
            delivery.state, delivery.status, delivery.ms, delivery.error = state, status, ms, error
        delivery.done.set()

    def entries(self) -> list[dict[str, Any]]:
        """Every kept delivery, oldest first, as JSON."""
        return self.snapshot(self._entries)

    def snapshot(self, deliveries: Iterable[Delivery]) -> list[dict[str, Any]]:
        """``deliveries`` as JSON, read under the journal's lock (consistent entries)."""
        with self._lock:
            return [delivery.as_dict() for delivery in deliveries]

    def clear(self, restart_ids: bool = False) -> None:
        """Forget every delivery; ids go on counting (``DELETE /__admin/deliveries``) unless
        ``restart_ids`` (a reset: the next test sees ids from 1, whatever ran before)."""
        with self._lock:
            self._entries.clear()
            if restart_ids:
                self._next_id = 1


def wait(deliveries: Iterable[Delivery], timeout: float) -> bool:
    """Wait until every delivery has ended, at most ``timeout`` seconds; whether they did."""
    deadline = time.monotonic() + timeout
    return all(delivery.done.wait(max(0.0, deadline - time.monotonic())) for delivery in deliveries)
