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


def _page(
    call: Call, body: Mapping[str, Any], notes: list[str], rows: list[dict[str, Any]], name: str
) -> Reply:
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


def search_offers(call: Call) -> Reply:
    """``POST /networks/offerstable``: one page of the offers the body's terms and filters
    select, as rows, by id."""
    from mock_server.operations import writes

    body = writes.valid_body(call.body, "OfferSearch")
    notes = writes.unknown_fields(body, "OfferSearch")
    matches: list[Match] = []
    for term in body.get("search_terms") or ():
        field = _advertiser_name if term["search_type"] == "advertiser_name" else _name
        matches.append(_contains(field, term["value"]))
    filters = body.get("filters") or {}
    if "offer_status" in filters:
        matches.append(_any_of("offer_status", [filters["offer_status"]]))
    if filters.get("network_advertiser_ids"):
        matches.append(_any_of("network_advertiser_id", filters["network_advertiser_ids"]))
    if filters.get("visibilities"):
        matches.append(_any_of("visibility", filters["visibilities"]))
    offers = call.state.world.offers
    rows = [
        _offer_row(offers[offer_id])
        for offer_id in sorted(offers)
        if all(match(offers[offer_id]) for match in matches)
    ]
    return _page(call, body, notes, rows, "offers")


def _name(entity: Mapping[str, Any]) -> Any:
    return entity.get("name", "")


def _offer_row(offer: Mapping[str, Any]) -> dict[str, Any]:
    row = {key: value for key, value in offer.items() if key != "relationship"}
    row["network_advertiser_name"] = _advertiser_name(offer)
    row["relationship"] = {}
    return row


def search_affiliates(call: Call) -> Reply:
    """``POST /networks/affiliatestable``: one page of the affiliates the body's terms and
    filters select, by id."""
    from mock_server.operations import writes

    body = writes.valid_body(call.body, "AffiliateSearch")
    notes = writes.unknown_fields(body, "AffiliateSearch")
    matches: list[Match] = []
    for term in body.get("search_terms") or ():
        matches.append(_contains(_name, term["value"]))
    filters = body.get("filters") or {}
    if "account_status" in filters:
        matches.append(_any_of("account_status", [filters["account_status"]]))
    if filters.get("account_manager_ids"):
        matches.append(_any_of("network_employee_id", filters["account_manager_ids"]))
    affiliates = call.state.world.affiliates
    rows = [
        {**affiliates[affiliate_id], "relationship": {}}
        for affiliate_id in sorted(affiliates)
        if all(match(affiliates[affiliate_id]) for match in matches)
    ]
    return _page(call, body, notes, rows, "affiliates")


NEIGHBOURS: dict[str, Handler] = {
    "getOffer": get_offer,
    "searchOffers": search_offers,
    "getAffiliate": get_affiliate,
    "searchAffiliates": search_affiliates,
}
"""The operations on offers and affiliates, by the spec's operationId."""
