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
from fixtures.macros import MACRO_NAMES, Context, MacroValue, render
from mock_server.firing.ids import ID_MINIMUMS, id_rule

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
    """A ``Conversion`` from a JSON body keyed by macro names plus ``type``.

    ``ConversionError`` naming the field for: a body that is not an object, a key that is
    neither a macro nor ``type``, a type other than conversion, event or click, an
    ``offer_id`` or ``affiliate_id`` that is not a whole number >= 1 (both are required: they
    decide what fires), an ``event_id`` that is not a whole number >= 0, or a value that is
    not text, a number or null.
    """
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
    values: dict[str, MacroValue] = {}
    for name, value in body.items():
        if name == "type":
            continue
        if isinstance(value, bool) or not (value is None or isinstance(value, str | int | float)):
            raise ConversionError(name, "a macro value is text, a number or null")
        values[name] = value
    ids = {}
    for name, minimum in ID_MINIMUMS.items():
        value = values.get(name, 0 if name == "event_id" else None)
        if type(value) is not int or value < minimum:
            raise ConversionError(name, id_rule(name))
        ids[name] = value
    return Conversion(kind, ids["offer_id"], ids["affiliate_id"], ids["event_id"], values)


def applies(postback: Mapping[str, Any], conversion: Conversion) -> bool:
    """Whether an active postback of the right type fires for ``conversion`` by its level
    and event id."""
    level = postback.get("pixel_level")
    offer = postback.get("network_offer_id") or 0
    partner = postback.get("network_affiliate_id") or 0
    if level == "global":
        hit = partner == conversion.affiliate_id
    elif level == "specific":
        hit = offer == conversion.offer_id and partner == conversion.affiliate_id
    elif level == "global_offer":
        hit = offer == conversion.offer_id
    else:
        hit = False
    if hit and conversion.type == "event":
        wanted = postback.get("network_offer_payout_revenue_id") or 0
        hit = wanted in (0, conversion.event_id)
    return hit


def render_event(value: Any, values: Mapping[str, MacroValue], key: str = "") -> Any:
    """A platform object with every string's macros filled in: as text, but URL-encoded
    in fields whose name ends in ``url`` (``event_source_url``, tiktok's ``url``)."""
    if isinstance(value, str):
        context: Context = "url" if key.endswith("url") else "text"
        return render(value, values, context)
    if isinstance(value, dict):
        return {k: render_event(v, values, k) for k, v in value.items()}
    if isinstance(value, list):
        return [render_event(item, values, key) for item in value]
    return value
