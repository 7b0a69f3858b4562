"""What a list's ``filter`` parameters and a search's body select, as index ``Condition`` values.

Both arrive already checked against the spec (the filter pattern, the search schema), so
reading them here cannot fail; a search's ``sort`` becomes the order its page is cut from.
The choices (a list filter compares the stored field only; a search's filters are
``SEARCH_FILTERS``) are the spec's, in its operation descriptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from mock_server.operations.writes import value_aliases
from mock_server.state.index import (
    ID_FIELD,
    INDEXED,
    SCANNED,
    Compare,
    Condition,
    Contains,
    Either,
    Equals,
)

_FILTER = re.compile(r"([a-z_]+)([=<>])(.*)", re.DOTALL)

SEARCH_TERMS: dict[str, tuple[str, ...]] = {
    "pixel_id": (ID_FIELD,),
    "description": ("description",),
    "payload": ("postback_url", "html_code"),
}
"""Each ``search_type`` and the fields its value is looked for in."""

SEARCH_FILTERS: dict[str, tuple[str, str | None]] = {
    "offer_status": ("pixel_status", None),
    "status": ("pixel_status", None),
    "pixel_type": ("pixel_type", None),
    "delivery_methods": ("delivery_method", None),
    "network_offer_ids": ("network_offer_id", "global"),
    "network_affiliate_ids": ("network_affiliate_id", "global_offer"),
}
"""Each search filter: the field it compares, and the ``pixel_level`` whose postbacks it
selects too (they target every offer, or every partner)."""


def _named(field: str, values: Iterable[Any]) -> frozenset[Any]:
    """``values`` and every other name of each (``event`` and ``post_conversion``), so that a
    filter on either name selects postbacks stored under both."""
    aliases = value_aliases().get(field, {})
    named = set(values)
    for alias, canonical in aliases.items():
        if alias in named or canonical in named:
            named |= {alias, canonical}
    return frozenset(named)


def list_conditions(filters: Iterable[str]) -> list[Condition]:
    """The conditions of ``filter=`` values (``pixel_status=active``, ``time_created>5``)."""
    conditions: list[Condition] = []
    for text in filters:
        found = _FILTER.fullmatch(text)
        if found is None:  # cannot happen after the spec's pattern; never select everything
            raise ValueError(f"not a filter: {text!r}")
        field, op, value = found.groups()
        if value.isdigit():
            number = int(value)
            if op == "=" and field in INDEXED:
                conditions.append(Equals(field, frozenset((number,))))
            else:
                conditions.append(Compare(field, op, number))
        else:
            conditions.append(Equals(field, _named(field, (value,))))
    return conditions


def search_conditions(body: Mapping[str, Any]) -> list[Condition]:
    """The conditions of a search body (``PartnerPostbackSearch``, already checked)."""
    query = body.get("query") or {}
    conditions: list[Condition] = []
    for term in query.get("search_terms") or ():
        fields = SEARCH_TERMS[term["search_type"]]
        value = term["value"]
        if fields == (ID_FIELD,):
            conditions.append(Equals(ID_FIELD, frozenset((int(value),))))
        else:
            conditions.append(Contains(fields, value.casefold()))
    filters = query.get("filters") or {}
    for name, (field, level) in SEARCH_FILTERS.items():
        if name not in filters:
            continue
        given = filters[name]
        values = _named(field, given if isinstance(given, list) else (given,))
        if not values:
            continue  # an empty array filters nothing
        condition: Condition = Equals(field, values)
        if level is not None:
            condition = Either((condition, Equals("pixel_level", frozenset((level,)))))
        conditions.append(condition)
    return conditions


SORT_FIELDS = (ID_FIELD, *SCANNED)
"""What a search sorts by (``sort.field``): the id and the times Everflow's examples use."""
SORT_DIRECTIONS = {"asc": False, "desc": True}
"""``sort.direction``, and whether it is descending."""


def search_order(body: Mapping[str, Any], notes: list[str]) -> tuple[str, bool]:
    """The order a search answers in: ``(field, descending)`` from the body's ``sort``
    (the id, ascending, by default); a note in ``notes`` for a field or direction the mock
    cannot sort by (ignored: the default takes its place)."""
    sort = body.get("sort")
    if not isinstance(sort, Mapping):
        return ID_FIELD, False
    field_name = sort.get("field", ID_FIELD)
    if field_name not in SORT_FIELDS:
        notes.append(f"sort.field (not a field the mock sorts by: {', '.join(SORT_FIELDS)})")
        field_name = ID_FIELD
    direction = sort.get("direction", "asc")
    if direction not in SORT_DIRECTIONS:
        notes.append("sort.direction (neither asc nor desc)")
        direction = "asc"
    return field_name, SORT_DIRECTIONS[direction]
