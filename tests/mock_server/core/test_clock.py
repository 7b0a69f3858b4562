"""The mock's clock: deterministic by default, settable, or the wall clock."""

from __future__ import annotations

import time

import pytest

from fixtures.vocabulary import EPOCH_ANCHOR
from mock_server.core.clock import DEFAULT_START, Clock, parse_clock


def test_the_default_start_is_a_day_after_the_factories_newest_time() -> None:
    assert DEFAULT_START == EPOCH_ANCHOR + 86_400


def test_the_deterministic_clock_ticks_a_second_per_read_and_resets() -> None:
    clock = Clock()
    assert [clock.now(), clock.now(), clock.now()] == [
        DEFAULT_START,
        DEFAULT_START + 1,
        DEFAULT_START + 2,
    ]
    clock.reset()
    assert clock.now() == DEFAULT_START
    assert Clock(1_700_000_000).now() == 1_700_000_000


def test_the_wall_clock_is_now() -> None:
    clock = Clock("now")
    before = int(time.time())
    assert before <= clock.now() <= int(time.time())
    clock.reset()
    assert clock.now() >= before


@pytest.mark.parametrize(
    ("text", "setting"), [("now", "now"), ("NOW", "now"), (" 1700000000 ", 1_700_000_000), ("0", 0)]
)
def test_parse_clock(text: str, setting: object) -> None:
    assert parse_clock(text) == setting


@pytest.mark.parametrize("text", ["", "yesterday", "-5", "1.5", "1e9", "9" * 13])
def test_parse_clock_refuses_naming_the_choices(text: str) -> None:
    with pytest.raises(ValueError, match="'now' or Unix seconds"):
        parse_clock(text)


@pytest.mark.parametrize("setting", [-1, True, "later", 1.5])
def test_a_bad_setting_is_refused(setting: object) -> None:
    with pytest.raises(ValueError, match="clock must be"):
        Clock(setting)  # type: ignore[arg-type]


def test_peek_reads_without_moving_the_clock() -> None:
    clock = Clock(100)
    assert clock.peek() == 100
    assert clock.peek() == 100
    assert clock.now() == 100
    assert clock.peek() == 101
    assert abs(Clock("now").peek() - time.time()) < 5
