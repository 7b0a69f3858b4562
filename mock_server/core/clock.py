"""``Clock``: the time the mock writes into ``time_created`` and ``time_saved``.

Deterministic by default, so that two runs of the same requests store the same postbacks:
the clock starts at a fixed second and moves one second forward each time it is read (each
create or replace). ``MockConfig.clock`` starts it elsewhere, or makes it the wall clock.
"""

from __future__ import annotations

import threading
import time
from typing import Literal

DEFAULT_START = 1_767_312_000
"""Where the deterministic clock starts unless told: 2026-01-02T00:00:00Z, one day after the
newest time the factories give a postback (``fixtures.vocabulary.EPOCH_ANCHOR``; a test
holds the two together), so created postbacks are the newest. Written out so that
``MockConfig`` (and the CLI's ``--help``) need not import the factories."""

ClockSetting = int | Literal["now"] | None
"""``None``: deterministic from ``DEFAULT_START``; an int: deterministic from that Unix
second; ``"now"``: the wall clock."""


def parse_clock(text: str) -> ClockSetting:
    """``"now"`` or a Unix second (``"1767312000"``); ``ValueError`` naming the choices."""
    text = text.strip()
    if text.lower() == "now":
        return "now"
    if text.isascii() and text.isdigit() and len(text) <= 12:
        return int(text)
    raise ValueError(f"clock must be 'now' or Unix seconds (e.g. {DEFAULT_START}), not {text!r}")


class Clock:
    """Unix seconds for the mock's writes; ``reset`` starts a deterministic clock again."""

    def __init__(self, setting: ClockSetting = None) -> None:
        if isinstance(setting, bool) or not (
            setting is None or setting == "now" or (isinstance(setting, int) and setting >= 0)
        ):
            raise ValueError(f"clock must be None, 'now' or Unix seconds >= 0, not {setting!r}")
        self.wall = setting == "now"
        self.start = DEFAULT_START if setting is None or setting == "now" else setting
        self._next = self.start
        self._lock = threading.Lock()

    def now(self) -> int:
        """The current second: the wall clock's, or the deterministic clock's next tick."""
        if self.wall:
            return int(time.time())
        with self._lock:
            value = self._next
            self._next += 1
        return value

    def peek(self) -> int:
        """The current second without moving a deterministic clock (what firing measures
        its 72 hours of failures by, so that firing does not change what writes store)."""
        if self.wall:
            return int(time.time())
        with self._lock:
            return self._next

    def reset(self) -> None:
        """Back to the start (a wall clock is unaffected)."""
        with self._lock:
            self._next = self.start
