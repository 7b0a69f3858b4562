"""The offer and partner probes: against the mock they pass; with a defect planted in the
mock's answers (valid by the spec, but not agreeing with the postbacks) they fail, naming it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests.cli import main
from contract_tests.suite import run_contract
from mock_server import builtin_postbacks, create_app
from mock_server.testing.local_server import LocalServer
from openapi.remote.client import ContractClient

CATALOGUE = builtin_postbacks(0)
EVENT = next(
    p
    for p in CATALOGUE
    if p["pixel_level"] == "specific" and p["network_offer_payout_revenue_id"] and p["relationship"]
)
"""A specific event postback: its offer, partner and event id are all probed."""

Plant = Callable[[httpx.Request, dict[str, Any]], None]


def run(plant: Plant | None = None, **options: Any) -> tuple[list[tuple[str, str]], Any]:
    """A read-only run against the mock, reading ``EVENT`` first; ``plant`` changes the JSON
    body of each 200 the mock answers. The requests sent, and the report."""
    app = httpx.WSGITransport(app=create_app())
    sent: list[tuple[str, str]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, request.url.path))
        response = app.handle_request(request)
        if plant is None or response.status_code != 200:
            return response
        body = json.loads(response.read())
        plant(request, body)
        return httpx.Response(200, headers=response.headers, json=body)

    client = ContractClient(
        "http://127.0.0.1/v1", "k", rate=0, retries=0, transport=httpx.MockTransport(handle)
    )
    return sent, run_contract(client, "mock", [EVENT["network_pixel_id"]], **options)


def checks(report: Any) -> set[tuple[str, str]]:
    return {(f.probe, f.check) for f in report.failures}


def test_the_mock_passes_and_the_postbacks_offer_and_partner_are_read() -> None:
    sent, report = run()
    assert report.failures == []
    assert ("GET", f"/v1/networks/offers/{EVENT['network_offer_id']}") in sent
    assert ("GET", f"/v1/networks/affiliates/{EVENT['network_affiliate_id']}") in sent
    assert ("POST", "/v1/networks/offerstable") in sent
    assert ("POST", "/v1/networks/affiliatestable") in sent


def test_ids_given_are_probed_instead() -> None:
    other = next(
        p["network_offer_id"]
        for p in CATALOGUE
        if p["network_offer_id"] not in (0, EVENT["network_offer_id"])
    )
    sent, report = run(offer_ids=[other], affiliate_ids=[EVENT["network_affiliate_id"]])
    assert report.failures == []
    offers = [path for method, path in sent if path.startswith("/v1/networks/offers/")]
    assert offers == [f"/v1/networks/offers/{other}"]


def _on(path: str, change: Callable[[dict[str, Any]], None]) -> Plant:
    def plant(request: httpx.Request, body: dict[str, Any]) -> None:
        if request.url.path.startswith(path):
            change(body)

    return plant


def _drop_entries(body: dict[str, Any]) -> None:
    body["relationship"]["payout_revenue"]["entries"] = [
        e for e in body["relationship"]["payout_revenue"]["entries"] if e["is_default"]
    ]
    body["relationship"]["payout_revenue"]["total"] = 1


def _longer_table(body: dict[str, Any]) -> None:
    body["offers"] = body["offers"] * 3


@pytest.mark.parametrize(
    ("plant", "failed"),
    [
        (
            _on("/v1/networks/offers/", lambda b: b.update(name="Another Offer")),
            ("offer", "offer_name"),
        ),
        (
            _on("/v1/networks/affiliates/", lambda b: b.update(name="Another Partner")),
            ("affiliate", "affiliate_name"),
        ),
        (_on("/v1/networks/offers/", _drop_entries), ("offer", "payout_revenue_entry")),
        (
            _on("/v1/networks/offers/", lambda b: b["relationship"].pop("payout_revenue")),
            ("offer", "payout_revenue_entries"),
        ),
        (
            _on("/v1/networks/offers/", lambda b: b.update(network_offer_id=1)),
            ("offer", "offer_id"),
        ),
        (_on("/v1/networks/offerstable", _longer_table), ("offers_table", "page_size_honoured")),
        (
            _on("/v1/networks/affiliatestable", lambda b: b["paging"].update(page=2)),
            ("affiliates_table", "paging_page"),
        ),
        (
            _on("/v1/networks/offers/", lambda b: b.update(offer_status=7)),
            ("offer", "$.offer_status:type"),
        ),
    ],
    ids=[
        "offer_renamed",
        "partner_renamed",
        "event_entry_missing",
        "entries_missing",
        "another_offer",
        "table_too_long",
        "table_paging",
        "offer_status_not_text",
    ],
)
def test_a_planted_defect_is_found(plant: Plant, failed: tuple[str, str]) -> None:
    _, report = run(plant)
    assert failed in checks(report)


def test_the_cli_reads_the_offers_and_partners_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    offer, partner = EVENT["network_offer_id"], EVENT["network_affiliate_id"]
    with LocalServer(create_app()) as local:
        args = ["--base-url", local.url, "--pixel-id", "3", "--rate", "1000"]
        ids = ["--offer-id", f"{offer}", "--affiliate-id", f"{partner},{partner}"]
        assert main([*args, *ids, "--junit", str(tmp_path / "j.xml")]) == 0
    # eight postback reads, the offer, the partner twice and the two tables
    assert "13 requests, 0 errors" in capsys.readouterr().out
    junit = (tmp_path / "j.xml").read_text()
    assert f'name="offer {offer}"' in junit
    assert f'name="affiliate {partner}"' in junit  # one case for the id read twice


def test_a_bad_offer_id_is_a_usage_error_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--base-url", "http://127.0.0.1:9/v1", "--pixel-id", "1", "--offer-id", "x"])
    assert exit_info.value.code == 2
    assert "offer ids must be integers, not 'x'" in capsys.readouterr().err


def test_an_id_of_another_shape_is_reported_by_its_shape_never_its_text() -> None:
    secret = "tok_4eC39HqLyjWDarjtT1zdp7dc"
    _, report = run(_on("/v1/networks/offers/", lambda b: b.update(network_offer_id=secret)))
    (finding,) = [f for f in report.failures if f.check == "offer_id"]
    assert finding.actual == f"a string of {len(secret)} characters"
    assert secret not in repr(report.failures)
