"""The kinds of record a data file or a recording holds, and what the spec says of each.

A data file's object form (``serve --data``), a recording (``everflow-mock record``,
``proxy --record``) and the contract suite's ``--recording`` share one shape:
``{"postbacks": [...], "offers": [...], "affiliates": [...]}``. Each list holds records of
one schema of the spec, named by one id field, each the answer to one read by that id.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = ["KEYS", "KINDS", "NEIGHBOURS", "Kind", "KindName"]

KindName = Literal["postback", "offer", "affiliate"]


class Kind(NamedTuple):
    """One list of the object form."""

    key: str
    """Its key in the object form."""
    name: KindName
    """One of its records, in messages (``offer 3``)."""
    schema: str
    """The records' schema in the spec."""
    id_field: str
    read: str
    """The path of the read a record answers, ``{}`` for its id."""


KINDS = (
    Kind("postbacks", "postback", "PartnerPostback", "network_pixel_id", "/networks/pixels/{}"),
    Kind("offers", "offer", "Offer", "network_offer_id", "/networks/offers/{}"),
    Kind("affiliates", "affiliate", "Affiliate", "network_affiliate_id", "/networks/affiliates/{}"),
)
KEYS = tuple(kind.key for kind in KINDS)
"""The object form's keys, postbacks first."""
NEIGHBOURS = KINDS[1:]
"""What the object form holds beside its postbacks: the offers and affiliates they name."""
