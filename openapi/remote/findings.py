"""What the contract suite found: one ``Finding`` per broken expectation, and every ``Write``
it made."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from openapi.remote.masking import MASK, Secrets, as_secrets, redact

Severity = Literal["error", "warning", "info"]
"""``error`` fails a run, ``warning`` fails it under ``--strict``, ``info`` never does (what
production chose where Everflow's docs leave a choice open; see ``observations``)."""

UNFINISHED_CHECKS = frozenset(
    {"transport", "timeout", "max_time", "retry_after", "not_sent", "interrupted"}
)
"""Checks that say the run could not judge a probe (exit 2), rather than that the target
broke the contract (exit 1)."""

DRIFT_CHECKS = frozenset({"undocumented_field", "never_present"})
"""Checks that report drift (warnings; failures only in strict mode), judged together, by
the pytest suite's drift test alone."""

Mode = Literal["read-only", "writes", "cleanup"]

__all__ = [
    "DRIFT_CHECKS",
    "MASK",
    "UNFINISHED_CHECKS",
    "Finding",
    "Mode",
    "Report",
    "RunInterrupted",
    "Severity",
    "Write",
    "interrupted",
    "redact",
]


@dataclass(frozen=True)
class Finding:
    """One way a target's answer differs from the contract.

    ``check`` names what was checked: a documented rule (``tiktok_pixel_required``), a field
    constraint (``$.delay_ms:maximum``) or one of the suite's own checks (``status``,
    ``content_type``, ``pixel_id``, ``rate_limit_headers``, ``undocumented_field``,
    ``never_present``, ``json_depth``, ``duplicate_id`` (a recording), the paging checks of
    ``page_checks`` and the state checks of ``state_checks``), or says why a probe has no
    answer to judge (``UNFINISHED_CHECKS``).
    """

    target: str
    probe: str
    pixel_id: int | None
    check: str
    path: str
    expected: str
    actual: str
    severity: Severity = "error"

    def line(self) -> str:
        """A one-line human summary."""
        where = f"pixel {self.pixel_id}" if self.pixel_id is not None else "no pixel"
        return (
            f"[{self.severity}] {self.target} {self.probe} ({where}): {self.check} at {self.path}: "
            f"expected {self.expected}, got {self.actual}"
        )

    def mapped(self, change: Callable[[str], str]) -> Finding:
        """This finding with ``change`` applied to every text field."""
        return replace(
            self,
            target=change(self.target),
            probe=change(self.probe),
            check=change(self.check),
            path=change(self.path),
            expected=change(self.expected),
            actual=change(self.actual),
        )

    def masked(self, secrets: Iterable[str] | Secrets) -> Finding:
        """This finding with every secret masked out of every text field."""
        return self.mapped(as_secrets(secrets).redact)


@dataclass(frozen=True)
class Write:
    """One request the suite sent that could change the target (each attempt): ``path`` is
    the whole request path, ``pixel_id`` the postback it touched (``None`` when a create was
    not answered with one) and ``status`` the answer's status, or why there was none."""

    method: str
    path: str
    pixel_id: int | None
    status: str

    def line(self) -> str:
        """A one-line human summary."""
        where = f"pixel {self.pixel_id}" if self.pixel_id is not None else "no pixel id"
        return f"{self.method} {self.path} ({where}): {self.status}"

    def mapped(self, change: Callable[[str], str]) -> Write:
        """This write with ``change`` applied to its text."""
        return replace(
            self, method=change(self.method), path=change(self.path), status=change(self.status)
        )

    def masked(self, secrets: Iterable[str] | Secrets) -> Write:
        """This write with every secret masked out of its text."""
        return self.mapped(as_secrets(secrets).redact)


@dataclass
class Report:
    """Every finding of one run, what was probed, and every write made (``mode`` says
    whether the run could write at all); ``skipped`` says why a run checked nothing."""

    target: str
    probes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    strict: bool = False
    mode: Mode = "read-only"
    writes: list[Write] = field(default_factory=list)
    skipped: str = ""

    def add(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def failures(self) -> list[Finding]:
        """Findings that fail the run: errors, and warnings too under ``strict``."""
        return [
            f
            for f in self.findings
            if f.severity == "error" or (self.strict and f.severity == "warning")
        ]

    @property
    def passed(self) -> bool:
        """Whether the target keeps the contract."""
        return not self.failures

    @property
    def unfinished(self) -> list[Finding]:
        """Probes the run could not judge: unreachable, too slow, out of time, told to wait."""
        return [f for f in self.findings if f.check in UNFINISHED_CHECKS]

    def mapped(self, change: Callable[[str], str]) -> Report:
        """A copy with ``change`` applied to every finding, write and name."""
        return Report(
            target=change(self.target),
            probes=[change(probe) for probe in self.probes],
            findings=[finding.mapped(change) for finding in self.findings],
            strict=self.strict,
            mode=self.mode,
            writes=[write.mapped(change) for write in self.writes],
            skipped=change(self.skipped),
        )

    def masked(self, secrets: Iterable[str] | Secrets) -> Report:
        """A copy with every secret masked out of every finding and name."""
        return self.mapped(as_secrets(secrets).redact)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped a run, after the probe postbacks it created were deleted;
    ``report`` is what it found until then, every write included."""

    def __init__(self, report: Report) -> None:
        super().__init__("the contract run was interrupted")
        self.report = report


def interrupted(report: Report) -> RunInterrupted:
    """``report`` closed with an ``interrupted`` finding, in the exception that carries it."""
    report.add(
        [Finding(report.target, "run", None, "interrupted", "$", "a finished run", "interrupted")]
    )
    return RunInterrupted(report)
