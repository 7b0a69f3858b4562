"""What the contract suite found: one ``Finding`` per broken expectation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from contract_tests.masking import MASK, redact

Severity = Literal["error", "warning"]

UNFINISHED_CHECKS = frozenset({"transport", "timeout", "max_time", "retry_after", "not_sent"})
"""Checks that say the run could not judge a probe (exit 2), rather than that the target
broke the contract (exit 1)."""

__all__ = ["MASK", "UNFINISHED_CHECKS", "Finding", "Report", "Severity", "redact"]


@dataclass(frozen=True)
class Finding:
    """One way a target's answer differs from the contract.

    ``check`` names what was checked: a documented rule (``tiktok_pixel_required``), a field
    constraint (``$.delay_ms:maximum``) or one of the suite's own checks (``status``,
    ``content_type``, ``pixel_id``, ``rate_limit_headers``, ``undocumented_field``,
    ``never_present``), or says why a probe has no answer to judge (``UNFINISHED_CHECKS``:
    ``transport``, ``timeout``, ``max_time``, ``retry_after``, ``not_sent``).
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

    def masked(self, secrets: Iterable[str]) -> Finding:
        """This finding with every secret masked out of every text field."""
        secrets = list(secrets)
        return replace(
            self,
            target=redact(self.target, secrets),
            probe=redact(self.probe, secrets),
            check=redact(self.check, secrets),
            path=redact(self.path, secrets),
            expected=redact(self.expected, secrets),
            actual=redact(self.actual, secrets),
        )


@dataclass
class Report:
    """Every finding of one run, and what was probed."""

    target: str
    probes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    strict: bool = False

    def add(self, findings: Iterable[Finding]) -> None:
        """Record more findings."""
        self.findings.extend(findings)

    @property
    def failures(self) -> list[Finding]:
        """Findings that fail the run: errors, and warnings too under ``strict``."""
        return [f for f in self.findings if f.severity == "error" or self.strict]

    @property
    def passed(self) -> bool:
        """Whether the target keeps the contract."""
        return not self.failures

    @property
    def unfinished(self) -> list[Finding]:
        """Probes the run could not judge: unreachable, too slow, out of time, told to wait."""
        return [f for f in self.findings if f.check in UNFINISHED_CHECKS]

    def masked(self, secrets: Iterable[str]) -> Report:
        """A copy with every secret masked out of every finding and name."""
        secrets = list(secrets)
        return Report(
            target=redact(self.target, secrets),
            probes=[redact(probe, secrets) for probe in self.probes],
            findings=[finding.masked(secrets) for finding in self.findings],
            strict=self.strict,
        )
