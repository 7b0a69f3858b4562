"""Strict JSON, in and out: only plain JSON is read, and only plain JSON is sent.

In, Python's ``json`` reads ``NaN`` and ``Infinity``, keeps the last of two equal keys, reads
``1e999`` as infinity and lone UTF-16 surrogates (``"\\ud800"``) as strings that cannot be
encoded again, and overflows its stack on deep nesting. Whatever the mock accepts it must be
able to send back as valid JSON, so ``loads`` refuses all of these, raising
``StrictJSONError``, whose message names the JSON path of the value and the problem.

Out, ``dumps`` refuses to write anything plain JSON cannot carry (NaN, infinity, lone
surrogates, keys that are not strings, non-JSON types), raising the same error naming the
JSON path, so that invalid JSON can never go out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from openapi.jsonpath import json_path

MAX_DEPTH = 64
"""Default limit on nested objects and arrays; a postback needs five."""

_WHITESPACE = re.compile(r"[ \t\n\r]*")
SURROGATE = re.compile("[\ud800-\udfff]")
"""A lone UTF-16 surrogate: text that cannot be encoded again."""
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]')
_KINDS = {"{": "an object", '"': "a string", "t": "a boolean", "f": "a boolean", "n": "null"}


class StrictJSONError(ValueError):
    """Input that is not plain JSON, or a value that cannot be sent as plain JSON.

    ``path`` is the JSON path of the offending value (``$`` for the whole document) and
    ``problem`` says what is wrong with it; the message is ``"<path>: <problem>"``.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class _NotJSON:
    """Stands in, during one parse, for a value that plain JSON does not have."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


class _Reader:
    """One strict parse: the hooks note what is not plain JSON, a walk afterwards says where.

    The hooks cannot know where they are, so they leave markers (a ``_NotJSON`` value, the
    id of an object with a repeated key) and a flag; only a document that raised the flag
    pays for the walk that turns a marker into a path.
    """

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.suspect = False
        self.repeated: dict[int, str] = {}
        self.decoder = json.JSONDecoder(
            object_pairs_hook=self._object,
            parse_constant=self._constant,
            parse_float=self._float,
        )

    def _object(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.repeated[id(obj)] = key
                    break
                seen.add(key)
            self.suspect = True
        return obj

    def _constant(self, name: str) -> _NotJSON:
        self.suspect = True
        return _NotJSON(f"{name} is not JSON (plain JSON has no NaN or infinity)")

    def _float(self, text: str) -> float | _NotJSON:
        value = float(text)
        if math.isfinite(value):
            return value
        self.suspect = True
        return _NotJSON(f"{text} is too large for a JSON number")

    def value_at(
        self, text: str, start: int, parts: tuple[str | int, ...] = (), depth: int = 0
    ) -> tuple[Any, int, StrictJSONError | None]:
        """The value that starts at ``start``, where it ends, and why it is not plain JSON.

        ``parts`` is the value's path and ``depth`` the containers it is inside. The value
        comes even with a problem (with placeholders where it is not plain JSON), only so
        that a caller can name it. Malformed JSON, which leaves nothing after it readable,
        raises ``StrictJSONError``.
        """
        self.suspect = False
        self.repeated.clear()
        try:
            value, end = self.decoder.raw_decode(text, start)
        except json.JSONDecodeError as error:
            raise StrictJSONError(json_path(parts), f"not valid JSON: {error}") from None
        except RecursionError:
            where = _deep_path(text, start, parts, self.max_depth - depth)
            raise StrictJSONError(where, self._too_deep()) from None
        except ValueError:  # the only other: an integer longer than Python will convert
            problem = "a number with more digits than Python reads (4,300 by default)"
            raise StrictJSONError(json_path(parts), problem) from None
        suspect = self.suspect or _SURROGATE_ESCAPE.search(text, start, end) is not None
        if not suspect and not _deeper_than(value, self.max_depth - depth):
            return value, end, None
        return value, end, self._first_problem(value, parts, depth)

    def _too_deep(self) -> str:
        return f"nested deeper than {self.max_depth} levels of objects and arrays"

    def _first_problem(
        self, root: Any, parts: tuple[str | int, ...], depth: int
    ) -> StrictJSONError | None:
        stack: list[tuple[Any, tuple[str | int, ...]]] = [(root, parts)]
        limit = self.max_depth - depth + len(parts)  # the longest path a container may have
        while stack:
            node, where = stack.pop()
            problem = None
            if isinstance(node, _NotJSON):
                problem = node.problem
            elif isinstance(node, str) and SURROGATE.search(node):
                problem = "not valid Unicode (a lone UTF-16 surrogate)"
            elif isinstance(node, (dict, list)) and len(where) >= limit:
                problem = self._too_deep()
            if problem:
                return StrictJSONError(json_path(where), problem)
            if isinstance(node, dict):
                repeated = self.repeated.get(id(node))
                if repeated is not None:
                    return StrictJSONError(json_path((*where, repeated)), "key appears twice")
                bad_key = next((k for k in node if SURROGATE.search(k)), None)
                if bad_key is not None:
                    problem = "key is not valid Unicode (a lone UTF-16 surrogate)"
                    return StrictJSONError(json_path((*where, bad_key)), problem)
                stack.extend((v, (*where, k)) for k, v in reversed(node.items()))
            elif isinstance(node, list):
                stack.extend((v, (*where, i)) for i, v in reversed(list(enumerate(node))))
        return None


def _deeper_than(root: Any, limit: int) -> bool:
    """Whether ``root`` nests more than ``limit`` objects and arrays; no recursion."""
    if type(root) is not dict and type(root) is not list:
        return False
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if type(node) is dict else node:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return False


def _deep_path(text: str, start: int, parts: tuple[str | int, ...], limit: int) -> str:
    """The path of the first container nested more than ``limit`` deep in the value at
    ``start`` (whose path is ``parts``), read from the tokens.

    Used only when the parser itself gave up on the nesting, so the cost is paid only by
    documents that are refused anyway.
    """
    frames: list[list[Any]] = []  # [is_object, current key or index]
    for match in _TOKEN.finditer(text, start):
        token = match.group()
        if token in "[{":
            if len(frames) >= limit:
                break
            frames.append([token == "{", None if token == "{" else 0])
        elif token in "]}":
            if not frames:
                break
            frames.pop()
        elif token == "," and frames:
            if frames[-1][0]:
                frames[-1][1] = None
            else:
                frames[-1][1] += 1
        elif token.startswith('"') and frames and frames[-1][0] and frames[-1][1] is None:
            try:
                frames[-1][1] = json.loads(token)
            except ValueError:
                frames[-1][1] = token
        if not frames:
            break
    return json_path((*parts, *(frame[1] for frame in frames if frame[1] is not None)))


def _text(data: bytes | str) -> str:
    if isinstance(data, str):
        if not data.isascii() and SURROGATE.search(data):
            raise StrictJSONError("$", "not valid Unicode (a lone UTF-16 surrogate)")
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StrictJSONError("$", f"not UTF-8 (byte {error.start})") from None


def _skip(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _trailing(text: str, pos: int, parts: tuple[str | int, ...]) -> StrictJSONError:
    where = json.JSONDecodeError("Extra data", text, pos)
    return StrictJSONError(json_path(parts), f"not valid JSON: {where}")


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """The plain JSON value in ``data`` (UTF-8 bytes or text); ``StrictJSONError`` for
    malformed JSON, what the module names, and more than ``max_depth`` levels of nesting."""
    text = _text(data)
    reader = _Reader(max_depth)
    value, end, problem = reader.value_at(text, _skip(text, 0))
    if problem:
        raise problem
    end = _skip(text, end)
    if end != len(text):
        raise _trailing(text, end, ())
    return value


def iter_array(
    data: bytes | str, *, max_depth: int = MAX_DEPTH
) -> Iterator[tuple[Any, StrictJSONError | None]]:
    """Each element of a top-level JSON array, read one at a time, with its problem if any.

    Elements are decoded one by one, so a caller can turn each into something smaller
    before the next is read instead of holding the whole parsed array. An element that is
    well-formed but not plain JSON comes with its error, whose path is relative to the
    element (``$.delay_ms``), so that a caller can report every bad element at once; such
    an element is only good for naming it (it holds placeholders where it is not plain
    JSON). Malformed JSON raises ``StrictJSONError`` with a path in the whole document
    (``$[3]``), since nothing after it can be read. The array counts as one level of
    nesting.
    """
    text = _text(data)
    reader = _Reader(max_depth)
    pos = _skip(text, 0)
    if text[pos : pos + 1] != "[":
        first = text[pos : pos + 1]
        kind = _KINDS.get(first, "a number" if first and first in "-0123456789" else "")
        if not kind:
            error = json.JSONDecodeError("Expecting value", text, pos)
            raise StrictJSONError("$", f"not valid JSON: {error}")
        raise StrictJSONError("$", f"expected a JSON array, found {kind}")
    pos = _skip(text, pos + 1)
    index = 0
    if text[pos : pos + 1] == "]":
        pos += 1
    else:
        while True:
            try:
                value, pos, problem = reader.value_at(text, pos, (), 1)
            except StrictJSONError as error:
                raise StrictJSONError(f"$[{index}]{error.path[1:]}", error.problem) from None
            yield value, problem
            pos = _skip(text, pos)
            delimiter = text[pos : pos + 1]
            if delimiter == "]":
                pos += 1
                break
            if delimiter != ",":
                where = json.JSONDecodeError("Expecting ',' delimiter", text, pos)
                raise StrictJSONError(json_path((index,)), f"not valid JSON: {where}")
            pos = _skip(text, pos + 1)
            index += 1
    pos = _skip(text, pos)
    if pos != len(text):
        raise _trailing(text, pos, ())


_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))
_ASCII_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
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
    """``value`` as compact UTF-8 JSON bytes, ready to send (``StrictJSONError``: see the
    module)."""
    try:
        return _ENCODER.encode(value).encode()
    except (ValueError, TypeError, UnicodeEncodeError, RecursionError) as error:
        found = _unsendable(value)
        if found is None:
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            raise StrictJSONError("$", f"cannot be sent as JSON: {reason}") from None
        raise StrictJSONError(*found) from None


def dumps_ascii(value: Any) -> bytes:
    """``value`` as compact JSON bytes, escaped to ASCII: what the mock writes itself (the
    admin API's answers and page polls, problem documents, queued answers). A lone
    surrogate that a journaled path may hold (granian hands undecodable bytes on that way)
    goes out escaped (``\\ud800``), where ``dumps`` refuses it; the rest of what plain JSON
    cannot carry is refused as ``dumps`` refuses it."""
    try:
        return _ASCII_ENCODER.encode(value).encode()
    except (ValueError, TypeError, RecursionError):
        return dumps(value)  # raises, naming what cannot be sent
