"""Strict JSON out: only plain JSON can be sent.

``dumps`` refuses to write anything plain JSON cannot carry (NaN, infinity, lone surrogates,
keys that are not strings, non-JSON types), raising ``StrictJSONError`` naming the JSON
path, so that invalid JSON can never go out.
"""

from __future__ import annotations

import json
import math
from typing import Any

from mock_server.data.strictjson import SURROGATE, StrictJSONError
from openapi.jsonpath import json_path

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_PLAIN = (str, int, float, bool, type(None), dict, list, tuple)
_KEYS = (str, int, float, bool, type(None))  # json writes the others as strings


def _unsendable(root: Any) -> tuple[str, str] | None:
    """The path and problem of the first value in ``root`` that plain JSON cannot carry."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, where = stack.pop()
        problem = None
        if not isinstance(node, _PLAIN):
            problem = f"a {type(node).__name__} is not a JSON value"
        elif isinstance(node, float) and not math.isfinite(node):
            problem = f"{node} is not JSON (plain JSON has no NaN or infinity)"
        elif isinstance(node, str) and SURROGATE.search(node):
            problem = "not valid Unicode (a lone UTF-16 surrogate)"
        if problem:
            return json_path(where), problem
        if isinstance(node, (dict, list, tuple)):
            if id(node) in seen:
                continue
            seen.add(id(node))
        if isinstance(node, dict):
            for key in node:
                if isinstance(key, str) and SURROGATE.search(key):
                    return json_path((*where, key)), "key is not valid Unicode (a lone surrogate)"
                if not isinstance(key, _KEYS):
                    return json_path(where), f"a key of type {type(key).__name__} is not JSON"
            stack.extend((v, (*where, k)) for k, v in reversed(node.items()))
        elif isinstance(node, (list, tuple)):
            stack.extend((v, (*where, i)) for i, v in reversed(list(enumerate(node))))
    return None


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON bytes, ready to send.

    Raises ``StrictJSONError`` naming the path for anything plain JSON cannot carry (NaN,
    infinity, lone surrogates, keys that are not strings, non-JSON types), so that invalid
    JSON can never go out.
    """
    try:
        return _ENCODER.encode(value).encode()
    except (ValueError, TypeError, UnicodeEncodeError, RecursionError) as error:
        found = _unsendable(value)
        if found is None:
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            raise StrictJSONError("$", f"cannot be sent as JSON: {reason}") from None
        raise StrictJSONError(*found) from None
