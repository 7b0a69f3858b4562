"""How a request can end without an answer to judge (``TransportFailure`` and its kinds),
and the two readings of an answer made before it is judged: how deep its JSON nests, and
how long its ``Retry-After`` asks to wait."""

from __future__ import annotations

import email.utils
import re
import time

from openapi.remote.defaults import MAX_JSON_DEPTH


class TransportFailure(RuntimeError):
    """No answer to judge; the message never contains the key. ``check`` names the cause
    in findings; ``stops_run`` says that no further request should be sent."""

    check = "transport"
    stops_run = False


class RequestTimeout(TransportFailure):
    """No complete answer within the per-request timeout."""

    check = "timeout"


class OutOfTime(TransportFailure):
    """The run's total time budget is used up."""

    check = "max_time"
    stops_run = True


class TooDeep(TransportFailure):
    """An answer whose JSON nests deeper than ``MAX_JSON_DEPTH``: no Everflow answer does,
    so it is a violation (exit 1), reported without being parsed."""

    check = "json_depth"


class UnusableEncoding(TransportFailure):
    """An answer in more than one ``Content-Encoding``, or in one the client does not
    decode: no Everflow answer is, so it is a violation (exit 1), reported unread."""

    check = "content_encoding"


class RetryRefused(TransportFailure):
    """The server asked for a longer wait than the run will make (``Retry-After``)."""

    check = "retry_after"
    stops_run = True


def unquoted(message: str) -> str:
    """An error message cut before the first thing it quotes: h11 and httpcore quote what
    the server sent (``illegal status line: bytearray(b'...')``), which is the server's
    text, not the kit's, and no more shown than its body."""
    cut = min((i for i in (message.find("'"), message.find('"')) if i >= 0), default=-1)
    if cut < 0:
        return message
    return message[:cut].rstrip(" :(") + " (what it quoted left out)"


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(content: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep the arrays and objects of a JSON body nest (brackets outside strings are
    counted, nothing is parsed); counting stops past ``limit``. 0 for a body that does not
    start with ``[`` or ``{``."""
    if content.lstrip()[:1] not in (b"[", b"{"):
        return 0
    depth = deepest = 0
    for bracket in _JSON_BRACKET.finditer(_JSON_STRING.sub(b"", content)):
        depth += 1 if bracket.group() in (b"[", b"{") else -1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def retry_after_seconds(value: str, now: float | None = None) -> float | None:
    """A ``Retry-After`` value (seconds or an HTTP date) in seconds from now, or ``None``."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
