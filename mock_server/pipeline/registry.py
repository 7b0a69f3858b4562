"""What a mock's app holds, by key in its ``extensions``: the ``MockState``, the ``Pipeline``
that answers its API requests, and the WSGI app for the rest (Flask's: the admin page, the
spec). ``create_app`` and ``MockApp`` put them there; the fronts and fixtures take them out
here, below the app module, so that none of them imports it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

    from mock_server.pipeline.pipeline import Pipeline
    from mock_server.state.mock_state import MockState

STATE_KEY = "everflow_mock"
PIPELINE_KEY = "everflow_mock_pipeline"
REST_KEY = "everflow_mock_rest"


class HoldsMock(Protocol):
    """A Flask app or ``MockApp``: both keep the mock in ``extensions``."""

    @property
    def extensions(self) -> dict[str, Any]: ...


def get_state(app: HoldsMock) -> MockState:
    """The ``MockState`` behind an app made by ``create_app`` or ``MockApp``."""
    return cast("MockState", app.extensions[STATE_KEY])


def get_pipeline(app: HoldsMock) -> Pipeline:
    """The ``Pipeline`` that answers an app's API requests (for other fronts, e.g. RSGI)."""
    return cast("Pipeline", app.extensions[PIPELINE_KEY])


def get_rest(app: HoldsMock) -> WSGIApplication:
    """The WSGI app for the requests an app's pipeline does not answer (Flask: the admin
    API, the spec), for a front that asked the pipeline already."""
    return cast("WSGIApplication", app.extensions[REST_KEY])
