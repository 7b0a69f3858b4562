"""``MockConfig``: everything that decides how the mock behaves, in one value."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mock_server.core.clock import ClockSetting

ErrorKey = Literal["error", "Error"]
References = Literal["strict", "loose"]


KEY_KINDS = ("network", "affiliate", "advertiser", "partner")
"""The kinds of Everflow API key; only network keys may use the network endpoints."""


def key_kinds(api_keys: Sequence[str]) -> dict[str, str]:
    """Each configured key and its kind: ``"partner:KEY"`` is a partner key, a key with no
    known kind before a colon a network key."""
    kinds: dict[str, str] = {}
    for entry in api_keys:
        kind, sep, key = entry.partition(":")
        if sep and kind in KEY_KINDS and key:
            kinds[key] = kind
        else:
            kinds[entry] = "network"
    return kinds


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: ``rate`` tokens a second, holding at most ``burst`` (the network
    keys' bucket, shared by all of them, as Everflow's is per network)."""

    rate: float = 30.0
    burst: int = 50

    @classmethod
    def parse(cls, text: str) -> RateLimit | None:
        """``"30/50"`` -> 30/s with burst 50; ``"off"`` -> ``None``."""
        if text.strip().lower() == "off":
            return None
        rate_text, _, burst_text = text.partition("/")
        try:
            rate, burst = float(rate_text), int(burst_text or rate_text)
        except ValueError:
            raise ValueError(f"rate limit must look like 30/50 or off, not {text!r}") from None
        # nan and inf pass float(); a rate whose inverse overflows has no Retry-After.
        if not (rate > 0 and math.isfinite(rate) and math.isfinite(1 / rate)) or burst < 1:
            raise ValueError(f"rate limit needs a positive rate and burst, not {text!r}")
        return cls(rate, burst)


@dataclass(frozen=True)
class MockConfig:
    """How a mock app behaves.

    ``postbacks`` is the start data (``None``: the built-in catalogue for ``seed``).
    With ``api_keys`` set, only those keys are accepted (others get 401); otherwise any
    non-empty key is. A key may name its kind, ``"partner:KEY"`` (also ``affiliate:``,
    ``advertiser:``, ``network:``): such a key spends its kind's bucket (5/s, burst 20) and
    gets Everflow's 403 "Out of realm" on these network endpoints. ``dynamic`` answers unknown ids with the factory's postback for that
    id. ``delay_ms`` and ``fault_rate`` apply to every request, for chaos testing.

    The limits keep one client's mistakes (or malice) from costing anyone else: request
    bodies (``max_body`` bytes, API and admin alike), how long a client may take to send
    one (``read_timeout`` seconds) and the journals (``journal_size`` entries each, requests
    and deliveries, and ``journal_bytes`` in all for the requests). ``admin_token`` opens the
    admin API to non-loopback clients that send it as a bearer token; without it only
    loopback clients may use the admin API.
    ``max_postbacks`` and ``max_store_bytes`` bound what creates can grow the store to (start
    data may be larger).

    ``strict`` turns every ``X-Everflow-Mock-Warning`` the mock would send (a query
    parameter or body field it does not read, paging given twice, a sort it cannot do) into
    a 400 in Everflow's error shape naming the same things, before anything is stored; the
    journal marks such answers. Off by default: Everflow is lenient, so is the mock.

    ``clock`` is the time written into created and replaced postbacks (``ClockSetting``).

    ``references``: ``"strict"`` (the default) refuses a create or replace whose offer,
    partner or payout/revenue entry is not in the mock's world (``MockState.world``) with
    a 400 naming the field and id; ``"loose"`` accepts it as before, naming the unknown id
    in the ``X-Everflow-Mock-Warning`` header, for tests that build postbacks in isolation.

    Firing (``POST /__admin/conversions``): postback GETs go to loopback only, and to the
    ``HOST[:PORT]`` destinations in ``deliver_to``; each has ``delivery_timeout`` seconds;
    a postback's ``delay_ms`` is multiplied by ``delivery_delay_scale`` (0: no delays).
    """

    seed: int = 0
    postbacks: Sequence[dict[str, Any]] | None = None
    api_keys: tuple[str, ...] = ()
    dynamic: bool = False
    error_key: ErrorKey = "error"
    rate_limit: RateLimit | None = field(default_factory=RateLimit)
    delay_ms: int = 0
    fault_rate: float = 0.0
    journal_size: int = 1000
    journal_bytes: int = 8 * 1024 * 1024
    max_body: int = 1024 * 1024
    read_timeout: float = 10.0
    admin_token: str | None = None
    max_postbacks: int = 200_000
    max_store_bytes: int = 512 * 1024 * 1024
    clock: ClockSetting = None
    deliver_to: tuple[str, ...] = ()
    delivery_timeout: float = 5.0
    delivery_delay_scale: float = 1.0
    strict: bool = False
    references: References = "strict"
