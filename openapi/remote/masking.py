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
or underscore. A key that reads as UTF-8 decoded as Latin-1 (a header as a WSGI server hands
it over) is masked as the text it was too (``variants``).
"""

from __future__ import annotations

import functools
import html
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from openapi.spec import api_key_header

if TYPE_CHECKING:
    import httpx

MASK = "********"
MIN_PIECE = 8

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
    "form_spaces": lambda s: s.replace(" ", "+"),
}
"""The ways a server or an output format can write a secret, beside percent-encoding (which
``redact`` decodes): XML/HTML escapes (ElementTree's and html's), JSON (``\\u00e9`` and
UTF-8; ``\\/`` as PHP writes it), Python's ``repr`` and ``ascii`` of the text and of its
UTF-8 bytes, a Markdown table cell, UTF-8 bytes decoded as Latin-1 (HTTP's default for
header values), and spaces written as ``+`` (a form-encoded query, which needs no ``%XX``
when only spaces are encoded)."""

_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_WORD = r"\w"


def credential_shaped(text: str) -> bool:
    """Whether ``text`` looks like a token: 16 characters or more, letters and digits mixed."""
    return len(text) >= 16 and any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


def variants(secret: str) -> tuple[str, ...]:
    """``secret`` and, when it reads as UTF-8 bytes decoded as Latin-1 (as a WSGI server
    decodes a header), the text those bytes are: a caller's ``clé`` arrives as ``clÃ©``,
    and its query string or a log may carry either."""
    try:
        undone = secret.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return (secret,)
    return (secret,) if undone == secret else (secret, undone)


@functools.lru_cache(maxsize=16)
def secret_forms(secret: str) -> tuple[str, ...]:
    """Each of ``variants(secret)`` in each of ``SECRET_FORMS``, longest first, so that no
    form is masked only in part by a shorter one."""
    forms = {encode(variant) for variant in variants(secret) for encode in SECRET_FORMS.values()}
    return tuple(sorted((form for form in forms if form), key=len, reverse=True))


def _as_bytes(text: str) -> str:
    """``text``'s UTF-8 bytes, one character each (as Latin-1 decodes them)."""
    return text.encode("utf-8", "surrogatepass").decode("latin-1")


def _byte_forms(secret: str) -> set[str]:
    """The bytes ``secret`` may be percent-encoded as, one character a byte: each variant's
    UTF-8 and (where it has one) Latin-1 bytes, spaces also as ``+``."""
    found = set()
    for variant in variants(secret):
        found.add(_as_bytes(variant))
        if all(ord(c) < 256 for c in variant):
            found.add(variant)  # its Latin-1 bytes, as Latin-1 decodes them
    return found | {form.replace(" ", "+") for form in found}


def _windows(forms: Iterable[str]) -> set[str]:
    """Every run of ``MIN_PIECE`` characters of ``forms``."""
    return {form[i : i + MIN_PIECE] for form in forms for i in range(len(form) - MIN_PIECE + 1)}


def _token(forms: Iterable[str]) -> re.Pattern[str] | None:
    """Any of ``forms`` standing whole: touching no letter, digit or underscore."""
    ordered = sorted(set(forms), key=len, reverse=True)
    if not ordered:
        return None
    alternatives = "|".join(re.escape(form) for form in ordered)
    return re.compile(f"(?<!{_WORD})(?:{alternatives})(?!{_WORD})")


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """``spans``, in order of their starts, with those that overlap or touch made one."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _piece_spans(text: str, pieces: Mapping[str, int]) -> list[tuple[int, int]]:
    """The runs of ``text`` covered by overlapping ``pieces`` (all ``MIN_PIECE`` long)."""
    starts = range(len(text) - MIN_PIECE + 1)
    return _merged((i, i + MIN_PIECE) for i in starts if text[i : i + MIN_PIECE] in pieces)


def _replace(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each span (merged where they overlap) replaced by one mask."""
    out, last = [], 0
    for start, end in _merged(sorted(spans)):
        out += [text[last:start], MASK]
        last = end
    return "".join(out) + text[last:]


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


class Secrets:
    """Secrets made ready for masking once, so that masking a text costs the same however
    many secrets there are: a look-up per ``MIN_PIECE`` characters of text, not a pass per
    secret. Adding a secret costs in proportion to its length.

    Secrets given at creation stay; with ``most``, the oldest added later is forgotten
    once there are more than ``most`` (a proxy's memory of its callers' keys). ``below``:
    another set whose secrets are masked too (a request's own key over a proxy's set).
    ``whole``: every text is masked whole (for a secret too long to make ready).
    Safe to add to from several threads while others mask.
    """

    def __init__(
        self,
        secrets: Iterable[str] = (),
        *,
        most: int | None = None,
        below: Secrets | None = None,
        whole: bool = False,
    ) -> None:
        self._whole = whole
        self._most = most
        self._below = below
        self._lock = threading.Lock()
        self._order: dict[str, None] = {}
        self._pieces: Counter[str] = Counter()
        self._byte_pieces: Counter[str] = Counter()
        self._short: dict[str, None] = {}
        self._token: re.Pattern[str] | None = None
        self._needles: tuple[str, ...] = ()
        given = list(secrets)
        self._pinned = frozenset(given)  # before adding: more than ``most`` of them stay too
        for secret in given:
            self.add(secret)

    def __iter__(self) -> Iterator[str]:
        yield from list(self._order)
        yield from list(self._short)
        if self._below is not None:
            yield from self._below

    def __contains__(self, secret: object) -> bool:
        return secret in self._order or secret in self._short

    def __len__(self) -> int:
        return len(self._order) + len(self._short)

    def __bool__(self) -> bool:
        return bool(len(self) or self._below or self._whole)

    def add(self, secret: str) -> None:
        """Mask ``secret`` from now on (an empty one is ignored)."""
        if not secret or secret in self:
            return
        with self._lock:
            if secret in self:  # added by another thread meanwhile
                return
            if len(secret) >= MIN_PIECE:
                self._order[secret] = None
                self._pieces.update(_windows(secret_forms(secret)))
                self._byte_pieces.update(_windows(_byte_forms(secret)))
            else:
                self._short[secret] = None
                self._short_changed()
            if self._most is not None and len(self) > self._most:
                self._forget_oldest()

    def _forget_oldest(self) -> None:
        """Forget the oldest secret not given at creation (its pieces only: the cost of
        one secret, not of all)."""
        for secret in self._order:
            if secret not in self._pinned:
                del self._order[secret]
                _discount(self._pieces, _windows(secret_forms(secret)))
                _discount(self._byte_pieces, _windows(_byte_forms(secret)))
                return
        for secret in self._short:
            if secret not in self._pinned:
                del self._short[secret]
                self._short_changed()
                return

    def _short_changed(self) -> None:
        self._token = _token(f for s in self._short for f in secret_forms(s))
        self._needles = tuple({form for s in self._short for form in _byte_forms(s)})

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The spans of ``text`` that hold a secret, in any form (unmerged)."""
        if self._whole:
            return [(0, len(text))] if text else []
        found: list[tuple[int, int]] = []
        pieces, token, needles = self._pieces, self._token, self._needles
        if pieces:
            found += _piece_spans(text, pieces)
        if token is not None:
            found += [match.span() for match in token.finditer(text)]
        if (pieces or needles) and _PERCENT.search(text):
            found += self._percent_spans(text)
        if self._below is not None:
            found += self._below.spans(text)
        return found

    def _percent_spans(self, text: str) -> list[tuple[int, int]]:
        """Spans of ``text`` that percent-encode a secret (any ``MIN_PIECE`` bytes of a
        long one, a short one whole), each holding at least one ``%XX``."""
        decoded, origin = _percent_decoded(text)
        found = [
            (origin[start][0], origin[end - 1][1])
            for start, end in _piece_spans(decoded, self._byte_pieces)
        ]
        for needle in self._needles:
            for match in re.finditer(re.escape(needle), decoded):
                span = (origin[match.start()][0], origin[match.end() - 1][1])
                before, after = text[span[0] - 1 : span[0]], text[span[1] : span[1] + 1]
                if not re.match(_WORD, before) and not re.match(_WORD, after):
                    found.append(span)
        return [span for span in found if _PERCENT.search(text, span[0], span[1])]

    def redact(self, text: str) -> str:
        """``text`` with every secret masked (see ``redact``)."""
        return _replace(text, self.spans(text))


def _discount(counts: Counter[str], pieces: Iterable[str]) -> None:
    for piece in pieces:
        counts[piece] -= 1
        if counts[piece] <= 0:
            del counts[piece]


@functools.lru_cache(maxsize=16)
def _prepared(secrets: tuple[str, ...]) -> Secrets:
    return Secrets(secrets)


def as_secrets(secrets: Iterable[str] | Secrets) -> Secrets:
    """``secrets`` made ready for masking (the same ``Secrets`` for the same few lists)."""
    if isinstance(secrets, Secrets):
        return secrets
    return _prepared(tuple(dict.fromkeys(secret for secret in secrets if secret)))


def redact(text: str, secrets: Iterable[str] | Secrets) -> str:
    """``text`` with every secret masked, in every form the module's docstring lists. Every
    form is found in the text as given and all are masked at once, so that masking one form
    cannot leave a shorter remnant of another behind."""
    return as_secrets(secrets).redact(text)


def redact_json(value: Any, secrets: Iterable[str] | Secrets) -> Any:
    """``value`` (parsed JSON) with every string in it, keys included, redacted."""
    secrets = as_secrets(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, list):
        return [redact_json(item, secrets) for item in value]
    if isinstance(value, dict):
        return {redact(key, secrets): redact_json(item, secrets) for key, item in value.items()}
    return value


def redact_body(content: bytes, secrets: Iterable[str] | Secrets) -> bytes:
    """An answer body with the secrets masked: string by string when it is JSON, as text
    otherwise; the same bytes when nothing needed masking."""
    secrets = as_secrets(secrets)
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


def decoded_header(raw: bytes) -> str:
    """A header's bytes as text: UTF-8 when they are that, else Latin-1 (every byte a
    character, so nothing is lost)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def masked_response(response: httpx.Response, content: bytes, key: str) -> httpx.Response:
    """The answer, decoded, with the key masked out of headers and body (a key shorter
    than ``MIN_PIECE`` is no real key; masking it would mangle answers). Header values
    are passed on as UTF-8, so that a non-ASCII one survives. Each value is read on its own,
    as UTF-8 when it is that, else as Latin-1 (``decoded_header``): httpx reads all of an
    answer's headers one way, so one Latin-1 value made every UTF-8 one mojibake, sent on
    encoded twice."""
    import httpx  # only the client's answers come here; the rest of masking is light

    secrets = [key] if len(key) >= MIN_PIECE else []
    headers = [
        (redact(name, secrets).encode(), redact(value, secrets).encode())
        for name, value in (
            (decoded_header(name), decoded_header(value)) for name, value in response.headers.raw
        )
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
