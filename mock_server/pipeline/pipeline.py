"""``Pipeline``: what every API request goes through, whichever operation it is for.

In order: find the operation (404 for a path outside the spec, 405 for a method it does not
document), the answer a test queued for it (a queued status answers here, as a gateway in
front of the API would), the key check (401, 403), the rate limit (429), the ``Prefer``
controls (422 for a bad value; ``code=NNN`` answers here), the path and query parameters
(400), the body (413 past ``max_body``), then the operation, then delay and faults. What
fails on the way raises a ``RequestFailed``, answered in one place (``failed``). Nothing is
looked at before the key has passed, so a request without a key gets 401 whatever else it
says. Every answer is journaled, with its operationId, path parameters and body.

The pipeline reads a WSGI-style environ and never sleeps or does I/O itself: each front
(WSGI in-process and on waitress, RSGI on granian) reads the body and waits out
``Reply.delay_ms`` its own way, so both answer byte for byte the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from mock_server.core.answers import GATEWAY_STATUSES, Answer, gateway_body
from mock_server.core.config import MockConfig, RateLimit, key_kinds
from mock_server.core.controls import FAULTS, NO_ANSWER_FAULTS, NONE, ControlParser
from mock_server.core.environ import environ_key
from mock_server.core.errors import ApiError, ControlError, RequestFailed, SpecBreach
from mock_server.core.ignored import HEADER, header_value, unknown_parameters, warning_of
from mock_server.core.messages import spec_message
from mock_server.core.ratelimit import NetworkBuckets
from mock_server.core.reply import Reply
from mock_server.core.routes import OperationSpec, Routes, parse_query
from mock_server.data.records import InvalidRecords
from mock_server.operations.served import OPERATIONS
from mock_server.operations.table import Call, Handler
from mock_server.pipeline.admission import ADMITTED, Admission, Admitted
from mock_server.pipeline.error_replies import ErrorReplies
from mock_server.state.mock_state import MockState

log = logging.getLogger("mock_server")
BodyReader = Callable[[], "bytes | None"]
"""Reads a request's body: the bytes, or ``None`` when it is longer than ``max_body``."""


class Pipeline(ErrorReplies):
    """Answers every API request of one mock app (see the module's docstring)."""

    def __init__(
        self,
        config: MockConfig,
        state: MockState,
        routes: Routes,
        operations: Mapping[str, Handler] = OPERATIONS,
    ) -> None:
        self.config = config
        self.state = state
        self.routes = routes
        self.operations = {
            op_id: operations[op_id] for op_id in routes.by_id if op_id in operations
        }
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

    def handle(self, environ: Mapping[str, Any], read_body: BodyReader) -> Reply | None:
        """The answer to one request, journaled; ``None`` when its path is no operation's."""
        found = self.routes.match(environ.get("PATH_INFO", ""))
        if found is None:
            return None
        methods, raw_params = found
        method = environ.get("REQUEST_METHOD", "GET")
        operation = methods.get("GET" if method == "HEAD" else method)  # as _operation
        body: list[bytes | None] = []
        if operation is not None and operation.has_body:
            read_all = read_body

            def read_body() -> bytes | None:
                body.append(read_all())
                return body[-1]

        try:
            reply = self._reply(environ, methods, operation, raw_params, read_body)
        except RequestFailed as failure:
            reply = self.failed(failure)
        except Exception:
            log.exception("unexpected error in the mock")
            reply = self.error(500)
        self.state.journal.record(
            environ,
            None if reply.fault in NO_ANSWER_FAULTS else reply.status,
            operation.operation_id if operation is not None else None,
            raw_params,
            body[0] if body else None,
            warning_of(reply.headers) if reply.headers else None,
            reply.fault,
            reply.strict_refusal,
        )
        return reply

    def admit(self, environ: dict[str, Any]) -> Reply | None:
        """For a front that reads a body before calling ``handle`` (the RSGI one): the
        refusal of an API request that may not go on (405, 401, 403, 429, a queued status),
        journaled, so that no byte of its body is read; ``None`` when it may (``handle`` then
        does not check, or spend a token, again). A keyless client cannot make the server
        hold its upload."""
        found = self.routes.match(environ.get("PATH_INFO", ""))
        if found is None:
            return None
        methods = found[0]
        try:
            admitted = self._admit(environ, methods, self._operation(environ, methods))
        except RequestFailed as failure:
            return self.journaled(environ, self.failed(failure))
        if isinstance(admitted, Reply):
            return self.journaled(environ, admitted)
        environ[ADMITTED] = admitted
        return None

    def journaled(self, environ: Mapping[str, Any], reply: Reply) -> Reply:
        """``reply``, journaled as the answer to ``environ`` when its path is an operation's:
        for the answers a front gives itself (a body too slow, cut short or too large, a
        server too busy), so that every answer to an API request is in the journal."""
        found = self.routes.match(environ.get("PATH_INFO", ""))
        if found is not None:
            methods, raw_params = found
            operation = self._operation(environ, methods)
            self.state.journal.record(
                environ,
                reply.status,
                operation.operation_id if operation is not None else None,
                raw_params,
            )
        return reply

    @staticmethod
    def _operation(
        environ: Mapping[str, Any], methods: dict[str, OperationSpec]
    ) -> OperationSpec | None:
        method = environ.get("REQUEST_METHOD", "GET")
        return methods.get("GET" if method == "HEAD" else method)

    def _admit(
        self,
        environ: Mapping[str, Any],
        methods: dict[str, OperationSpec],
        operation: OperationSpec | None,
    ) -> Admitted:
        """The admission of a request for ``operation`` (``None``: not a method of the path's),
        or the answer a test queued for it; ``ApiError`` when it may not go on."""
        if operation is None:
            allowed = sorted({*methods, *(["HEAD"] if "GET" in methods else [])})
            raise ApiError(405, headers=[*self._peek(), ("Allow", ", ".join(allowed))])
        queued = self.state.answers.take(operation.operation_id) if self.state.answers else None
        if isinstance(queued, int) and queued != 200:
            reply = self._coded(queued, self.state.buckets)
            reply.delay_ms = self.config.delay_ms
            return reply
        if isinstance(queued, Answer):
            status = queued.status
            base = Reply(200, b"") if status == 200 else self._coded(status, self.state.buckets)
            reply = queued.applied(base)
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
        return Admission(operation, headers, queued if isinstance(queued, str) else None, kind)

    def _reply(
        self,
        environ: Mapping[str, Any],
        methods: dict[str, OperationSpec],
        operation: OperationSpec | None,
        raw_params: Mapping[str, str],
        read_body: BodyReader,
    ) -> Reply:
        admitted = environ.get(ADMITTED) or self._admit(environ, methods, operation)
        if isinstance(admitted, Reply):
            return admitted
        operation, headers, queued, kind = admitted
        buckets = self.state.buckets
        prefer = environ.get("HTTP_PREFER")
        query_string = environ.get("QUERY_STRING") or ""
        query = dict(parse_qsl(query_string)) if query_string else {}
        try:
            wanted = (
                self._controls[operation.operation_id].parse(prefer, query)
                if prefer is not None or query
                else NONE
            )
        except ControlError as error:
            error.headers = headers  # the key passed and spent a token, as for any answer
            raise
        try:
            if wanted.code is not None and wanted.code != 200:
                reply = self._coded(wanted.code, buckets, kind)
            else:
                reply = self._operate(operation, raw_params, wanted, query_string, read_body)
        except SpecBreach:
            raise
        except ApiError as error:  # an error answer, delayed and faulted as any other
            reply = self.failed(error)
        if headers and reply.status != 429 and reply.status not in GATEWAY_STATUSES:
            reply.headers[:0] = headers
        delay_ms = wanted.delay_ms or self.config.delay_ms
        reply.delay_ms = delay_ms
        fault = queued or wanted.fault
        rate = self.config.fault_rate
        if fault is None and rate:
            draws = self.state.fault_rng
            if draws.random() < rate:
                fault = draws.choice(FAULTS)
        reply.fault = fault
        return reply

    def _coded(self, code: int, buckets: NetworkBuckets | None, kind: str = "network") -> Reply:
        """The answer ``Prefer: code=`` or a queued status asks for (not 200)."""
        if code == 429:
            return self.failed(
                ApiError(
                    429,
                    headers=(self._nominal_limit if buckets is None else buckets).too_many(kind),
                )
            )
        if code in GATEWAY_STATUSES:
            return Reply(code, gateway_body(code), content_type="text/html")
        return self.error(code)

    def _operate(
        self,
        operation: OperationSpec,
        raw_params: Mapping[str, str],
        wanted: Any,
        query_string: str,
        read_body: BodyReader,
    ) -> Reply:
        params: dict[str, Any] = {}
        given: frozenset[str] = frozenset()
        for parameter in operation.parameters:
            params[parameter.name] = parameter.parse(raw_params.get(parameter.name, ""))
        pairs = parse_qsl(query_string, keep_blank_values=True) if query_string else []
        if operation.query:
            params.update(parse_query(operation.query, pairs))
            given = frozenset(name for name, _ in pairs)
        notes = (
            unknown_parameters(
                (name for name, _ in pairs),
                (parameter.name for parameter in operation.query),
                operation.operation_id,
            )
            if pairs
            else []
        )
        body: bytes | None = None
        if operation.has_body:
            body = read_body()
            if body is None:
                raise ApiError(413)
        if wanted.example is not None:
            return Reply(200, self._example(operation.operation_id, wanted.example))
        handler = self.operations.get(operation.operation_id)
        if handler is None:
            raise ApiError(500, f"The mock does not answer {operation.operation_id} yet.")
        call = Call(self.state, operation, params, wanted, body, given)
        if notes:
            call.ignore(notes)
        try:
            reply = handler(call)
        except InvalidRecords as invalid:  # a postback the mock made itself breaks the spec
            raise SpecBreach(" ".join(invalid.lines()[1:])) from None
        if call.notes:
            reply.headers.append((HEADER, header_value(call.notes)))
        return reply

    def _peek(self) -> list[tuple[str, str]]:
        """The network bucket's headers, no token spent: an answer that charges no bucket
        still says the bucket's state, as Everflow's docs say every answer does."""
        buckets = self.state.buckets
        # ``is None``, not truthiness: a fresh mock's buckets are empty (len 0) yet there.
        return [] if buckets is None else buckets.headers("network", buckets.peek("network"))
