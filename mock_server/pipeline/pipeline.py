"""``Pipeline``: what every API request goes through, whichever operation it is for, and
``Exchange``: one request on that way.

In order: find the operation (404 for a path outside the spec, 405 for a method it does not
document), the answer a test queued for it (a queued status answers here, as a gateway in
front of the API would), the key check (401, 403), the rate limit (429), the ``Prefer``
controls (422 for a bad value; ``code=NNN`` answers here), the path and query parameters
(400), the body (413 past ``max_body``), then the operation, then delay and faults. What
fails on the way raises a ``RequestFailed``, answered in one place (``Pipeline.failed``:
Everflow's error body, checked against the spec once per status, or the mock's own problem
document). Nothing is looked at before the key has passed, so a request without a key gets
401 whatever else it says. Every answer is journaled, with its operationId, path
parameters, body, duration and the spec's verdict.

The pipeline reads a WSGI-style environ and never sleeps or does I/O itself: an exchange
asks its front for the body (``NeedBody``) and hands back the ``Reply`` with the delay to
wait out; each front (WSGI in-process and on waitress, RSGI on granian) does both its own
way, so all answer byte for byte the same.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qsl

from mock_server.core.answers import GATEWAY_STATUSES, Answer, gateway_body
from mock_server.core.config import MockConfig, RateLimit, key_kinds
from mock_server.core.controls import FAULTS, NO_ANSWER_FAULTS, NONE, ControlParser
from mock_server.core.environ import environ_key
from mock_server.core.errors import (
    ApiError,
    ControlError,
    Problem,
    RequestFailed,
    SpecBreach,
    StrictRefusal,
)
from mock_server.core.messages import message as standard_message
from mock_server.core.messages import problem_body, spec_message
from mock_server.core.mock_warning import HEADER, header_value, unknown_parameters, warning_of
from mock_server.core.ratelimit import NetworkBuckets
from mock_server.core.reply import INVALID, UNCHECKED, VALID, Reply, Verdict
from mock_server.core.routes import OperationSpec, Routes, parse_query
from mock_server.data.records import InvalidRecords
from mock_server.data.strictjson import dumps
from mock_server.operations.neighbours import NEIGHBOURS
from mock_server.operations.table import OPERATIONS as POSTBACKS
from mock_server.operations.table import Call, Handler
from mock_server.state.mock_state import MockState
from mock_server.state.store import StoreFull

log = logging.getLogger("mock_server")
REQUEST_BREACHES = {
    400: "a path parameter breaks the spec",
    405: "the spec documents no such method for this path",
}
"""The statuses of the spec's checks of a request, and what a bare one (no message) means."""
BEFORE_CHECKS = frozenset({401, 403, 408, 413, 429, 503})
"""The statuses of answers given before the request's parameters and body were judged."""
KEPT = Verdict(VALID, VALID)
"""The verdict of a request that passed every check of its operation, answered by it."""
EXAMPLE = Verdict(UNCHECKED, VALID, "Prefer: example= answered before the body was judged")
OPERATIONS: dict[str, Handler] = {**POSTBACKS, **NEIGHBOURS}
"""Every operation the mock answers: the postbacks' and their offers' and affiliates'."""


class Admission(NamedTuple):
    """What an admitted request goes on with."""

    operation: OperationSpec
    headers: list[tuple[str, str]]
    """The rate-limit headers of the token it spent."""
    queued_fault: str | None
    """The wire fault queued for its operation, if any."""


@dataclass(frozen=True)
class NeedBody:
    """The body ``Exchange.start`` asks its caller for: at most ``limit`` bytes."""

    limit: int


class Steps(Protocol):
    """What a front drives for one request: ``Exchange``, or another room's on the same core
    (the admin API's)."""

    blocking: bool
    """Whether ``start`` and ``receive`` may block (a front on an event loop then runs them
    in a thread)."""

    def start(self) -> Reply | NeedBody: ...

    def receive(self, body: bytes | None) -> Reply: ...

    def failed(self, failure: RequestFailed) -> Reply: ...


class Pipeline:
    """Answers every API request of one mock app (see the module's docstring)."""

    others: Callable[[Mapping[str, Any]], Steps | None] | None = None
    """What answers the requests that are no operation's, where it has a route for them
    (the admin API's ``AdminApi.exchange``, set by the app); ``None``: none."""

    def __init__(self, config: MockConfig, state: MockState, routes: Routes) -> None:
        self.config = config
        self.state = state
        self.routes = routes
        self._controls = {
            op_id: ControlParser(self.statuses(op), op.examples)
            for op_id, op in routes.by_id.items()
        }
        self._key_environ = environ_key(routes.api_key_header)
        # What a Prefer: code=429 answer claims, when the mock itself does not rate limit.
        self._nominal_limit = NetworkBuckets(config.rate_limit or RateLimit())
        self._kinds = key_kinds(config.api_keys)

    @staticmethod
    def statuses(operation: OperationSpec) -> frozenset[int]:
        """What ``Prefer: code=`` and a queued answer may ask of an operation: the statuses
        the spec documents and a gateway's (502, 503, 504, the mock's own)."""
        return operation.statuses | frozenset(GATEWAY_STATUSES)

    def failed(self, failure: RequestFailed) -> Reply:
        """The answer to a request that failed on its way (see the module's docstring)."""
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
        if not message:
            return Reply(status, self._error_bytes(status))
        return Reply(status, _checked({self.config.error_key: message}, "EverflowError"))

    @functools.cache  # noqa: B019 - one pipeline per app, as long-lived as it
    def _error_bytes(self, status: int) -> bytes:
        """The standard body for ``status``, checked once (a few statuses, so cached)."""
        return _checked({self.config.error_key: standard_message(status)}, "EverflowError")

    @functools.cache  # noqa: B019 - one pipeline per app, as long-lived as it
    def _example(self, operation_id: str, name: str) -> bytes:
        operation = self.routes.by_id[operation_id]
        example = operation.examples[name]
        return _checked(example, operation.ok_schema) if operation.ok_schema else dumps(example)

    def exchange(self, environ: Mapping[str, Any]) -> Steps | None:
        """The exchange that answers ``environ``: an operation's, or ``others``'; ``None``
        when neither has a route for it (the front hands it to Flask: the page, the spec, a
        path outside the API)."""
        found = self.routes.match(environ.get("PATH_INFO", ""))
        if found is None:
            return None if self.others is None else self.others(environ)
        return Exchange(self, environ, *found)

    def answer_failure(self, error: Exception) -> Reply:
        """``failed`` for a ``RequestFailed`` (called in an ``except``); anything else is
        logged and answered 500."""
        if isinstance(error, RequestFailed):
            return self.failed(error)
        log.exception("unexpected error in the mock")
        return self.error(500)

    def _admit(
        self,
        environ: Mapping[str, Any],
        methods: dict[str, OperationSpec],
        operation: OperationSpec | None,
    ) -> Reply | Admission:
        """The admission of a request for ``operation`` (``None``: not a method of the path's),
        or the answer a test queued for it; ``ApiError`` when it may not go on."""
        if operation is None:
            allowed = sorted({*methods, *(["HEAD"] if "GET" in methods else [])})
            raise ApiError(405, headers=[*self._peek(), ("Allow", ", ".join(allowed))])
        answers = self.state.answers
        queued = answers.take(operation.operation_id) if answers.queues else None
        if isinstance(queued, Answer) or (isinstance(queued, int) and queued != 200):
            status = queued.status if isinstance(queued, Answer) else queued
            reply = Reply(200, b"") if status == 200 else self._coded(status)
            if isinstance(queued, Answer):
                reply = queued.applied(reply)
            reply.delay_ms = self.config.delay_ms
            return reply
        key = environ.get(self._key_environ)
        buckets = self.state.buckets
        kind = self._kinds.get(key or "", "network")
        if not key:
            # No bucket is charged (whose would it be?), but every answer says its state.
            raise ApiError(401, headers=self._peek())
        if self._kinds and key not in self._kinds:
            # Everflow's current errors page: an invalid or revoked key is a 401 too.
            raise ApiError(401, spec_message("Unauthorized", "unknown_key"), self._peek())
        headers: list[tuple[str, str]] = []
        if buckets is not None:
            allowed_now, remaining = buckets.take(kind)
            headers = buckets.headers(kind, remaining)
            if not allowed_now:
                raise ApiError(429, headers=buckets.too_many(kind))
        if kind != "network":
            raise ApiError(403, spec_message("Forbidden", "out_of_realm"), headers)
        return Admission(operation, headers, queued if isinstance(queued, str) else None)

    def _coded(self, code: int) -> Reply:
        """The answer ``Prefer: code=`` or a queued status asks for (not 200), to a network
        key (any other is refused before)."""
        if code == 429:
            buckets = self.state.buckets
            limit = self._nominal_limit if buckets is None else buckets
            return self.failed(ApiError(429, headers=limit.too_many("network")))
        if code in GATEWAY_STATUSES:
            return Reply(code, gateway_body(code), content_type="text/html")
        return self.error(code)

    def _peek(self) -> list[tuple[str, str]]:
        """The network bucket's headers, no token spent: an answer that charges no bucket
        still says the bucket's state, as Everflow's docs say every answer does."""
        buckets = self.state.buckets
        # ``is None``, not truthiness: a fresh mock's buckets are empty (len 0) yet there.
        return [] if buckets is None else buckets.headers("network", buckets.peek("network"))


def _checked(body: Any, schema_name: str) -> bytes:
    """``body`` as bytes to send, or ``SpecBreach`` naming every way it breaks the schema."""
    from openapi.fast_validation import violations  # not loaded until an error is answered

    breaches = violations(body, schema_name)
    if breaches:
        raise SpecBreach("; ".join(map(str, breaches)))
    return dumps(body)


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


class Exchange:
    """One API request on its way through the pipeline, asking its caller for what needs
    I/O instead of doing it, in the way h11 hands events to its caller.

    ``start`` gives the answer, or ``NeedBody`` when the operation reads a body: the caller
    reads it (bounded, within its read timeout) and gives it to ``receive`` (``None`` when
    there was more), which gives the answer, or to ``failed`` the failure to read it. The
    caller sends the answer after waiting out its ``delay_ms``. Every answer is journaled
    once, when it is given.
    """

    blocking = False
    _admission: Admission | None = None
    _wanted: Any = NONE
    _given: frozenset[str] = frozenset()
    _notes: list[str] | tuple[()] = ()
    _body: bytes | None = None

    def __init__(
        self,
        pipeline: Pipeline,
        environ: Mapping[str, Any],
        methods: dict[str, OperationSpec],
        raw_params: Mapping[str, str],
    ) -> None:
        self._started = time.perf_counter()
        self.pipeline = pipeline
        self.environ = environ
        self.methods = methods
        self.raw_params = raw_params
        method = environ.get("REQUEST_METHOD", "GET")
        self.operation = methods.get("GET" if method == "HEAD" else method)
        self._params: dict[str, Any] = {}

    def start(self) -> Reply | NeedBody:
        """The answer, or ``NeedBody``: no byte of a body is asked for before the key, the
        rate limit, the controls and the parameters have passed."""
        try:
            result = self._begin()
        except Exception as error:
            result = self.pipeline.answer_failure(error)
        if isinstance(result, Reply):
            self._journal(result)
        return result

    def receive(self, body: bytes | None) -> Reply:
        """The answer to the body ``start`` asked for (``None``, longer than asked: a 413)."""
        self._body = body
        try:
            try:
                reply = self._operate(body)
            except SpecBreach:
                raise
            except ApiError as error:  # an error answer, delayed and faulted as any other
                reply = self.pipeline.failed(error)
            self._finish(reply)
        except Exception as error:
            reply = self.pipeline.answer_failure(error)
        self._journal(reply)
        return reply

    def failed(self, failure: RequestFailed) -> Reply:
        """The answer to a request whose body the caller could not read (cut short, too
        slow, a server too busy), journaled untimed and unjudged: the spec judged nothing."""
        reply = self.pipeline.failed(failure)
        self._journal(reply, judged=False)
        return reply

    def _journal(self, reply: Reply, judged: bool = True) -> None:
        """Journal ``reply`` with how long the mock took to make it (the delay it waits out
        after is not counted) and the spec's verdict."""
        operation = self.operation
        self.pipeline.state.journal.record(
            self.environ,
            None if reply.fault in NO_ANSWER_FAULTS else reply.status,
            operation.operation_id if operation is not None else None,
            self.raw_params,
            self._body,
            warning_of(reply.headers) if reply.headers else None,
            reply.fault,
            reply.strict_refusal,
            (time.perf_counter() - self._started) * 1000 if judged else None,
            reply.verdict if judged else None,
        )

    def _begin(self) -> Reply | NeedBody:
        """Admission and controls, then a coded answer (``Prefer: code=``), or the
        parameters parsed and the operation run, or the body asked for."""
        pipeline = self.pipeline
        environ = self.environ
        admitted = pipeline._admit(environ, self.methods, self.operation)
        if isinstance(admitted, Reply):
            return admitted
        self._admission = admitted
        operation = admitted.operation
        prefer = environ.get("HTTP_PREFER")
        query_string = environ.get("QUERY_STRING") or ""
        if prefer is not None or query_string:
            query = dict(parse_qsl(query_string)) if query_string else {}
            try:
                self._wanted = pipeline._controls[operation.operation_id].parse(prefer, query)
            except ControlError as error:
                error.headers = admitted.headers  # the key passed and spent a token
                raise
        wanted = self._wanted
        try:
            if wanted.code is not None and wanted.code != 200:
                reply = pipeline._coded(wanted.code)
            else:
                for parameter in operation.parameters:
                    raw = self.raw_params.get(parameter.name, "")
                    self._params[parameter.name] = parameter.parse(raw)
                if query_string:
                    pairs = parse_qsl(query_string, keep_blank_values=True)
                    if operation.query:
                        self._params.update(parse_query(operation.query, pairs))
                        self._given = frozenset(name for name, _ in pairs)
                    self._notes = unknown_parameters(
                        (name for name, _ in pairs),
                        (parameter.name for parameter in operation.query),
                        operation.operation_id,
                    )
                elif operation.query:
                    self._params.update(parse_query(operation.query, []))
                if operation.has_body:
                    return NeedBody(pipeline.config.max_body)
                reply = self._operate(None)
        except SpecBreach:
            raise
        except ApiError as error:  # an error answer, delayed and faulted as any other
            reply = pipeline.failed(error)
        self._finish(reply)
        return reply

    def _finish(self, reply: Reply) -> None:
        """``reply`` made an admitted request's: the rate-limit headers, the delay and the
        fault."""
        pipeline = self.pipeline
        admission = self._admission
        assert admission is not None
        headers = admission.headers
        if headers and reply.status != 429 and reply.status not in GATEWAY_STATUSES:
            reply.headers[:0] = headers
        wanted = self._wanted
        reply.delay_ms = wanted.delay_ms or pipeline.config.delay_ms
        fault = admission.queued_fault or wanted.fault
        rate = pipeline.config.fault_rate
        if fault is None and rate:
            draws = pipeline.state.fault_rng
            if draws.random() < rate:
                fault = draws.choice(FAULTS)
        reply.fault = fault

    def _operate(self, body: bytes | None) -> Reply:
        pipeline = self.pipeline
        admission = self._admission
        assert admission is not None
        operation = admission.operation
        if operation.has_body and body is None:
            raise ApiError(413)
        wanted = self._wanted
        if wanted.example is not None:
            example = Reply(200, pipeline._example(operation.operation_id, wanted.example))
            example.verdict = EXAMPLE if operation.has_body else KEPT
            return example
        handler = OPERATIONS.get(operation.operation_id)
        if handler is None:
            raise ApiError(500, f"The mock does not answer {operation.operation_id} yet.")
        call = Call(pipeline.state, operation, self._params, wanted, body, self._given)
        if self._notes:
            call.ignore(self._notes)
        try:
            reply = handler(call)
        except InvalidRecords as failure:  # a postback the mock made itself breaks the spec
            raise SpecBreach(" ".join(failure.lines()[1:])) from None
        except StoreFull as failure:  # the message says which bound
            raise ApiError(500, str(failure)) from None
        if call.notes:
            reply.headers.append((HEADER, header_value(call.notes)))
        reply.verdict = KEPT
        return reply
