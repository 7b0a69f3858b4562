"""``create_app``: the Flask app that answers like Everflow's partner postback endpoint."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from mock_server.admin import admin_blueprint
from mock_server.config import MockConfig
from mock_server.endpoint import PostbackEndpoint
from mock_server.messages import error_body
from mock_server.operation import OperationRules
from mock_server.state import MockState
from mock_server.store import encode
from openapi import load_spec, spec_bytes

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("mock_server")
STATE_KEY = "everflow_mock"


def get_state(app: Flask) -> MockState:
    """The ``MockState`` behind an app made by ``create_app``."""
    state: MockState = app.extensions[STATE_KEY]
    return state


def create_app(config: MockConfig | None = None) -> Flask:
    """A mock of ``GET /v1/networks/pixels/{pixelId}``, for a socket or in-process use.

    Start data is validated here (``InvalidRecords`` if any record breaks the spec), so a
    served postback never needs validating again. The operation itself is answered by a
    ``PostbackEndpoint`` in front of Flask; Flask serves the admin API and the spec.
    """
    config = config or MockConfig()
    rules = OperationRules.from_spec(load_spec())
    state = MockState(config)
    endpoint = PostbackEndpoint(config, state, rules)

    app = Flask(__name__)
    app.extensions[STATE_KEY] = state
    app.register_blueprint(admin_blueprint(state))

    @app.get("/openapi.yaml")
    def openapi_yaml() -> Response:
        return Response(spec_bytes(), 200, content_type="application/yaml")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        message = f"{error.name}."
        allowed = getattr(error, "valid_methods", None)
        headers = {"Allow": ", ".join(allowed)} if allowed else {}
        body = encode(error_body(status, config.error_key, message))
        return Response(body, status, headers, content_type="application/json")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error in the mock")
        body = encode(error_body(500, config.error_key))
        return Response(body, 500, content_type="application/json")

    app.wsgi_app = _front(app.wsgi_app, endpoint, state, rules.base_path)  # type: ignore[method-assign,assignment]
    return app


def _front(
    flask_app: WSGIApplication, endpoint: PostbackEndpoint, state: MockState, base_path: str
) -> WSGIApplication:
    """Send the operation's requests to the endpoint, the rest to Flask; journal API paths."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if endpoint.handles(path):
            return endpoint(environ, start_response)
        if not path.startswith(base_path):
            return flask_app(environ, start_response)

        def journaling(status: str, headers: Any, exc_info: Any = None) -> Any:
            state.journal.record(environ, int(status[:3]))
            return start_response(status, headers, exc_info)

        return flask_app(environ, journaling)

    return app
