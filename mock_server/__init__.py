"""A mock of Everflow's partner postback API: ``create_app`` for in-process use, and the
``everflow-mock`` command for a real server."""

from mock_server.app import create_app, get_state
from mock_server.catalogue import builtin_postbacks
from mock_server.config import MockConfig, RateLimit
from mock_server.datafile import DataFileError, load_data_file
from mock_server.records import InvalidRecords
from mock_server.state import MockState

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
