"""Error answers, made in one place: every ``RequestFailed`` becomes its answer here
(``failed``), Everflow's error bodies are built and checked against the spec once per status
(``error``), and named examples are served checked (``Prefer: example=``)."""

from __future__ import annotations

import functools
import logging
from typing import Any

from mock_server.core.config import MockConfig
from mock_server.core.errors import (
    ApiError,
    ControlError,
    Problem,
    RequestFailed,
    SpecBreach,
    StrictRefusal,
)
from mock_server.core.ignored import HEADER
from mock_server.core.messages import error_body, problem_body
from mock_server.core.reply import INVALID, UNCHECKED, VALID, Reply, Verdict
from mock_server.core.routes import Routes
from mock_server.state.store import encode

log = logging.getLogger("mock_server")
REQUEST_BREACHES = {
    400: "a path parameter breaks the spec",
    405: "the spec documents no such method for this path",
}
"""The statuses of the spec's checks of a request, and what a bare one (no message) means."""
BEFORE_CHECKS = frozenset({401, 403, 408, 413, 429, 503})
"""The statuses of answers given before the request's parameters and body were judged."""


class ErrorReplies:
    """The error answers of one mock app (the ``Pipeline`` is one)."""

    config: MockConfig
    routes: Routes

    def failed(self, failure: RequestFailed) -> Reply:
        """The answer to a request that failed on its way: the one place a failure becomes
        an answer (Everflow's error body, or a problem document for the mock's own refusals)."""
        if isinstance(failure, Problem):
            body = problem_body(
                failure.status, failure.kind, failure.title, failure.detail, **failure.extra
            )
            reply = Reply(failure.status, body, content_type="application/problem+json")
        else:
            assert isinstance(failure, ApiError)
            if isinstance(failure, SpecBreach):
                log.error("response not sent, it breaks the spec: %s", failure.breaches)
            reply = self.error(failure.status, failure.message)
            if isinstance(failure, StrictRefusal):
                reply.headers.append((HEADER, failure.warning))
                reply.strict_refusal = True
        reply.headers[:0] = failure.headers
        reply.verdict = verdict_of(failure)
        return reply

    def error(self, status: int, message: str | None = None) -> Reply:
        """Everflow's error answer for ``status`` (``{"error": ...}`` or ``{"Error": ...}``)."""
        body = (
            self._error_bytes(status) if message is None else self._checked_error(status, message)
        )
        return Reply(status, body)

    @functools.cache  # noqa: B019 - one pipeline per app, as long-lived as it
    def _error_bytes(self, status: int) -> bytes:
        """The standard body for ``status``, checked once (a few statuses, so cached)."""
        return self._checked_error(status, None)

    def _checked_error(self, status: int, message: str | None) -> bytes:
        return _checked(error_body(status, self.config.error_key, message), "EverflowError")

    @functools.cache  # noqa: B019 - one pipeline per app, as long-lived as it
    def _example(self, operation_id: str, name: str) -> bytes:
        operation = self.routes.by_id[operation_id]
        example = operation.examples[name]
        return _checked(example, operation.ok_schema) if operation.ok_schema else encode(example)


def _checked(body: Any, schema_name: str) -> bytes:
    """``body`` as bytes to send, or ``SpecBreach`` naming every way it breaks the schema."""
    from openapi.fast_validation import violations  # not loaded until an error is answered

    breaches = violations(body, schema_name)
    if breaches:
        raise SpecBreach("; ".join(map(str, breaches)))
    return encode(body)


def verdict_of(failure: RequestFailed) -> Verdict:
    """What the spec said of a request that failed on its way, and of the answer it got."""
    if isinstance(failure, ControlError):
        return Verdict(UNCHECKED, UNCHECKED, f"a mock control: {failure}")
    if isinstance(failure, Problem):
        return Verdict(UNCHECKED, UNCHECKED, failure.detail)
    assert isinstance(failure, ApiError)
    if isinstance(failure, SpecBreach):
        return Verdict(VALID, INVALID, failure.breaches)
    status = failure.status
    if status in REQUEST_BREACHES:
        return Verdict(INVALID, VALID, failure.message or REQUEST_BREACHES[status])
    if status in BEFORE_CHECKS:
        return Verdict(UNCHECKED, VALID, f"answered {status} before the spec's checks")
    return Verdict(VALID, VALID)
