"""What the proxy saw: violations by operation and rule, a bounded journal, and the run's
``Report`` for the contract suite's Markdown and JUnit writers."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from openapi.remote.findings import Finding, Mode, Report, Write
from openapi.text import counted, cut

MAX_FINDINGS = 10_000
"""Findings (and requests) a report lists; past it they are still counted in the summary."""
JOURNAL_SIZE = 1000
"""Requests ``GET /__admin/requests`` shows, oldest dropped first."""
MAX_NAMED = 50
"""Violations named in one journal entry (the count is always whole)."""
MAX_TEXT = 1024
"""Characters of a path or query a journal entry keeps."""
MAX_DRIFT = 1000
"""Distinct (operation, JSON path) pairs of drift counted one by one; past it, an upstream
that names a new field in every answer adds to ``OTHER_DRIFT`` and costs no more memory."""
OTHER_DRIFT = "(other paths)"


def violation(finding: Finding) -> dict[str, str]:
    """A finding as the journal names it: rule, JSON path, expected, actual."""
    return {
        "rule": finding.check,
        "path": finding.path,
        "expected": finding.expected,
        "actual": finding.actual,
    }


UNSENT = frozenset({"refused", "not sent"})
"""The outcomes of requests that never reached the upstream."""
UNANSWERED = frozenset({"unreachable", "timeout"})
"""The outcomes of requests sent that got no answer to judge: the proxy's own 502 (the
upstream unreachable, its answer too large, cut short, nested too deep) or 504."""


class Tally:
    """Every request's verdict, safe to add to from several threads."""

    def __init__(self, target: str, mode: Mode, journal_size: int = JOURNAL_SIZE) -> None:
        self.target = target
        self.mode = mode
        self.requests: Counter[str] = Counter()
        self.violations: Counter[tuple[str, str]] = Counter()
        self.broken: Counter[str] = Counter()
        self.drift: Counter[tuple[str, str]] = Counter()
        """Undocumented fields by operation and JSON path (at most ``MAX_DRIFT`` pairs)."""
        self.unsent = 0
        """Requests the proxy answered itself without sending them (refused, not sent)."""
        self.unanswered = 0
        """Requests sent that got no usable answer (the proxy's own 502 or 504): nothing
        was judged, so they fail the run as a violation does."""
        self._probes: list[str] = []
        self._findings: list[Finding] = []
        self._journal: deque[dict[str, Any]] = deque(maxlen=journal_size)
        self._lock = threading.Lock()

    def add(
        self,
        *,
        method: str,
        path: str,
        query: str,
        operation: str,
        status: int,
        outcome: str,
        findings: list[Finding],
        dropped_headers: list[str] | None = None,
    ) -> None:
        """Count one request and journal it, with every violation of its answer and the
        names of the upstream's headers the client did not get (``dropped_headers``)."""
        errors = [f for f in findings if f.severity == "error"]
        drift = [f.path for f in findings if f.check == "undocumented_field"]
        with self._lock:
            self.requests[operation] += 1
            self.unsent += outcome in UNSENT
            self.unanswered += outcome in UNANSWERED
            number = sum(self.requests.values())
            probe = f"#{number} {method} {cut(path, MAX_TEXT, noted=True)}"
            if len(self._probes) < MAX_FINDINGS:
                self._probes.append(probe)
            room = MAX_FINDINGS - len(self._findings)
            if room > 0:
                self._findings += [
                    replace(f, target=self.target, probe=probe) for f in findings[:room]
                ]
            if errors:
                self.broken[operation] += 1
            self.violations.update((operation, finding.check) for finding in errors)
            for field in drift:
                pair = (operation, cut(field, MAX_TEXT, noted=True))
                if pair not in self.drift and len(self.drift) >= MAX_DRIFT:
                    pair = (operation, OTHER_DRIFT)
                self.drift[pair] += 1
            self._journal.append(
                {
                    "time": time.time(),
                    "method": method,
                    "path": cut(path, MAX_TEXT, noted=True),
                    "query": cut(query, MAX_TEXT, noted=True),
                    "operation": operation,
                    "status": status,
                    "upstream": outcome,
                    "violation_count": len(errors),
                    "violations": [violation(f) for f in errors[:MAX_NAMED]],
                    "undocumented_fields": drift[:MAX_NAMED],
                    "dropped_headers": (dropped_headers or [])[:MAX_NAMED],
                }
            )

    def journal(self) -> list[dict[str, Any]]:
        """The journal's entries, oldest first."""
        with self._lock:
            return list(self._journal)

    def clear_journal(self) -> None:
        """Forget the journal (the counts stay: they are the run's)."""
        with self._lock:
            self._journal.clear()

    def report(self, writes: Iterable[Write] = ()) -> Report:
        """The run as the contract suite's ``Report``: one probe per request; undocumented
        fields are warnings in it, as in the suite (they fail no run)."""
        with self._lock:
            return Report(
                self.target,
                probes=list(self._probes),
                findings=list(self._findings),
                mode=self.mode,
                writes=list(writes),
            )

    @property
    def failed(self) -> bool:
        """Whether the run fails: an answer broke the spec, or a request sent got no usable
        answer (every answer the proxy's own 502 is no passing run)."""
        with self._lock:
            return bool(sum(self.broken.values()) or self.unanswered)

    def by_operation(self) -> dict[str, Any]:
        """The run so far as the summary and the admin page show it: the totals, then per
        operation its requests, broken answers, violations by rule and drift by JSON path
        (counts and names only, never a value)."""
        with self._lock:
            operations = [
                {
                    "operation": operation,
                    "requests": count,
                    "broken": self.broken[operation],
                    "violations": sorted(
                        (rule, n) for (op, rule), n in self.violations.items() if op == operation
                    ),
                    "drift": sorted(
                        (path, n) for (op, path), n in self.drift.items() if op == operation
                    ),
                }
                for operation, count in sorted(self.requests.items())
            ]
            return {
                "target": self.target,
                "mode": self.mode,
                "requests": sum(self.requests.values()),
                "broken": sum(self.broken.values()),
                "unsent": self.unsent,
                "unanswered": self.unanswered,
                "operations": operations,
            }

    def summary(self) -> str:
        """Lines for the end of a run: requests, and violations by operation and rule."""
        run = self.by_operation()
        total, broken = run["requests"], run["broken"]
        unsent = f", {run['unsent']} not sent" if run["unsent"] else ""
        unanswered = (
            f", {run['unanswered']} got no usable answer (502, 504)" if run["unanswered"] else ""
        )
        lines = [
            f"everflow-mock proxy: {counted(total, 'request')} for "
            f"{self.target}{unsent}{unanswered}; {counted(broken, 'answer')} broke the spec"
        ]
        for operation in run["operations"]:
            lines.append(
                f"  {operation['operation']}: {operation['requests']} requests, "
                f"{operation['broken']} broken"
            )
            lines += [f"    {rule}: {n}" for rule, n in operation["violations"]]
        return "\n".join(lines) + "\n"
