"""``--cleanup``: the probe postbacks runs left behind are deleted, and nothing else."""

from __future__ import annotations

import httpx
import pytest
from flask import Flask

from contract_tests.cleanup import find_probes, run_cleanup
from contract_tests.cli import main
from contract_tests.probe_postback import PROBE_MARKER, probe_body, probe_description
from contract_tests.probing import Prober
from mock_server import create_app
from mock_server.testing.local_server import LocalServer
from openapi.remote.client import ContractClient
from openapi.remote.findings import Report

# Partner 461 is in the default mock's world (a write naming one it lacks is refused).
TEMPLATE = {"pixel_level": "global", "network_affiliate_id": 461, "network_offer_id": 0}
NOT_PROBES = (
    f"Notes on the {PROBE_MARKER} runs",  # the marker, not at the start
    PROBE_MARKER.upper() + " R9 - safe to delete",  # another case: search matches, we do not
    "Bluefin S2S conversions",
)


def admin(app: Flask) -> httpx.Client:
    return httpx.Client(
        transport=httpx.WSGITransport(app=app),
        base_url="http://127.0.0.1/v1",
        headers={"X-Eflow-Api-Key": "setup"},
    )


def plant(app: Flask, descriptions: list[str]) -> list[int]:
    """Create postbacks with these descriptions; their ids."""
    ids = []
    with admin(app) as client:
        for description in descriptions:
            body = {**probe_body(TEMPLATE, "R0"), "description": description}
            answer = client.post("/networks/pixels", json=body)
            assert answer.status_code == 200, answer.text
            ids.append(answer.json()["network_pixel_id"])
    return ids


def exists(app: Flask, pixel_id: int) -> bool:
    with admin(app) as client:
        return client.get(f"/networks/pixels/{pixel_id}").status_code == 200


def cleaner(transport: httpx.BaseTransport) -> ContractClient:
    return ContractClient(
        "http://127.0.0.1/v1", "k", rate=0, allow_writes=True, transport=transport
    )


def test_cleanup_deletes_every_probe_and_nothing_else() -> None:
    app = create_app()
    probes = plant(app, [probe_description(run) for run in ("R1", "R2", "R3")])
    probes += plant(app, [probe_description("R4", "replaced")])
    others = plant(app, list(NOT_PROBES))
    report = run_cleanup(cleaner(httpx.WSGITransport(app=app)), "mock")
    assert report.failures == []
    assert report.mode == "cleanup"
    assert sorted(w.pixel_id for w in report.writes if w.pixel_id is not None) == sorted(probes)
    assert {(w.method, w.status) for w in report.writes} == {("DELETE", "200")}
    assert not any(exists(app, pixel_id) for pixel_id in probes)
    assert all(exists(app, pixel_id) for pixel_id in others)
    again = run_cleanup(cleaner(httpx.WSGITransport(app=app)), "mock")
    assert again.writes == []


def test_cleanup_trusts_the_description_not_the_search() -> None:
    """A search that ignores its terms answers every postback: only probes are deleted."""
    app = create_app()
    probes = plant(app, [probe_description("R1")])
    inner = httpx.WSGITransport(app=app)

    def ignore_terms(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/pixelstable"):
            headers = {k: v for k, v in request.headers.items() if k != "content-length"}
            request = httpx.Request("POST", request.url, headers=headers, json={"query": {}})
        return inner.handle_request(request)

    report = run_cleanup(cleaner(httpx.MockTransport(ignore_terms)), "mock")
    assert [w.pixel_id for w in report.writes] == probes
    assert exists(app, 1)


def test_cleanup_reads_every_page_then_deletes() -> None:
    app = create_app()
    probes = plant(app, [probe_description(f"R{i}") for i in range(5)])
    report = Report("mock")
    found = find_probes(Prober(cleaner(httpx.WSGITransport(app=app)), report), "f", page_size=2)
    assert found == probes
    assert report.probes == ["f", "f", "f"]


def test_cleanup_stops_at_its_limit_and_says_so() -> None:
    app = create_app()
    probes = plant(app, [probe_description(f"R{i}") for i in range(4)])
    report = run_cleanup(cleaner(httpx.WSGITransport(app=app)), "mock", limit=3)
    assert [w.pixel_id for w in report.writes] == probes[:3]
    warnings = [f for f in report.findings if f.severity == "warning"]
    assert [(f.check, f.actual) for f in warnings] == [
        ("cleanup", "more than 3: run --cleanup again")
    ]
    assert report.passed


def test_a_delete_the_cleanup_cannot_make_is_an_error() -> None:
    app = create_app()
    probes = plant(app, [probe_description("R1")])
    inner = httpx.WSGITransport(app=app)

    def refuse_deletes(request: httpx.Request) -> httpx.Response:
        if request.method == "DELETE":
            return httpx.Response(403, json={"error": "Forbidden"})
        return inner.handle_request(request)

    report = run_cleanup(cleaner(httpx.MockTransport(refuse_deletes)), "mock")
    [finding] = report.failures
    assert (finding.check, finding.pixel_id) == ("cleanup", probes[0])
    assert "run everflow-contract --cleanup" in finding.actual


def test_the_cli_cleans_up_without_pixel_ids(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVERFLOW_PIXEL_IDS", raising=False)
    app = create_app()
    probes = plant(app, [probe_description("R1"), probe_description("R2")])
    with LocalServer(app) as local:
        assert main(["--base-url", local.url, "--cleanup", "--rate", "1000"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("everflow-contract PASS")
    assert "writes: 2 (cleanup)" in out
    for pixel_id in probes:
        assert f"write: DELETE /v1/networks/pixels/{pixel_id} (pixel {pixel_id}): 200" in out
    assert not any(exists(app, pixel_id) for pixel_id in probes)
