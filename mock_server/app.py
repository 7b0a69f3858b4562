"""``create_app``: the Flask app that answers like Everflow's partner postback endpoint."""

from __future__ import annotations

import logging

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from mock_server.admin import admin_blueprint
from mock_server.config import MockConfig
from mock_server.front import wsgi_front
from mock_server.messages import error_body, message
from mock_server.pipeline import Pipeline
from mock_server.routes import Routes
from mock_server.state import MockState
from mock_server.store import encode
from openapi import load_spec, spec_bytes

log = logging.getLogger("mock_server")
STATE_KEY = "everflow_mock"
PIPELINE_KEY = "everflow_mock_pipeline"


def get_state(app: Flask) -> MockState:
    """The ``MockState`` behind an app made by ``create_app``."""
    state: MockState = app.extensions[STATE_KEY]
    return state


def create_app(config: MockConfig | None = None) -> Flask:
    """A mock of Everflow's partner postback API, for a socket or in-process use.

    Start data is validated here (``InvalidRecords`` if any record breaks the spec), so a
    served postback never needs validating again. The spec's operations are answered by a
    ``Pipeline`` in front of Flask; Flask serves the admin API and the spec.
    """
    config = config or MockConfig()
    state = MockState(config)
    pipeline = Pipeline(config, state, Routes.from_spec(load_spec()))

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body
    app.extensions[STATE_KEY] = state
    app.extensions[PIPELINE_KEY] = pipeline
    app.register_blueprint(admin_blueprint(state, pipeline.routes))

    @app.get("/openapi.yaml")
    def openapi_yaml() -> Response:
        return Response(spec_bytes(), 200, content_type="application/yaml")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        # Flask's own 413 (an admin body past --max-body) says what the API's 413 says.
        said = message(413) if status == 413 else f"{error.name}."
        allowed = getattr(error, "valid_methods", None)
        headers = {"Allow": ", ".join(allowed)} if allowed else {}
        body = encode(error_body(status, config.error_key, said))
        return Response(body, status, headers, content_type="application/json")

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error in the mock")
        body = encode(error_body(500, config.error_key))
        return Response(body, 500, content_type="application/json")

    app.wsgi_app = wsgi_front(app.wsgi_app, pipeline)  # type: ignore[method-assign,assignment]
    return app


def get_pipeline(app: Flask) -> Pipeline:
    """The ``Pipeline`` that answers an app's API requests (for other fronts, e.g. RSGI)."""
    pipeline: Pipeline = app.extensions[PIPELINE_KEY]
    return pipeline
