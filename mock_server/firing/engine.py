"""Firing: a conversion, event or paid click in, every postback that applies rendered and
delivered as Everflow would (``POST /__admin/conversions``).

Which postbacks fire is ``mock_server.firing.conversion``'s.

How each is delivered: ``postback``, a GET of the rendered URL after ``delay_ms`` (times
the mock's delay scale), within a deadline, redirects never followed, and only to loopback
or an allowed ``--deliver-to`` destination (others are journaled as refused, never sent);
``html``, rendered (values HTML-escaped) and kept: a browser would fire it; ``facebook``,
``tiktok``, ``snapchat``, ``rumble``: the platform settings rendered into the event that
would be sent, and kept; nothing goes to any platform. Rendering stops at ``TEXT_BYTES``
characters, so a template repeating a macro costs no more than that.

Failures: since 2026-03-13 Everflow deactivates a postback-delivery postback after 10
consecutive failed deliveries within 72 hours. The mock counts them by its own clock (a
refused or cancelled delivery is not a failure: it never reached a receiver) and sets such a
postback ``inactive`` in the store, as a replace would (``time_saved`` moves).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from fixtures.macros import clear_template_cache, render_within
from fixtures.vocabulary import PLATFORMS
from mock_server.firing.conversion import (
    CONVERSION_TYPES,
    Conversion,
    ConversionError,
    applies,
    parse_conversion,
    render_event,
    why_not,
)
from mock_server.firing.journal import (
    CANCELLED,
    DELIVERED,
    FAILED,
    KEPT,
    PENDING,
    REFUSED,
    TEXT_BYTES,
    Delivery,
    DeliveryJournal,
    cut,
    wait,
)
from mock_server.firing.sender import Sender, Target
from mock_server.state.index import Either, Equals
from openapi.remote.targets import is_loopback

if TYPE_CHECKING:
    from mock_server.state.mock_state import MockState

PLATFORM_FIELDS = {platform: f"{platform}_pixel" for platform in PLATFORMS}
FAILURES_TO_DEACTIVATE = 10
FAILURE_WINDOW = 72 * 3600
"""Everflow's rule since 2026-03-13: 10 consecutive failed deliveries within 72 hours."""
MAX_WAIT = 60.0
"""The longest ``?wait=`` an admin call may ask for, in seconds."""
MAX_EXPLAINED = 20
"""The most postbacks ``not_applied`` names (the rest are counted)."""
_TOO_LONG = f"the rendered URL is longer than {TEXT_BYTES:,} characters; not sent"
_SAFE_TARGET = "".join(chr(c) for c in range(0x21, 0x7F))
"""What a request target may hold as it is; anything else (spaces, controls, non-ASCII
written into the template) is percent-encoded, so no template can split the request."""


def _partner_or_offer(conversion: Conversion) -> Either:
    """The stored postbacks that may concern ``conversion``: for its partner or its offer."""
    return Either(
        (
            Equals("network_affiliate_id", frozenset({conversion.affiliate_id})),
            Equals("network_offer_id", frozenset({conversion.offer_id})),
        )
    )


def parse_destination(text: str) -> tuple[str, int | None]:
    """``HOST[:PORT]`` (``[v6]:PORT`` for IPv6) as (lower-case host, port or None);
    ``ValueError`` naming the form."""
    raw = text.strip()
    try:
        parts = urlsplit("//" + raw)
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or parts.path or parts.query or parts.fragment or parts.username:
        raise ValueError(f"a destination is HOST or HOST:PORT, not {raw[:80]!r}")
    return host, port  # urlsplit's hostname is lower-case


class Firing:
    """A mock's firing: matches, renders, delivers, journals and deactivates (see the
    module). ``delay_scale`` multiplies every ``delay_ms`` (settable at run time; ``reset``
    restores the configured one). ``now`` is the clock failures are counted by."""

    def __init__(self, state: MockState, now: Callable[[], int] | None = None) -> None:
        config = state.config
        self._state = state
        self._now = now or state.clock.peek
        self.allowed = tuple(parse_destination(text) for text in config.deliver_to)
        self.delay_scale = config.delivery_delay_scale
        self.journal = DeliveryJournal(config.journal_size)
        self.sender = Sender(config.delivery_timeout, self._ended)
        self._failures: dict[int, deque[int]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def fire(self, body: Any, wait_for: float = 0.0) -> list[dict[str, Any]]:
        """Fire every postback that applies to the conversion in ``body``; the deliveries
        started, in pixel id order, as journal entries once they have ended (at most
        ``wait_for`` seconds). ``ConversionError`` for a body that cannot be fired."""
        conversion = parse_conversion(body)
        self._check_world(conversion)
        found = self._state.store.matching(
            (
                Equals("pixel_status", frozenset({"active"})),
                Equals("pixel_type", CONVERSION_TYPES[conversion.type]),
                _partner_or_offer(conversion),
            )
        )
        postbacks = [p for p in map(json.loads, found) if applies(p, conversion)]
        sends: list[tuple[Delivery, Target, float]] = []
        started = [self._deliver(postback, conversion, sends) for postback in postbacks]
        if sends:
            for refused, why in self.sender.deliver(sends):
                self.journal.finish(refused, REFUSED, error=why)
        wait(started, wait_for)
        return self.journal.snapshot(started)

    def _check_world(self, conversion: Conversion) -> None:
        """``ConversionError`` for a conversion whose offer or partner is not in the mock's
        world (Everflow tracks conversions of its own offers and partners only); with
        ``references="loose"`` any ids fire, as postbacks built in isolation name any."""
        if self._state.config.references == "loose":
            return
        world = self._state.world
        for name, value, known, adder in (
            ("offer_id", conversion.offer_id, world.offers, "add_offer"),
            ("affiliate_id", conversion.affiliate_id, world.affiliates, "add_affiliate"),
        ):
            if value not in known:
                raise ConversionError(
                    name,
                    f"{value} is not in the mock's world: a conversion is for an offer and "
                    f"a partner it serves (add it with {adder}, or use references=loose)",
                )

    def not_applied(self, body: Any, most: int = MAX_EXPLAINED) -> tuple[list[dict[str, Any]], int]:
        """The stored postbacks for the conversion's partner or offer that do not fire for
        it, each with why (``why_not``), in pixel id order: the first ``most`` of them and
        how many there are. ``ConversionError`` for a body that cannot be fired."""
        conversion = parse_conversion(body)
        self._check_world(conversion)
        found = self._state.store.matching((_partner_or_offer(conversion),))
        missed: list[dict[str, Any]] = []
        total = 0
        for postback in map(json.loads, found):
            reason = why_not(postback, conversion)
            if reason is not None:
                total += 1
                if len(missed) < most:
                    missed.append({"pixel_id": postback["network_pixel_id"], "reason": reason})
        return missed, total

    def reset(self) -> None:
        """Cancel what has not ended, forget the journal (ids start again from 1), the
        failure counts and the parsed templates, and restore the configured delay scale."""
        with self._lock:
            self._generation += 1
            self._failures.clear()
        self.sender.cancel()
        self.journal.clear(restart_ids=True)
        clear_template_cache()
        self.delay_scale = self._state.config.delivery_delay_scale

    def _deliver(
        self,
        postback: Mapping[str, Any],
        conversion: Conversion,
        sends: list[tuple[Delivery, Target, float]],
    ) -> Delivery:
        """Render ``postback`` for ``conversion`` and journal it; a GET to send is added to
        ``sends``."""
        method = postback.get("delivery_method", "")
        delivery = Delivery(int(postback["network_pixel_id"]), method, conversion.type)
        values = conversion.values
        if method == "html":
            html, more = render_within(postback.get("html_code") or "", values, "html", TEXT_BYTES)
            delivery.html = cut(html, more)
            delivery.state = KEPT
        elif method in PLATFORM_FIELDS:
            settings = postback.get(PLATFORM_FIELDS[method]) or {}
            delivery.event = render_event(settings, values, TEXT_BYTES)
            delivery.state = KEPT
        else:
            delivery.method = "GET"
            delivery.delay_ms = postback.get("delay_ms") or 0
            template = postback.get("postback_url") or ""
            url, more = render_within(template, values, "url", TEXT_BYTES)
            delivery.url = cut(url, more)
            target, refusal = (None, _TOO_LONG) if more else self._target(url)
            if target is None:
                delivery.state, delivery.error = REFUSED, refusal
            else:
                delivery.generation = self._generation
                sends.append((delivery, target, delivery.delay_ms / 1000 * self.delay_scale))
        return self.journal.add(delivery)

    def _target(self, url: str) -> tuple[Target | None, str]:
        """Where the GET of ``url`` goes, or None and why it may not go."""
        try:
            parts = urlsplit(url)
            host, port = parts.hostname, parts.port  # the hostname is lower-case
        except ValueError as error:
            return None, f"not a URL the mock can send: {error}"
        if parts.scheme not in ("http", "https") or not host:
            return None, "not an http:// or https:// URL with a host"
        default = 443 if parts.scheme == "https" else 80
        port = default if port is None else port
        if not (is_loopback(host) or any(h == host and p in (None, port) for h, p in self.allowed)):
            return None, (
                f"{host}:{port} is not loopback; the mock sends only to loopback unless "
                "started with --deliver-to HOST[:PORT]"
            )
        target = quote(parts.path or "/", safe=_SAFE_TARGET)
        if parts.query:
            target += "?" + quote(parts.query, safe=_SAFE_TARGET)
        if len(target) > TEXT_BYTES:
            return None, _TOO_LONG
        try:
            netloc = f"[{host}]" if ":" in host else host.encode("idna").decode("ascii")
        except UnicodeError as error:
            return None, f"not a host name the mock can send to: {error}"
        host_header = netloc if port == default else f"{netloc}:{port}"
        return Target(host, port, parts.scheme == "https", host_header, target), ""

    def _ended(
        self, delivery: Delivery, state: str, status: int | None, ms: float, error: str | None
    ) -> None:
        """A postback GET ended (on the sender's thread): journal it, count failures."""
        with self._lock:
            current = delivery.generation == self._generation
            deactivate = False
            if current and state == DELIVERED:
                self._failures.pop(delivery.pixel_id, None)
            elif current and state == FAILED:
                now = self._now()
                failures = self._failures.setdefault(delivery.pixel_id, deque())
                failures.append(now)
                while failures and failures[0] <= now - FAILURE_WINDOW:
                    failures.popleft()
                if len(failures) >= FAILURES_TO_DEACTIVATE:
                    del self._failures[delivery.pixel_id]
                    deactivate = True
        if deactivate:
            delivery.deactivated = self._deactivate(delivery.pixel_id)
        self.journal.finish(delivery, state if state != PENDING else CANCELLED, status, ms, error)

    def _deactivate(self, pixel_id: int) -> bool:
        """Set a stored postback ``inactive``; whether it was active until now."""

        def inactive(body: dict[str, Any]) -> dict[str, Any]:
            if body.get("pixel_status") != "active":
                raise _Unchanged
            return {**body, "pixel_status": "inactive", "time_saved": self._state.clock.now()}

        try:
            return self._state.store.update(pixel_id, inactive) is not None  # None: deleted
        except _Unchanged:
            return False


class _Unchanged(Exception):
    """The postback was no longer active: nothing to store."""


__all__ = ["MAX_WAIT", "Firing", "firing_of", "parse_destination"]


def firing_of(state: MockState) -> Firing:
    """The ``Firing`` of the mock whose state is ``state``, made on first use (kept in
    ``state.parts``, so the mock's reset resets it)."""
    firing = state.parts.get("firing")
    if not isinstance(firing, Firing):
        firing = state.parts.setdefault("firing", Firing(state))  # the first made, if two race
        assert isinstance(firing, Firing)
    return firing
