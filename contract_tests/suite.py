"""``run_contract``: probe a target and judge every answer by the spec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from contract_tests import observations
from contract_tests.defaults import DEFAULT_MISSING_ID, PAGE_SIZE
from contract_tests.neighbour_probes import NEIGHBOUR_PROBES, run_neighbour_probes
from contract_tests.page_checks import check_filtered, check_page, page_items
from contract_tests.probe_postback import new_run_id, usable_template
from contract_tests.probing import Prober
from contract_tests.write_probes import WRITE_PROBES, run_write_probes
from openapi import load_spec
from openapi.remote.checks import DriftTracker, as_int, json_body
from openapi.remote.client import ContractClient
from openapi.remote.findings import Finding, Report, RunInterrupted, interrupted
from openapi.remote.targets import PIXEL_PATH, PIXELS_PATH, SEARCH_PATH, is_loopback

__all__ = [
    "DEFAULT_MISSING_ID",
    "NEIGHBOUR_PROBES",
    "PROBES",
    "READ_PROBES",
    "REAL_API_PROBES",
    "WRITE_PROBES",
    "RunInterrupted",
    "run_contract",
]

READ_PROBES = (
    "known_id",
    "no_key",
    "unknown_id",
    "list",
    "search",
    "search_paging",
    "search_paging_conflict",
    "search_post_conversion",
)
PROBES = (*READ_PROBES, *NEIGHBOUR_PROBES)
"""The read-only probes, in the order they are sent (``WRITE_PROBES`` follow them when
writes are allowed; ``REAL_API_PROBES`` come among the read ones, to a real API only)."""
REAL_API_PROBES = ("unknown_key", "search_sort")
"""Read-only probes sent to a real API only (not to a loopback mock, which accepts any key
unless told otherwise): after ``READ_PROBES``, their answers reported as ``info``."""
INVALID_KEY = "everflow-contract-not-a-key"
"""The key of the ``unknown_key`` probe: no real key looks like it (nor is it secret)."""
SORT_FIELD = "time_created"
"""What the ``search_sort`` probe sorts by, as an older Everflow reference example does."""

DEFAULT_SEARCH_TYPE = "conversion"
"""The ``pixel_type`` searched for: the first postback answered's, or this one."""


def run_contract(
    client: ContractClient,
    target: str,
    pixel_ids: Sequence[int],
    *,
    strict: bool = False,
    missing_id: int = DEFAULT_MISSING_ID,
    page_size: int = PAGE_SIZE,
    run_id: str | None = None,
    offer_ids: Sequence[int] = (),
    affiliate_ids: Sequence[int] = (),
) -> Report:
    """Read, and write when ``client.allow_writes``, and report every difference.

    Read: GET each of ``pixel_ids`` (expect 200 and a valid postback with that id), one
    without a key (expect 401) and ``missing_id`` (expect 404); list one page and search one
    filter (expect valid, consistent pages). Then what postbacks point at
    (``neighbour_probes``): ``offer_ids`` and ``affiliate_ids``, or the first offer and
    partner a postback read names, by id and one table page each, read-only; their
    answers must agree with the postbacks (names, payout/revenue entries). Write: see
    ``write_probes``; the probe postback copies the level, partner and offer of the first
    postback answered.

    A probe without an answer to judge is a finding named by the client's failure
    (``transport``, ``timeout`` ...); after one that stops the run (time used up, told to
    wait), the probes left are ``not_sent`` findings and nothing more is requested, except
    the deletes of what the run created. Ctrl-C raises ``RunInterrupted`` with the report,
    after those deletes."""
    report = Report(
        target=target, strict=strict, mode="writes" if client.allow_writes else "read-only"
    )
    report.writes = client.writes
    prober = Prober(client, report)
    drift = DriftTracker(target)
    rows = DriftTracker(target, "PartnerPostbackSearchRow")
    try:
        seen: list[Mapping[str, Any]] = []
        template = _read(prober, (drift, rows), pixel_ids, missing_id, page_size, seen)
        run_neighbour_probes(prober, seen, page_size, offer_ids, affiliate_ids)
        if client.allow_writes:
            if template is None:
                why = "not sent: no postback was answered to take a level, partner and offer from"
                report.add([Finding(target, "create", None, "not_sent", "$", "200", why)])
            else:
                run_write_probes(prober, template, run_id or new_run_id())
    except KeyboardInterrupt:
        raise interrupted(report) from None
    report.add(drift.never_present())
    report.add(rows.never_present())
    return report


def _read(
    prober: Prober,
    trackers: tuple[DriftTracker, DriftTracker],
    pixel_ids: Sequence[int],
    missing_id: int,
    page_size: int,
    seen: list[Mapping[str, Any]],
) -> Mapping[str, Any] | None:
    """The read probes; the first postback answered that a probe postback can copy.

    ``trackers`` judge postbacks (GET, list) and search rows, which have their own shape;
    the postbacks answered (by id and listed) go into ``seen``."""
    drift, rows = trackers
    report = prober.report
    template: Mapping[str, Any] | None = None
    plan: list[tuple[str, int, bool, int]] = [("known_id", i, True, 200) for i in pixel_ids]
    if pixel_ids:
        plan.append(("no_key", pixel_ids[0], False, 401))
    plan.append(("unknown_id", missing_id, True, 404))
    answered: dict[str, httpx.Response | None] = {}
    postbacks: list[Any] = []
    for probe, pixel_id, with_key, expected in plan:
        path = PIXEL_PATH.format(pixel_id)
        response = prober.send(probe, pixel_id, "GET", path, expected, with_key=with_key)
        answered.setdefault(probe, response)
        if probe == "known_id" and response is not None and response.status_code == 200:
            body = json_body(response)
            postbacks.append(body)
            report.add(drift.observe(probe, pixel_id, body))
            if template is None and usable_template(body):
                template = body
    paging = {"page": 1, "page_size": page_size}
    body = _page(prober, drift, "list", "GET", PIXELS_PATH, paging, None)
    for item in page_items(body) or ():
        if template is None and usable_template(item):
            template = item
    seen += [p for p in [*postbacks, *(page_items(body) or ())] if isinstance(p, dict)]
    wanted = (template or {}).get("pixel_type")
    pixel_types = load_spec()["components"]["schemas"]["PixelType"]["enum"]
    wanted = wanted if wanted in pixel_types else DEFAULT_SEARCH_TYPE
    search = {"query": {"filters": {"pixel_type": wanted}}}
    body = _page(prober, rows, "search", "POST", SEARCH_PATH, paging, search)
    report.add(check_filtered(report.target, "search", body, {"pixel_type": [wanted]}))
    target = report.target
    report.add(observations.error_key(target, [(p, answered.get(p)) for p in ERROR_PROBES]))
    report.add(observations.rate_limit(target, answered.get("known_id"), answered.get("no_key")))
    report.add(observations.unused_keys(target, postbacks))
    report.add(observations.search_rows(target, page_items(body)))
    _open_points(prober, page_size)
    return template


ERROR_PROBES = ("no_key", "unknown_id")
"""The read probes whose error bodies say which error key the target sends."""


def _open_points(prober: Prober, page_size: int) -> None:
    """Searches whose answers say what the target chose where Everflow's docs disagree
    (paging in the body, post_conversion; on a real API also an unknown key and a sort);
    reported as ``info`` findings."""
    target = prober.report.target
    body_size = max(1, page_size - 1)
    in_body = prober.send(
        "search_paging", None, "POST", SEARCH_PATH, 200,
        json={"paging": {"page": 1, "page_size": body_size}}, same_id=False,
    )  # fmt: skip
    conflict = prober.send(
        "search_paging_conflict", None, "POST", SEARCH_PATH, 200,
        params={"page": 1, "page_size": page_size},
        json={"paging": {"page": 1, "page_size": body_size}}, same_id=False, judge=False,
    )  # fmt: skip
    report = prober.report
    report.add(observations.search_paging(target, in_body, conflict, body_size, page_size))
    old_name = prober.send(
        "search_post_conversion", None, "POST", SEARCH_PATH, 200,
        params={"page": 1, "page_size": page_size},
        json={"query": {"filters": {"pixel_type": "post_conversion"}}}, same_id=False,
    )  # fmt: skip
    report.add(observations.post_conversion(target, old_name))
    if is_loopback(httpx.URL(str(prober.client.base_url)).host):
        return
    unknown = prober.send(
        "unknown_key", None, "GET", PIXELS_PATH, 401,
        params={"page": 1, "page_size": 1}, same_id=False, judge=False, key=INVALID_KEY,
    )  # fmt: skip
    report.add(observations.unknown_key(target, unknown))
    sorted_search = prober.send(
        "search_sort", None, "POST", SEARCH_PATH, 200,
        params={"page": 1, "page_size": page_size},
        json={"sort": {"field": SORT_FIELD, "direction": "desc"}}, same_id=False,
    )  # fmt: skip
    report.add(observations.search_sort(target, sorted_search, SORT_FIELD))


def _page(
    prober: Prober,
    drift: DriftTracker,
    probe: str,
    method: str,
    path: str,
    paging: Mapping[str, int],
    search: Any,
) -> Any:
    """One page probe; its body when it answered 200."""
    response = prober.send(
        probe, None, method, path, 200, params=paging, json=search, same_id=False
    )
    if response is None or response.status_code != 200:
        return None
    body = json_body(response)
    report = prober.report
    report.add(check_page(report.target, probe, body, paging["page"], paging["page_size"]))
    for item in page_items(body) or ():
        if isinstance(item, dict):
            report.add(drift.observe(probe, as_int(item.get("network_pixel_id")), item))
    return body
