"""The runtime admin API under ``/__admin/`` (in the spirit of WireMock's)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from mock_server.messages import problem
from mock_server.records import InvalidRecords
from mock_server.state import MockState


def admin_blueprint(state: MockState) -> Blueprint:
    """Routes to inspect and change a running mock: pixels, reset, request journal, health."""
    admin = Blueprint("everflow_admin", __name__, url_prefix="/__admin")

    def not_stored(pixel_id: int) -> Response:
        return problem(404, "not-stored", "No such postback", f"no postback has id {pixel_id}")

    @admin.get("/pixels")
    def list_pixels() -> Response:
        return jsonify({"ids": state.store.ids()})

    @admin.get("/pixels/<int:pixel_id>")
    def get_pixel(pixel_id: int) -> Response:
        data = state.store.get(pixel_id)
        if data is None:
            return not_stored(pixel_id)
        return Response(data, 200, content_type="application/json")

    @admin.put("/pixels/<int:pixel_id>")
    def put_pixel(pixel_id: int) -> Response:
        body = request.get_json(silent=True)
        if body is None:
            return problem(
                422, "invalid-postback", "Invalid postback", "the body must be a JSON object"
            )
        try:
            created = state.store.put(pixel_id, body)
        except InvalidRecords as error:
            (bad,) = error.problems
            return problem(
                422,
                "invalid-postback",
                "Invalid postback",
                "; ".join(line.strip() for line in bad.lines()[1:]),
                violations=[v.as_dict() for v in bad.violations],
                notes=bad.notes,
            )
        return Response(
            state.store.get(pixel_id), 201 if created else 200, content_type="application/json"
        )

    @admin.delete("/pixels/<int:pixel_id>")
    def delete_pixel(pixel_id: int) -> Response:
        if not state.store.delete(pixel_id):
            return not_stored(pixel_id)
        return Response(status=204)

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

    return admin
