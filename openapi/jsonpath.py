"""JSON paths (``$.relationship.offer.name``) that name a value in findings and error messages."""

from __future__ import annotations

import json
from collections.abc import Iterable

from openapi.text import cut

MAX_KEY_SHOWN = 60
"""Longer keys are cut in paths, so that a hostile key cannot make a message huge."""


def json_path(parts: Iterable[str | int]) -> str:
    """``$``-rooted JSON path of a value, e.g. ``$.relationship.offer.name`` or ``$.a[2]``."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        part = cut(part, MAX_KEY_SHOWN)
        out += f".{part if part.isprintable() else json.dumps(part)[1:-1]}"
    return out
