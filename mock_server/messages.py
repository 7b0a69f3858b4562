"""Everflow's error bodies and the control layer's RFC 7807 problem documents."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Response

# Everflow documents only the 401 message; the rest are this kit's choice (see README).
MESSAGES: dict[int, str] = {
    400: "Invalid parameters.",
    401: "No Authentication Method Found",
    403: "You do not have permission to access this resource.",
    404: "Partner postback not found.",
    405: "Method not allowed.",
    408: "The request body was not received in time.",
    413: "The request body is too large.",
    429: "Rate limit exceeded. Please slow down.",
    500: "An internal error occurred.",
}
PROBLEM_TYPE = "urn:everflow-postback-kit:problem:"


def error_body(status: int, error_key: str, message: str | None = None) -> dict[str, str]:
    """Everflow's error body for ``status``: ``{"error": "..."}`` or ``{"Error": "..."}``."""
    return {error_key: message or MESSAGES.get(status, MESSAGES[500])}


def problem_body(status: int, kind: str, title: str, detail: str, **extra: Any) -> bytes:
    """An RFC 7807 problem document: the mock's own errors, never Everflow-shaped."""
    body = {"type": PROBLEM_TYPE + kind, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return json.dumps(body).encode()


def problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> Response:
    """``problem_body`` as a Flask response (for the admin API)."""
    from flask import Response  # the API's answers need no Flask

    body = problem_body(status, kind, title, detail, **extra)
    return Response(body, status=status, content_type="application/problem+json")
