"""How a request fails: one exception hierarchy, answered in one place.

Anything on the way from a request to its answer (the routes' parameter parsers, the
``Prefer`` controls, the operations, the store, the admin API's views) raises a
``RequestFailed``; the pipeline alone turns it into an answer (``Pipeline.failed``, which
the Flask app's error handler calls too): Everflow's error body for an ``ApiError``, an RFC
7807 problem for a ``Problem`` (the mock's controls and admin API are not Everflow's API, so
they do not pretend to be).
"""

from __future__ import annotations

from typing import Any

from openapi.text import cut

MAX_ECHO = 64
"""How much of a refused value an error answer repeats."""


class RequestFailed(Exception):
    """A request that gets an error answer instead of its operation's."""

    status: int = 500
    headers: list[tuple[str, str]] = []  # noqa: RUF012 - replaced, never changed in place


class ApiError(RequestFailed):
    """Everflow's error answer: ``status`` and its message (the spec's standard one for the
    status when ``message`` is ``None``), with ``headers`` (``Allow``, rate-limit state)."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message or str(status))
        self.status = status
        self.message = message
        self.headers = headers or []


class StrictRefusal(ApiError):
    """Strict mode (``MockConfig.strict``): a 400 for what the mock would otherwise accept
    and only warn of. ``warning`` is the ``X-Everflow-Mock-Warning`` text it replaces; the
    answer carries it too, and its message says the same."""

    def __init__(self, warning: str) -> None:
        super().__init__(400, f"strict mode: {warning}")
        self.warning = warning


class SpecBreach(ApiError):
    """An answer the mock was about to send breaks the spec: a 500 that says so, logged."""

    def __init__(self, breaches: str) -> None:
        super().__init__(500, f"The mock's response broke the spec and was not sent: {breaches}")
        self.breaches = breaches


class Problem(RequestFailed):
    """A refusal of the mock's own (see the module's docstring): ``kind`` names its type,
    ``extra`` adds members (the field, the control)."""

    def __init__(self, status: int, kind: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.extra = extra


class ControlError(Problem):
    """A ``Prefer`` control (or its query twin) has a value the mock cannot act on: 422."""

    def __init__(self, name: str, value: str, expected: str) -> None:
        value = cut(value, MAX_ECHO, noted=True)
        detail = f"{name}={value!r}: expected {expected}"
        super().__init__(
            422, "invalid-control", "Invalid mock control", detail, control=name, value=value
        )
        self.name = name
        self.value = value
