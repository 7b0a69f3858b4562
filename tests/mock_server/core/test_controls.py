"""Prefer-header and query-twin controls."""

from __future__ import annotations

import pytest

from mock_server.core.controls import (
    MAX_DELAY_MS,
    NONE,
    ControlError,
    ControlParser,
    Controls,
    parse_prefer,
)

PARSER = ControlParser(codes=[200, 404, 429], examples=["a", "b"])


def test_prefer_header_items() -> None:
    assert parse_prefer('code=404, example="a"; dynamic=true') == {
        "code": "404",
        "example": "a",
        "dynamic": "true",
    }
    assert parse_prefer("respond-async, wait=5") == {"wait": "5"}


def test_full_vocabulary() -> None:
    got = PARSER.parse("code=429, example=b, dynamic=TRUE, seed=12, delay=40, fault=reset", {})
    assert got == Controls(code=429, example="b", dynamic=True, seed=12, delay_ms=40, fault="reset")


def test_nothing_asked_is_the_shared_empty_controls() -> None:
    assert PARSER.parse(None, {"page": "2"}) is NONE
    assert PARSER.parse("return=minimal", {}) == NONE


def test_query_twins_only_without_prefer() -> None:
    query = {"__code": "404", "__dynamic": "false"}
    assert PARSER.parse(None, query) == Controls(code=404, dynamic=False)
    assert PARSER.parse("seed=3", query) == Controls(seed=3)


@pytest.mark.parametrize("text", ["99999999", "99999999999", "9" * 20])
def test_delay_is_capped(text: str) -> None:
    assert PARSER.parse(f"delay={text}", {}).delay_ms == MAX_DELAY_MS


@pytest.mark.parametrize(
    ("prefer", "name"),
    [
        ("code=500", "code"),
        ("code=", "code"),
        ("example=c", "example"),
        ("dynamic=1", "dynamic"),
        ("seed=x", "seed"),
        ("delay=-5", "delay"),
        ("fault=slow", "fault"),
        ("code=٤٠٤", "code"),
    ],
)
def test_invalid_values_raise_naming_the_control(prefer: str, name: str) -> None:
    with pytest.raises(ControlError) as info:
        PARSER.parse(prefer, {})
    assert info.value.name == name
    assert info.value.value == prefer.split("=", 1)[1]


@pytest.mark.parametrize("name", ["delay", "seed", "code"])
def test_huge_numbers_are_refused_without_converting_them(name: str) -> None:
    digits = "9" * 5000  # int() of more than 4,300 digits raises ValueError
    with pytest.raises(ControlError) as info:
        PARSER.parse(f"{name}={digits}", {})
    assert info.value.name == name
    assert len(str(info.value)) < 200  # the 422 answer does not echo the whole value
    with pytest.raises(ControlError):
        PARSER.parse(None, {f"__{name}": digits})
