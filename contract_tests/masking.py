"""Keep the API key out of everything the suite produces, whole or in part, raw or escaped.

The client masks every answer as it arrives (headers, and each string of a JSON body after
parsing, so that JSON escapes cannot hide the key), so checks, cut values and findings never
hold it; the reports mask again, field by field before escaping and once more at the end.
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Iterable
from typing import Any

MASK = "********"
MIN_PIECE = 8
"""Any run of this many characters of a secret, found anywhere, is masked too."""


@functools.lru_cache(maxsize=16)
def secret_forms(secret: str) -> tuple[str, ...]:
    """``secret`` and the ways output formats escape it (XML/HTML, JSON, Python repr,
    Markdown table cells)."""
    forms = {
        secret,
        html.escape(secret, quote=False),
        html.escape(secret, quote=True),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        secret.replace("|", "\\|"),
    }
    forms.add(html.escape(secret, quote=True).replace("&#x27;", "&apos;"))
    # Longest first, so that no form is masked only in part by a shorter one.
    return tuple(sorted((form for form in forms if form), key=len, reverse=True))


@functools.lru_cache(maxsize=16)
def _pieces(secret: str) -> frozenset[str]:
    return frozenset(
        form[i : i + MIN_PIECE]
        for form in secret_forms(secret)
        for i in range(len(form) - MIN_PIECE + 1)
    )


def _mask_pieces(text: str, pieces: frozenset[str]) -> str:
    """``text`` with every run covered by overlapping ``pieces`` replaced by one mask."""
    spans: list[list[int]] = []
    for start in range(len(text) - MIN_PIECE + 1):
        if text[start : start + MIN_PIECE] in pieces:
            end = start + MIN_PIECE
            if spans and start <= spans[-1][1]:
                spans[-1][1] = end
            else:
                spans.append([start, end])
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        out += [text[last:start], MASK]
        last = end
    out.append(text[last:])
    return "".join(out)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret, each escaped form of it, and every run of ``MIN_PIECE``
    or more characters of those replaced by a fixed mask.

    All forms are masked in one pass, so that masking one form cannot leave a shorter
    remnant of another behind."""
    pieces: frozenset[str] = frozenset()
    short: set[str] = set()
    for secret in secrets:
        if secret:
            pieces |= _pieces(secret)
            short.update(form for form in secret_forms(secret) if len(form) < MIN_PIECE)
    if pieces:
        text = _mask_pieces(text, pieces)
    for form in sorted(short, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


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
    except ValueError:
        text = content.decode("utf-8", "surrogateescape")
        masked_text = redact(text, secrets)
        return content if masked_text == text else masked_text.encode("utf-8", "surrogateescape")
    masked = redact_json(parsed, secrets)
    return content if masked == parsed else json.dumps(masked, ensure_ascii=False).encode()
