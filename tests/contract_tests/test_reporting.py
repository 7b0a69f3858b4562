"""Summary, JUnit XML and Markdown."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from contract_tests.findings import Finding, Report, redact
from contract_tests.reporting import junit_xml, markdown, summary


def sample(strict: bool = False) -> Report:
    report = Report(
        "https://api.eflow.team/v1", ["known_id 5", "no_key 5", "unknown_id 9"], strict=strict
    )
    report.add(
        [
            Finding(
                "live",
                "known_id",
                5,
                "tiktok_pixel_required",
                "$.tiktok_pixel",
                "required",
                "missing",
            ),
            Finding(
                "live",
                "known_id",
                5,
                "undocumented_field",
                "$.x|y",
                "only documented",
                "present",
                "warning",
            ),
        ]
    )
    return report


def test_summary_gives_the_verdict_then_every_finding() -> None:
    text = summary(sample())
    first, *rest = text.splitlines()
    assert first == (
        "everflow-contract FAIL: https://api.eflow.team/v1: 3 requests, 1 errors, 1 warnings"
    )
    assert len(rest) == 2
    assert "tiktok_pixel_required at $.tiktok_pixel: expected required, got missing" in rest[0]


def test_junit_has_a_case_per_probe_and_fails_only_on_failures() -> None:
    suite = ET.fromstring(junit_xml(sample()))
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"known_id 5", "no_key 5", "unknown_id 9"}
    assert suite.get("failures") == "1"
    failure = cases["known_id 5"].find("failure")
    assert failure is not None
    assert "tiktok_pixel_required" in (failure.get("message") or "")
    assert cases["no_key 5"].find("failure") is None
    strict = ET.fromstring(junit_xml(sample(strict=True)))
    assert "undocumented_field" in (strict.find("testcase/failure").get("message") or "")  # type: ignore[union-attr]


def test_markdown_table_escapes_pipes() -> None:
    text = markdown(sample())
    assert text.startswith("# Everflow contract: failed")
    assert (
        "| error | known_id | 5 | tiktok_pixel_required | `$.tiktok_pixel` | required | missing |"
        in text
    )
    assert "`$.x\\|y`" in text
    clean = Report("t", ["known_id 1"])
    assert "No findings" in markdown(clean)


def test_redact_masks_every_secret() -> None:
    assert redact("a-key and a-key", ["a-key", ""]) == "******** and ********"


def test_secrets_are_masked_before_escaping() -> None:
    key = 'k&<>|"' + "'-0123456789"
    report = Report("t", ["known_id 5"])
    report.add([Finding("t", "known_id", 5, "pixel_id", f"$.{key}", "5", key)])
    junit, md, text = junit_xml(report, [key]), markdown(report, [key]), summary(report, [key])
    for produced in (junit, md, text):
        assert "0123456789" not in produced
        assert "********" in produced
    ET.fromstring(junit)


def test_unfinished_probes_are_counted_and_named() -> None:
    report = Report("t", ["known_id 5", "no_key 5"])
    report.add(
        [
            Finding("t", "known_id", 5, "timeout", "$", "200", "no complete answer within 1 s"),
            Finding("t", "no_key", 5, "not_sent", "$", "401", "not sent: the run stopped"),
        ]
    )
    assert summary(report).splitlines()[0].endswith("2 errors, 2 unanswered, 0 warnings")
    assert "Unfinished: 2 probes had no answer to judge (not_sent, timeout)." in markdown(report)
    assert 'message="timeout at $"' in junit_xml(report)
