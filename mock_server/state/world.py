"""``World``: the offers and affiliates (partners) a mock serves beside its postbacks.

Postbacks name an offer, a partner and a payout/revenue entry by id; the world holds
them, so that ``getOffer`` and ``getAffiliate`` answer what the postbacks name and a write
naming what is not there can be refused (``missing``); a write's ``relationship`` is made
of them (``WorldRelationships``). Offers and affiliates are kept whole, as ``getOffer``
answers with every relationship; an object is replaced, never changed in place, so a copy
of the dicts is a copy of the world.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from fixtures import PostbackFactory

NOT_RELATED = {
    "offer": ("time_created", "time_saved", "relationship"),
    "affiliate": ("relationship",),
}
"""The keys of a whole offer or affiliate that a postback's ``relationship`` does not carry."""


@dataclass
class World:
    """Offers and affiliates by id, each whole (see the module's docstring)."""

    offers: dict[int, dict[str, Any]] = field(default_factory=dict)
    affiliates: dict[int, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, data: Mapping[str, Iterable[Mapping[str, Any]]]) -> World:
        """A world from ``{"offers": [...], "affiliates": [...]}`` (each object whole)."""
        return cls(
            {o["network_offer_id"]: dict(o) for o in data.get("offers", ())},
            {a["network_affiliate_id"]: dict(a) for a in data.get("affiliates", ())},
        )

    def copy(self) -> World:
        """A world whose dicts may change without changing this one."""
        return World(dict(self.offers), dict(self.affiliates))

    def missing(self, postback: Mapping[str, Any]) -> list[tuple[str, int]]:
        """The references of ``postback`` that this world lacks, as ``(field, id)``: its
        offer (unless the level is ``global``), its partner (unless ``global_offer``) and
        its payout/revenue entry (when non-zero, on an offer that is there)."""
        level = postback.get("pixel_level")
        found: list[tuple[str, int]] = []
        offer_id = postback.get("network_offer_id")
        if level != "global" and type(offer_id) is int and offer_id:
            known = self.offers.get(offer_id)
            if known is None:
                found.append(("network_offer_id", offer_id))
            else:
                entry = postback.get("network_offer_payout_revenue_id")
                if type(entry) is int and entry and entry not in entry_ids(known):
                    found.append(("network_offer_payout_revenue_id", entry))
        affiliate_id = postback.get("network_affiliate_id")
        if (
            level != "global_offer"
            and type(affiliate_id) is int
            and affiliate_id
            and affiliate_id not in self.affiliates
        ):
            found.append(("network_affiliate_id", affiliate_id))
        return found

    def fill_in(self, postbacks: Iterable[Mapping[str, Any]], seed: int) -> None:
        """Add what ``postbacks`` name and this world lacks: an offer or partner from the
        postback's own ``relationship`` where it has one (else the seed's stand-in for that
        id), and a payout/revenue entry the offer lacks (named ``Event <id>``). So data
        given whole (``--data``, ``everflow_mock.add``) is served coherently."""
        for postback in postbacks:
            missing = self.missing(postback)
            if not missing:
                continue
            from fixtures.world import stand_in_affiliate, stand_in_offer  # Faker: only here

            related = postback.get("relationship")
            related = related if isinstance(related, Mapping) else {}
            for name, missing_id in missing:
                if name == "network_offer_id":
                    own = related.get("offer")
                    self.offers[missing_id] = stand_in_offer(
                        seed, missing_id, own if isinstance(own, Mapping) else {}
                    )
                elif name == "network_affiliate_id":
                    own = related.get("affiliate")
                    self.affiliates[missing_id] = stand_in_affiliate(
                        seed, missing_id, own if isinstance(own, Mapping) else {}
                    )
            for name, missing_id in self.missing(postback):
                if name == "network_offer_payout_revenue_id":
                    offer_id = postback["network_offer_id"]
                    self.offers[offer_id] = with_entry(self.offers[offer_id], missing_id)

    def related(self, kind: str, entity_id: int) -> dict[str, Any] | None:
        """The ``offer`` or ``affiliate`` as a postback's ``relationship`` carries it, or
        ``None``."""
        whole = (self.offers if kind == "offer" else self.affiliates).get(entity_id)
        if whole is None:
            return None
        return {key: value for key, value in whole.items() if key not in NOT_RELATED[kind]}


class Worldly(Protocol):
    """What ``WorldRelationships`` reads: the world of now and the seed's factory."""

    @property
    def world(self) -> World: ...

    @property
    def factory(self) -> PostbackFactory: ...


class WorldRelationships:
    """A postback's ``relationship`` from the world; the factory's stand-ins only for ids
    the world lacks (``references="loose"``)."""

    def __init__(self, state: Worldly) -> None:
        self.state = state

    @functools.cached_property
    def network_id(self) -> int:
        """The network every postback of the mock belongs to."""
        return self.state.factory.network_id

    def relationship(
        self, network_offer_id: int, network_affiliate_id: int, pixel_level: str
    ) -> dict[str, Any]:
        """As ``PostbackFactory.relationship`` chooses its entities by level, with the
        world's objects: a write naming what the world has never asks the factory."""
        world = self.state.world  # the world of now: ``reset`` replaces it
        related: dict[str, Any] = {}
        if pixel_level != "global":
            related["offer"] = world.related("offer", network_offer_id)
        if pixel_level != "global_offer":
            related["affiliate"] = world.related("affiliate", network_affiliate_id)
        if None in related.values():
            made = self.state.factory.relationship(
                network_offer_id, network_affiliate_id, pixel_level
            )
            related = {kind: found or made[kind] for kind, found in related.items()}
        return related


def entry_ids(whole_offer: Mapping[str, Any]) -> set[int]:
    """The payout/revenue entry ids of a whole offer."""
    related = whole_offer.get("relationship")
    listed = related.get("payout_revenue", {}).get("entries", []) if related else []
    return {entry.get("network_offer_payout_revenue_id") for entry in listed}


def with_entry(whole_offer: Mapping[str, Any], entry_id: int) -> dict[str, Any]:
    """``whole_offer`` with one more event entry, ``entry_id``."""
    relationship = dict(whole_offer.get("relationship") or {})
    entries = [*relationship.get("payout_revenue", {}).get("entries", [])]
    entries.append(
        {
            "network_offer_payout_revenue_id": entry_id,
            "entry_name": f"Event {entry_id}",
            "payout_type": "cpa",
            "payout_amount": 0,
            "revenue_type": "rpa",
            "revenue_amount": 0,
            "is_default": False,
        }
    )
    relationship["payout_revenue"] = {"total": len(entries), "entries": entries}
    return {**whole_offer, "relationship": relationship}
