"""The admin API's firing calls: ``POST /__admin/conversions`` and ``/__admin/deliveries``.

``POST /__admin/conversions?explain=true`` also names the postbacks for the conversion's
partner or offer that did not fire, and why (``Firing.not_applied``): what
``everflow-mock fire`` prints when none applied.

Added to the admin blueprint, so its guard (loopback only, or the admin token) applies.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, jsonify, request

from mock_server.core.errors import Problem
from mock_server.data.strictjson import StrictJSONError, loads
from mock_server.firing.conversion import ConversionError
from mock_server.firing.engine import MAX_WAIT, firing_of
from mock_server.state.mock_state import MockState
from openapi.text import cut


def _seconds(name: str, default: float, most: float) -> float:
    """A query parameter as a number from 0 to ``most``, or the 422 naming it."""
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= most:
        raise Problem(
            422,
            "invalid-parameter",
            "Invalid parameter",
            f"{name} must be a number from 0 to {most:g}, not {cut(text, 40)!r}",
            parameter=name,
        )
    return value


def add_firing_routes(admin: Blueprint, state: MockState) -> None:
    """Fire a conversion; read and clear the journal of deliveries."""

    @admin.post("/conversions")
    def fire() -> Response:
        wait_for = _seconds("wait", 0.0, MAX_WAIT)
        scale = _seconds("delay_scale", -1.0, 1000.0)
        try:
            body = loads(request.get_data(cache=False))
        except StrictJSONError as error:
            raise _invalid("$", f"the body is not plain JSON: {error}") from None
        firing = firing_of(state)
        if scale >= 0:
            firing.delay_scale = scale
        try:
            started = firing.fire(body)
        except ConversionError as error:
            raise _invalid(error.field, str(error)) from None
        if wait_for:
            firing.wait(started, wait_for)
        answer: dict[str, Any] = {"deliveries": firing.snapshot(started)}
        if request.args.get("explain") in ("1", "true"):
            answer["not_applied"], answer["not_applied_total"] = firing.not_applied(body)
        return jsonify(answer)

    @admin.get("/deliveries")
    def deliveries() -> Response:
        return jsonify({"deliveries": firing_of(state).deliveries()})

    @admin.delete("/deliveries")
    def clear_deliveries() -> Response:
        firing_of(state).journal.clear()
        return Response(status=204)


def _invalid(field: str, detail: str) -> Problem:
    return Problem(422, "invalid-conversion", "Invalid conversion", detail, field=field)
