"""The runtime admin API under ``/__admin/`` (in the spirit of WireMock's).

It can read the journal, replace the data and reset the mock, so it answers loopback
clients only, unless the mock was given an admin token: then it answers any client that
sends ``Authorization: Bearer <token>`` (or the admin page's session cookie, which a browser
gets for sending the token once; ``mock_server.admin.page``), and no other; wrong tokens
are throttled (``WRONG_TOKENS``). Before either, the kit's one guard
against web pages (``mock_server.core.callers.browser_refusal``) refuses what a page may have
sent: another origin, a name that is not this machine's (unless there is a token), a body
that is not JSON.
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import IntegerConverter

from mock_server.admin.firing import add_firing_routes
from mock_server.admin.page import (
    STATIC,
    Sessions,
    add_admin_page,
    sign_in_page,
    wants_html,
)
from mock_server.core.callers import browser_refusal, is_loopback_client
from mock_server.core.config import RateLimit
from mock_server.core.errors import Problem
from mock_server.core.ratelimit import TokenBuckets
from mock_server.core.routes import Routes
from mock_server.data.records import InvalidRecords
from mock_server.data.strictjson import StrictJSONError, loads
from mock_server.state.mock_state import MockState

WRONG_TOKENS = RateLimit(rate=1 / 3, burst=20)
"""How many wrong admin tokens a mock checks: 20, then one every 3 seconds (a bucket of
failures, one for the mock, whoever sent them). Past it a request sending a token is
answered 429 unchecked, so a web page guessing the token (the Host check is off under
``--admin-token``) gets some 1,200 tries an hour rather than hundreds a second. A session
cookie is checked still: it is a MAC no one guesses."""
ADVICE = {
    "cross-site": " (it could reset the mock or fire conversions from a developer's "
    "browser); open /__admin/ itself",
    "host": "; start the mock with --admin-token to use another name",
}
"""What the admin API adds to a refusal of ``browser_refusal``."""


class AsciiId(IntegerConverter):
    """An id in ASCII digits, as the API takes them: Werkzeug's ``int`` also matches other
    scripts' digits (``/__admin/pixels/٣`` would be pixel 3)."""

    regex = r"[0-9]+"


def admin_blueprint(state: MockState, routes: Routes) -> Blueprint:
    """Routes to inspect and change a running mock: pixels, reset, request journal, health."""
    admin = Blueprint("everflow_admin", __name__, url_prefix="/__admin")

    @admin.record_once
    def ascii_ids(setup: BlueprintSetupState) -> None:
        setup.app.url_map.converters["id"] = AsciiId

    token = state.config.admin_token
    sessions = None if token is None else Sessions(token)
    wrong_tokens = TokenBuckets(WRONG_TOKENS, max_keys=1)
    (pixel_id_rule,) = routes.by_id["getPartnerPostback"].parameters

    def token_sent() -> bool:
        """Whether the request's ``Authorization`` is the admin token; 429 without
        looking while too many wrong ones came (``WRONG_TOKENS``)."""
        sent = request.headers.get("Authorization")
        if sent is None:
            return False
        if wrong_tokens.peek("") < 1:
            tried = Problem(
                429,
                "admin-token-throttled",
                "Too many wrong admin tokens",
                "too many wrong admin tokens were sent; the token is not checked until "
                "the time Retry-After says has passed",
            )
            tried.headers = [("Retry-After", str(wrong_tokens.retry_after()))]
            raise tried
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return True
        wrong_tokens.take("")
        return False

    @admin.before_request
    def guard() -> Response | None:
        refused = browser_refusal(request.environ, check_host=token is None)
        if refused is not None:
            raise Problem(
                refused.status,
                f"admin-{refused.reason}",
                f"Admin API: {refused.title}",
                refused.detail + ADVICE.get(refused.reason, ""),
            )
        if sessions is not None:
            if not sessions.signed_in() and not token_sent():
                if request.endpoint == STATIC:
                    return None  # the page's script and stylesheet: package files, no data
                if request.method == "GET" and wants_html(request.headers.get("Accept", "")):
                    return sign_in_page()
                raise Problem(
                    401,
                    "admin-token",
                    "Admin token required",
                    "send the mock's admin token as 'Authorization: Bearer <token>'",
                )
        elif not is_loopback_client(request.remote_addr):
            raise Problem(
                403,
                "admin-loopback-only",
                "Admin API is for loopback clients",
                "the admin API answers only clients on this machine; start the mock with "
                "--admin-token to open it to others",
            )
        return None

    def not_stored(pixel_id: int) -> Problem:
        return Problem(404, "not-stored", "No such postback", f"no postback has id {pixel_id}")

    def invalid(detail: str, **extra: object) -> Problem:
        return Problem(422, "invalid-postback", "Invalid postback", detail, **extra)

    def json_object() -> dict[str, Any]:
        """The request's body, a JSON object, or a 422 saying why not."""
        try:
            body = loads(request.get_data(cache=False))
        except StrictJSONError as error:
            raise invalid(f"the body is not plain JSON: {error}") from None
        if not isinstance(body, dict):
            raise invalid("the body must be a JSON object")
        return body

    @admin.get("/pixels")
    def list_pixels() -> Response:
        return jsonify({"ids": state.store.ids()})

    @admin.get("/pixels/<id:pixel_id>")
    def get_pixel(pixel_id: int) -> Response:
        data = state.store.get(pixel_id)
        if data is None:
            raise not_stored(pixel_id)
        return Response(data, 200, content_type="application/json")

    @admin.put("/pixels/<id:pixel_id>")
    def put_pixel(pixel_id: int) -> Response:
        rule = pixel_id_rule
        if not rule.minimum <= pixel_id <= rule.maximum:
            raise invalid(
                f"$.network_pixel_id: {pixel_id} is outside the spec's range "
                f"{rule.minimum}..{rule.maximum}",
                field="network_pixel_id",
            )
        body = json_object()
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
        return Response(
            state.store.get(pixel_id), 201 if created else 200, content_type="application/json"
        )

    @admin.delete("/pixels/<id:pixel_id>")
    def delete_pixel(pixel_id: int) -> Response:
        if not state.store.delete(pixel_id):
            raise not_stored(pixel_id)
        return Response(status=204)

    def put_entity(kind: str, entity_id: int) -> Response:
        """Serve the factory's offer or affiliate for ``entity_id`` with the body's fields
        over it (``{}``: the factory's as it is), checked against the spec."""
        from openapi import schema_violations

        if not 1 <= entity_id <= pixel_id_rule.maximum:
            raise invalid(f"{entity_id} is not a positive 64-bit integer")
        body = json_object()
        world = state.world
        if kind == "offer":
            known, schema = world.offers, "Offer"
            whole = {**state.factory.build_offer(entity_id), **body, "network_offer_id": entity_id}
        else:
            known, schema = world.affiliates, "Affiliate"
            base = state.factory.build_affiliate(entity_id)
            whole = {**base, **body, "network_affiliate_id": entity_id}
        problems = schema_violations(whole, schema)
        if problems:
            raise invalid("; ".join(map(str, problems)), violations=[v.as_dict() for v in problems])
        created = entity_id not in known
        known[entity_id] = whole
        answer = jsonify(whole)
        answer.status_code = 201 if created else 200
        return answer

    @admin.get("/offers")
    def list_offers() -> Response:
        return jsonify({"ids": sorted(state.world.offers)})

    @admin.put("/offers/<id:offer_id>")
    def put_offer(offer_id: int) -> Response:
        return put_entity("offer", offer_id)

    @admin.get("/affiliates")
    def list_affiliates() -> Response:
        return jsonify({"ids": sorted(state.world.affiliates)})

    @admin.put("/affiliates/<id:affiliate_id>")
    def put_affiliate(affiliate_id: int) -> Response:
        return put_entity("affiliate", affiliate_id)

    @admin.post("/reset")
    def reset() -> Response:
        state.reset()
        return jsonify({"reset": True, "postbacks": len(state.store)})

    @admin.get("/requests")
    def requests() -> Response:
        return jsonify({"requests": state.requests})

    @admin.delete("/requests")
    def clear_requests() -> Response:
        state.journal.clear()
        return Response(status=204)

    @admin.get("/health")
    def health() -> Response:
        return jsonify({"status": "ok", "postbacks": len(state.store)})

    add_firing_routes(admin, state)
    add_admin_page(admin, state, sessions)
    return admin
