"""What tests use: the ``everflow`` pytest plugin (``pytest_plugin``) and what its fixtures
hand to tests (``Answer``: a queued answer with headers or a body of its own), the
``everflow`` marker, the mock on a local socket in a thread
(``LocalServer``), ``everflow-mock serve`` in a child process (``spawn_serve``) and a postback
receiver.

The names below are imported on first use (PEP 562): pytest loads ``pytest_plugin`` in every
run, and that must not load Flask, respx or the spec.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openapi.lazy import lazy_names

if TYPE_CHECKING:
    from mock_server.core.answers import Answer
    from mock_server.testing.handle import InvalidPostback
    from mock_server.testing.local_server import LocalServer
    from mock_server.testing.mocks import EverflowMock, EverflowServer
    from mock_server.testing.pytest_plugin import EverflowLive
    from mock_server.testing.receiver import PostbackReceiver, Received
    from mock_server.testing.spawn import ServeFailed, Spawned, spawn_serve

_HOMES = {
    "Answer": "mock_server.core.answers",
    "EverflowLive": "mock_server.testing.pytest_plugin",
    "EverflowMock": "mock_server.testing.mocks",
    "EverflowServer": "mock_server.testing.mocks",
    "InvalidPostback": "mock_server.testing.handle",
    "LocalServer": "mock_server.testing.local_server",
    "PostbackReceiver": "mock_server.testing.receiver",
    "Received": "mock_server.testing.receiver",
    "ServeFailed": "mock_server.testing.spawn",
    "Spawned": "mock_server.testing.spawn",
    "spawn_serve": "mock_server.testing.spawn",
}

__all__ = [
    "Answer",
    "EverflowLive",
    "EverflowMock",
    "EverflowServer",
    "InvalidPostback",
    "LocalServer",
    "PostbackReceiver",
    "Received",
    "ServeFailed",
    "Spawned",
    "spawn_serve",
]

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
