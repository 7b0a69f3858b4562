"""Per-request controls in Prism's vocabulary: the ``Prefer`` header and its query twins.

``Prefer: code=404, example=NAME, dynamic=true, seed=7, delay=250, fault=reset``; without a
``Prefer`` header the same names with two leading underscores are read from the query
string (``?__code=404``). Unknown preferences are ignored, as RFC 7240 asks.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, NamedTuple

from mock_server.core.errors import ControlError

FAULTS = ("reset", "empty", "malformed")
NO_ANSWER_FAULTS = frozenset({"reset", "empty"})
"""The faults after which a client has no answer at all (journaled with no status)."""
MAX_DELAY_MS = 60_000
"""The longest delay the mock waits, whoever asks (``Prefer: delay``, ``--delay``, the marker)."""
MAX_DIGITS = 20
"""The most digits a number read from a request may have (a control, a path's id): int64's
19 and one more, so that a number just past a range is read and refused by its bounds, and
never so many that Python refuses to turn them into an int."""


class Controls(NamedTuple):
    """What a request asked the mock to do beyond answering normally."""

    code: int | None = None
    example: str | None = None
    dynamic: bool | None = None
    seed: int | None = None
    delay_ms: int = 0
    fault: str | None = None


NONE = Controls()


def _integer(name: str, text: str, low: int, high: int) -> int:
    digits = len(str(high))
    if (
        not (text.isascii() and text.isdigit() and len(text) <= digits)
        or not low <= int(text) <= high
    ):
        raise ControlError(name, text, f"an integer from {low} to {high}")
    return int(text)


def _boolean(name: str, text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ControlError(name, text, "true or false")
    return lowered == "true"


def _one_of(name: str, text: str, allowed: Collection[str], expected: str = "") -> str:
    if text not in allowed:
        raise ControlError(name, text, expected or "one of " + ", ".join(sorted(allowed)))
    return text


def parse_prefer(header: str) -> dict[str, str]:
    """``'code=404, example="a"'`` -> ``{"code": "404", "example": "a"}``."""
    found: dict[str, str] = {}
    for item in header.replace(";", ",").split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            found[name.strip().lower()] = value.strip().strip('"')
    return found


class ControlParser:
    """Reads controls for one spec: which status codes and examples exist."""

    def __init__(self, codes: Collection[int], examples: Collection[str]) -> None:
        self.codes = frozenset(codes)
        self.examples = frozenset(examples)
        codes_text = ", ".join(str(c) for c in sorted(self.codes))
        code_texts = frozenset(map(str, self.codes))
        expected_code = f"a documented status or a gateway's: {codes_text}"
        self._readers: dict[str, Callable[[str], Any]] = {
            "code": lambda t: int(_one_of("code", t, code_texts, expected_code)),
            "example": lambda t: _one_of("example", t, self.examples),
            "dynamic": lambda t: _boolean("dynamic", t),
            "seed": lambda t: _integer("seed", t, 0, 2**63 - 1),
            # Any delay of up to MAX_DIGITS digits is served, longer ones as MAX_DELAY_MS.
            "delay": lambda t: _integer("delay", t, 0, 10**MAX_DIGITS - 1),
            "fault": lambda t: _one_of("fault", t, FAULTS),
        }

    def parse(self, prefer: str | None, query: Mapping[str, str]) -> Controls:
        """The request's controls; raises ``ControlError`` for an invalid value."""
        if prefer is not None:
            raw = parse_prefer(prefer)
        else:
            raw = {k[2:]: v for k, v in query.items() if k.startswith("__")}
        if not raw:
            return NONE
        values = {
            name: self._readers[name](text) for name, text in raw.items() if name in self._readers
        }
        if "delay" in values:
            values["delay_ms"] = min(values.pop("delay"), MAX_DELAY_MS)
        return Controls(**values)
