"""The operations the mock answers, by the spec's ``operationId``.

Each is a function from one admitted request (``Call``: key checked, rate limited, controls,
path and query parameters parsed, body read) to a ``Reply``; one that fails raises an
``ApiError`` (``mock_server.core.errors``), which the pipeline answers, as it journals,
delays and faults every answer. What they do with the state is the store's
(``mock_server.state.store``), and how a write body becomes a stored postback is
``mock_server.operations.writes``'s. The choices where Everflow is silent are the spec's,
written in each operation's description.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_server.core.controls import Controls
from mock_server.core.errors import ApiError, StrictRefusal
from mock_server.core.mock_warning import header_value
from mock_server.core.reply import Reply
from mock_server.core.routes import OperationSpec
from mock_server.data.strictjson import dumps
from mock_server.state.mock_state import MockState
from openapi import load_spec


@dataclass(slots=True)
class Call:
    """One admitted request to one operation."""

    state: MockState
    """The mock's data, shared by every operation and the admin API."""
    operation: OperationSpec
    params: Mapping[str, Any]
    wanted: Controls
    body: bytes | None
    given: frozenset[str] = frozenset()
    """The names of the query parameters the request sent (``params`` has defaults too)."""
    notes: list[str] = field(default_factory=list)
    """What the request sent that the operation did not read (``core.mock_warning``)."""

    def ignore(self, notes: Iterable[str]) -> None:
        """Add ``notes`` on what the operation does not read (the answer's warning); in
        strict mode (``MockConfig.strict``) refuse the request instead, a ``StrictRefusal``
        in the same words. Operations call it before they change anything."""
        self.notes += notes
        if self.notes and self.state.config.strict:
            raise StrictRefusal(header_value(self.notes))

    def unstored(self, pixel_id: int) -> bytes | None:
        """What a read of an id that is not stored answers: the factory's postback in
        dynamic mode (``--dynamic``, ``Prefer: dynamic=true``) or for ``Prefer: code=200``,
        else ``None`` (a 404); ``InvalidRecords`` as ``MockState.generated`` raises it."""
        wanted = self.wanted
        state = self.state
        dynamic = wanted.dynamic if wanted.dynamic is not None else state.dynamic
        if not (dynamic or wanted.code == 200):
            return None
        seed = wanted.seed if wanted.seed is not None else state.config.seed
        return state.generated(seed, pixel_id)


Handler = Callable[[Call], Reply]
DELETED = b'{"result":true}'


def get_partner_postback(call: Call) -> Reply:
    """``GET /networks/pixels/{pixelId}``: the stored postback, a generated one, or 404."""
    pixel_id: int = call.params["pixelId"]
    data = call.state.store.get(pixel_id)
    if data is None:
        data = call.unstored(pixel_id)
        if data is None:
            raise ApiError(404)
    return Reply(200, data)


def list_partner_postbacks(call: Call) -> Reply:
    """``GET /networks/pixels``: one page of the postbacks the ``filter`` values select."""
    from mock_server.operations.selection import list_conditions  # only lists and searches need it

    params = call.params
    conditions = list_conditions(params["filter"])
    return Reply(200, call.state.store.page(conditions, params["page"], params["page_size"]))


def search_partner_postbacks(call: Call) -> Reply:
    """``POST /networks/pixelstable``: one page of the postbacks the body's terms and
    filters select; nothing changes."""
    from mock_server.operations import writes
    from mock_server.operations.selection import search_conditions, search_order

    body = writes.valid_body(call.body, "PartnerPostbackSearch")
    notes = writes.unknown_fields(body, "PartnerPostbackSearch")
    page, page_size = search_paging(call, body, notes)
    order = search_order(body, notes)
    call.ignore(notes)
    conditions = search_conditions(body)
    return Reply(
        200, call.state.store.page(conditions, page, page_size, shape=search_row, order=order)
    )


ROW_NAMES = {"network_affiliate_name": "affiliate", "network_offer_name": "offer"}
"""The search row's name fields, and the relationship entity whose name each one is."""


@functools.cache
def _row_fields() -> tuple[str, ...]:
    """``PartnerPostbackSearchRow``'s fields, in the spec's order."""
    return tuple(load_spec()["components"]["schemas"]["PartnerPostbackSearchRow"]["properties"])


def search_row(data: bytes) -> bytes:
    """A stored postback as a search answers it (``PartnerPostbackSearchRow``): its own
    fields, its partner's and offer's names (``""`` where the level has none), an empty
    ``relationship``, no platform objects."""
    postback = json.loads(data)
    related = postback.get("relationship")
    related = related if isinstance(related, dict) else {}
    row: dict[str, Any] = {}
    for name in _row_fields():
        if name in ROW_NAMES:
            entity = related.get(ROW_NAMES[name])
            row[name] = entity.get("name", "") if isinstance(entity, dict) else ""
        elif name == "relationship":
            row[name] = {}
        elif name in postback:
            row[name] = postback[name]
    return dumps(row)


PAGING = ("page", "page_size")
"""The paging values a search may take from its query string or its body."""
PAGING_PLACES = ("query", "paging", "")
"""Where a search's paging may be, the first that has a value winning: the query string
(Everflow's reference), the body's ``paging`` object (its quick start), the body's top level
(its user guide)."""


def _paging_name(place: str, name: str) -> str:
    return {"query": f"query parameter {name}", "paging": f"paging.{name}"}.get(place, name)


def search_paging(call: Call, body: Mapping[str, Any], notes: list[str]) -> tuple[int, int]:
    """A search's page and page size, each from the first place in ``PAGING_PLACES`` that
    gives it; a note in ``notes`` for each other place that gives another value (ignored).

    The same value in two places is fine. The body's values are already checked by the
    search schema."""
    nested = body.get("paging")
    given: dict[str, Mapping[str, Any]] = {
        "query": {name: call.params[name] for name in PAGING if name in call.given},
        "paging": nested if isinstance(nested, Mapping) else {},
        "": body,
    }
    chosen: list[int] = []
    for name in PAGING:
        said = [(place, given[place][name]) for place in PAGING_PLACES if name in given[place]]
        winner, value = said[0] if said else ("query", call.params[name])
        for place, other in said[1:]:
            if other != value:
                notes.append(
                    f"{_paging_name(place, name)} (sent twice, with another value; "
                    f"{_paging_name(winner, name)} wins)"
                )
        chosen.append(value)
    return chosen[0], chosen[1]


def create_partner_postback(call: Call) -> Reply:
    """``POST /networks/pixels``: store a new postback from a valid write body (200)."""
    from mock_server.operations import writes

    body = writes.valid_body(call.body, "PartnerPostbackInput")
    call.ignore(writes.unknown_fields(body, "PartnerPostbackInput"))
    check_references(call, body)
    state = call.state
    data = state.store.create(
        lambda pixel_id: writes.created(body, pixel_id, state.relationships, state.clock.now)
    )
    return Reply(200, data)


REFERENCE_NOUNS = {
    "network_offer_id": "offer",
    "network_affiliate_id": "affiliate (partner)",
    "network_offer_payout_revenue_id": "payout/revenue entry",
}


def check_references(call: Call, body: Mapping[str, Any]) -> None:
    """Refuse (or, loose, name in the warning) what a write body names and the mock's world
    lacks (``MockConfig.references``)."""
    missing = call.state.world.missing(body)
    if not missing:
        return
    said = [
        f"{name}: there is no {REFERENCE_NOUNS[name]} {value}"
        + (f" on offer {body.get('network_offer_id')}" if name.endswith("revenue_id") else "")
        for name, value in missing
    ]
    if call.state.config.references == "loose":
        call.notes += [f"{text} in the mock's world (references=loose)" for text in said]
        return
    raise ApiError(400, "; ".join(said) + " in this network.")


def replace_partner_postback(call: Call) -> Reply:
    """``PUT /networks/pixels/{pixelId}``: replace a postback with a valid write body.

    Also answers an id that is not stored where a read of it would (dynamic mode), so that
    fetch-modify-put works on a generated postback too."""
    from mock_server.operations import writes

    pixel_id: int = call.params["pixelId"]
    body = writes.valid_body(call.body, "PartnerPostbackInput")
    call.ignore(writes.unknown_fields(body, "PartnerPostbackInput"))
    check_references(call, body)
    sent_id = body.get("network_pixel_id", pixel_id)
    if sent_id != pixel_id:
        raise ApiError(
            400, f"network_pixel_id: the body's id {sent_id} is not the path's id {pixel_id}."
        )
    state = call.state
    store = state.store
    missing = None if store.get(pixel_id) is not None else call.unstored(pixel_id)
    data = store.update(
        pixel_id,
        lambda stored: writes.replaced(body, stored, state.relationships, state.clock.now),
        missing,
    )
    if data is None:
        raise ApiError(404)
    return Reply(200, data)


def delete_partner_postback(call: Call) -> Reply:
    """``DELETE /networks/pixels/{pixelId}``: ``{"result": true}``, then the id is a 404.

    ``Prefer: code=200`` answers so for an id that is not stored, too."""
    if call.state.store.delete(call.params["pixelId"]) or call.wanted.code == 200:
        return Reply(200, DELETED)
    raise ApiError(404)


OPERATIONS: dict[str, Handler] = {
    "getPartnerPostback": get_partner_postback,
    "listPartnerPostbacks": list_partner_postbacks,
    "createPartnerPostback": create_partner_postback,
    "replacePartnerPostback": replace_partner_postback,
    "deletePartnerPostback": delete_partner_postback,
    "searchPartnerPostbacks": search_partner_postbacks,
}
"""Every operation the mock answers, by the spec's operationId."""
