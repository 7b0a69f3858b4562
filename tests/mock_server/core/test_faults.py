"""Injected faults, and keeping them out of server logs."""

from __future__ import annotations

import logging

from mock_server.core.faults import FAULT_MESSAGE, HideInjectedFaults, InjectedFault


def record(message: str, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error else None
    return logging.LogRecord("_granian", logging.ERROR, __file__, 1, message, None, exc_info)


def test_filter_drops_only_injected_faults() -> None:
    hide = HideInjectedFaults()
    assert not hide.filter(record("Application callable raised an exception", InjectedFault("x")))
    assert not hide.filter(record(f"Traceback ... {FAULT_MESSAGE}"))
    assert hide.filter(record("Application callable raised an exception", ValueError("real bug")))
    assert hide.filter(record("Listening at: http://127.0.0.1:4010"))


def test_injected_fault_is_what_werkzeug_treats_as_a_dropped_connection() -> None:
    assert issubclass(InjectedFault, ConnectionError)
