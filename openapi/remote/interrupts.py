"""Signals around a run against a real API: stopping must never leave a probe postback
behind, nor a file half written.

While a run goes (``everflow-contract`` from start to end, the write probes under any
runner, ``everflow-mock record``), SIGTERM (how CI cancels a job) interrupts like Ctrl-C,
so that the ``finally`` that deletes the probe runs, the reports are written and a
recording is left whole or not at all. While that cleanup runs (and while
the CLI writes its reports), Ctrl-C and SIGTERM are held back and raised once it is done;
the cleanup is bounded in time, so holding back cannot hang a run. Signal handlers can only be set in the main thread; elsewhere these do
nothing (and pytest-xdist workers, for one, run tests in the main thread).
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

Handler = Callable[[int, FrameType | None], None]

HELD_BACK = "everflow-contract: interrupted; deleting the probe postbacks first\n"

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _handled(signals: tuple[signal.Signals, ...], handler: Handler) -> Iterator[None]:
    """``handler`` handles ``signals`` while active, in the main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in signals}
    try:
        yield
    finally:
        for signum, before in previous.items():
            signal.signal(signum, before)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")


def terminate_as_interrupt() -> contextlib.AbstractContextManager[None]:
    """While active, SIGTERM raises ``KeyboardInterrupt``, as Ctrl-C does."""
    return _handled((signal.SIGTERM,), _interrupt)


@contextlib.contextmanager
def interrupts_held_back(note: str = HELD_BACK) -> Iterator[list[int]]:
    """While active, SIGINT and SIGTERM only note themselves (in the list yielded) and say
    so on stderr (``note``); on leaving normally, a noted one raises ``KeyboardInterrupt``."""
    received: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        sys.stderr.write(note)

    with _handled(_SIGNALS, hold):
        yield received
    if received:
        raise KeyboardInterrupt(f"signal {signal.Signals(received[0]).name}, held back")
