"""run_contract: what it probes and how it reports."""

from __future__ import annotations

import httpx

from contract_tests.suite import DEFAULT_MISSING_ID, INVALID_KEY, REAL_API_PROBES, run_contract
from mock_server import MockConfig, builtin_postbacks, create_app
from openapi.remote.client import ContractClient

CATALOGUE = builtin_postbacks(0)
OFFER = CATALOGUE[6]["network_offer_id"]
"""The first offer the postbacks read (3, global; 7, global_offer) name: 7's."""
PARTNER = CATALOGUE[2]["network_affiliate_id"]
"""The first partner they name: 3's."""


def client(transport: httpx.BaseTransport) -> ContractClient:
    return ContractClient("http://127.0.0.1/v1", "k", rate=0, retries=0, transport=transport)


def test_probes_known_ids_no_key_an_unknown_id_a_page_and_a_search_and_writes_nothing() -> None:
    seen: list[tuple[str, str, bool, str]] = []
    app_transport = httpx.WSGITransport(app=create_app())

    def spy(request: httpx.Request) -> httpx.Response:
        has_key = "X-Eflow-Api-Key" in request.headers
        seen.append((request.method, request.url.path, has_key, request.url.query.decode()))
        return app_transport.handle_request(request)

    report = run_contract(client(httpx.MockTransport(spy)), "mock", [3, 7])
    assert seen == [
        ("GET", "/v1/networks/pixels/3", True, ""),
        ("GET", "/v1/networks/pixels/7", True, ""),
        ("GET", "/v1/networks/pixels/3", False, ""),
        ("GET", f"/v1/networks/pixels/{DEFAULT_MISSING_ID}", True, ""),
        ("GET", "/v1/networks/pixels", True, "page=1&page_size=5"),
        ("POST", "/v1/networks/pixelstable", True, "page=1&page_size=5"),
        ("POST", "/v1/networks/pixelstable", True, ""),
        ("POST", "/v1/networks/pixelstable", True, "page=1&page_size=5"),
        ("POST", "/v1/networks/pixelstable", True, "page=1&page_size=5"),
        (
            "GET",
            f"/v1/networks/offers/{OFFER}",
            True,
            "relationship=advertiser&relationship=payout_revenue",
        ),
        ("POST", "/v1/networks/offerstable", True, "page=1&page_size=5"),
        ("GET", f"/v1/networks/affiliates/{PARTNER}", True, ""),
        ("POST", "/v1/networks/affiliatestable", True, "page=1&page_size=5"),
    ]
    assert report.probes == [
        "known_id 3",
        "known_id 7",
        "no_key 3",
        f"unknown_id {DEFAULT_MISSING_ID}",
        "list",
        "search",
        "search_paging",
        "search_paging_conflict",
        "search_post_conversion",
        f"offer {OFFER}",
        "offers_table",
        f"affiliate {PARTNER}",
        "affiliates_table",
    ]
    assert report.failures == []
    assert report.mode == "read-only"
    assert report.writes == []


def test_an_unreachable_target_is_a_transport_finding_per_probe() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    report = run_contract(client(httpx.MockTransport(refuse)), "down", [1])
    # no postback read names an offer or partner: not probed (info); the tables are asked
    neighbours = ["not_probed", "transport", "not_probed", "transport"]
    assert [f.check for f in report.findings] == ["transport"] * 8 + neighbours
    assert not report.passed


def test_strict_turns_drift_warnings_into_failures() -> None:
    transport = httpx.WSGITransport(app=create_app())
    lenient = run_contract(client(transport), "mock", [54])
    strict = run_contract(client(transport), "mock", [54], strict=True)
    assert lenient.passed
    assert {f.check for f in lenient.findings} >= {"undocumented_field"}
    assert not strict.passed


class Clock:
    """Fake time that a transport can move on."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_running_out_of_time_stops_the_run_and_names_what_was_not_sent() -> None:
    clock = Clock()
    app_transport = httpx.WSGITransport(app=create_app())
    sent: list[str] = []

    def slow(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        clock.now += 6  # each answer takes 6 of the 10 s
        return app_transport.handle_request(request)

    budgeted = ContractClient(
        "http://127.0.0.1/v1",
        "k",
        rate=0,
        retries=0,
        max_time=10,
        transport=httpx.MockTransport(slow),
        sleep=clock.sleep,
        clock=lambda: clock.now,
    )
    report = run_contract(budgeted, "mock", [3, 7])
    assert sent == ["/v1/networks/pixels/3", "/v1/networks/pixels/7"]
    by_probe = {f"{f.probe} {f.pixel_id}": f for f in report.findings}
    assert by_probe["no_key 3"].check == "max_time"
    assert "--max-time 10 s used up before GET" in by_probe["no_key 3"].actual
    assert by_probe[f"unknown_id {DEFAULT_MISSING_ID}"].check == "not_sent"
    assert by_probe["list None"].check == "not_sent"
    assert by_probe["search None"].check == "not_sent"
    assert report.unfinished == [
        by_probe["no_key 3"],
        by_probe[f"unknown_id {DEFAULT_MISSING_ID}"],
        by_probe["list None"],
        by_probe["search None"],
        by_probe["search_paging None"],
        by_probe["search_paging_conflict None"],
        by_probe["search_post_conversion None"],
        by_probe[f"offer {OFFER}"],
        by_probe["offers_table None"],
        by_probe[f"affiliate {PARTNER}"],
        by_probe["affiliates_table None"],
    ]


def test_a_long_retry_after_stops_the_run() -> None:
    sent: list[str] = []

    def throttled(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(429, headers={"Retry-After": "60"}, json={"error": "slow down"})

    retrying = ContractClient(
        "http://127.0.0.1/v1", "k", rate=0, retries=3, transport=httpx.MockTransport(throttled)
    )
    report = run_contract(retrying, "busy", [1, 2])
    assert len(sent) == 1
    neighbours = ["not_probed", "not_sent", "not_probed", "not_sent"]
    assert [f.check for f in report.findings] == ["retry_after"] + ["not_sent"] * 8 + neighbours
    assert "Retry-After 60 s" in report.findings[0].actual


def test_a_real_api_is_also_asked_with_a_key_that_cannot_be_valid_and_for_a_sort() -> None:
    """Not a loopback mock: the unknown key and the sort are probed, read-only, and the
    answers reported by status and shape (the mock stands in for production here)."""
    sent: list[tuple[str, str, str | None]] = []
    app_transport = httpx.WSGITransport(app=create_app(MockConfig(api_keys=("k",))))

    def spy(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, request.url.path, request.headers.get("X-Eflow-Api-Key")))
        return app_transport.handle_request(request)

    production = ContractClient(
        "https://api.eflow.team/v1", "k", rate=0, retries=0, transport=httpx.MockTransport(spy)
    )
    report = run_contract(production, "live", [3])
    assert report.probes[-6:-4] == list(REAL_API_PROBES)  # then the offer and partner ones
    assert sent[-6:-4] == [
        ("GET", "/v1/networks/pixels", INVALID_KEY),
        ("POST", "/v1/networks/pixelstable", "k"),
    ]
    observed = {f.check: f.actual for f in report.findings if f.severity == "info"}
    assert observed["observed_unknown_key"] == "401, a JSON object with fields: error"
    assert observed["observed_search_sort"].startswith("200, honoured: 5 rows by time_created")
    assert report.failures == []
    assert "Invalid API key" not in repr(report.findings)  # the body's text stays out
    assert report.writes == []
