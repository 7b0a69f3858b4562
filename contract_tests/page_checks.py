"""Checks of one page of postbacks (list and search) beyond its schema: the paging it
echoes, that its counts agree, its order, and that a search answered only what it asked for.

The spec judges each postback on the page (every rule by name); these catch a server whose
pages are each valid but wrong: ``total_count`` below what it answered, a page longer than
asked for (or short while more exist), postbacks out of ``network_pixel_id`` order.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from openapi.remote.checks import as_int
from openapi.remote.findings import Finding
from openapi.violations import shape


def page_items(body: Any, key: str = "pixels") -> list[Any] | None:
    """The postbacks (or the ``key`` rows: ``offers``, ``affiliates``) of a page body, or
    ``None`` when it has no list of them (the spec has already said why)."""
    pixels = body.get(key) if isinstance(body, dict) else None
    return pixels if isinstance(pixels, list) else None


def check_page(
    target: str,
    probe: str,
    body: Any,
    page: int,
    page_size: int,
    key: str = "pixels",
    ordered_by: str | None = "network_pixel_id",
) -> list[Finding]:
    """Everything inconsistent in a 200 page answered for ``page`` and ``page_size``: its
    rows under ``key``, in ascending ``ordered_by`` when that is given (the order of the
    offer and affiliate tables is not Everflow's promise, so not checked there)."""

    def finding(check: str, path: str, expected: str, actual: str) -> Finding:
        return Finding(target, probe, None, check, path, expected, actual)

    items = page_items(body, key)
    noun = "postbacks" if key == "pixels" else "rows"
    paging = body.get("paging") if isinstance(body, dict) else None
    if items is None or not isinstance(paging, dict):
        return []
    found: list[Finding] = []
    for name, asked in (("page", page), ("page_size", page_size)):
        if paging.get(name) != asked:
            actual = shape(paging[name]) if name in paging else "(absent)"
            found.append(finding(f"paging_{name}", f"$.paging.{name}", str(asked), actual))
    count = len(items)
    before = (page - 1) * page_size
    if count > page_size:
        found.append(
            finding("page_size_honoured", f"$.{key}", f"at most {page_size} {noun}", str(count))
        )
    total = as_int(paging.get("total_count"))
    if total is not None:
        if count and total < before + count:
            found.append(
                finding(
                    "total_count",
                    "$.paging.total_count",
                    f">= {before + count} (page {page} holds {count} of {page_size})",
                    str(total),
                )
            )
        elif count < page_size and total > before + count:
            found.append(
                finding(
                    "short_page",
                    f"$.{key}",
                    f"{min(page_size, total - before)} {noun} (total_count is {total})",
                    str(count),
                )
            )
    if ordered_by is None:
        return found
    ids = [as_int(item.get(ordered_by)) for item in items if isinstance(item, dict)]
    known = [i for i in ids if i is not None]
    for index, (first, second) in enumerate(itertools.pairwise(known)):
        if second <= first:
            found.append(
                finding(
                    "ordered_by_id",
                    f"$.{key}[{index + 1}].{ordered_by}",
                    f"> {first} (ascending {ordered_by})",
                    str(second),
                )
            )
            break
    return found


def check_filtered(target: str, probe: str, body: Any, filters: Mapping[str, Any]) -> list[Finding]:
    """The postbacks of a search page that the search's ``filters`` exclude
    (``search_filter``): each filter names a field and the values it allows."""
    found: list[Finding] = []
    for index, item in enumerate(page_items(body) or []):
        if not isinstance(item, dict):
            continue
        for field, allowed in filters.items():
            if item.get(field) not in allowed:
                found.append(
                    Finding(
                        target,
                        probe,
                        as_int(item.get("network_pixel_id")),
                        "search_filter",
                        f"$.pixels[{index}].{field}",
                        " or ".join(map(str, allowed)),
                        shape(item[field]) if field in item else "(absent)",
                    )
                )
    return found
