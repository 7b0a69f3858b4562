"""A run's report as a terminal summary, JUnit XML and Markdown (for CI summaries).

Each says whether the run could write and lists every write it made (method, path, postback
id, status), or why it was skipped. Each masks the secrets out of every finding and write
before formatting it (so that no escaped form of a secret survives) and out of the finished
text once more; then writes every character that is not printable (a server's terminal
escapes, NULs, newlines) as an escape, so that the output shows what was sent and JUnit
files always parse.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

from openapi.files import write_whole
from openapi.remote.findings import UNFINISHED_CHECKS, Finding, Report, redact
from openapi.remote.masking import Secrets, as_secrets, printable
from openapi.text import counted

MODES = {
    "read-only": "read-only",
    "writes": "writes allowed (--allow-writes)",
    "cleanup": "cleanup of probe postbacks (--cleanup)",
}


def writes_line(report: Report) -> str:
    """How many writes the run made, and whether it could make any."""
    if report.mode == "read-only":
        return "writes: none (read-only run)"
    return f"writes: {len(report.writes)}" + (" (cleanup)" if report.mode == "cleanup" else "")


def case_name(report: Report, finding: Finding) -> str:
    """The probe (JUnit test case) a finding belongs to: its probe and pixel id, or its
    probe alone (pages, a create, an id found later); ``drift`` for drift over the whole
    run (probe ``all``), ``observed`` for what the target chose where Everflow is open."""
    with_id = f"{finding.probe} {finding.pixel_id}"
    if finding.pixel_id is not None and with_id in report.probes:
        return with_id
    if finding.probe in report.probes or (finding.pixel_id is None and finding.probe != "all"):
        return finding.probe
    return "observed" if finding.severity == "info" else "drift"


SKIPPED_CASE = "contract"
"""The one JUnit test case of a skipped run."""


def shown(report: Report, secrets: Iterable[str] | Secrets) -> Report:
    """``report`` as it may be shown: secrets masked, then what is not printable escaped."""
    return report.masked(secrets).mapped(printable)


def summary(report: Report, secrets: Iterable[str] | Secrets = ()) -> str:
    """Readable lines: the verdict, then every finding (or why the run was skipped)."""
    secrets = as_secrets(secrets)
    report = shown(report, secrets)
    if report.skipped:
        return redact(f"everflow-contract: skipped: {report.skipped}\n", secrets)
    errors = [f for f in report.findings if f.severity == "error"]
    warnings = [f for f in report.findings if f.severity == "warning"]
    verdict = "PASS" if report.passed else "FAIL"
    mode = " (strict: warnings fail)" if report.strict else ""
    unfinished = f", {len(report.unfinished)} unanswered" if report.unfinished else ""
    lines = [
        f"everflow-contract {verdict}: {report.target}: {counted(len(report.probes), 'request')}, "
        f"{counted(len(errors), 'error')}{unfinished}, {counted(len(warnings), 'warning')}{mode}"
    ]
    lines += [f"  {f.line()}" for f in report.findings]
    lines.append(writes_line(report))
    lines += [f"  write: {w.line()}" for w in report.writes]
    return redact("\n".join(lines) + "\n", secrets)


def junit_xml(report: Report, secrets: Iterable[str] | Secrets = ()) -> str:
    """JUnit XML: one test case per probe, a ``failure`` when it broke the contract, an
    ``error`` when it had no answer to judge (``UNFINISHED_CHECKS``: unreachable, timed out,
    out of time, interrupted); a skipped run is one ``skipped`` test case that says why."""
    secrets = as_secrets(secrets)
    report = shown(report, secrets)
    by_probe: dict[str, list[Finding]] = {probe: [] for probe in report.probes}
    for finding in report.findings:
        by_probe.setdefault(case_name(report, finding), []).append(finding)
    failing = {k: [f for f in v if f in report.failures] for k, v in by_probe.items()}
    unjudged = {k for k, v in failing.items() if any(f.check in UNFINISHED_CHECKS for f in v)}
    suite = ET.Element(
        "testsuite",
        name="everflow-contract",
        tests=str(len(by_probe) or int(bool(report.skipped))),
        failures=str(sum(1 for k, v in failing.items() if v and k not in unjudged)),
        errors=str(len(unjudged)),
        skipped=str(int(bool(report.skipped))),
    )
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="mode", value=report.mode)
    ET.SubElement(properties, "property", name="writes", value=str(len(report.writes)))
    if report.skipped:
        case = ET.SubElement(suite, "testcase", classname=report.target, name=SKIPPED_CASE)
        ET.SubElement(case, "skipped", message=report.skipped)
    for probe, findings in by_probe.items():
        case = ET.SubElement(suite, "testcase", classname=report.target, name=probe)
        failures = failing[probe]
        if failures:
            failure = ET.SubElement(
                case,
                "error" if probe in unjudged else "failure",
                message="; ".join(f"{f.check} at {f.path}" for f in failures),
            )
            failure.text = "\n".join(f.line() for f in failures)
        warnings = [f for f in findings if f not in failures]
        if warnings:
            ET.SubElement(case, "system-out").text = "\n".join(f.line() for f in warnings)
    ET.SubElement(suite, "system-out").text = "\n".join(
        [writes_line(report), *(f"write: {w.line()}" for w in report.writes)]
    )
    return redact(ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n", secrets)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: Report, secrets: Iterable[str] | Secrets = ()) -> str:
    """A Markdown report: verdict, counts and a table of findings (or why it was skipped)."""
    secrets = as_secrets(secrets)
    report = shown(report, secrets)
    if report.skipped:
        text = (
            f"# Everflow contract: skipped\n\nTarget: `{report.target}`; nothing was checked: "
            f"{report.skipped}.\n"
        )
        return redact(text, secrets)
    verdict = "passed" if report.passed else "failed"
    lines = [
        f"# Everflow contract: {verdict}",
        "",
        f"Target: `{report.target}`; {counted(len(report.probes), 'request')}; {MODES[report.mode]}"
        + ("; strict mode (warnings fail)" if report.strict else ""),
        "",
    ]
    if report.unfinished:
        checks = ", ".join(sorted({f.check for f in report.unfinished}))
        lines += [
            f"Unfinished: {counted(len(report.unfinished), 'probe')} had no answer to judge "
            f"({checks}).",
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
    lines += ["", "## Writes", ""]
    if report.mode == "read-only":
        lines.append("None: the run was read-only.")
    elif not report.writes:
        lines.append("None.")
    else:
        lines += ["| method | path | pixel | status |", "|---|---|---:|---|"]
        lines += [
            f"| {w.method} | `{_cell(w.path)}` | {w.pixel_id if w.pixel_id is not None else ''} "
            f"| {_cell(w.status)} |"
            for w in report.writes
        ]
    return redact("\n".join(lines) + "\n", secrets)


def write_reports(
    report: Report,
    secrets: Iterable[str],
    *,
    junit_path: str | None,
    markdown_path: str | None,
) -> None:
    """Write the JUnit XML and the Markdown report where asked (``None``: not asked), the
    secrets masked in both, each whole or not at all and only over a regular file
    (``openapi.files.write_whole``); ``OSError`` when a file cannot be written."""
    kept = list(secrets)
    if junit_path is not None:
        write_whole(junit_path, junit_xml(report, kept).encode("utf-8"))
    if markdown_path is not None:
        write_whole(markdown_path, markdown(report, kept).encode("utf-8"))
