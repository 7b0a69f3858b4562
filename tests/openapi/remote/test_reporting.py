"""Summary, JUnit XML and Markdown."""

from __future__ import annotations

import stat
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from openapi.files import NotRegularFile
from openapi.remote.findings import Finding, Report, Write, redact
from openapi.remote.reporting import junit_xml, markdown, summary, write_reports


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
        "everflow-contract FAIL: https://api.eflow.team/v1: 3 requests, 1 error, 1 warning"
    )
    assert len(rest) == 3
    assert "tiktok_pixel_required at $.tiktok_pixel: expected required, got missing" in rest[0]
    assert rest[2] == "writes: none (read-only run)"


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
    suite = ET.fromstring(junit_xml(report))
    assert (suite.get("errors"), suite.get("failures")) == ("2", "0")
    error = suite.find("testcase/error")
    assert error is not None
    assert error.get("message") == "timeout at $"


def written() -> Report:
    report = Report("mock", ["create", "read_after_create 55", "list"], mode="writes")
    report.writes = [
        Write("POST", "/v1/networks/pixels", 55, "200"),
        Write("DELETE", "/v1/networks/pixels/55", 55, "200"),
        Write("POST", "/v1/networks/pixels", None, "no answer (timeout)"),
    ]
    report.add(
        [
            Finding("mock", "create", None, "create_stored", "$.description", "a", "b"),
            Finding("mock", "read_after_create", 55, "read_after_create", "$.x", "1", "2"),
            Finding("mock", "list", 3, "undocumented_field", "$.y", "-", "-", "warning"),
            Finding("mock", "run", None, "interrupted", "$", "a finished run", "interrupted"),
        ]
    )
    return report


def test_every_report_lists_every_write() -> None:
    report = written()
    text = summary(report)
    assert "writes: 3\n" in text
    assert "  write: POST /v1/networks/pixels (pixel 55): 200\n" in text
    assert "  write: DELETE /v1/networks/pixels/55 (pixel 55): 200\n" in text
    assert "  write: POST /v1/networks/pixels (no pixel id): no answer (timeout)\n" in text
    md = markdown(report)
    assert "writes allowed (--allow-writes)" in md
    assert "| DELETE | `/v1/networks/pixels/55` | 55 | 200 |" in md
    assert "| POST | `/v1/networks/pixels` |  | no answer (timeout) |" in md
    suite = ET.fromstring(junit_xml(report))
    assert {p.get("name"): p.get("value") for p in suite.iter("property")} == {
        "mode": "writes",
        "writes": "3",
    }
    out = suite.find("system-out")
    assert out is not None
    assert "write: DELETE /v1/networks/pixels/55 (pixel 55): 200" in (out.text or "")


def test_findings_without_an_id_in_their_probe_go_to_the_probe_case() -> None:
    suite = ET.fromstring(junit_xml(written()))
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert set(cases) == {"create", "read_after_create 55", "list", "run"}
    for failing in ("create", "read_after_create 55"):
        assert cases[failing].find("failure") is not None, failing
    assert cases["run"].find("error") is not None  # interrupted: not judged
    assert cases["run"].find("failure") is None
    assert cases["list"].find("failure") is None
    assert cases["list"].find("system-out") is not None


def test_a_cleanup_says_so() -> None:
    report = Report("mock", ["find_probes"], mode="cleanup")
    report.writes = [Write("DELETE", "/v1/networks/pixels/7", 7, "200")]
    assert "writes: 1 (cleanup)" in summary(report)
    assert "cleanup of probe postbacks (--cleanup)" in markdown(report)


def test_reports_are_written_whole_and_never_over_a_fifo(
    tmp_path: Path, fifo: Callable[..., Path]
) -> None:
    report = Report("https://api.eflow.team/v1")
    write_reports(report, [], junit_path=str(tmp_path / "j.xml"), markdown_path=None)
    assert ET.parse(tmp_path / "j.xml").getroot().tag == "testsuite"
    pipe = fifo("report.md")
    with pytest.raises(NotRegularFile, match="a FIFO"):
        write_reports(report, [], junit_path=None, markdown_path=str(pipe))
    with pytest.raises(NotRegularFile, match="an empty name"):
        write_reports(report, [], junit_path="", markdown_path=None)
    assert stat.S_ISFIFO(pipe.stat().st_mode)


def test_an_interrupted_run_ends_with_one_finding_saying_so() -> None:
    from openapi.remote.findings import Finding, Report, interrupted

    report = Report("https://up/v1")
    raised = interrupted(report)
    assert raised.report is report
    assert report.findings == [
        Finding("https://up/v1", "run", None, "interrupted", "$", "a finished run", "interrupted")
    ]


def test_the_markdown_report_of_a_strict_writing_run_and_of_a_clean_read_only_one() -> None:
    from openapi.remote.findings import Finding, Report
    from openapi.remote.reporting import markdown

    finding = Finding("https://up/v1", "#1 GET /v1/x", None, "status", "$", "200", "a|b")
    strict = Report(
        "https://up/v1", probes=["#1", "#2"], findings=[finding], strict=True, mode="writes"
    )
    assert markdown(strict, []).splitlines() == [
        "# Everflow contract: failed",
        "",
        "Target: `https://up/v1`; 2 requests; writes allowed (--allow-writes); "
        "strict mode (warnings fail)",
        "",
        "| severity | probe | pixel | check | path | expected | actual |",
        "|---|---|---:|---|---|---|---|",
        "| error | #1 GET /v1/x |  | status | `$` | 200 | a\\|b |",
        "",
        "## Writes",
        "",
        "None.",
    ]
    assert markdown(Report("https://up/v1", probes=["#1"]), []).splitlines() == [
        "# Everflow contract: passed",
        "",
        "Target: `https://up/v1`; 1 request; read-only",
        "",
        "No findings: every answer kept the contract.",
        "",
        "## Writes",
        "",
        "None: the run was read-only.",
    ]


def test_an_interrupted_run_is_a_keyboard_interrupt_that_says_what_was_interrupted() -> None:
    # what a script calling run_contract sees when its Ctrl-C stops the run
    from openapi.remote.findings import Report, interrupted

    raised = interrupted(Report("https://up/v1"))
    assert isinstance(raised, KeyboardInterrupt)
    assert str(raised) == "the contract run was interrupted"


def test_the_markdown_report_names_the_unfinished_probes_in_a_paragraph_of_its_own() -> None:
    report = Report("t", ["known_id 5"])
    report.add([Finding("t", "known_id", 5, "timeout", "$", "200", "no complete answer")])
    assert markdown(report).splitlines()[:7] == [
        "# Everflow contract: failed",
        "",
        "Target: `t`; 1 request; read-only",
        "",
        "Unfinished: 1 probe had no answer to judge (timeout).",
        "",
        "| severity | probe | pixel | check | path | expected | actual |",
    ]


def test_the_markdown_report_s_writes_are_a_table_after_their_heading() -> None:
    lines = markdown(written()).splitlines()
    at = lines.index("## Writes")
    assert lines[at : at + 6] == [
        "## Writes",
        "",
        "| method | path | pixel | status |",
        "|---|---|---:|---|",
        "| POST | `/v1/networks/pixels` | 55 | 200 |",
        "| DELETE | `/v1/networks/pixels/55` | 55 | 200 |",
    ]


def test_drift_over_the_whole_run_and_what_the_target_chose_have_cases_of_their_own() -> None:
    report = Report("t", ["known_id 5"])
    report.add(
        [
            Finding("t", "all", None, "never_present", "$.x", "present", "absent", "warning"),
            Finding("t", "all", None, "observed_choice", "$", "either", "one", "info"),
        ]
    )
    suite = ET.fromstring(junit_xml(report))
    assert [case.get("name") for case in suite.iter("testcase")] == [
        "known_id 5",
        "drift",
        "observed",
    ]


def test_a_skipped_run_s_junit_is_one_skipped_case_of_the_everflow_contract_suite() -> None:
    report = Report("https://up/v1", skipped="no API key (EVERFLOW_API_KEY)")
    suite = ET.fromstring(junit_xml(report))
    assert (suite.tag, suite.get("name"), suite.get("tests"), suite.get("skipped")) == (
        "testsuite",
        "everflow-contract",
        "1",
        "1",
    )
    assert [(p.get("name"), p.get("value")) for p in suite.findall("properties/property")] == [
        ("mode", "read-only"),
        ("writes", "0"),
    ]
    (case,) = suite.findall("testcase")
    assert (case.get("classname"), case.get("name")) == ("https://up/v1", "contract")
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "no API key (EVERFLOW_API_KEY)"


def test_junit_cases_carry_the_target_and_each_finding_on_a_line_of_its_own() -> None:
    report = Report("https://up/v1", ["known_id 5", "list"], mode="writes")
    failures = [
        Finding("https://up/v1", "known_id", 5, "status", "$", "200", "500"),
        Finding("https://up/v1", "known_id", 5, "content_type", "$", "application/json", "x"),
    ]
    warnings = [
        Finding("https://up/v1", "list", None, "undocumented_field", "$.a", "-", "-", "warning"),
        Finding("https://up/v1", "list", None, "undocumented_field", "$.b", "-", "-", "warning"),
    ]
    report.add([*failures, *warnings])
    report.writes = [
        Write("POST", "/v1/networks/pixels", 55, "200"),
        Write("DELETE", "/v1/networks/pixels/55", 55, "200"),
    ]
    xml = junit_xml(report)
    assert xml.startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuite ")
    suite = ET.fromstring(xml)
    cases = {case.get("name"): case for case in suite.findall("testcase")}
    assert {case.get("classname") for case in cases.values()} == {"https://up/v1"}
    failure = cases["known_id 5"].find("failure")
    assert failure is not None
    assert failure.get("message") == "status at $; content_type at $"
    assert failure.text == "\n".join(f.line() for f in failures)
    assert cases["list"].findtext("system-out") == "\n".join(w.line() for w in warnings)
    assert suite.findtext("system-out") == (
        "writes: 2\n"
        "write: POST /v1/networks/pixels (pixel 55): 200\n"
        "write: DELETE /v1/networks/pixels/55 (pixel 55): 200"
    )
