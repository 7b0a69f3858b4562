"""What a conversion is (``POST /__admin/conversions``'s body) and which postbacks it fires.

Everflow's rules (its help centre and API reference; ``/work/shared/reference/everflow-facts.md``,
"Firing"): the *active* postbacks whose ``pixel_type`` is fired by the conversion's type
(``conversion``: conversion; ``event``: event and ``post_conversion``, whose
``network_offer_payout_revenue_id`` is the event's id or 0 for every event; ``click``: cpc),
at their level: ``global`` for its partner on every offer, ``specific`` for its offer and
partner, ``global_offer`` for every partner on its offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fixtures.conversions import CONVERSION_TYPES as TYPES
from fixtures.conversions import FIRED_BY
from fixtures.macros import MACRO_NAMES, Context, MacroValue, render_within
from mock_server.firing.ids import ID_MINIMUMS, id_rule
from mock_server.firing.journal import cut

CONVERSION_TYPES: dict[str, frozenset[str]] = {
    kind: frozenset(pixel_type for pixel_type, fired in FIRED_BY.items() if fired == kind)
    for kind in TYPES
}
"""Each conversion type and the ``pixel_type`` values it fires (``fixtures.conversions``)."""


class ConversionError(ValueError):
    """A conversion body that cannot be fired; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Conversion:
    """What fires postbacks: a type, the offer and partner, and the macro values."""

    type: str
    offer_id: int
    affiliate_id: int
    event_id: int
    values: Mapping[str, MacroValue]


def parse_conversion(body: Any) -> Conversion:
    """A ``Conversion`` from a JSON object keyed by macro names plus ``type``, or
    ``ConversionError`` naming the field that is not so: an id macro must be a whole number
    of at least its ``ID_MINIMUMS`` (``offer_id`` and ``affiliate_id`` are required: they
    decide what fires), any other value text, a number or null."""
    if not isinstance(body, dict):
        raise ConversionError("$", "the body must be a JSON object keyed by macro names")
    unknown = sorted(set(body) - MACRO_NAMES - {"type"})
    if unknown:
        raise ConversionError(
            unknown[0], "not a macro name (see fixtures.macros.MACROS) nor 'type'"
        )
    kind = body.get("type", "conversion")
    if kind not in CONVERSION_TYPES:
        raise ConversionError("type", f"must be one of {', '.join(CONVERSION_TYPES)}")
    values: dict[str, MacroValue] = {name: value for name, value in body.items() if name != "type"}
    for name, value in values.items():
        if isinstance(value, bool) or not (value is None or isinstance(value, str | int | float)):
            raise ConversionError(name, "a macro value is text, a number or null")
    ids = {}
    for name, minimum in ID_MINIMUMS.items():
        value = values.get(name, 0 if name == "event_id" else None)
        if type(value) is not int or value < minimum:
            raise ConversionError(name, id_rule(name))
        ids[name] = value
    return Conversion(kind, ids["offer_id"], ids["affiliate_id"], ids["event_id"], values)


def applies(postback: Mapping[str, Any], conversion: Conversion) -> bool:
    """Whether ``postback`` fires for ``conversion`` (Everflow's rules: see the module)."""
    return why_not(postback, conversion) is None


def why_not(postback: Mapping[str, Any], conversion: Conversion) -> str | None:
    """Why ``postback`` does not fire for ``conversion`` (one line naming the field), or
    None when it does (see the module for Everflow's rules)."""
    status = postback.get("pixel_status")
    if status != "active":
        return f"pixel_status is {status}, not active"
    pixel_type = postback.get("pixel_type")
    if pixel_type not in CONVERSION_TYPES[conversion.type]:
        return f"pixel_type {pixel_type} is not fired by {conversion.type}s"
    level = postback.get("pixel_level")
    offer = postback.get("network_offer_id") or 0
    partner = postback.get("network_affiliate_id") or 0
    wanted = f"offer {conversion.offer_id} and partner {conversion.affiliate_id}"
    if level == "global" and partner != conversion.affiliate_id:
        return f"global for partner {partner}, not {conversion.affiliate_id}"
    if level == "specific" and (offer, partner) != (conversion.offer_id, conversion.affiliate_id):
        return f"specific to offer {offer} and partner {partner}, not {wanted}"
    if level == "global_offer" and offer != conversion.offer_id:
        return f"global_offer for offer {offer}, not {conversion.offer_id}"
    if level not in ("global", "specific", "global_offer"):
        return f"pixel_level {level} is not global, specific or global_offer"
    if conversion.type == "event":
        event = postback.get("network_offer_payout_revenue_id") or 0
        if event not in (0, conversion.event_id):
            return f"for event {event}, not {conversion.event_id}"
    return None


def render_event(value: Any, values: Mapping[str, MacroValue], limit: int) -> Any:
    """A platform object with every string's macros filled in: as text, but URL-encoded
    in fields whose name ends in ``url`` (``event_source_url``, tiktok's ``url``). The
    strings together hold at most ``limit`` characters: rendering stops there, and the
    string it stopped in, and every one after it, is cut with the journal's note."""
    room = limit

    def fill(value: Any, key: str) -> Any:
        nonlocal room
        if isinstance(value, str):
            context: Context = "url" if key.endswith("url") else "text"
            text, more = render_within(value, values, context, room)
            room -= len(text)
            return cut(text, more)
        if isinstance(value, dict):
            return {k: fill(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(item, key) for item in value]
        return value

    return fill(value, "")
