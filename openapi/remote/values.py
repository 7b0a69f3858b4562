"""Option values the commands that call the real API share (``everflow-contract``, and
``everflow-mock proxy`` and ``record``), as argparse types. Standard library only, so that
``--help`` stays quick."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import TypeVar

Number = TypeVar("Number", int, float)


def pixel_ids(text: str) -> list[int]:
    """``12``, ``12,34`` or ``12 34`` as pixel ids: positive integers, at least one."""
    try:
        ids = [int(part) for part in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"pixel ids must be integers, not {text[:40]!r}") from None
    if not ids or any(i < 1 for i in ids):
        raise argparse.ArgumentTypeError(f"pixel ids must be positive, not {text[:40]!r}")
    return ids


def number(
    kind: Callable[[str], Number], minimum: Number, inclusive: bool
) -> Callable[[str], Number]:
    """An argparse type: a finite number above (or from) ``minimum``."""
    bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"

    def parse(text: str) -> Number:
        try:
            value = kind(text)
            if math.isfinite(value) and (value > minimum or (value == minimum and inclusive)):
                return value
        except ValueError:
            pass
        raise argparse.ArgumentTypeError(f"must be a number {bound}, not {text[:40]!r}")

    return parse


positive = number(float, 0.0, inclusive=False)
"""A rate a second, or seconds: a finite number above 0."""
