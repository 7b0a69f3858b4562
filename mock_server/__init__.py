"""A mock of Everflow's partner postback API: ``create_app`` for in-process use, and the
``everflow-mock`` command for a real server.

The names below are imported on first use (PEP 562), so that importing the pytest plugin
or the CLI, which live in this package, does not load Flask and the spec until needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openapi.lazy import lazy_names

if TYPE_CHECKING:
    from mock_server.app import create_app
    from mock_server.core.config import MockConfig, RateLimit
    from mock_server.data.catalogue import builtin_postbacks
    from mock_server.data.datafile import DataFileError, load_data_file
    from mock_server.data.records import InvalidRecords
    from mock_server.pipeline.registry import get_state
    from mock_server.state.mock_state import MockState

_HOMES = {
    "DataFileError": "mock_server.data.datafile",
    "InvalidRecords": "mock_server.data.records",
    "MockConfig": "mock_server.core.config",
    "MockState": "mock_server.state.mock_state",
    "RateLimit": "mock_server.core.config",
    "builtin_postbacks": "mock_server.data.catalogue",
    "create_app": "mock_server.app",
    "get_state": "mock_server.pipeline.registry",
    "load_data_file": "mock_server.data.datafile",
}

__all__ = [
    "DataFileError",
    "InvalidRecords",
    "MockConfig",
    "MockState",
    "RateLimit",
    "builtin_postbacks",
    "create_app",
    "get_state",
    "load_data_file",
]

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
