"""Keep the API key out of everything the suite produces, whole or in part, raw or encoded.

The client masks every answer as it arrives (headers, and each string of a JSON body after
parsing, so that JSON escapes cannot hide the key), so checks, cut values and findings never
hold it; the reports mask again, field by field before escaping and once more at the end.

A key of ``MIN_PIECE`` characters or more is masked whole, in each of ``SECRET_FORMS``, and
so is any run of ``MIN_PIECE`` characters of those; percent-encoded text is matched as the
bytes it encodes, whatever the case of its hex digits or which characters were encoded. A
shorter key is no real API key (a loopback mock's placeholder, say): masking every run of it
would mask letters of ordinary words (a key ``x`` would turn ``pixel`` into ``pi********el``)
and so reveal the key, so it is masked only where it stands whole, touching no letter, digit
or underscore.
"""

from __future__ import annotations

import functools
import html
import json
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from openapi.spec import api_key_header

if TYPE_CHECKING:
    import httpx

MASK = "********"
MIN_PIECE = 8
"""Any run of this many characters of a secret, found anywhere, is masked too; a secret
shorter than this is masked only as a whole token."""

SECRET_FORMS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "xml_text": lambda s: html.escape(s, quote=False),
    "xml_attribute": lambda s: html.escape(s, quote=True),
    "xml_apos": lambda s: html.escape(s, quote=True).replace("&#x27;", "&apos;"),
    "json_ascii": lambda s: json.dumps(s)[1:-1],
    "json_utf8": lambda s: json.dumps(s, ensure_ascii=False)[1:-1],
    "json_escaped_slashes": lambda s: json.dumps(s)[1:-1].replace("/", "\\/"),
    "python_repr": lambda s: repr(s)[1:-1],
    "python_ascii": lambda s: ascii(s)[1:-1],
    "python_bytes": lambda s: repr(s.encode("utf-8", "surrogatepass"))[2:-1],
    "markdown_cell": lambda s: s.replace("|", "\\|"),
    "utf8_read_as_latin1": lambda s: s.encode("utf-8", "surrogatepass").decode("latin-1"),
}
"""The ways a server or an output format can write a secret, beside percent-encoding (which
``redact`` decodes): XML/HTML escapes (ElementTree's and html's), JSON (``\\u00e9`` and
UTF-8; ``\\/`` as PHP writes it), Python's ``repr`` and ``ascii`` of the text and of its
UTF-8 bytes, a Markdown table cell, and UTF-8 bytes decoded as Latin-1 (HTTP's default for
header values)."""

_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_WORD = r"\w"


@functools.lru_cache(maxsize=16)
def secret_forms(secret: str) -> tuple[str, ...]:
    """``secret`` in each of ``SECRET_FORMS``, longest first, so that no form is masked
    only in part by a shorter one."""
    forms = {encode(secret) for encode in SECRET_FORMS.values()}
    return tuple(sorted((form for form in forms if form), key=len, reverse=True))


def _as_bytes(text: str) -> str:
    """``text``'s UTF-8 bytes, one character each (as Latin-1 decodes them)."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


@functools.lru_cache(maxsize=16)
def _pieces(secret: str) -> frozenset[str]:
    return frozenset(
        form[i : i + MIN_PIECE]
        for form in secret_forms(secret)
        for i in range(len(form) - MIN_PIECE + 1)
    )


@functools.lru_cache(maxsize=16)
def _byte_pieces(secret: str) -> frozenset[str]:
    """Every ``MIN_PIECE`` bytes of ``secret`` (spaces also as ``+``, as forms encode them)."""
    encoded = _as_bytes(secret)
    return frozenset(
        form[i : i + MIN_PIECE]
        for form in {encoded, encoded.replace(" ", "+")}
        for i in range(len(form) - MIN_PIECE + 1)
    )


@functools.lru_cache(maxsize=16)
def _token(forms: tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``forms`` standing whole: touching no letter, digit or underscore."""
    alternatives = "|".join(re.escape(form) for form in forms)
    return re.compile(f"(?<!{_WORD})(?:{alternatives})(?!{_WORD})")


def _piece_spans(text: str, pieces: frozenset[str]) -> list[tuple[int, int]]:
    """The runs of ``text`` covered by overlapping ``pieces`` (all ``MIN_PIECE`` long)."""
    spans: list[list[int]] = []
    for start in range(len(text) - MIN_PIECE + 1):
        if text[start : start + MIN_PIECE] in pieces:
            end = start + MIN_PIECE
            if spans and start <= spans[-1][1]:
                spans[-1][1] = end
            else:
                spans.append([start, end])
    return [(start, end) for start, end in spans]


def _replace(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each span (sorted, merged where they overlap) replaced by one mask."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if not merged:
        return text
    out, last = [], 0
    for start, end in merged:
        out += [text[last:start], MASK]
        last = end
    out.append(text[last:])
    return "".join(out)


def _percent_decoded(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` as the bytes it encodes (``%XX`` decoded, everything else UTF-8), one
    character a byte, and for each byte the span of ``text`` it came from."""
    chars: list[str] = []
    origin: list[tuple[int, int]] = []

    def plain(start: int, end: int) -> None:
        for i in range(start, end):
            encoded = _as_bytes(text[i])
            chars.append(encoded)
            origin.extend([(i, i + 1)] * len(encoded))

    last = 0
    for match in _PERCENT.finditer(text):
        plain(last, match.start())
        chars.append(chr(int(match.group()[1:], 16)))
        origin.append((match.start(), match.end()))
        last = match.end()
    plain(last, len(text))
    return "".join(chars), origin


def _percent_spans(text: str, long: list[str], short: list[str]) -> list[tuple[int, int]]:
    """Spans of ``text`` that percent-encode a secret (any ``MIN_PIECE`` bytes of a long
    one, a short one whole), each holding at least one ``%XX``."""
    decoded, origin = _percent_decoded(text)
    found: list[tuple[int, int]] = []
    pieces = frozenset().union(*(_byte_pieces(secret) for secret in long))
    for start, end in _piece_spans(decoded, pieces):
        found.append((origin[start][0], origin[end - 1][1]))
    for secret in short:
        for needle in {_as_bytes(secret), _as_bytes(secret).replace(" ", "+")}:
            for match in re.finditer(re.escape(needle), decoded):
                span = (origin[match.start()][0], origin[match.end() - 1][1])
                before, after = text[span[0] - 1 : span[0]], text[span[1] : span[1] + 1]
                if not re.match(_WORD, before) and not re.match(_WORD, after):
                    found.append(span)
    return [span for span in found if _PERCENT.search(text, span[0], span[1])]


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret masked: each form of it (``SECRET_FORMS``, and
    percent-encoded), and every run of ``MIN_PIECE`` or more characters of those; a secret
    shorter than ``MIN_PIECE`` only where it stands as a whole token.

    Every form is found in the text as given and all are masked at once, so that masking
    one form cannot leave a shorter remnant of another behind."""
    long = [secret for secret in secrets if len(secret) >= MIN_PIECE]
    short = [secret for secret in secrets if 0 < len(secret) < MIN_PIECE]
    spans: list[tuple[int, int]] = []
    if long:
        pieces = frozenset().union(*(_pieces(secret) for secret in long))
        spans += _piece_spans(text, pieces)
    if short:
        forms = sorted({f for s in short for f in secret_forms(s)}, key=len, reverse=True)
        spans += [match.span() for match in _token(tuple(forms)).finditer(text)]
    if (long or short) and _PERCENT.search(text):
        spans += _percent_spans(text, long, short)
    return _replace(text, spans)


def redact_json(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` (parsed JSON) with every string in it, keys included, redacted."""
    secrets = list(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [redact_json(item, secrets) for item in value]
    if isinstance(value, dict):
        return {redact(key, secrets): redact_json(item, secrets) for key, item in value.items()}
    return value


def redact_body(content: bytes, secrets: Iterable[str]) -> bytes:
    """An answer body with the secrets masked: string by string when it is JSON, as text
    otherwise; the same bytes when nothing needed masking."""
    secrets = [secret for secret in secrets if secret]
    if not secrets:
        return content
    try:
        parsed = json.loads(content)
    except (ValueError, RecursionError):
        text = content.decode("utf-8", "surrogateescape")
        masked_text = redact(text, secrets)
        return content if masked_text == text else masked_text.encode("utf-8", "surrogateescape")
    masked = redact_json(parsed, secrets)
    return content if masked == parsed else json.dumps(masked, ensure_ascii=False).encode()


def printable(text: str) -> str:
    """``text`` with every character that is not printable (controls such as ESC, NUL and
    newlines, format characters such as bidi overrides, line separators, lone surrogates)
    written as a Python escape (``\\x1b``, ``\\n``, ``\\u202e``), so that a server's text can
    neither drive a terminal, forge a line of output, nor break an XML file."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def masked_response(response: httpx.Response, content: bytes, key: str) -> httpx.Response:
    """The answer, decoded, with the key masked out of headers and body (a key shorter
    than ``MIN_PIECE`` is no real key; masking it would mangle answers). Header values
    are passed on as UTF-8, so that a non-ASCII one survives."""
    import httpx  # only the client's answers come here; the rest of masking is light

    secrets = [key] if len(key) >= MIN_PIECE else []
    headers = [
        (redact(name, secrets).encode(), redact(value, secrets).encode())
        for name, value in response.headers.multi_items()
        if name.lower() != "content-encoding"
    ]
    sent = response.request
    key_header = api_key_header().lower()
    request = httpx.Request(
        sent.method,
        sent.url,
        headers=[(k, v) for k, v in sent.headers.multi_items() if k.lower() != key_header],
        content=sent.content,
    )
    return httpx.Response(
        response.status_code,
        headers=headers,
        content=redact_body(content, secrets),
        request=request,
    )
