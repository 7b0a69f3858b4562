"""The proxy's tally: counts by operation and rule, a bounded journal and report."""

from __future__ import annotations

import pytest

from mock_server.proxy import tally
from mock_server.proxy.tally import Tally
from openapi.remote.findings import Finding, Write


def finding(check: str, severity: str = "error") -> Finding:
    """A finding; a warning is an undocumented field, as the proxy's only warnings are."""
    if severity == "warning":
        return Finding("up", "p", 1, "undocumented_field", "$.x", "", "present", "warning")
    return Finding("up", "p", 1, check, "$.x", "enum", "'y'")


def add(t: Tally, operation: str, *findings: Finding, outcome: str = "answered") -> None:
    t.add(
        method="GET",
        path="/v1/networks/pixels/1",
        query="",
        operation=operation,
        status=200,
        outcome=outcome,
        findings=list(findings),
    )


def test_counts_by_operation_and_rule_and_warnings_are_no_violations() -> None:
    t = Tally("https://up/v1", "read-only")
    add(t, "getPartnerPostback", finding("$.x:enum"), finding("pixel_id"))
    add(t, "getPartnerPostback", finding("$.x:enum"))
    add(t, "getPartnerPostback", finding("undocumented_field", "warning"))
    add(t, "listPartnerPostbacks")
    assert t.violations == {
        ("getPartnerPostback", "$.x:enum"): 2,
        ("getPartnerPostback", "pixel_id"): 1,
    }
    assert t.summary().splitlines() == [
        "everflow-mock proxy: 4 requests for https://up/v1; 2 answers broke the spec",
        "  getPartnerPostback: 3 requests, 2 broken",
        "    $.x:enum: 2",
        "    pixel_id: 1",
        "  listPartnerPostbacks: 1 requests, 0 broken",
    ]
    report = t.report()
    assert len(report.probes) == 4
    assert [(f.probe, f.severity) for f in report.findings] == [
        ("#1 GET /v1/networks/pixels/1", "error"),
        ("#1 GET /v1/networks/pixels/1", "error"),
        ("#2 GET /v1/networks/pixels/1", "error"),
        ("#3 GET /v1/networks/pixels/1", "warning"),
    ]
    assert not report.passed
    third = t.journal()[2]
    assert (third["violation_count"], third["undocumented_fields"]) == (0, ["$.x"])


def test_journal_and_report_are_bounded_but_counts_are_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tally, "MAX_FINDINGS", 3)
    monkeypatch.setattr(tally, "MAX_NAMED", 1)
    t = Tally("u", "read-only", journal_size=2)
    for _ in range(5):
        add(t, "op", finding("a"), finding("b"))
    assert len(t.journal()) == 2
    assert t.journal()[-1]["violation_count"] == 2
    assert len(t.journal()[-1]["violations"]) == 1
    report = t.report()
    assert len(report.probes) == 3
    assert len(report.findings) == 3
    assert t.violations == {("op", "a"): 5, ("op", "b"): 5}
    t.clear_journal()
    assert t.journal() == []
    assert sum(t.requests.values()) == 5


def test_long_paths_and_queries_are_cut_in_the_journal() -> None:
    t = Tally("u", "read-only")
    t.add(
        method="GET",
        path="/v1/" + "p" * 5000,
        query="q=" + "x" * 5000,
        operation="(no operation)",
        status=404,
        outcome="answered",
        findings=[],
    )
    (entry,) = t.journal()
    assert len(entry["path"]) < 1100
    assert entry["path"].endswith("(5,004 characters, cut)")
    assert entry["query"].endswith("(5,002 characters, cut)")
    (probe,) = t.report().probes
    assert probe.startswith("#1 GET /v1/ppp")
    assert probe.endswith("(5,004 characters, cut)")


def test_a_long_drift_path_is_counted_cut_and_findings_name_the_proxys_target() -> None:
    t = Tally("https://up/v1", "read-only")
    long_field = "$." + "f" * 5000
    drift = Finding("elsewhere", "p", 1, "undocumented_field", long_field, "", "present", "warning")
    add(t, "getPartnerPostback", drift)
    ((operation, path),) = t.drift
    assert operation == "getPartnerPostback"
    assert len(path) < 1100
    assert path.endswith("(5,002 characters, cut)")
    (reported,) = t.report().findings
    assert reported.target == "https://up/v1"
    assert reported.probe == "#1 GET /v1/networks/pixels/1"


def test_the_summary_says_how_many_requests_never_reached_the_upstream() -> None:
    t = Tally("https://up/v1", "read-only")
    add(t, "getPartnerPostback")
    add(t, "deletePartnerPostback", outcome="refused")
    add(t, "(no operation)", outcome="not sent")
    add(t, "getPartnerPostback", outcome="timeout")
    assert t.summary().splitlines()[0] == (
        "everflow-mock proxy: 4 requests for https://up/v1, 2 not sent, 1 got no usable answer "
        "(502, 504); 0 answers broke the spec"
    )


@pytest.mark.parametrize(
    ("outcomes", "failed"),
    [
        (["answered", "refused", "not sent"], False),
        (["unreachable"], True),  # every answer the proxy's own 502: nothing was judged
        (["answered", "timeout"], True),
    ],
)
def test_a_request_with_no_usable_answer_fails_the_run(outcomes: list[str], failed: bool) -> None:
    t = Tally("https://up/v1", "read-only")
    for outcome in outcomes:
        add(t, "getPartnerPostback", outcome=outcome)
    assert t.failed is failed
    assert ("got no usable answer" in t.summary()) is failed


def test_drift_is_counted_by_operation_and_path_within_a_bound() -> None:
    t = Tally("https://up/v1", "read-only")
    add(t, "getPartnerPostback", finding("undocumented_field", "warning"), finding("$.x:enum"))
    add(t, "getPartnerPostback", finding("undocumented_field", "warning"))
    run = t.by_operation()
    assert (run["requests"], run["broken"]) == (2, 1)
    (operation,) = run["operations"]
    assert operation == {
        "operation": "getPartnerPostback",
        "requests": 2,
        "broken": 1,
        "violations": [("$.x:enum", 1)],
        "drift": [("$.x", 2)],
    }
    for n in range(tally.MAX_DRIFT + 50):  # an upstream naming a new field every time
        new = Finding("up", "p", 1, "undocumented_field", f"$.f{n}", "", "present", "warning")
        add(t, "listPartnerPostbacks", new)
    assert len(t.drift) == tally.MAX_DRIFT + 1
    assert t.drift[("listPartnerPostbacks", tally.OTHER_DRIFT)] == 51


def test_the_report_says_the_runs_mode_and_lists_its_writes() -> None:
    t = Tally("https://up/v1", "writes")
    add(t, "deletePartnerPostback")
    write = Write("DELETE", "/v1/networks/pixels/1", 1, "200")
    report = t.report([write])
    assert (report.target, report.mode, report.writes) == ("https://up/v1", "writes", [write])
    assert Tally("https://up/v1", "read-only").report().mode == "read-only"


def test_a_path_of_max_text_characters_is_kept_whole() -> None:
    t = Tally("u", "read-only")
    whole = "/v1/" + "p" * (tally.MAX_TEXT - 4)
    t.add(
        method="GET",
        path=whole,
        query="",
        operation="(no operation)",
        status=404,
        outcome="answered",
        findings=[],
    )
    assert t.journal()[0]["path"] == whole
