"""``PostbackEndpoint``: the one operation, answered straight from the WSGI environ.

The operation is served without Flask's routing and request objects: on the hot path a
request costs a dict lookup and a few string checks, which is what lets the mock keep
request and response checking on and still run close to a bare Flask endpoint. Everything
else (admin API, spec, unknown paths) is Flask's.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from mock_server.config import MockConfig
from mock_server.controls import FAULTS, NONE, ControlError, ControlParser, Controls
from mock_server.faults import fault_reply
from mock_server.messages import error_body, problem_body
from mock_server.operation import OperationRules
from mock_server.records import InvalidRecords
from mock_server.state import MockState
from mock_server.store import encode
from openapi import schema_violations

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger("mock_server")
JSON = "application/json"
ALLOWED_METHODS = ("GET", "HEAD")


class SpecBreach(RuntimeError):
    """A response the mock was about to send breaks the spec."""


@dataclass
class Reply:
    """A status, headers and body, ready to send; ``fault`` breaks it on purpose."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)
    fault: str | None = None

    def send(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Send as WSGI (the body left out for HEAD)."""
        if self.fault is not None:
            return fault_reply(self.fault, environ, self.body, start_response)
        headers = [
            ("Content-Type", self.content_type),
            ("Content-Length", str(len(self.body))),
            *self.headers,
        ]
        start_response(_STATUS_LINES.get(self.status) or f"{self.status} Status", headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [self.body]


_STATUS_LINES = {
    200: "200 OK",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    403: "403 Forbidden",
    404: "404 Not Found",
    405: "405 Method Not Allowed",
    422: "422 Unprocessable Entity",
    429: "429 Too Many Requests",
    500: "500 Internal Server Error",
}


class PostbackEndpoint:
    """Answers ``GET {base}/networks/pixels/{pixelId}`` the way Everflow does."""

    def __init__(self, config: MockConfig, state: MockState, rules: OperationRules) -> None:
        self.config = config
        self.state = state
        self.rules = rules
        self.prefix = rules.path_prefix
        self._controls = ControlParser(rules.statuses, rules.examples)
        self._key_environ = "HTTP_" + rules.api_key_header.upper().replace("-", "_")
        self._fault_rng = random.Random(config.seed)

    def handles(self, path: str) -> bool:
        """Whether ``path`` is this operation's (one id segment after the prefix)."""
        return path.startswith(self.prefix) and "/" not in path[len(self.prefix) :]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI entry for this operation's path; every answer goes to the journal."""
        try:
            reply = self.reply(environ)
        except SpecBreach as breach:
            log.error("response not sent, it breaks the spec: %s", breach)
            message = f"The mock's response broke the spec and was not sent: {breach}"
            reply = self._error(500, message)
        except Exception:
            log.exception("unexpected error in the mock")
            reply = self._error(500)
        self.state.journal.record(environ, reply.status)
        return reply.send(environ, start_response)

    def reply(self, environ: WSGIEnvironment) -> Reply:
        """The answer to one request to this operation."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ALLOWED_METHODS:
            reply = self._error(405)
            reply.headers.append(("Allow", ", ".join(ALLOWED_METHODS)))
            return reply
        prefer = environ.get("HTTP_PREFER")
        query = environ.get("QUERY_STRING")
        try:
            wanted = (
                self._controls.parse(prefer, dict(parse_qsl(query or "")))
                if prefer is not None or query
                else NONE
            )
        except ControlError as error:
            return _invalid_control(error)
        delay_ms = wanted.delay_ms or self.config.delay_ms
        if delay_ms:
            time.sleep(delay_ms / 1000)
        reply = self._answer(environ, wanted)
        fault = wanted.fault
        rate = self.config.fault_rate
        if fault is None and rate and self._fault_rng.random() < rate:
            fault = self._fault_rng.choice(FAULTS)
        reply.fault = fault
        return reply

    def _answer(self, environ: WSGIEnvironment, wanted: Controls) -> Reply:
        if wanted.code is not None and wanted.code != 200:
            return self._error(wanted.code)
        key = environ.get(self._key_environ)
        if not key:
            return self._error(401)
        if self.config.api_keys and key not in self.config.api_keys:
            return self._error(403)
        headers: list[tuple[str, str]] = []
        buckets = self.state.buckets
        if buckets is not None:
            allowed, remaining = buckets.take(key)
            headers.append(("X-RateLimit-Limit", str(int(buckets.limit.rate))))
            headers.append(("X-RateLimit-Remaining", str(remaining)))
            if not allowed:
                headers.append(("Retry-After", str(buckets.retry_after())))
                return self._error(429, headers=headers)
        pixel_id = self.rules.parse_id(environ.get("PATH_INFO", "")[len(self.prefix) :])
        if pixel_id is None:
            return self._error(400, headers=headers)
        if wanted.example is not None:
            return Reply(200, self._example(wanted.example), headers=headers)
        data = self.state.store.get(pixel_id)
        if data is None:
            dynamic = wanted.dynamic if wanted.dynamic is not None else self.state.dynamic
            if dynamic or wanted.code == 200:
                seed = wanted.seed if wanted.seed is not None else self.config.seed
                try:
                    data = self.state.generated(seed, pixel_id)
                except InvalidRecords as invalid:
                    raise SpecBreach(" ".join(invalid.lines()[1:])) from None
            else:
                return self._error(404, headers=headers)
        return Reply(200, data, headers=headers)

    def _error(
        self, status: int, message: str | None = None, headers: list[tuple[str, str]] | None = None
    ) -> Reply:
        body = (
            self._error_bytes(status) if message is None else self._checked_error(status, message)
        )
        return Reply(status, body, headers=headers or [])

    @functools.cache  # noqa: B019 - one endpoint per app, as long-lived as it
    def _error_bytes(self, status: int) -> bytes:
        """The standard body for ``status``, checked once (a few statuses, so cached)."""
        return self._checked_error(status, None)

    def _checked_error(self, status: int, message: str | None) -> bytes:
        body = error_body(status, self.config.error_key, message)
        return _checked(body, "EverflowError") if status in self.rules.statuses else encode(body)

    @functools.cache  # noqa: B019 - one endpoint per app, as long-lived as it
    def _example(self, name: str) -> bytes:
        return _checked(self.rules.examples[name], "PartnerPostback")


def _checked(body: Any, schema_name: str) -> bytes:
    """``body`` as bytes to send, or ``SpecBreach`` naming every way it breaks the schema."""
    breaches = schema_violations(body, schema_name)
    if breaches:
        raise SpecBreach("; ".join(map(str, breaches)))
    return encode(body)


def _invalid_control(error: ControlError) -> Reply:
    body = problem_body(
        422,
        "invalid-control",
        "Invalid mock control",
        str(error),
        control=error.name,
        value=error.value,
    )
    return Reply(422, body, content_type="application/problem+json")
