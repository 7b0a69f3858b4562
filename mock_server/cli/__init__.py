"""The ``everflow-mock`` command (``python -m mock_server.cli``): generate postbacks, list
the catalogue, serve the mock, fire conversions through it."""

from mock_server.cli.command import build_parser, main

__all__ = ["build_parser", "main"]
