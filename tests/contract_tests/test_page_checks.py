"""Paging checks: a page that is valid item by item can still be wrong as a page."""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests.page_checks import check_filtered, check_page


def page(ids: list[int], page: int = 1, page_size: int = 5, total: int = 12) -> dict[str, Any]:
    return {
        "pixels": [{"network_pixel_id": i, "pixel_type": "conversion"} for i in ids],
        "paging": {"page": page, "page_size": page_size, "total_count": total},
    }


def checks(body: Any, asked_page: int = 1, asked_size: int = 5) -> list[tuple[str, str]]:
    return [(f.check, f.path) for f in check_page("t", "list", body, asked_page, asked_size)]


def test_a_consistent_page_has_no_findings() -> None:
    assert checks(page([1, 4, 7, 9, 12])) == []
    assert checks(page([20, 21], page=3, total=12), asked_page=3) == []  # the last, short page
    assert checks(page([], page=9, total=12), asked_page=9) == []  # past the last page
    assert checks(page([1, 2], total=2)) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (page([1, 2, 3, 4, 5], page=2), [("paging_page", "$.paging.page")]),
        (page([1, 2, 3, 4, 5], page_size=50), [("paging_page_size", "$.paging.page_size")]),
        (page([1, 2, 3, 4, 5, 6]), [("page_size_honoured", "$.pixels")]),
        (page([1, 2, 3, 4, 5], total=3), [("total_count", "$.paging.total_count")]),
        (page([1, 2, 3], total=12), [("short_page", "$.pixels")]),
        (page([1, 2, 9, 4, 5]), [("ordered_by_id", "$.pixels[3].network_pixel_id")]),
        (page([1, 2, 2, 4, 5]), [("ordered_by_id", "$.pixels[2].network_pixel_id")]),
    ],
    ids=["page", "page_size", "too_long", "total_too_small", "short", "unordered", "repeated"],
)
def test_each_way_a_page_can_be_wrong_is_named(
    body: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert checks(body) == expected


def test_the_total_must_cover_the_pages_before() -> None:
    found = check_page("t", "list", page([11, 12], page=3, total=4), 3, 5)
    assert [(f.check, f.expected, f.actual) for f in found] == [
        ("total_count", ">= 12 (page 3 holds 2 of 5)", "4")
    ]


def test_a_body_that_is_no_page_is_left_to_the_spec() -> None:
    assert checks({"error": "x"}) == []
    assert checks([1, 2]) == []
    assert checks({"pixels": [], "paging": "x"}) == []


def test_a_search_answers_only_what_its_filters_allow() -> None:
    body = page([1, 2, 3])
    body["pixels"][1]["pixel_type"] = "cpc"
    del body["pixels"][2]["pixel_type"]
    found = check_filtered("t", "search", body, {"pixel_type": ["conversion"]})
    assert [(f.check, f.pixel_id, f.path, f.actual) for f in found] == [
        ("search_filter", 2, "$.pixels[1].pixel_type", '"cpc"'),  # a value the spec names
        ("search_filter", 3, "$.pixels[2].pixel_type", "(absent)"),
    ]
    assert check_filtered("t", "search", None, {"pixel_type": ["cpc"]}) == []


def test_an_empty_page_while_more_exist_is_short() -> None:
    assert checks(page([], page=2, total=12), asked_page=2) == [("short_page", "$.pixels")]
    assert checks(page([], page=3, total=10), asked_page=3) == []
