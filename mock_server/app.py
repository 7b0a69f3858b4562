"""``create_app``: the Flask app that answers like Everflow's partner postback API, and
``MockApp``: the same mock as a plain WSGI app that builds the Flask app only when needed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mock_server.admin.api import AdminApi
from mock_server.admin.guard import AdminGuard
from mock_server.core.config import MockConfig
from mock_server.core.routes import Routes
from mock_server.http.wsgi import rest_app, wsgi_front
from mock_server.pipeline.pipeline import Pipeline
from mock_server.pipeline.registry import (
    PIPELINE_KEY,
    REST_KEY,
    STATE_KEY,
    get_pipeline,
)
from mock_server.state.mock_state import MockState
from openapi import load_spec

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask

log = logging.getLogger("mock_server")


class MockApp:
    """A mock of Everflow's partner postback API as a WSGI app, for in-process use and the
    pytest fixtures.

    The spec's operations and the admin API are answered by its ``Pipeline``, which needs
    no web framework; the rest (the admin page, ``/openapi.yaml``, paths outside the spec)
    by the Flask app of ``create_app``, sharing the same state, built on the first such
    request or on the first use of an attribute only a Flask app has (``test_client``,
    ``config``, ...). So a test that calls the API or the admin API never loads Flask. Start data is validated here
    (``InvalidRecords`` if any record breaks the spec).
    """

    def __init__(self, config: MockConfig | None = None) -> None:
        config = config or MockConfig()
        state = MockState(config)
        pipeline = Pipeline(config, state, Routes.from_spec(load_spec()))
        self.guard = AdminGuard(config.admin_token)
        pipeline.others = AdminApi(pipeline, self.guard).exchange
        self.config = config
        rest = rest_app(self._rest, pipeline)
        self.extensions: dict[str, Any] = {STATE_KEY: state, PIPELINE_KEY: pipeline, REST_KEY: rest}
        self._front = wsgi_front(rest, pipeline)
        self._flask: Flask | None = None
        self._flask_wsgi: WSGIApplication | None = None
        self._building = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self._front(environ, start_response)

    @property
    def wsgi_app(self) -> WSGIApplication:
        """The WSGI callable, as a Flask app names it: the front itself (no Flask needed)."""
        return self._front

    @property
    def flask(self) -> Flask:
        """The Flask app for everything but the spec's operations (built on first use);
        calling it answers the spec's operations too."""
        if self._flask is None:
            with self._building:
                if self._flask is None:
                    app = _flask_app(self.config, self.extensions, self.guard)
                    self._flask_wsgi = app.wsgi_app
                    # Requests go straight to the front; it hands Flask what is not the API.
                    app.wsgi_app = self._front  # type: ignore[method-assign,assignment]
                    self._flask = app
        return self._flask

    def _rest(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.flask  # noqa: B018 - built now if it was not yet
        assert self._flask_wsgi is not None
        return self._flask_wsgi(environ, start_response)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.flask, name)


def create_app(config: MockConfig | None = None) -> Flask:
    """``MockApp(config).flask``: the mock as a Flask app, for a socket or in-process use
    (Flask's test client). Start data is validated once, here, so a served postback never
    needs validating again."""
    return MockApp(config).flask


def _flask_app(config: MockConfig, extensions: dict[str, Any], guard: AdminGuard) -> Flask:
    from flask import Flask, Response
    from werkzeug.exceptions import HTTPException

    from mock_server.admin.page import admin_blueprint, flask_response
    from mock_server.core.errors import RequestFailed
    from mock_server.core.messages import message
    from openapi import spec_bytes

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.max_body
    app.extensions.update(extensions)
    pipeline = get_pipeline(app)
    app.register_blueprint(admin_blueprint(pipeline, guard))

    @app.get("/openapi.yaml")
    def openapi_yaml() -> Response:
        return Response(spec_bytes(), 200, content_type="application/yaml")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        # Flask's own 413 (an admin body past --max-body) says what the API's 413 says.
        said = message(413) if status == 413 else f"{error.name}."
        reply = pipeline.error(status, said)
        allowed = getattr(error, "valid_methods", None)
        if allowed:
            reply.headers.append(("Allow", ", ".join(sorted(allowed))))
        return flask_response(reply)

    @app.errorhandler(RequestFailed)
    def refused(failure: RequestFailed) -> Response:
        return flask_response(pipeline.failed(failure))

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unexpected error in the mock")
        return flask_response(pipeline.error(500))

    return app
