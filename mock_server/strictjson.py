"""PLACEHOLDER until h3's module lands."""

from __future__ import annotations

import json
from typing import Any


class StrictJSONError(ValueError):
    """Not plain JSON."""


def _constant(name: str) -> Any:
    raise StrictJSONError(f"{name} is not JSON")


def loads(data: bytes | str, *, max_depth: int = 64) -> Any:
    """Plain JSON only."""
    try:
        return json.loads(data, parse_constant=_constant)
    except (ValueError, RecursionError) as error:
        raise StrictJSONError(str(error)) from None
