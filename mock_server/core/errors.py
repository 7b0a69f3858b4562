"""How the request path fails: one exception hierarchy, answered in one place.

Anything on the way from a request to its answer (the routes' parameter parsers, the
``Prefer`` controls, the operations, the store) raises a ``RequestFailed``; the pipeline
alone turns it into an answer (``Pipeline.failed``): Everflow's error body for an
``ApiError``, an RFC 7807 problem for a ``ControlError`` (the mock's own controls are not
Everflow's API, so they do not pretend to be).
"""

from __future__ import annotations

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


class ControlError(RequestFailed):
    """A ``Prefer`` control (or its query twin) has a value the mock cannot act on: 422."""

    status = 422

    def __init__(self, name: str, value: str, expected: str) -> None:
        if len(value) > MAX_ECHO:
            value = f"{value[:MAX_ECHO]}... ({len(value)} characters)"
        super().__init__(f"{name}={value!r}: expected {expected}")
        self.name = name
        self.value = value
