"""Take secrets and personal data out of recorded postbacks, keeping every shape.

A ``Scrubber`` replaces values, never keys: each value it judges secret or personal becomes
a stand-in of the same kind (``host-1.example``, ``person-2@people.example``, ``Offer 3``),
the same value always the same stand-in within one recording, so that two postbacks of one
offer still name it alike. Ids, enums, numbers, timestamps and every key (unknown ones
too: they are drift evidence) stay as production sent them, and Everflow's macros
(``{transaction_id}``) are kept verbatim wherever they stand.

What is replaced (``WHOLE`` and ``NAME_KEY`` say which fields are replaced whole):

- in every URL, wherever it stands (postback URLs, HTML, unknown fields): the host (to an
  ``*.example`` host), user information, and the values of query parameters whose names
  look secret (``SECRET_PARAMETER``: token, key, secret, password, signature, ...);
- in every string: e-mail addresses, phone numbers (``PHONE``), anything equal to the API key
  (and, through the contract suite's masking, any eight characters of it);
- whole: descriptions, offer and partner names (and any field whose name says it holds a
  name or notes), ``internal_notes``, platform user data values, TikTok's e-mail and phone.

``counts`` says how many values were replaced at each path (array indices as ``[]``):
the scrub report, which never holds a value.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from openapi.remote.masking import MIN_PIECE, redact

MACRO = re.compile(r"\{[A-Za-z0-9_.]+\}")
"""An Everflow macro, replaced by a value when a postback fires: never scrubbed."""

SECRET_PARAMETER = re.compile(
    r"token|key|secret|pass|pwd|sig|auth|hash|hmac|credential|session", re.IGNORECASE
)
"""Query parameter names whose values are treated as secrets."""

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(
    r"(?<![\w{])(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]?\d{2,4}){1,4}"
    r"|\(\d{3}\)\s?\d{3}[-.]\d{4}|\d{3}[-.]\d{3}[-.]\d{4})(?![\w}])"
)
"""A phone number in text: international (``+44 20 7946 0958``) or North American
(``(555) 123-4567``, ``555-123-4567``). Plain runs of digits are left alone: they are ids
and timestamps far more often than phone numbers."""

URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
_FOUND = re.compile(f"(?P<url>{URL.pattern})|(?P<email>{EMAIL.pattern})|(?P<phone>{PHONE.pattern})")
"""One pass over a text: a stand-in put in is never looked at again."""

WHOLE = {
    "$.description": "description",
    "$.relationship.offer.name": "offer",
    "$.relationship.affiliate.name": "partner",
    "$.relationship.affiliate.internal_notes": "notes",
    "$.facebook_pixel.user_data[].value": "user data",
    "$.snapchat_pixel.user_data[].value": "user data",
    "$.tiktok_pixel.email": "email",
    "$.tiktok_pixel.phone": "phone",
}
"""Fields replaced whole, by path, and the kind of stand-in they get."""

NAME_KEY = re.compile(r"(?:^|_)(?:name|notes?|company|contact)$")
"""Any other field (unknown ones too) named like this holds a name or notes: replaced whole."""
NOT_PERSONAL = frozenset(
    {
        "$.facebook_pixel.event_name",
        "$.tiktok_pixel.event_name",
        "$.snapchat_pixel.event_name",
        "$.rumble_pixel.conversion_action_name",
        "$.facebook_pixel.user_data[].field",
        "$.facebook_pixel.custom_data[].field",
        "$.snapchat_pixel.user_data[].field",
        "$.snapchat_pixel.custom_data[].field",
        "$.tiktok_pixel.properties[].field",
    }
)
"""Fields named like names that hold Everflow's or a platform's vocabulary, not a person's."""

STAND_INS = {
    "host": "host-{}.example",
    "email": "person-{}@people.example",
    "phone": "+1555{:07d}",
    "secret": "secret-{}",
    "userinfo": "user-{}",
    "description": "Postback {}",
    "offer": "Offer {}",
    "partner": "Partner {}",
    "notes": "Notes {}",
    "user data": "user-data-{}",
    "name": "Name {}",
}


class Scrubber:
    """Scrubs postbacks one at a time; one instance per recording, so that stand-ins are
    numbered in the order values are first met and stay the same for the same value."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = [secret for secret in secrets if secret]
        self._maskable = [secret for secret in self.secrets if len(secret) >= MIN_PIECE]
        """The secrets long enough for the contract suite's masking (any piece of them)."""
        self.counts: Counter[str] = Counter()
        self._stand_ins: dict[tuple[str, str], str] = {}
        self._numbers: Counter[str] = Counter()

    def stand_in(self, kind: str, value: str) -> str:
        """The stand-in of ``value`` as a ``kind``: the same one every time it is asked."""
        known = self._stand_ins.get((kind, value))
        if known is None:
            self._numbers[kind] += 1
            known = STAND_INS[kind].format(self._numbers[kind])
            self._stand_ins[(kind, value)] = known
        return known

    def postback(self, record: Any) -> Any:
        """``record`` with its secrets and personal data replaced; a new value."""
        return self._value(record, "$", "")

    def _value(self, value: Any, path: str, key: str) -> Any:
        if isinstance(value, dict):
            return {k: self._value(v, f"{path}.{k}", k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._value(item, f"{path}[]", key) for item in value]
        if not isinstance(value, str) or not value:
            return value
        kind = WHOLE.get(path) or (
            "name" if NAME_KEY.search(key) and path not in NOT_PERSONAL else None
        )
        if kind is not None and not _only_macros(value):
            self.counts[path] += 1
            return self.stand_in(kind, value)
        return self._text(value, path)

    def _text(self, text: str, path: str) -> str:
        """``text`` with URLs, e-mail addresses, phone numbers and the key replaced."""
        if text in self.secrets:
            self.counts[path] += 1
            return self.stand_in("secret", text)
        out = _FOUND.sub(lambda match: self._found(match, path), text)
        if self._maskable:
            masked = redact(out, self._maskable)
            if masked != out:
                self.counts[path] += 1
                out = masked
        return out

    def _found(self, match: re.Match[str], path: str) -> str:
        if match.lastgroup == "url":
            return self._url(match.group(), path)
        return self._replace(match.lastgroup or "email", match.group(), path)

    def _replace(self, kind: str, value: str, path: str) -> str:
        self.counts[path] += 1
        return self.stand_in(kind, value)

    def _url(self, url: str, path: str) -> str:
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
            port = parts.port
        except ValueError:  # not a URL after all (a bad IPv6 address, a port of letters)
            return url
        netloc = parts.netloc
        if host and not _only_macros(host):
            netloc = self._replace("host", host.lower(), path) + (f":{port}" if port else "")
        elif "@" in netloc:
            netloc = netloc.rpartition("@")[2]
        if parts.username is not None or parts.password is not None:
            userinfo = self._replace("userinfo", parts.netloc.rpartition("@")[0], path)
            netloc = f"{userinfo}@{netloc}"
        query = "&".join(self._parameter(pair, path) for pair in parts.query.split("&"))
        fragment = "&".join(self._parameter(pair, path) for pair in parts.fragment.split("&"))
        scrubbed = SplitResult(parts.scheme, netloc, parts.path, query, fragment)
        return urlunsplit(scrubbed)

    def _parameter(self, pair: str, path: str) -> str:
        name, equals, value = pair.partition("=")
        if not equals or not value or _only_macros(unquote(value)):
            return pair
        if SECRET_PARAMETER.search(name) or unquote(value) in self.secrets:
            return f"{name}={self._replace('secret', value, path)}"
        decoded = unquote(value)
        if EMAIL.fullmatch(decoded) or PHONE.fullmatch(decoded):
            kind = "email" if EMAIL.fullmatch(decoded) else "phone"
            return f"{name}={self._replace(kind, decoded, path)}"
        return pair


def _only_macros(text: str) -> bool:
    """Whether ``text`` is made of macros alone (``{email}``, ``{sub1}{sub2}``)."""
    return bool(MACRO.search(text)) and not MACRO.sub("", text).strip()
