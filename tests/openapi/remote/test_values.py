"""The option values ``everflow-contract``, ``proxy`` and ``record`` share: one reading of
pixel ids and of bounded numbers for all three commands."""

from __future__ import annotations

import argparse

import pytest

from openapi.remote.values import number, pixel_ids, positive


@pytest.mark.parametrize(
    ("text", "ids"), [("12", [12]), ("12,34", [12, 34]), ("12 34", [12, 34]), (" 5 ,6 ", [5, 6])]
)
def test_pixel_ids_are_read_in_each_documented_form(text: str, ids: list[int]) -> None:
    assert pixel_ids(text) == ids


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("1,x", "pixel ids must be integers, not '1,x'"),
        ("3,0", "pixel ids must be positive, not '3,0'"),
        ("-2", "pixel ids must be positive, not '-2'"),
        ("", "pixel ids must be positive, not ''"),
        ("9" * 5000, "pixel ids must be integers, not '" + "9" * 40 + "'"),
    ],
)
def test_pixel_ids_refuse_what_is_no_id_and_echo_at_most_40_characters(
    text: str, said: str
) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as refused:
        pixel_ids(text)
    assert str(refused.value) == said


def test_positive_takes_the_smallest_number_above_0_and_nothing_infinite() -> None:
    assert positive("1e-9") == 1e-9
    for text in ("0", "-1", "inf", "nan", "x"):
        with pytest.raises(argparse.ArgumentTypeError, match="must be a number > 0, not "):
            positive(text)


def test_number_from_a_bound_includes_it_and_keeps_its_kind() -> None:
    count = number(int, 1, inclusive=True)
    assert count("1") == 1
    assert type(count("7")) is int
    with pytest.raises(argparse.ArgumentTypeError, match=r"must be a number >= 1, not '0'"):
        count("0")
    with pytest.raises(argparse.ArgumentTypeError, match=r"must be a number >= 1, not '1.5'"):
        count("1.5")


def test_number_above_a_bound_excludes_it_and_echoes_at_most_40_characters() -> None:
    rate = number(float, 2.5, inclusive=False)
    assert rate("2.6") == 2.6
    for text in ("2.5", "1"):
        with pytest.raises(argparse.ArgumentTypeError) as refused:
            rate(text)
        assert str(refused.value) == f"must be a number > 2.5, not {text!r}"
    for text in ("x" * 100, "-" + "9" * 100):
        with pytest.raises(argparse.ArgumentTypeError) as refused:
            rate(text)
        assert str(refused.value) == f"must be a number > 2.5, not {text[:40]!r}"
