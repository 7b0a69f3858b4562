"""Read-only probes of what postbacks point at: an offer and a partner by id, and one page of
each table; and whether the references of the postbacks read hold.

The ids are those given (``--offer-id``, ``--affiliate-id``) or, without them, the first
offer and partner a postback read names. Beyond the spec's judgement of each answer, the
offer or partner answered must be the one asked for, with the name the postbacks'
``relationship`` gives it, and an offer's payout/revenue entries must include every event
id its postbacks name: a server whose answers are each valid but do not agree with its
postbacks fails here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from contract_tests.page_checks import check_page
from contract_tests.probing import Prober
from openapi.remote.checks import as_int, json_body
from openapi.remote.findings import Finding
from openapi.remote.targets import (
    AFFILIATE_PATH,
    AFFILIATES_TABLE_PATH,
    OFFER_PATH,
    OFFERS_TABLE_PATH,
)
from openapi.violations import shape

NEIGHBOUR_PROBES = ("offer", "offers_table", "affiliate", "affiliates_table")
"""The probes, in the order they are sent (after the postback reads)."""
OFFER_RELATIONSHIPS = ("advertiser", "payout_revenue")
"""What the ``offer`` probe asks for: what a postback client reads."""


LEVELS = {
    "network_offer_id": ("specific", "global_offer"),
    "network_affiliate_id": ("specific", "global"),
}
"""The levels at which a postback names an offer, a partner (a global postback's offer id
is 0 by a documented rule: one that breaks it is the postback's finding, not a reference)."""


def _first(postbacks: Iterable[Mapping[str, Any]], field: str) -> list[int]:
    for postback in postbacks:
        value = as_int(postback.get(field))
        if value and postback.get("pixel_level") in LEVELS[field]:
            return [value]
    return []


def _naming(postbacks: Iterable[Mapping[str, Any]], field: str, wanted: int) -> list[Any]:
    return [p for p in postbacks if as_int(p.get(field)) == wanted]


def run_neighbour_probes(
    prober: Prober,
    postbacks: Sequence[Mapping[str, Any]],
    page_size: int,
    offer_ids: Sequence[int] = (),
    affiliate_ids: Sequence[int] = (),
) -> None:
    """The four probes, and the coherence checks of their answers with ``postbacks``."""
    report = prober.report
    target = report.target
    paging = {"page": 1, "page_size": page_size}
    for kind, path, ids, table in (
        ("offer", OFFER_PATH, offer_ids or _first(postbacks, "network_offer_id"), OFFERS_TABLE_PATH),
        ("affiliate", AFFILIATE_PATH, affiliate_ids or _first(postbacks, "network_affiliate_id"),
         AFFILIATES_TABLE_PATH),
    ):  # fmt: skip
        field = f"network_{kind}_id"
        if not ids:
            why = f"not probed: no {field} given and no postback read names one"
            report.add([Finding(target, kind, None, "not_probed", "$", field, why, "info")])
        for entity_id in ids:
            params = {"relationship": list(OFFER_RELATIONSHIPS)} if kind == "offer" else None
            response = prober.send(
                kind, entity_id, "GET", path.format(entity_id), 200, params=params, same_id=False
            )
            if response is not None and response.status_code == 200:
                body = json_body(response)
                naming = _naming(postbacks, field, entity_id)
                report.add(_coherent(target, kind, entity_id, body, naming))
        rows = f"{kind}s"
        probe = f"{rows}_table"
        response = prober.send(
            probe, None, "POST", table, 200, params=paging, json={}, same_id=False
        )
        if response is not None and response.status_code == 200:
            body = json_body(response)
            report.add(check_page(target, probe, body, 1, page_size, key=rows, ordered_by=None))


def _coherent(
    target: str, kind: str, entity_id: int, body: Any, naming: Sequence[Mapping[str, Any]]
) -> list[Finding]:
    """What in the answer for ``entity_id`` disagrees with the postbacks ``naming`` it."""

    def finding(check: str, path: str, expected: str, actual: str) -> Finding:
        return Finding(target, kind, entity_id, check, path, expected, actual)

    if not isinstance(body, dict):
        return []
    found: list[Finding] = []
    field = f"network_{kind}_id"
    if as_int(body.get(field)) != entity_id:
        found.append(finding(f"{kind}_id", f"$.{field}", str(entity_id), shape(body.get(field))))
    for postback in naming:
        related = postback.get("relationship")
        own = related.get(kind) if isinstance(related, dict) else None
        if isinstance(own, dict) and "name" in own and own.get("name") != body.get("name"):
            pixel = shape(postback.get("network_pixel_id"))
            found.append(
                finding(
                    f"{kind}_name",
                    "$.name",
                    f"the name postback {pixel}'s relationship.{kind} gives",
                    "another name",
                )
            )
            break
    if kind == "offer":
        found += _entries(finding, body, naming)
    return found


def _entries(
    finding: Any, body: Mapping[str, Any], naming: Sequence[Mapping[str, Any]]
) -> list[Finding]:
    """A finding for each event id the postbacks name that the offer's entries lack."""
    related = body.get("relationship")
    listed = related.get("payout_revenue") if isinstance(related, dict) else None
    entries = listed.get("entries") if isinstance(listed, dict) else None
    if not isinstance(entries, list):
        return [
            finding(
                "payout_revenue_entries",
                "$.relationship.payout_revenue.entries",
                "the offer's entries (asked for with relationship=payout_revenue)",
                "(absent)",
            )
        ]
    ids = {as_int(e.get("network_offer_payout_revenue_id")) for e in entries if isinstance(e, dict)}
    found = []
    for postback in naming:
        event = as_int(postback.get("network_offer_payout_revenue_id"))
        if event and event not in ids:
            found.append(
                finding(
                    "payout_revenue_entry",
                    "$.relationship.payout_revenue.entries",
                    f"an entry {event} (postback {shape(postback.get('network_pixel_id'))}'s "
                    "event id)",
                    "no such entry",
                )
            )
    return found
