"""A bounded journal of the requests the mock answered, with secrets masked."""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from mock_server.core.controls import MAX_DIGITS
from mock_server.core.environ import header_name
from mock_server.core.reply import INVALID, UNCHECKED, Verdict
from mock_server.data.strictjson import StrictJSONError, loads
from openapi.remote.masking import MASK
from openapi.spec import api_key_header
from openapi.text import cut

SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
"""Headers masked besides the spec's API key header."""
ENTRY_BYTES = 16 * 1024
"""The most one entry may hold; past it, long values are cut (a note says how long they were)."""
VALUE_BYTES = 1024
"""How much of one long header value, path or query an oversized entry keeps."""
_OVERHEAD = 256  # what an entry costs beyond its strings, roughly
HEADER_BYTES = "everflow.header_bytes"
"""Where a front that builds an environ of strings for the mock alone (the RSGI one) says how
many bytes its ``HTTP_*`` headers hold: the journal then keeps that environ as it is rather
than copy the headers out of it (a third of what a stored postback cost the pipeline)."""


def mask_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict, with every secret-bearing value replaced by a fixed mask."""
    secret = _secret_headers()
    return {name: (MASK if name.lower() in secret else value) for name, value in headers}


@functools.cache
def _secret_headers() -> frozenset[str]:
    return SECRET_HEADERS | {api_key_header().lower()}


def _header_pairs(
    headers: list[tuple[str, str]] | Mapping[str, Any],
) -> list[tuple[str, str]]:
    """An entry's ``HTTP_*`` headers, by their environ names."""
    if isinstance(headers, list):
        return headers
    return [(name, value) for name, value in headers.items() if name[:5] == "HTTP_"]


def _query(query: str) -> dict[str, str | list[str]]:
    """``a=1&f=x&f=y`` -> ``{"a": "1", "f": ["x", "y"]}``: a repeated name gives a list."""
    parsed = parse_qs(query, keep_blank_values=True)
    return {name: values[0] if len(values) == 1 else values for name, values in parsed.items()}


def _path_params(raw: Mapping[str, str]) -> dict[str, int | str]:
    """Path parameters as sent; digits become the integer they spell (at most
    ``MAX_DIGITS``: a longer run of digits is no id, and stays text)."""
    return {
        k: int(v) if v.isascii() and v.isdigit() and len(v) <= MAX_DIGITS else v
        for k, v in raw.items()
    }


def _json(body: bytes | str | None) -> Any:
    """The body's JSON value when it is whole, strict JSON, else ``None``."""
    if not isinstance(body, bytes) or not body:
        return None
    try:
        return loads(body)
    except (StrictJSONError, ValueError):
        return None


# time, method, path, query, headers (the HTTP_* pairs, or a front's own environ holding
# them), status, size, operation, path params, body, warning, fault, strict refusal,
# duration (ms), verdict
_Entry = tuple[
    float,
    str,
    str,
    str,
    "list[tuple[str, str]] | Mapping[str, Any]",
    "int | None",
    int,
    "str | None",
    Mapping[str, str],
    "bytes | str | None",
    "str | None",
    "str | None",
    bool,
    "float | None",
    "Verdict | None",
]
_NO_PARAMS: Mapping[str, str] = {}
NOT_JUDGED = Verdict(UNCHECKED, UNCHECKED, "answered before the spec's checks")
"""The verdict of an answer that came before any check: queued by a test, asked for with
``Prefer: code=``, a front's own (a body too slow, too large, a server too busy)."""
NO_OPERATION = Verdict(INVALID, UNCHECKED, "no operation of the spec has this method and path")


class Journal:
    """The most recent requests: at most ``size`` entries and ``max_bytes`` in all, oldest
    dropped first. An entry larger than ``ENTRY_BYTES`` keeps only the start of its long
    values, so one request with huge headers cannot crowd out the rest.

    Recording copies the request line and the ``HTTP_*`` headers of the environ (or keeps an
    environ marked with ``HEADER_BYTES`` as it is) and keeps the body it is given (counted in
    the entry's size, cut like the other long values in an oversized entry); names are
    formatted, secrets masked and bodies parsed when the journal is read.
    """

    def __init__(self, size: int, max_bytes: int = 8 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._entries: deque[_Entry] = deque(maxlen=size)
        self._bytes = 0
        self._recorded = 0
        self._lock = threading.Lock()

    def record(
        self,
        environ: Mapping[str, Any],
        status: int | None,
        operation: str | None = None,
        path_params: Mapping[str, str] = _NO_PARAMS,
        body: bytes | None = None,
        warning: str | None = None,
        fault: str | None = None,
        strict: bool = False,
        ms: float | None = None,
        verdict: Verdict | None = None,
    ) -> None:
        """Remember one request, from its WSGI environ, with what ``entries`` gives of it
        (``status``: ``None`` when there was no answer, the client raised; ``path_params``
        as matched; ``verdict``: ``None`` when nothing was judged)."""
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        if verdict is not None and len(verdict.detail) > VALUE_BYTES:
            verdict = verdict._replace(detail=cut(verdict.detail, VALUE_BYTES, noted=True))
        said = len(warning or "") + (len(verdict.detail) if verdict is not None else 0)
        size = _OVERHEAD + len(path) + len(query) + said
        header_bytes = environ.get(HEADER_BYTES)
        headers: list[tuple[str, str]] | Mapping[str, Any]
        if header_bytes is not None:
            headers = environ
            size += header_bytes
        else:
            headers = []
            for name, value in environ.items():
                if name[:5] == "HTTP_":
                    headers.append((name, value))
                    size += len(name) + len(value)
        kept: bytes | str | None = body
        if body:
            size += len(body)
        if size > ENTRY_BYTES:
            path, query = cut(path, VALUE_BYTES, noted=True), cut(query, VALUE_BYTES, noted=True)
            headers = [(k, cut(v, VALUE_BYTES, noted=True)) for k, v in _header_pairs(headers)[:64]]
            if body:
                text = body[: VALUE_BYTES * 4].decode("utf-8", "replace")[:VALUE_BYTES]
                kept = f"{text}... ({len(body)} bytes, cut)"
            size = (
                _OVERHEAD
                + len(path)
                + len(query)
                + sum(len(k) + len(v) for k, v in headers)
                + len(kept or "")
                + said
            )
        entry: _Entry = (
            time.time(),
            environ.get("REQUEST_METHOD", ""),
            path,
            query,
            headers,
            status,
            size,
            operation,
            path_params,
            kept,
            warning,
            fault,
            strict,
            ms,
            verdict,
        )
        with self._lock:
            entries = self._entries
            if len(entries) == entries.maxlen:
                self._bytes -= entries[0][6]
            entries.append(entry)
            self._recorded += 1
            self._bytes += size
            while self._bytes > self.max_bytes and len(entries) > 1:
                self._bytes -= entries.popleft()[6]

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        """Roughly how much memory the entries hold."""
        return self._bytes

    def entries(self) -> list[dict[str, Any]]:
        """The remembered requests, oldest first, with secret headers masked.

        Each has ``operation`` (the operationId, ``None`` for a path that is no
        operation's), ``method``, ``path``, ``path_params``, ``query`` (by name; a repeated
        name gives a list), ``headers``, ``json`` (the body's JSON value, ``None`` without
        one or when it was cut), ``body`` (its text), ``status`` and ``time``; ``warning``
        when the answer carried ``X-Everflow-Mock-Warning``, ``fault`` when a fault broke
        it, ``strict`` (``True``) when it was strict mode's 400 for what lenient mode only
        warns of; ``ms``, how long the mock took to make the answer (monotonic clock,
        milliseconds; ``None`` where no one timed it), and ``verdict``: what the spec said
        of the request and of the answer, each ``valid``, ``invalid`` or ``unchecked``, and
        why in ``detail`` (see ``mock_server.core.reply.Verdict``).
        """
        with self._lock:
            raw = list(self._entries)
        return [_entry(item) for item in raw]

    def numbered(
        self, after: int = 0, limit: int | None = None
    ) -> list[tuple[int, dict[str, Any]]]:
        """The remembered requests numbered after ``after``, newest first, at most ``limit``:
        each as ``entries`` gives it, with its number (1 for the first request the journal
        recorded; numbers keep counting across ``clear``, so one never names two requests).

        What a page that follows the journal asks for: only what is new is formatted."""
        with self._lock:
            last = self._recorded
            newer = min(len(self._entries), last - after)
            if limit is not None:
                newer = min(newer, limit)
            raw = list(itertools.islice(reversed(self._entries), max(newer, 0)))
        return [(last - back, _entry(item)) for back, item in enumerate(raw)]

    def numbered_entry(self, number: int) -> dict[str, Any] | None:
        """The request numbered ``number`` (see ``numbered``), or ``None`` once it is gone."""
        with self._lock:
            position = number - (self._recorded - len(self._entries)) - 1
            if not 0 <= position < len(self._entries):
                return None
            item = self._entries[position]
        return _entry(item)

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0


def _entry(item: _Entry) -> dict[str, Any]:
    """One journal entry as ``Journal.entries`` gives it."""
    (
        when,
        method,
        path,
        query,
        headers,
        status,
        _,
        operation,
        params,
        body,
        warning,
        fault,
        strict,
        ms,
        verdict,
    ) = item
    if verdict is None:
        verdict = NOT_JUDGED if operation is not None else NO_OPERATION
    return {
        "operation": operation,
        "method": method,
        "path": path,
        "path_params": _path_params(params),
        "query": _query(query),
        "headers": mask_headers((header_name(k), v) for k, v in _header_pairs(headers)),
        "json": _json(body),
        "body": body.decode("utf-8", "replace") if isinstance(body, bytes) else body,
        "status": status,
        "time": when,
        "ms": None if ms is None else round(ms, 3),
        "verdict": verdict._asdict(),
        **({"warning": warning} if warning else {}),
        **({"fault": fault} if fault else {}),
        **({"strict": True} if strict else {}),
    }
