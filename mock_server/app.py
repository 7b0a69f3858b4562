"""``create_app``: the Flask app that answers like Everflow's partner postback endpoint."""

from __future__ import annotations

import functools
import logging
import random
import time

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from mock_server.admin import admin_blueprint
from mock_server.config import MockConfig
from mock_server.controls import ControlError, ControlParser, Controls
from mock_server.faults import fault_response
from mock_server.messages import error_body, problem
from mock_server.operation import OperationRules
from mock_server.records import InvalidRecords
from mock_server.state import MockState
from mock_server.store import encode
from openapi import load_spec, schema_violations, spec_bytes

log = logging.getLogger("mock_server")
STATE_KEY = "everflow_mock"


class SpecBreach(RuntimeError):
    """A response the mock was about to send breaks the spec."""


def get_state(app: Flask) -> MockState:
    """The ``MockState`` behind an app made by ``create_app``."""
    state: MockState = app.extensions[STATE_KEY]
    return state


def create_app(config: MockConfig | None = None) -> Flask:
    """A mock of ``GET /v1/networks/pixels/{pixelId}``, for a socket or in-process use.

    Start data is validated here (``InvalidRecords`` if any record breaks the spec), so a
    served postback never needs validating again.
    """
    config = config or MockConfig()
    rules = OperationRules.from_spec(load_spec())
    state = MockState(config)
    controls = ControlParser(rules.statuses, rules.examples)
    fault_rng = random.Random(config.seed)

    app = Flask(__name__)
    app.extensions[STATE_KEY] = state
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.register_blueprint(admin_blueprint(state))

    @functools.cache
    def checked_error(status: int, message: str | None = None) -> bytes:
        body = error_body(status, config.error_key, message)
        breaches = schema_violations(body, "EverflowError")
        if breaches:
            raise SpecBreach("; ".join(map(str, breaches)))
        return encode(body)

    @functools.cache
    def checked_example(name: str) -> bytes:
        breaches = schema_violations(rules.examples[name])
        if breaches:
            raise SpecBreach("; ".join(map(str, breaches)))
        return encode(rules.examples[name])

    def everflow_error(status: int, headers: dict[str, str] | None = None) -> Response:
        return Response(checked_error(status), status, headers, content_type="application/json")

    def answer(raw_id: str, wanted: Controls) -> tuple[Response, bytes | None]:
        if wanted.code is not None and wanted.code != 200:
            return everflow_error(wanted.code), None
        key = request.headers.get(rules.api_key_header)
        if not key:
            return everflow_error(401), None
        if config.api_keys and key not in config.api_keys:
            return everflow_error(403), None
        headers: dict[str, str] = {}
        if state.buckets is not None:
            allowed, remaining = state.buckets.take(key)
            headers["X-RateLimit-Limit"] = str(int(state.buckets.limit.rate))
            headers["X-RateLimit-Remaining"] = str(remaining)
            if not allowed:
                headers["Retry-After"] = str(state.buckets.retry_after())
                return everflow_error(429, headers), None
        pixel_id = rules.parse_id(raw_id)
        if pixel_id is None:
            return everflow_error(400, headers), None
        if wanted.example is not None:
            data: bytes | None = checked_example(wanted.example)
        else:
            data = state.store.get(pixel_id)
            dynamic = wanted.dynamic if wanted.dynamic is not None else config.dynamic
            if data is None and (dynamic or wanted.code == 200):
                seed = wanted.seed if wanted.seed is not None else config.seed
                data = state.dynamic(seed, pixel_id)
        if data is None:
            return everflow_error(404, headers), None
        return Response(data, 200, headers, content_type="application/json"), data

    @app.get(rules.path_prefix + "<path:raw_id>")
    def get_partner_postback(raw_id: str) -> Response:
        try:
            wanted = controls.parse(request.headers.get("Prefer"), request.args)
        except ControlError as error:
            return problem(
                422,
                "invalid-control",
                "Invalid mock control",
                str(error),
                control=error.name,
                value=error.value,
            )
        delay_ms = wanted.delay_ms or config.delay_ms
        if delay_ms:
            time.sleep(delay_ms / 1000)
        response, data = answer(raw_id, wanted)
        fault = wanted.fault
        if fault is None and config.fault_rate and fault_rng.random() < config.fault_rate:
            fault = fault_rng.choice(("reset", "empty", "malformed"))
        if fault is not None:
            return fault_response(fault, request.environ, data or response.get_data())
        return response

    @app.get("/openapi.yaml")
    def openapi_yaml() -> Response:
        return Response(spec_bytes(), 200, content_type="application/yaml")

    @app.after_request
    def journal(response: Response) -> Response:
        if request.path.startswith(rules.base_path):
            state.journal.record(
                request.method,
                request.path,
                request.query_string.decode("latin-1"),
                request.headers.items(),
                response.status_code,
            )
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        headers = dict(error.get_headers()) if status == 405 else {}
        headers.pop("Content-Type", None)
        body = encode(error_body(status, config.error_key))
        return Response(body, status, headers, content_type="application/json")

    @app.errorhandler(SpecBreach)
    def spec_breach(error: SpecBreach) -> Response:
        log.error("response not sent, it breaks the spec: %s", error)
        message = f"The mock's response broke the spec and was not sent: {error}"
        body = encode(error_body(500, config.error_key, message))
        return Response(body, 500, content_type="application/json")

    @app.errorhandler(InvalidRecords)
    def invalid_record(error: InvalidRecords) -> Response:
        return spec_breach(SpecBreach(" ".join(error.lines()[1:])))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error in the mock")
        return everflow_error(500)

    return app
