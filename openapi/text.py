"""How the kit shortens text it shows people: a value cut to a limit, a list cut to a count,
a count with its noun. Every message, report, journal entry and page of the kit shortens
through these, so a cut value always looks the same (``...``) wherever it is read."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["counted", "cut", "listed"]


def cut(text: str, limit: int, *, noted: bool = False, more: bool = False) -> str:
    """``text``, or its first ``limit`` characters and ``...`` when it is longer.

    ``noted`` adds how long it was (``... (2,048 characters, cut)``), for places where the
    size itself is worth reading (journals, deliveries); ``more`` says the caller stopped
    producing ``text`` at ``limit`` (so its whole length is unknown, only that it was longer).
    """
    if more:
        return f"{text[:limit]}... (more than {limit:,} characters, cut)"
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters, cut)" if noted else text[:limit] + "..."


def listed(items: Sequence[str], most: int, separator: str = "; ") -> str:
    """The first ``most`` of ``items`` joined by ``separator``, and how many more there are."""
    shown = separator.join(items[:most])
    left = len(items) - most
    return shown + (f" (and {left} more)" if left > 0 else "")


def counted(n: int, noun: str) -> str:
    """``n`` and ``noun``, plural unless ``n`` is 1: ``1 error``, ``3 errors``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
