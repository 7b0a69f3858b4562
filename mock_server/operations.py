"""The operations the mock answers, by the spec's ``operationId``.

Each is a function from one admitted request (``Call``: key checked, rate limited, controls,
path and query parameters parsed, body read) to a ``Reply``. Everything they share (the key
check, rate limit, controls, journal, delays and faults) is the pipeline's, not theirs; what
they do with the state is the store's (``mock_server.store``), and how a write body becomes
a stored postback is ``mock_server.writes``'s. The choices where Everflow is silent are the
spec's, written in each operation's description.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mock_server.controls import Controls
from mock_server.exchange import Reply
from mock_server.records import InvalidRecords
from mock_server.routes import OperationSpec
from mock_server.state import MockState
from mock_server.store import StoreFull

if TYPE_CHECKING:
    from mock_server.pipeline import Pipeline


class SpecBreach(RuntimeError):
    """A response the mock was about to send breaks the spec."""


@dataclass(slots=True)
class Call:
    """One admitted request to one operation."""

    pipeline: Pipeline
    operation: OperationSpec
    params: Mapping[str, Any]
    wanted: Controls
    body: bytes | None

    @property
    def state(self) -> MockState:
        """The mock's data, shared by every operation and the admin API."""
        return self.pipeline.state

    def error(self, status: int, message: str | None = None) -> Reply:
        """Everflow's error answer for ``status``."""
        return self.pipeline.error(status, message)

    def unstored(self, pixel_id: int) -> bytes | None:
        """What a read of an id that is not stored answers: the factory's postback in
        dynamic mode (``--dynamic``, ``Prefer: dynamic=true``) or for ``Prefer: code=200``,
        else ``None`` (a 404)."""
        wanted = self.wanted
        state = self.state
        dynamic = wanted.dynamic if wanted.dynamic is not None else state.dynamic
        if not (dynamic or wanted.code == 200):
            return None
        seed = wanted.seed if wanted.seed is not None else state.config.seed
        try:
            return state.generated(seed, pixel_id)
        except InvalidRecords as invalid:
            raise SpecBreach(_lines(invalid)) from None


Operation = Callable[[Call], Reply]
DELETED = b'{"result":true}'


def _lines(invalid: InvalidRecords) -> str:
    return " ".join(invalid.lines()[1:])


def get_partner_postback(call: Call) -> Reply:
    """``GET /networks/pixels/{pixelId}``: the stored postback, a generated one, or 404."""
    pixel_id: int = call.params["pixelId"]
    data = call.state.store.get(pixel_id)
    if data is None:
        data = call.unstored(pixel_id)
        if data is None:
            return call.error(404)
    return Reply(200, data)


def list_partner_postbacks(call: Call) -> Reply:
    """``GET /networks/pixels``: one page of the postbacks the ``filter`` values select."""
    from mock_server.selection import list_conditions  # only lists and searches need it

    params = call.params
    conditions = list_conditions(params["filter"])
    return Reply(200, call.state.store.page(conditions, params["page"], params["page_size"]))


def search_partner_postbacks(call: Call) -> Reply:
    """``POST /networks/pixelstable``: one page of the postbacks the body's terms and
    filters select; nothing changes."""
    from mock_server import writes
    from mock_server.selection import search_conditions

    body, problem = writes.read_body(call.body, "PartnerPostbackSearch")
    if problem is not None:
        return call.error(400, problem)
    params = call.params
    conditions = search_conditions(body)
    return Reply(200, call.state.store.page(conditions, params["page"], params["page_size"]))


def create_partner_postback(call: Call) -> Reply:
    """``POST /networks/pixels``: store a new postback from a valid write body (200)."""
    from mock_server import writes

    body, problem = writes.read_body(call.body, "PartnerPostbackInput")
    if problem is not None:
        return call.error(400, problem)
    state = call.state
    try:
        data = state.store.create(
            lambda pixel_id: writes.created(body, pixel_id, state.factory, state.clock.now)
        )
    except StoreFull as full:
        return call.error(500, str(full))
    except InvalidRecords as invalid:
        raise SpecBreach(_lines(invalid)) from None
    return Reply(200, data)


def replace_partner_postback(call: Call) -> Reply:
    """``PUT /networks/pixels/{pixelId}``: replace a postback with a valid write body.

    Also answers an id that is not stored where a read of it would (dynamic mode), so that
    fetch-modify-put works on a generated postback too."""
    from mock_server import writes

    pixel_id: int = call.params["pixelId"]
    body, problem = writes.read_body(call.body, "PartnerPostbackInput")
    if problem is not None:
        return call.error(400, problem)
    sent_id = body.get("network_pixel_id", pixel_id)
    if sent_id != pixel_id:
        return call.error(
            400, f"network_pixel_id: the body's id {sent_id} is not the path's id {pixel_id}."
        )
    state = call.state
    store = state.store
    missing = None if store.get(pixel_id) is not None else call.unstored(pixel_id)
    try:
        data = store.update(
            pixel_id,
            lambda stored: writes.replaced(body, stored, state.factory, state.clock.now),
            missing,
        )
    except writes.Refused as refused:
        return call.error(400, str(refused))
    except StoreFull as full:
        return call.error(500, str(full))
    except InvalidRecords as invalid:
        raise SpecBreach(_lines(invalid)) from None
    return call.error(404) if data is None else Reply(200, data)


def delete_partner_postback(call: Call) -> Reply:
    """``DELETE /networks/pixels/{pixelId}``: ``{"result": true}``, then the id is a 404.

    ``Prefer: code=200`` answers so for an id that is not stored, too."""
    if call.state.store.delete(call.params["pixelId"]) or call.wanted.code == 200:
        return Reply(200, DELETED)
    return call.error(404)


OPERATIONS: dict[str, Operation] = {
    "getPartnerPostback": get_partner_postback,
    "listPartnerPostbacks": list_partner_postbacks,
    "createPartnerPostback": create_partner_postback,
    "replacePartnerPostback": replace_partner_postback,
    "deletePartnerPostback": delete_partner_postback,
    "searchPartnerPostbacks": search_partner_postbacks,
}
"""Every operation the mock answers, by the spec's operationId."""
