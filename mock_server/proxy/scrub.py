"""Take secrets and personal data out of recorded postbacks by allow-list, keeping shapes.

A ``Scrubber`` keeps a string only where it is known to be safe, and replaces every other
literal by a stand-in: a value production sent that the scrubber has no reason to trust is
never copied, whatever it looks like, so a secret in a shape nobody thought of is replaced
all the same. The same value always gets the same stand-in within one recording (they are
numbered in the order values are first met), so two postbacks of one offer still name it
alike and references line up.

What it keeps is in the tables below, by shape or by field: numbers, booleans, ``null``
and empty strings; Everflow's macros (``MACRO_NAME``) wherever they stand; a field's
``enum`` values and plain words (``WORD``) in it and in ``VOCABULARY``; digits in
``ID_FIELDS``; object keys that are plain names (``NAME``: drift evidence); the structure
of a URL (``SCHEMES``, the port, its ``/?&=#``, plain parameter names) and of
``html_code`` (``HTML_TAGS``, plain attribute names, ``ATTRIBUTE_VALUES``). Everything else
is replaced by a stand-in of its kind (``STAND_INS``): e-mail-shaped text by an e-mail, the
fields of ``WHOLE`` whole. ``docs/mock-server/proxy.md`` ("Scrubbed by default, by
allow-list") lists every rule with examples.

Scrubbing costs time linear in the value: HTML is read once, start to end, as a browser's
tokenizer reads it (no pattern that may scan the rest of the value from every ``<``), and
a string longer than ``MAX_VALUE`` is not judged piece by piece at all but replaced whole
(a URL keeping its scheme).

Offers and affiliates (partners) a recording carries beside its postbacks are scrubbed by
the same rules with their own tables (``FIELDS_OF``), by the same ``Scrubber``: an offer's name
and the ``relationship.offer.name`` of a postback that names it get the same stand-in, so
the mock serves the offer a recorded postback names under the name the postback carries.

``counts`` says how many values of postbacks were replaced at each path (array indices as
``[]``), ``counts_of`` the same for each kind: the scrub report, which never holds a value.
"""

from __future__ import annotations

import functools
import html
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from openapi.record_kinds import KINDS, KindName
from openapi.remote.failures import OutOfTime
from openapi.remote.masking import MIN_PIECE, credential_shaped, redact
from openapi.spec import load_spec, resolved

MACRO = re.compile(r"\{[A-Za-z0-9_]{1,40}\}")
"""Something in curly braces as the kit writes a macro (``fixtures.macros``)."""
MACRO_NAME = re.compile(r"[a-z]+(?:_[a-z]+)*_?[0-9]{0,3}")
"""A macro's name that is kept: lower-case words, up to three digits at the end
(``transaction_id``, ``sub1``, ``adv10``), as every macro the kit knows is written."""
_MACRO_SPLIT = re.compile(f"({MACRO.pattern})")

WORD = re.compile(r"[A-Za-z]+(?:_[A-Za-z]+)*")
"""A vocabulary word: ``active``, ``global_offer``, ``CompleteRegistration``, ``USD``."""
MAX_WORD = 40

NAME = re.compile(r"_?[A-Za-z]+(?:[_.-]+[A-Za-z]+)*_?[0-9]{0,3}")
"""A plain name, kept as an object key, a query parameter's or an HTML attribute's name:
ASCII words joined by ``_``, ``-`` or ``.``, up to three digits at the end (``sub1``,
``utm_source``, ``data-src``, ``network_pixel_id``)."""
MAX_NAME = 64

EMAIL = re.compile(
    r"[^\s@<>()\[\],;:\"/?#&=]+@[^\s@<>()\[\],;:\"/?#&=]+\.[^\s@<>()\[\],;:\"/?#&=.]{2,}"
)
"""Something e-mail-shaped (any script): given an e-mail stand-in, so it stays one."""

URL = re.compile(
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):)?//(?P<authority>[^/?#\s]*)"
    r"(?P<path>[^?#\s]*)(?:\?(?P<query>[^#\s]*))?(?:#(?P<fragment>\S*))?"
)
"""A whole value that is a URL with an authority, protocol-relative (``//host/p``) too."""
URL_START = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?//")
"""What starts a URL: a value that starts so but is no whole URL (a space in it, say) is
a URL that cannot be parsed, replaced whole but for its scheme."""
SCHEMES = frozenset({"http", "https"})
"""Schemes kept as they are; any other is replaced (it could be anything)."""

_TAG_OPEN = re.compile(r"<(?P<close>/?)(?P<tag>[A-Za-z][^\s/>]*+)")
"""What opens a tag (as in HTML's tokenizer): ``<`` and a letter; the name runs to a space,
``/`` or ``>``."""
_TAG_PART = re.compile(
    r"(?P<space>\s*+)(?:(?P<end>/?>)|(?P<slash>/)|(?P<name>[^\s/>][^\s/>=]*+)"
    r"(?:(?P<equals>\s*+=\s*+)(?:\"(?P<double>[^\"]*+)\"|'(?P<single>[^']*+)'"
    r"|(?P<bare>[^\s\"'>][^\s>]*+)|(?P<unclosed>[\"'])))?)"
)
"""One piece of a tag after its name, as HTML's tokenizer reads it: the end (``>``, ``/>``),
a stray ``/``, or an attribute and its value; possessive, so a piece is read once."""
_RAW_TEXT = {
    name: re.compile(f"</{name}", re.IGNORECASE) for name in ("script", "style", "textarea")
}
"""Elements whose content is text up to their end tag, ``<`` included (a script's ``a<b``)."""
_HTML_TAG_NAMES = """a abbr address area article aside audio b base bdi bdo blockquote body
    br button canvas caption center cite code col colgroup data dd del
    details dfn dialog div dl dt em embed fieldset figcaption figure font
    footer form frame frameset h1 h2 h3 h4 h5 h6 head header hr html i
    iframe img input ins kbd label legend li link main map mark meta meter
    nav noscript object ol optgroup option output p param picture pre
    progress q s samp script section select small source span strong style
    sub summary sup table tbody td template textarea tfoot th thead time
    title tr track u ul var video wbr"""
HTML_TAGS = frozenset(_HTML_TAG_NAMES.split())
"""The tag names kept (lower-cased): HTML's own elements. Any other name (a custom element,
``<x-a1b2c3d4e5f6g7h8>``, ``<Tk12qx>``) could carry anything, and is replaced."""
MAX_VALUE = 64 * 1024
"""The longest string scrubbed piece by piece, in characters; a longer one (no pixel or URL
is near it) is replaced whole, so that one value's scrubbing costs a bounded time."""

_SIZE = re.compile(r"[0-9]{1,5}(?:px|%)?")
ATTRIBUTE_VALUES: dict[str, re.Pattern[str]] = {
    **dict.fromkeys(
        ("width", "height", "border", "frameborder", "marginwidth", "marginheight"), _SIZE
    ),
    "style": re.compile(
        r"(?:\s*(?:display|visibility|position|width|height|border|left|top)\s*:\s*"
        r"(?:none|hidden|absolute|0|-?[0-9]{1,5}px)\s*;?)+\s*"
    ),
    "type": re.compile(r"text/javascript|image/(?:gif|png)|module"),
    "scrolling": re.compile(r"no|yes|auto"),
    "loading": re.compile(r"lazy|eager"),
    "crossorigin": re.compile(r"anonymous|use-credentials"),
    "referrerpolicy": re.compile(r"no-referrer(?:-when-downgrade)?|origin|unsafe-url"),
    "async": re.compile(r"async"),
    "defer": re.compile(r"defer"),
}
"""HTML attribute values kept, by attribute, when the whole value is of this form: a pixel's
layout, never a value of the partner's."""

VOCABULARY = frozenset(
    {
        "$.relationship.offer.offer_status",
        "$.relationship.offer.visibility",
        "$.relationship.offer.currency_id",
        "$.relationship.affiliate.account_status",
        "$.relationship.affiliate.default_currency_id",
        "$.facebook_pixel.event_name",
        "$.facebook_pixel.action_source",
        "$.facebook_pixel.user_data[].field",
        "$.facebook_pixel.custom_data[].field",
        "$.tiktok_pixel.event_name",
        "$.tiktok_pixel.properties[].field",
        "$.snapchat_pixel.event_name",
        "$.snapchat_pixel.action_source",
        "$.snapchat_pixel.user_data[].field",
        "$.snapchat_pixel.custom_data[].field",
    }
)
"""Fields the spec documents as holding a vocabulary (a status, a currency, a platform's
event, action or field name) without listing it: a plain word is kept there."""

ID_FIELDS = frozenset({"$.facebook_pixel.pixel_id"})
"""Fields holding a platform's numeric id: digits alone are kept there."""

HTML_FIELDS = frozenset({"$.html_code"})
"""Fields holding HTML: scrubbed as HTML (tags kept), not replaced whole."""

WHOLE = {
    "$.description": "description",
    "$.relationship.offer.name": "offer",
    "$.network_offer_name": "offer",
    "$.relationship.affiliate.name": "partner",
    "$.network_affiliate_name": "partner",
    "$.relationship.affiliate.internal_notes": "notes",
    "$.rumble_pixel.conversion_action_name": "name",
    "$.facebook_pixel.user_data[].value": "user data",
    "$.snapchat_pixel.user_data[].value": "user data",
    "$.tiktok_pixel.email": "email",
    "$.tiktok_pixel.phone": "phone",
}
"""Fields replaced whole (unless they hold macros alone), and the kind of stand-in they get."""

OFFER_VOCABULARY = frozenset(
    {
        "$.offer_status",
        "$.visibility",
        "$.currency_id",
        "$.relationship.advertiser.account_status",
        "$.relationship.payout_revenue.entries[].payout_type",
        "$.relationship.payout_revenue.entries[].revenue_type",
    }
)
"""An offer's (``getOffer``'s) fields that hold a vocabulary: statuses, currency, the
payout and revenue types."""
OFFER_WHOLE = {
    "$.name": "offer",
    "$.relationship.advertiser.name": "advertiser",
    "$.relationship.payout_revenue.entries[].entry_name": "event",
}
"""An offer's free text, replaced whole: its name (the stand-in its postbacks' name gets),
its advertiser's, and its event entries' names (chosen by the network)."""
AFFILIATE_VOCABULARY = frozenset({"$.account_status", "$.default_currency_id"})
AFFILIATE_WHOLE = {"$.name": "partner", "$.internal_notes": "notes"}
"""An affiliate's (``getAffiliate``'s) vocabulary fields, and its free text replaced whole."""

STAND_INS = {
    "host": "host-{}.example",
    "email": "person-{}@people.example",
    "phone": "+1555{:07d}",
    "userinfo": "user-{}",
    "scheme": "scheme-{}",
    "path": "path-{}",
    "value": "value-{}",
    "name": "name-{}",
    "key": "key-{}",
    "attribute": "data-x{}",
    "tag": "x-tag-{}",
    "text": "text-{}",
    "description": "Postback {}",
    "offer": "Offer {}",
    "partner": "Partner {}",
    "advertiser": "Advertiser {}",
    "event": "Event {}",
    "notes": "Notes {}",
    "user data": "user-data-{}",
}
"""Every stand-in: ASCII letters, digits and ``-.@+`` only, so none needs escaping in a URL,
HTML or JSON, and each stays what its field expects (a host, an e-mail address)."""


@dataclass(frozen=True)
class Fields:
    """What one kind of record keeps and replaces, by path, beside its spec schema's ``enum``
    values: the fields holding a vocabulary, those replaced whole (and their stand-in's
    kind), those holding HTML, and those holding a platform's numeric id."""

    vocabulary: frozenset[str]
    whole: Mapping[str, str]
    html: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()


FIELDS_OF: Mapping[KindName, Fields] = {
    "postback": Fields(VOCABULARY, WHOLE, HTML_FIELDS, ID_FIELDS),
    "offer": Fields(OFFER_VOCABULARY, OFFER_WHOLE),
    "affiliate": Fields(AFFILIATE_VOCABULARY, AFFILIATE_WHOLE),
}
"""The tables of each kind of record a recording holds."""
SCHEMA_OF = {kind.name: kind.schema for kind in KINDS}
"""Each kind's schema in the spec, whose ``enum`` values its records keep."""


@functools.cache
def spec_enums(schema_name: str = SCHEMA_OF["postback"]) -> Mapping[str, frozenset[str]]:
    """The values of every ``enum`` field of the spec's ``schema_name`` (a postback by
    default), by path (array items as ``[]``)."""
    found: dict[str, frozenset[str]] = {}

    def walk(schema: Mapping[str, Any], path: str, depth: int) -> None:
        schema = resolved(schema)
        if isinstance(schema.get("enum"), list):
            found[path] = frozenset(v for v in schema["enum"] if isinstance(v, str))
        if depth > 8:
            return
        for name, inner in (schema.get("properties") or {}).items():
            walk(inner, f"{path}.{name}", depth + 1)
        if isinstance(schema.get("items"), Mapping):
            walk(schema["items"], f"{path}[]", depth + 1)

    walk(load_spec()["components"]["schemas"][schema_name], "$", 0)
    return found


class Deadline:
    """A time scrubbing must not run past: ``check`` raises ``OutOfTime`` (naming ``what``
    set the budget, ``--max-time 300 s``) once ``at`` on ``clock`` is reached."""

    def __init__(self, at: float, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.at = at
        self.what = what
        self._clock = clock

    def check(self) -> None:
        if self._clock() >= self.at:
            raise OutOfTime(f"{self.what} used up while scrubbing the recording")


def _tag_parts(text: str, at: int) -> list[re.Match[str]]:
    """The pieces of the tag whose name ends at ``at``, its end the last; none when the
    text ends inside the tag (or inside a quoted value)."""
    parts = []
    while (part := _TAG_PART.match(text, at)) is not None and part["unclosed"] is None:
        parts.append(part)
        at = part.end()
        if part["end"] is not None:
            return parts
    return []


class Scrubber:
    """Scrubs records (postbacks, offers, affiliates) one at a time; one instance per
    recording, so that stand-ins are numbered in the order values are first met and stay
    the same for the same value, across kinds."""

    def __init__(
        self,
        secrets: Iterable[str] = (),
        *,
        max_value: int = MAX_VALUE,
        deadline: Deadline | None = None,
    ) -> None:
        self.max_value = max_value
        self.deadline = deadline
        """When scrubbing must stop (``Deadline``): checked before each string."""
        self.secrets = [secret for secret in secrets if secret]
        self._maskable = [secret for secret in self.secrets if len(secret) >= MIN_PIECE]
        """The secrets long enough for the contract suite's masking (any piece of them)."""
        self._folded = [secret.casefold() for secret in self._maskable]
        """The same, case folded: a piece of a key in another case is no word to keep."""
        self._whole_folded = {secret.casefold() for secret in self.secrets}
        self.counts_of: dict[KindName, Counter[str]] = {kind: Counter() for kind in FIELDS_OF}
        self.counts = self.counts_of["postback"]
        self._fields = FIELDS_OF["postback"]
        self._stand_ins: dict[tuple[str, str], str] = {}
        self._numbers: Counter[str] = Counter()
        self._keys: dict[str, str] = {}
        self._enums = spec_enums()
        self._counts = self.counts

    def stand_in(self, kind: str, value: str) -> str:
        """The stand-in of ``value`` as a ``kind``: the same one every time it is asked."""
        known = self._stand_ins.get((kind, value))
        if known is None:
            self._numbers[kind] += 1
            known = STAND_INS[kind].format(self._numbers[kind])
            self._stand_ins[(kind, value)] = known
        return known

    def postback(self, record: Any) -> Any:
        """``record`` with every value not known to be safe replaced; a new value."""
        return self.record(record, "postback")

    def record(self, record: Any, kind: KindName) -> Any:
        """``record``, a ``kind``, with every value not known to be safe replaced (by that
        kind's tables, ``FIELDS_OF``); a new value."""
        self._fields = FIELDS_OF[kind]
        self._enums = spec_enums(SCHEMA_OF[kind])
        self._counts = self.counts_of[kind]
        return self._value(record, "$")

    def key(self, name: str) -> str:
        """An object key as the recording writes it: kept if a plain name, else a stand-in
        (the same one for the same key)."""
        known = self._keys.get(name)
        if known is None:  # the same few keys in every postback: judged once
            known = name if self._name(name) else self.stand_in("key", name)
            self._keys[name] = known
        return known

    def _value(self, value: Any, path: str) -> Any:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for name, item in value.items():
                key = self.key(name)
                if key != name:
                    self._counts[f"{path}.{key}"] += 1
                out[key] = self._value(item, f"{path}.{key}")
            return out
        if isinstance(value, list):
            return [self._value(item, f"{path}[]") for item in value]
        if not isinstance(value, str) or not value:
            return value
        if self.deadline is not None:
            self.deadline.check()
        scrubbed = self._string(value, path)
        if scrubbed != value:
            self._counts[path] += 1
        return scrubbed

    def _safe(self, text: str) -> bool:
        """Whether a piece that passed an allow-list's shape holds no secret after all."""
        folded = text.casefold()
        if credential_shaped(text) or folded in self._whole_folded:
            return False
        if not self._maskable:
            return True
        return redact(text, self._maskable) == text and redact(folded, self._folded) == folded

    def _word(self, text: str) -> bool:
        return len(text) <= MAX_WORD and bool(WORD.fullmatch(text)) and self._safe(text)

    def _name(self, text: str) -> bool:
        return len(text) <= MAX_NAME and bool(NAME.fullmatch(text)) and self._safe(text)

    def _macro(self, text: str) -> bool:
        return (
            bool(MACRO.fullmatch(text))
            and bool(MACRO_NAME.fullmatch(text[1:-1]))
            and self._safe(text[1:-1])
        )

    def _only_macros(self, text: str) -> bool:
        """Whether ``text`` is made of macros alone (``{email}``, ``{sub1}{sub2}``)."""
        pieces = _MACRO_SPLIT.split(text)
        return all(
            (self._macro(piece) if index % 2 else not piece) for index, piece in enumerate(pieces)
        )

    def _string(self, text: str, path: str) -> str:
        core = text.strip()
        if len(text) > self.max_value:
            if URL_START.match(core):
                return self._unparsed(core)
            return self.stand_in(self._fields.whole.get(path, "text"), text)
        enum = self._enums.get(path)
        fields = self._fields
        if (
            self._only_macros(text)
            or (enum is not None and (text in enum or self._word(text)))
            or (path in fields.vocabulary and self._word(text))
            or (path in fields.ids and text.isascii() and text.isdigit() and len(text) <= 20)
        ):
            return text
        kind = fields.whole.get(path)
        if kind is not None:
            return self.stand_in(kind, text)
        if URL_START.match(core):
            lead = text[: len(text) - len(text.lstrip())]
            return lead + self._url(core) + text[len(lead) + len(core) :]
        if path in fields.html:
            return self._html(text)
        if EMAIL.fullmatch(text):
            return self.stand_in("email", text)
        return self._runs(text, "text")

    def _runs(self, text: str, kind: str) -> str:
        """``text`` with its macros and whitespace kept and every other run replaced."""
        out = []
        for index, piece in enumerate(_MACRO_SPLIT.split(text)):
            if not piece or piece.isspace() or (index % 2 and self._macro(piece)):
                out.append(piece)
            else:
                core = piece.strip()
                lead = piece[: len(piece) - len(piece.lstrip())]
                trail = piece[len(piece.rstrip()) :]
                stand_in = self.stand_in("email" if EMAIL.fullmatch(core) else kind, core)
                out.append(lead + stand_in + trail)
        return "".join(out)

    def _url(self, url: str) -> str:
        """A URL with only its structure, port and macros kept (see the module's docstring)."""
        found = URL.fullmatch(url)
        try:
            port = urlsplit(url).port
        except ValueError:
            found = None
        if found is None:
            return self._unparsed(url)
        userinfo, at, hostport = found["authority"].rpartition("@")
        host = (
            hostport[: hostport.index("]") + 1]
            if hostport.startswith("[")
            else (hostport.partition(":")[0])
        )
        netloc = ""
        if at:
            netloc = self.stand_in("userinfo", userinfo) + "@"
        if host and not self._only_macros(host):
            host = self.stand_in("host", host.lower())
        netloc += host + (f":{port}" if port is not None else "")
        out = f"{self._scheme(url)}//{netloc}"
        out += "/".join(self._runs(segment, "path") for segment in found["path"].split("/"))
        for mark, pairs in (("?", found["query"]), ("#", found["fragment"])):
            if pairs is not None:
                out += mark + "&".join(self._pair(pair) for pair in pairs.split("&"))
        return out

    def _scheme(self, url: str) -> str:
        """The scheme of ``url`` and its ``:`` as written (``http``/``https`` kept, any other
        replaced); empty for ``//host/p``."""
        start = URL_START.match(url)
        if start is None or start.group() == "//":
            return ""
        scheme = start.group()[:-3]
        kept = scheme.lower() in SCHEMES and scheme.isascii()
        return (scheme if kept else self.stand_in("scheme", scheme)) + ":"

    def _unparsed(self, url: str) -> str:
        """A URL that is not judged piece by piece (it does not parse, or is too long):
        nothing of it is trusted but its scheme."""
        return f"{self._scheme(url)}//{self.stand_in('host', url)}/"

    def _pair(self, pair: str) -> str:
        """A query (or fragment) parameter: a plain name kept, its value replaced but for
        macros; a bare value (no ``=``) replaced likewise."""
        name, equals, value = pair.partition("=")
        if not equals:
            return self._runs(pair, "value")
        if name and not self._name(name):
            name = self.stand_in("name", name)
        return f"{name}={self._runs(value, 'value')}"

    def _html(self, text: str) -> str:
        """HTML with its tags and plain attribute names kept, and every text, comment and
        attribute value replaced but for macros, URL structure and ``ATTRIBUTE_VALUES``.

        Read once from start to end, as HTML's tokenizer reads it, never going back: a
        ``<`` and a letter open a tag that ends at its ``>``, and a tag, comment or script
        the text ends inside of is text to the end (replaced), so the cost is linear.
        Stand-ins are numbered in the order met."""
        out = []
        start = at = 0  # the text not yet written starts at start; look for a tag from at
        while (at := text.find("<", at)) >= 0:
            tag: list[re.Match[str]] = []  # its opening, then its pieces (_tag_parts)
            if text.startswith("<!--", at):
                end = text.find("-->", at + 4)
                if end < 0:
                    break
                inside, after = (at + 4, end), end + 3
            elif (opened := _TAG_OPEN.match(text, at)) is not None:
                tag = [opened, *_tag_parts(text, opened.end())]
                if len(tag) == 1:
                    break
                after = tag[-1].end()
                raw = _RAW_TEXT.get(opened["tag"].lower())
                inside = (after, after)
                if raw is not None and not opened["close"]:  # a script's body: to its end tag
                    found = raw.search(text, after)
                    if found is None:
                        break
                    inside, after = (after, found.start()), found.start()
            else:
                at += 1
                continue
            out.append(self._runs(text[start:at], "text"))
            if tag:
                out.append(self._tag(tag))
            body = self._runs(text[inside[0] : inside[1]], "text")
            out.append(body if tag else f"<!--{body}-->")
            start = at = after
        out.append(self._runs(text[start:], "text"))
        return "".join(out)

    def _tag(self, tag: list[re.Match[str]]) -> str:
        """A tag (its opening, then its pieces: ``_tag_parts``) scrubbed: a name of
        ``HTML_TAGS`` kept lower-cased, any other replaced; attributes as ``_attribute``."""
        opened, *parts = tag
        name = opened["tag"].lower()
        kept = name if name in HTML_TAGS else self.stand_in("tag", name)
        return f"<{opened['close']}{kept}" + "".join(
            self._attribute(part) if part["name"] is not None else part.group() for part in parts
        )

    def _attribute(self, found: re.Match[str]) -> str:
        name = found["name"]
        if not self._name(name):
            name = self.stand_in("attribute", name)
        if found["equals"] is None:
            return f"{found['space']}{name}"
        quoted = ((found["double"], '"'), (found["single"], "'"), (found["bare"], ""))
        raw, quote = next((value, quote) for value, quote in quoted if value is not None)
        value = html.unescape(raw)
        scrubbed = self._attribute_value(name.lower(), value)
        if scrubbed == value:
            return f"{found['space']}{name}{found['equals']}{quote}{raw}{quote}"
        return f'{found["space"]}{name}="{html.escape(scrubbed, quote=True)}"'

    def _attribute_value(self, name: str, value: str) -> str:
        form = ATTRIBUTE_VALUES.get(name)
        if not value or self._only_macros(value) or (form and form.fullmatch(value)):
            return value
        if URL_START.match(value):
            return self._url(value)
        if EMAIL.fullmatch(value):
            return self.stand_in("email", value)
        return self._runs(value, "value")
