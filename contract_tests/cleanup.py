"""Find probe postbacks by search and delete them, and only them (``--cleanup``).

A probe is found by a description search (``PROBE_MARKER``, or a run's id) and deleted only
if its description, as answered, starts with the marker: a search term matches substrings,
and nothing but a probe may ever be deleted.
"""

from __future__ import annotations

from contract_tests.defaults import CLEANUP_LIMIT, CLEANUP_PAGE_SIZE
from contract_tests.page_checks import check_page, page_items
from contract_tests.probe_postback import PROBE_MARKER, is_probe
from contract_tests.probing import Prober
from openapi.remote.checks import as_int, json_body
from openapi.remote.client import ContractClient
from openapi.remote.findings import Finding, Report, interrupted
from openapi.remote.targets import PIXEL_PATH, SEARCH_PATH


def description_search(value: str) -> dict[str, object]:
    """A search body for postbacks whose description contains ``value``."""
    return {"query": {"search_terms": [{"search_type": "description", "value": value}]}}


def find_probes(
    prober: Prober,
    probe: str,
    run_id: str | None = None,
    *,
    must: bool = False,
    limit: int = CLEANUP_LIMIT,
    page_size: int = CLEANUP_PAGE_SIZE,
) -> list[int] | None:
    """The ids of probe postbacks (of run ``run_id``, when given) that search finds, at most
    ``limit``; ``None`` when a search page had no usable answer."""
    found: list[int] = []
    page = 1
    while len(found) < limit:
        response = prober.send(
            probe,
            None,
            "POST",
            SEARCH_PATH,
            200,
            params={"page": page, "page_size": page_size},
            json=description_search(run_id or PROBE_MARKER),
            same_id=False,
            must=must,
        )
        body = json_body(response) if response is not None else None
        items = page_items(body) if response is not None and response.status_code == 200 else None
        if items is None:
            return None
        prober.report.add(check_page(prober.report.target, probe, body, page, page_size))
        for item in items:
            if not isinstance(item, dict):
                continue
            pixel_id = as_int(item.get("network_pixel_id"))
            if (
                pixel_id is not None
                and is_probe(item.get("description"), run_id)
                and pixel_id not in found
            ):
                found.append(pixel_id)
        if len(items) < page_size:
            break
        page += 1
    return found[:limit]


def delete_probe(prober: Prober, pixel_id: int, probe: str = "cleanup") -> bool:
    """Delete probe postback ``pixel_id``, even after the run stopped; whether it is gone
    (200, or 404: already gone). Otherwise a ``cleanup`` finding says it may be left."""
    response = prober.send(
        probe, pixel_id, "DELETE", PIXEL_PATH.format(pixel_id), 200, judge=False, must=True
    )
    if response is not None and response.status_code in (200, 404):
        return True
    answered = f"answered {response.status_code}" if response is not None else "had no answer"
    prober.report.add(
        [
            Finding(
                prober.report.target,
                probe,
                pixel_id,
                "cleanup",
                "$",
                "deleted (200) or already gone (404)",
                f"the delete {answered}: probe postback {pixel_id} may be left behind; "
                "run everflow-contract --cleanup",
            )
        ]
    )
    return False


def run_cleanup(client: ContractClient, target: str, *, limit: int = CLEANUP_LIMIT) -> Report:
    """Delete every probe postback that a search for ``PROBE_MARKER`` finds (at most
    ``limit``; a warning says when more may be left). ``client`` must allow writes."""
    report = Report(target=target, mode="cleanup")
    report.writes = client.writes
    prober = Prober(client, report)
    try:
        found = find_probes(prober, "find_probes", limit=limit + 1)
        for pixel_id in (found or [])[:limit]:
            delete_probe(prober, pixel_id)
    except KeyboardInterrupt:
        raise interrupted(report) from None
    if found is None:
        return report
    if len(found) > limit:
        report.add(
            [
                Finding(
                    target,
                    "find_probes",
                    None,
                    "cleanup",
                    "$",
                    f"at most {limit} probe postbacks",
                    f"more than {limit}: run --cleanup again",
                    "warning",
                )
            ]
        )
    return report
