"""The runtime admin API under ``/__admin/`` (in the spirit of WireMock's), on the request
core.

``AdminApi.exchange`` gives the exchange for a request to one of its routes (``ROUTES``: a
method and a path, an id in ASCII digits where the path has one), which every front drives
as it drives an API request's (``start``, ``NeedBody``, ``receive``): the guard first
(``mock_server.admin.guard``), then the body if the route reads one, then the handler, a
function from an ``AdminCall`` to a ``Reply``. A refusal is a ``Problem``, answered where
every failure is (``Pipeline.answer_failure``). A handler may block (a reset, a conversion waited
for), so a front on an event loop runs these exchanges in a thread. What is not one of its
routes (the page, another method, an unknown path) is Flask's, as before. Admin calls are
not journaled: the journal is the API's requests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

from mock_server.admin.guard import AdminGuard, token_required
from mock_server.core.controls import MAX_DIGITS
from mock_server.core.errors import Problem, RequestFailed
from mock_server.core.reply import Reply
from mock_server.data.records import MAX_ID, InvalidRecords
from mock_server.data.strictjson import StrictJSONError, dumps_ascii, loads
from mock_server.pipeline.pipeline import NeedBody, Pipeline
from mock_server.state.mock_state import MockState
from openapi.record_kinds import NEIGHBOURS, Kind
from openapi.text import cut

_UNDECODED = re.compile("[\udc80-\udcff]")
"""A byte that was no UTF-8, as the front hands it on (``surrogateescape``)."""
PREFIX = "/__admin/"
ID = "{id}"
"""A path segment of ASCII digits, handed to the handler as ``AdminCall.ident``."""
OFFERS, AFFILIATES = NEIGHBOURS


@dataclass
class AdminCall:
    """One admin request, as its handler sees it."""

    pipeline: Pipeline
    environ: Mapping[str, Any]
    ident: int
    """The path's id (``0`` where the route has none)."""
    body: bytes | None = None

    @property
    def state(self) -> MockState:
        return self.pipeline.state

    def arg(self, name: str) -> str | None:
        """The query parameter ``name``'s first value, read as the API reads a query
        (``parse_qsl``: a percent-escape that is no UTF-8 becomes U+FFFD); a byte the front
        could not decode (granian's ``surrogateescape``) is shown percent-encoded (``%FF``)."""
        query = self.environ.get("QUERY_STRING") or ""
        for key, value in parse_qsl(query, keep_blank_values=True):
            if key == name:
                return _UNDECODED.sub(lambda byte: f"%{ord(byte[0]) - 0xDC00:02X}", value)
        return None

    def json_object(self) -> dict[str, Any]:
        """The body, a JSON object, or a 422 saying why not."""
        try:
            body = loads(self.body or b"")
        except StrictJSONError as error:
            raise invalid(f"the body is not plain JSON: {error}") from None
        if not isinstance(body, dict):
            raise invalid("the body must be a JSON object")
        return body


class Route(NamedTuple):
    """What answers one method of one admin path, and whether it reads the body."""

    handler: Callable[[AdminCall], Reply]
    reads_body: bool = False


def answer(value: Any, status: int = 200) -> Reply:
    """``value`` as the admin API's JSON answer."""
    return Reply(status, dumps_ascii(value))


def no_content() -> Reply:
    """A 204: a new one each time, since a ``Reply`` may be changed on its way out."""
    return Reply(204, b"")


def invalid(detail: str, **extra: object) -> Problem:
    return Problem(422, "invalid-postback", "Invalid postback", detail, **extra)


def _not_stored(pixel_id: int) -> Problem:
    return Problem(404, "not-stored", "No such postback", f"no postback has id {pixel_id}")


def get_pixel(call: AdminCall) -> Reply:
    data = call.state.store.get(call.ident)
    if data is None:
        raise _not_stored(call.ident)
    return Reply(200, data)


def put_pixel(call: AdminCall) -> Reply:
    state, pixel_id = call.state, call.ident
    (rule,) = call.pipeline.routes.by_id["getPartnerPostback"].parameters
    if not rule.minimum <= pixel_id <= rule.maximum:
        raise invalid(
            f"$.network_pixel_id: {pixel_id} is outside the spec's range "
            f"{rule.minimum}..{rule.maximum}",
            field="network_pixel_id",
        )
    body = call.json_object()
    try:
        created = state.store.put(pixel_id, body)
        state.world.fill_in([body], state.config.seed)
    except InvalidRecords as error:
        (bad,) = error.problems
        raise invalid(
            "; ".join(line.strip() for line in bad.lines()[1:]),
            violations=[v.as_dict() for v in bad.violations],
            notes=bad.notes,
        ) from None
    return Reply(201 if created else 200, state.store.get(pixel_id) or b"")


def delete_pixel(call: AdminCall) -> Reply:
    if not call.state.store.delete(call.ident):
        raise _not_stored(call.ident)
    return no_content()


def _put_entity(call: AdminCall, kind: Kind) -> Reply:
    """Serve the factory's offer or affiliate (``kind``) for the path's id with the body's
    fields over it (``{}``: the factory's as it is), checked against the spec."""
    from openapi import schema_violations

    state, entity_id = call.state, call.ident
    if not 1 <= entity_id <= MAX_ID:
        raise invalid(f"{entity_id} is not a positive 64-bit integer")
    body = call.json_object()
    offer = kind is OFFERS
    build = state.factory.build_offer if offer else state.factory.build_affiliate
    whole = {**build(entity_id), **body, kind.id_field: entity_id}
    problems = schema_violations(whole, kind.schema)
    if problems:
        raise invalid("; ".join(map(str, problems)), violations=[v.as_dict() for v in problems])
    known = state.world.offers if offer else state.world.affiliates
    created = entity_id not in known
    known[entity_id] = whole
    return answer(whole, 201 if created else 200)


def reset(call: AdminCall) -> Reply:
    call.state.reset()
    return answer({"reset": True, "postbacks": len(call.state.store)})


def clear_requests(call: AdminCall) -> Reply:
    call.state.journal.clear()
    return no_content()


def fire(call: AdminCall) -> Reply:
    """Fire a conversion (``?wait=`` seconds for its deliveries, ``?delay_scale=`` for their
    delays); ``?explain=true`` also names the postbacks for the conversion's partner or
    offer that did not fire, and why (``Firing.not_applied``): what ``everflow-mock fire``
    prints when none applied."""
    from mock_server.firing.conversion import ConversionError
    from mock_server.firing.engine import MAX_WAIT, firing_of

    wait_for = _seconds(call, "wait", 0.0, MAX_WAIT)
    scale = _seconds(call, "delay_scale", -1.0, 1000.0)
    try:
        body = loads(call.body or b"")
        firing = firing_of(call.state)
        if scale >= 0:
            firing.delay_scale = scale
        result: dict[str, Any] = {"deliveries": firing.fire(body, wait_for)}
    except StrictJSONError as error:
        raise _invalid_conversion("$", f"the body is not plain JSON: {error}") from None
    except ConversionError as error:
        raise _invalid_conversion(error.field, str(error)) from None
    if call.arg("explain") in ("1", "true"):
        result["not_applied"], result["not_applied_total"] = firing.not_applied(body)
    return answer(result)


def deliveries(call: AdminCall) -> Reply:
    from mock_server.firing.engine import firing_of

    return answer({"deliveries": firing_of(call.state).journal.entries()})


def clear_deliveries(call: AdminCall) -> Reply:
    from mock_server.firing.engine import firing_of

    firing_of(call.state).journal.clear()
    return no_content()


def _seconds(call: AdminCall, name: str, default: float, most: float) -> float:
    """A query parameter as a number from 0 to ``most``, or the 422 naming it."""
    text = call.arg(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= most:
        raise invalid_parameter(name, f"a number from 0 to {most:g}, not {cut(text, 40)!r}")
    return value


def invalid_parameter(name: str, wanted: str) -> Problem:
    """The 422 of a query parameter ``name`` that is not what it must be (``wanted``)."""
    return Problem(
        422, "invalid-parameter", "Invalid parameter", f"{name} must be {wanted}", parameter=name
    )


def _invalid_conversion(field: str, detail: str) -> Problem:
    return Problem(422, "invalid-conversion", "Invalid conversion", detail, field=field)


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "pixels"): Route(lambda call: answer({"ids": call.state.store.ids()})),
    ("GET", "pixels/{id}"): Route(get_pixel),
    ("PUT", "pixels/{id}"): Route(put_pixel, reads_body=True),
    ("DELETE", "pixels/{id}"): Route(delete_pixel),
    ("GET", "offers"): Route(lambda call: answer({"ids": sorted(call.state.world.offers)})),
    ("PUT", "offers/{id}"): Route(lambda call: _put_entity(call, OFFERS), reads_body=True),
    ("GET", "affiliates"): Route(lambda call: answer({"ids": sorted(call.state.world.affiliates)})),
    ("PUT", "affiliates/{id}"): Route(lambda call: _put_entity(call, AFFILIATES), reads_body=True),
    ("POST", "reset"): Route(reset),
    ("GET", "requests"): Route(lambda call: answer({"requests": call.state.requests})),
    ("DELETE", "requests"): Route(clear_requests),
    ("GET", "health"): Route(
        lambda call: answer({"status": "ok", "postbacks": len(call.state.store)})
    ),
    ("POST", "conversions"): Route(fire, reads_body=True),
    ("GET", "deliveries"): Route(deliveries),
    ("DELETE", "deliveries"): Route(clear_deliveries),
}
"""Every admin route by method and path under ``/__admin/`` (``{id}``: ASCII digits)."""


NO_SUCH_ID = Route(lambda call: call.pipeline.error(404, "Not Found."))
"""The route of an id longer than ``MAX_DIGITS``: no id, a 404 as for a path no route has."""


class AdminApi:
    """The admin API of one mock (see the module's docstring)."""

    def __init__(self, pipeline: Pipeline, guard: AdminGuard) -> None:
        self.pipeline = pipeline
        self.guard = guard

    def exchange(self, environ: Mapping[str, Any]) -> AdminExchange | None:
        """The exchange that answers ``environ``, or ``None`` when it is not one of
        ``ROUTES`` or is a browser's navigation that must sign in first (Flask's then)."""
        path: str = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return None
        name, slash, rest = path[len(PREFIX) :].partition("/")
        ident = 0
        if slash:
            if not (rest.isascii() and rest.isdigit()):
                return None  # Flask's: a 404 (a trailing slash, another script's digits)
            name = f"{name}/{ID}"
            ident = int(rest) if len(rest) <= MAX_DIGITS else -1
        method = environ.get("REQUEST_METHOD", "GET")
        route = ROUTES.get(("GET" if method == "HEAD" else method, name))
        if route is None or self.guard.signs_in_first(environ):
            return None  # Flask's: a 405, or the page's sign-in for a browser
        return AdminExchange(self, environ, route if ident >= 0 else NO_SUCH_ID, ident)


class AdminExchange:
    """One admin request, asking its front for the body as an API request's exchange does
    (``Pipeline``'s ``Exchange``)."""

    blocking = True
    """Its handler may block: a front on an event loop runs it in a thread."""

    def __init__(self, api: AdminApi, environ: Mapping[str, Any], route: Route, ident: int) -> None:
        self.api = api
        self.route = route
        self.call = AdminCall(api.pipeline, environ, ident)

    def start(self) -> Reply | NeedBody:
        """The answer, or ``NeedBody`` once the guard has admitted a request whose route
        reads a body."""
        try:
            if not self.api.guard.admits(self.call.environ):
                raise token_required()
            if self.route.reads_body:
                return NeedBody(self.api.pipeline.config.max_body)
            return self.route.handler(self.call)
        except Exception as error:
            return self.api.pipeline.answer_failure(error)

    def receive(self, body: bytes | None) -> Reply:
        """The answer, given the body ``start`` asked for (``None``: past its limit, a 413)."""
        if body is None:
            return self.api.pipeline.error(413)
        self.call.body = body
        try:
            return self.route.handler(self.call)
        except Exception as error:
            return self.api.pipeline.answer_failure(error)

    def failed(self, failure: RequestFailed) -> Reply:
        """The answer to a request whose body could not be read."""
        return self.api.pipeline.failed(failure)
