"""Signals around the write probes: SIGTERM interrupts, and a cleanup is never cut short."""

from __future__ import annotations

import signal
import threading

import pytest

from openapi.remote.interrupts import interrupts_held_back, terminate_as_interrupt


def test_sigterm_raises_keyboard_interrupt_while_active_only() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt, match="SIGTERM"), terminate_as_interrupt():
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before


def test_held_back_signals_are_raised_when_the_cleanup_is_done(
    capsys: pytest.CaptureFixture[str],
) -> None:
    done: list[str] = []
    before = signal.getsignal(signal.SIGINT)
    noted: list[int] = []

    def clean_up() -> None:
        with interrupts_held_back() as received:
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGTERM)
            done.append("the cleanup went on")
            noted.extend(received)

    with pytest.raises(KeyboardInterrupt, match="SIGINT, held back"):
        clean_up()
    assert done == ["the cleanup went on"]
    assert noted == [signal.SIGINT, signal.SIGTERM]
    assert signal.getsignal(signal.SIGINT) == before
    assert capsys.readouterr().err.count("deleting the probe postbacks first") == 2


def test_nothing_held_back_nothing_raised() -> None:
    with interrupts_held_back() as received:
        pass
    assert received == []


def test_outside_the_main_thread_signals_are_left_alone() -> None:
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with terminate_as_interrupt(), interrupts_held_back():
                pass
        except BaseException as error:  # pragma: no cover
            errors.append(error)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert errors == []
