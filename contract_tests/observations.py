"""What production does where Everflow's docs leave a choice open, reported as ``info``
findings: they never fail a run (not even ``--strict``); they settle the kit's choices.

One finding per open point, named ``observed_<point>``, its ``expected`` the kit's choice
(the spec's, which the mock follows) and its ``actual`` what the target answered:

- ``observed_error_key``: ``{"error": ...}`` (documented) or ``{"Error": ...}`` (what two
  public clients parse).
- ``observed_rate_limit``: the ``X-RateLimit-*`` headers, on a 200 and on the 401.
- ``observed_unused_keys``: how a postback carries the fields its delivery method does not
  use: ``""`` / ``null`` (the kit's coherent shape), ``{}``, or left out.
- ``observed_search_rows``: whether search rows are Everflow's row shape (names, empty
  ``relationship``, no platform objects) or the single-GET shape.
- ``observed_search_paging``: whether search reads paging from a ``paging`` object in the
  body, and which place wins when the query string says otherwise.
- ``observed_post_conversion``: what a search filter ``pixel_type: post_conversion``
  answers, and which ``pixel_type`` the postbacks it selects carry.
- ``observed_unknown_key`` (a real API only): the status and body shape (its field names,
  never its text) of a read with a key that cannot be valid: 401 by Everflow's current
  errors page, 403 by an older one.
- ``observed_search_sort`` (a real API only): whether a search with
  ``"sort": {"field": "time_created", "direction": "desc"}`` answers its rows in that order.
- ``observed_unknown_reference`` (writes only): the status and body shape of a create naming
  an offer (or partner) that does not exist, and whether its error names the field: the
  kit expects a 400 naming it; Everflow does not document its answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from openapi.remote.checks import RATE_LIMIT_HEADERS, header_shape, json_body, shown_name
from openapi.remote.findings import Finding
from openapi.violations import shape

PLATFORM_FIELDS = ("facebook_pixel", "tiktok_pixel", "snapchat_pixel", "rumble_pixel")
STRING_FIELDS = {"postback": "postback_url", "html": "html_code"}
ROW_NAMES = ("network_affiliate_name", "network_offer_name")


def _info(target: str, probe: str, check: str, expected: str, actual: str) -> Finding:
    return Finding(target, probe, None, f"observed_{check}", "$", expected, actual, "info")


def error_key(target: str, answers: Iterable[tuple[str, httpx.Response | None]]) -> list[Finding]:
    """Which key the error bodies of ``answers`` (probe, response) carry."""
    seen: list[str] = []
    for probe, response in answers:
        if response is None or response.status_code < 400:
            continue
        body = json_body(response)
        keys = sorted(k for k in ("error", "Error") if isinstance(body, dict) and k in body)
        seen.append(f"{probe} {response.status_code}: {' and '.join(keys) or 'neither key'}")
    if not seen:
        return []
    expected = '"error" (documented; the mock\'s default, --error-key Error for the other)'
    return [_info(target, "all", "error_key", expected, "; ".join(seen))]


def rate_limit(
    target: str, with_key: httpx.Response | None, without_key: httpx.Response | None
) -> list[Finding]:
    """The rate-limit headers of an answered request and of the 401."""

    def said(response: httpx.Response | None) -> str:
        if response is None:
            return "no answer"
        values = [
            f"{name} {header_shape(response.headers[name]) if name in response.headers else '(absent)'}"
            for name in RATE_LIMIT_HEADERS
        ]
        return f"{response.status_code}: {', '.join(values)}"

    if with_key is None and without_key is None:
        return []
    expected = "X-RateLimit-Limit 30 (per second, network key) on every answer, 401 included"
    actual = f"with key {said(with_key)}; without key {said(without_key)}"
    return [_info(target, "all", "rate_limit", expected, actual)]


def _shape(value: Any, present: bool) -> str:
    if not present:
        return "absent"
    if value is None:
        return "null"
    if value == "":
        return '""'
    if value == {}:
        return "{}"
    return "a value"


def unused_keys(target: str, postbacks: Iterable[Any]) -> list[Finding]:
    """How the answered postbacks carry the fields their delivery method does not use."""
    strings: Counter[str] = Counter()
    platforms: Counter[str] = Counter()
    for body in postbacks:
        if not isinstance(body, Mapping):
            continue
        method = body.get("delivery_method")
        for used, field in STRING_FIELDS.items():
            if method != used:
                strings[_shape(body.get(field), field in body)] += 1
        for field in PLATFORM_FIELDS:
            if method != field.removesuffix("_pixel"):
                platforms[_shape(body.get(field), field in body)] += 1
    if not strings and not platforms:
        return []

    def counted(counter: Counter[str]) -> str:
        return ", ".join(f"{shape} x{n}" for shape, n in counter.most_common()) or "none seen"

    expected = 'every key: unused strings "", unused platform objects null'
    actual = f"unused strings: {counted(strings)}; unused platform objects: {counted(platforms)}"
    return [_info(target, "all", "unused_keys", expected, actual)]


def search_rows(target: str, rows: list[Any] | None) -> list[Finding]:
    """Whether the search's rows are Everflow's search rows or the single-GET shape."""
    first = next((row for row in rows or () if isinstance(row, Mapping)), None)
    if first is None:
        return []
    names = [name for name in ROW_NAMES if name in first]
    platforms = [field for field in PLATFORM_FIELDS if field in first]
    relationship = first.get("relationship", "(absent)")
    expected = "search rows: both names, relationship {}, no platform objects"
    actual = (
        f"names: {', '.join(names) or 'none'}; relationship: "
        f"{'{}' if relationship == {} else 'filled' if relationship else relationship}; "
        f"platform objects: {', '.join(platforms) or 'none'}"
    )
    return [_info(target, "search", "search_rows", expected, actual)]


def _body_shape(response: httpx.Response, body: Any) -> str:
    """An answer's body for a report: its shape, or its size when it is not JSON."""
    if body is None:
        return f"a body that is not JSON, {len(response.content)} bytes"
    return shape(body)


def _page_size(response: httpx.Response | None) -> str:
    if response is None:
        return "no answer"
    body = json_body(response)
    paging = body.get("paging") if isinstance(body, dict) else None
    size = paging.get("page_size") if isinstance(paging, dict) else None
    if response.status_code != 200:
        return f"{response.status_code} {_body_shape(response, body)}"
    return f"200, page_size {shape(size)}"


def search_paging(
    target: str,
    in_body: httpx.Response | None,
    conflict: httpx.Response | None,
    body_size: int,
    query_size: int,
) -> list[Finding]:
    """What a ``paging`` object in a search body did, alone and against the query string."""
    if in_body is None and conflict is None:
        return []
    expected = (
        f"paging object read (page_size {body_size}); query page_size {query_size} against "
        f"body {body_size}: 200, the query string winning (page_size {query_size})"
    )
    actual = (
        f"paging object alone: {_page_size(in_body)}; query {query_size} and body "
        f"{body_size}: {_page_size(conflict)}"
    )
    return [_info(target, "search_paging", "search_paging", expected, actual)]


def post_conversion(target: str, response: httpx.Response | None) -> list[Finding]:
    """What a search for ``pixel_type: post_conversion`` answered."""
    if response is None:
        return []
    body = json_body(response)
    rows = body.get("pixels") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(rows, list):
        actual = f"{response.status_code}: {_body_shape(response, body)}"
    else:
        types = Counter(shape(row.get("pixel_type")) for row in rows if isinstance(row, Mapping))
        listed = ", ".join(f"{kind} x{n}" for kind, n in types.most_common()) or "no postbacks"
        actual = f"200: {listed}"
    expected = "200, selecting event postbacks (stored and answered as event)"
    return [_info(target, "search_post_conversion", "post_conversion", expected, actual)]


def _shape_of(response: httpx.Response) -> str:
    """An answer's status and body shape: its field names, never their values."""
    body = json_body(response)
    if isinstance(body, dict):
        fields = ", ".join(sorted(shown_name(str(name)) for name in body)[:20]) or "none"
        return f"{response.status_code}, a JSON object with fields: {fields}"
    kind = "not JSON" if body is None else f"JSON {type(body).__name__}"
    return f"{response.status_code}, {kind}"


def unknown_key(target: str, response: httpx.Response | None) -> list[Finding]:
    """What a read with a key that cannot be valid answered (status and field names)."""
    if response is None:
        return []
    expected = '401 {"error": ...} (Everflow\'s current errors page; an older page said 403)'
    return [_info(target, "unknown_key", "unknown_key", expected, _shape_of(response))]


def search_sort(target: str, response: httpx.Response | None, field: str) -> list[Finding]:
    """Whether a search sorted by ``field`` descending answered its rows in that order."""
    if response is None:
        return []
    expected = f"rows by {field}, descending (the mock sorts; Everflow says search sorts)"
    body = json_body(response)
    rows = body.get("pixels") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(rows, list):
        return [_info(target, "search_sort", "search_sort", expected, _shape_of(response))]
    values = [row.get(field) for row in rows if isinstance(row, Mapping)]
    numbers = [value for value in values if type(value) is int]
    if len(set(numbers)) < 2:
        actual = f"200, cannot tell: {len(set(numbers))} distinct {field} among {len(rows)} rows"
    elif numbers == sorted(numbers, reverse=True):
        actual = f"200, honoured: {len(numbers)} rows by {field}, descending"
    elif numbers == sorted(numbers):
        actual = f"200, not honoured: {len(numbers)} rows by {field}, ascending"
    else:
        actual = f"200, not honoured: {len(numbers)} rows not in {field} order"
    return [_info(target, "search_sort", "search_sort", expected, actual)]


def unknown_reference(target: str, field: str, response: httpx.Response | None) -> list[Finding]:
    """What a create naming an offer or partner that does not exist answered (status and
    field names, and whether the error names the field)."""
    if response is None:
        return []
    body = json_body(response)
    message = ""
    if isinstance(body, dict):
        message = str(body.get("error", body.get("Error", "")))
    named = f"; the error names {field}" if field in message else ""
    expected = f"400 naming {field} (the kit's expectation; Everflow's answer is undocumented)"
    actual = _shape_of(response) + named
    return [_info(target, "create_unknown_reference", "unknown_reference", expected, actual)]
