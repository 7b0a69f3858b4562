"""A run's report as a terminal summary, JUnit XML and Markdown (for CI summaries).

Each masks the secrets out of every finding before formatting it (so that no escaped form of
a secret survives) and out of the finished text once more.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from contract_tests.findings import Finding, Report, redact


def summary(report: Report, secrets: Iterable[str] = ()) -> str:
    """Readable lines: the verdict, then every finding."""
    secrets = list(secrets)
    report = report.masked(secrets)
    errors = [f for f in report.findings if f.severity == "error"]
    warnings = [f for f in report.findings if f.severity == "warning"]
    verdict = "PASS" if report.passed else "FAIL"
    mode = " (strict: warnings fail)" if report.strict else ""
    unfinished = f", {len(report.unfinished)} unanswered" if report.unfinished else ""
    lines = [
        f"everflow-contract {verdict}: {report.target}: {len(report.probes)} requests, "
        f"{len(errors)} errors{unfinished}, {len(warnings)} warnings{mode}"
    ]
    lines += [f"  {f.line()}" for f in report.findings]
    return redact("\n".join(lines) + "\n", secrets)


def junit_xml(report: Report, secrets: Iterable[str] = ()) -> str:
    """JUnit XML: one test case per probe, failed by its findings."""
    secrets = list(secrets)
    report = report.masked(secrets)
    by_probe: dict[str, list[Finding]] = {probe: [] for probe in report.probes}
    for finding in report.findings:
        key = f"{finding.probe} {finding.pixel_id}" if finding.pixel_id is not None else "drift"
        by_probe.setdefault(key, []).append(finding)
    failing = {k: [f for f in v if f in report.failures] for k, v in by_probe.items()}
    suite = ET.Element(
        "testsuite",
        name="everflow-contract",
        tests=str(len(by_probe)),
        failures=str(sum(1 for v in failing.values() if v)),
        errors="0",
    )
    for probe, findings in by_probe.items():
        case = ET.SubElement(suite, "testcase", classname=report.target, name=probe)
        failures = failing[probe]
        if failures:
            failure = ET.SubElement(
                case, "failure", message="; ".join(f"{f.check} at {f.path}" for f in failures)
            )
            failure.text = "\n".join(f.line() for f in failures)
        warnings = [f for f in findings if f not in failures]
        if warnings:
            ET.SubElement(case, "system-out").text = "\n".join(f.line() for f in warnings)
    return redact(ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n", secrets)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: Report, secrets: Iterable[str] = ()) -> str:
    """A Markdown report: verdict, counts and a table of findings."""
    secrets = list(secrets)
    report = report.masked(secrets)
    verdict = "passed" if report.passed else "failed"
    lines = [
        f"# Everflow contract: {verdict}",
        "",
        f"Target: `{report.target}`; {len(report.probes)} requests"
        + ("; strict mode (warnings fail)" if report.strict else ""),
        "",
    ]
    if report.unfinished:
        checks = ", ".join(sorted({f.check for f in report.unfinished}))
        lines += [
            f"Unfinished: {len(report.unfinished)} probes had no answer to judge ({checks}).",
            "",
        ]
    if not report.findings:
        lines.append("No findings: every answer kept the contract.")
    else:
        lines += [
            "| severity | probe | pixel | check | path | expected | actual |",
            "|---|---|---:|---|---|---|---|",
        ]
        lines += [
            f"| {f.severity} | {f.probe} | {f.pixel_id if f.pixel_id is not None else ''} | "
            f"{_cell(f.check)} | `{_cell(f.path)}` | {_cell(f.expected)} | {_cell(f.actual)} |"
            for f in report.findings
        ]
    return redact("\n".join(lines) + "\n", secrets)
