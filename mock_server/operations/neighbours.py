"""The read-only operations on what postbacks point at: offers and affiliates (partners).

They answer from the mock's world (``MockState.world``), so an offer or partner a stored
postback names is served by id with the same name, and its payout/revenue entries include
the postback's. The choices where Everflow is silent are the spec's, written in each
operation's description.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mock_server.core.errors import ApiError
from mock_server.core.reply import Reply
from mock_server.data.strictjson import dumps
from mock_server.operations.table import Call, Handler, search_paging

OFFER_RELATIONSHIPS = ("advertiser", "payout_revenue")
"""The ``relationship`` values ``getOffer`` answers; others are named as ignored."""


def get_offer(call: Call) -> Reply:
    """``GET /networks/offers/{offerId}``: the offer with the relationships asked for."""
    whole = call.state.world.offers.get(call.params["offerId"])
    if whole is None:
        raise ApiError(404, "Offer not found.")
    asked: list[str] = call.params.get("relationship") or []
    ignored = sorted({name for name in asked if name not in OFFER_RELATIONSHIPS})
    call.ignore(
        [f"relationship={name} (the mock answers only {', '.join(OFFER_RELATIONSHIPS)})"
         for name in ignored]
    )  # fmt: skip
    related = whole.get("relationship") or {}
    offer = {key: value for key, value in whole.items() if key != "relationship"}
    offer["relationship"] = {name: related[name] for name in asked if name in related}
    return Reply(200, dumps(offer))


def get_affiliate(call: Call) -> Reply:
    """``GET /networks/affiliates/{affiliateId}``: the affiliate (partner)."""
    whole = call.state.world.affiliates.get(call.params["affiliateId"])
    if whole is None:
        raise ApiError(404, "Affiliate not found.")
    return Reply(200, dumps({**whole, "relationship": {}}))


Match = Callable[[Mapping[str, Any]], bool]


def _contains(key: Callable[[Mapping[str, Any]], Any], value: str) -> Match:
    wanted = value.casefold()
    return lambda row: wanted in str(key(row)).casefold()


def _any_of(key: str, values: Iterable[Any]) -> Match:
    allowed = frozenset(values)
    return lambda row: row.get(key) in allowed


def _search(
    call: Call,
    name: str,
    schema_name: str,
    entities: Mapping[int, dict[str, Any]],
    filter_fields: Mapping[str, str],
    row: Callable[[dict[str, Any]], dict[str, Any]],
) -> Reply:
    """One page of ``entities`` (answered as ``name``) that the body's terms and filters
    select, as rows, by id. ``filter_fields`` names each filter's field: a filter gives a
    value, or a list to match any of (an empty one filters nothing)."""
    from mock_server.operations import writes

    body = writes.valid_body(call.body, schema_name)
    notes = writes.unknown_fields(body, schema_name)
    matches: list[Match] = []
    for term in body.get("search_terms") or ():
        field = _advertiser_name if term["search_type"] == "advertiser_name" else _name
        matches.append(_contains(field, term["value"]))
    filters = body.get("filters") or {}
    for filter_name, field_name in filter_fields.items():
        given = filters.get(filter_name)
        if filter_name in filters and given != []:
            matches.append(_any_of(field_name, given if isinstance(given, list) else [given]))
    rows = [row(e) for _, e in sorted(entities.items()) if all(m(e) for m in matches)]
    page, page_size = search_paging(call, body, notes)
    call.ignore(notes)
    start = (page - 1) * page_size
    answer = {
        name: rows[start : start + page_size],
        "paging": {"page": page, "page_size": page_size, "total_count": len(rows)},
    }
    return Reply(200, dumps(answer))


def _advertiser_name(offer: Mapping[str, Any]) -> str:
    advertiser = (offer.get("relationship") or {}).get("advertiser") or {}
    name = advertiser.get("name", "")
    return name if isinstance(name, str) else ""


def _name(entity: Mapping[str, Any]) -> Any:
    return entity.get("name", "")


def _offer_row(offer: Mapping[str, Any]) -> dict[str, Any]:
    row = {key: value for key, value in offer.items() if key != "relationship"}
    row["network_advertiser_name"] = _advertiser_name(offer)
    row["relationship"] = {}
    return row


def search_offers(call: Call) -> Reply:
    """``POST /networks/offerstable``: one page of the offers a search selects."""
    filters = {
        "offer_status": "offer_status",
        "network_advertiser_ids": "network_advertiser_id",
        "visibilities": "visibility",
    }
    offers = call.state.world.offers
    return _search(call, "offers", "OfferSearch", offers, filters, _offer_row)


def search_affiliates(call: Call) -> Reply:
    """``POST /networks/affiliatestable``: one page of the affiliates a search selects."""
    filters = {"account_status": "account_status", "account_manager_ids": "network_employee_id"}
    affiliates = call.state.world.affiliates
    return _search(call, "affiliates", "AffiliateSearch", affiliates, filters, _affiliate_row)


def _affiliate_row(affiliate: dict[str, Any]) -> dict[str, Any]:
    return {**affiliate, "relationship": {}}


NEIGHBOURS: dict[str, Handler] = {
    "getOffer": get_offer,
    "searchOffers": search_offers,
    "getAffiliate": get_affiliate,
    "searchAffiliates": search_affiliates,
}
"""The operations on offers and affiliates, by the spec's operationId."""
