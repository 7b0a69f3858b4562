"""Check a list of postbacks against the spec before any of it is served."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from openapi import Violation, schema_violations


@dataclass(frozen=True)
class RecordProblem:
    """Everything wrong with one record: its index, its id (if readable) and each violation."""

    index: int
    pixel_id: Any
    violations: list[Violation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable lines: a heading naming the record, then one line per problem."""
        head = f"record {self.index} (network_pixel_id {self.pixel_id!r}):"
        return [head, *(f"  {note}" for note in self.notes), *(f"  {v}" for v in self.violations)]


class InvalidRecords(ValueError):
    """Some records break the spec; none of them were loaded."""

    def __init__(self, problems: list[RecordProblem], total: int) -> None:
        self.problems = problems
        self.total = total
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """A summary line, then every problem of every bad record."""
        head = f"{len(self.problems)} of {self.total} records are invalid; nothing was loaded:"
        return [head, *(line for p in self.problems for line in p.lines())]


def check_records(records: Sequence[Any]) -> list[RecordProblem]:
    """Every problem of every record, all at once: schema violations, missing or duplicate ids."""
    problems: list[RecordProblem] = []
    first_seen: dict[int, int] = {}
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            note = f"expected a JSON object, found {type(record).__name__}"
            problems.append(RecordProblem(index, None, notes=[note]))
            continue
        pixel_id = record.get("network_pixel_id")
        notes: list[str] = []
        if "network_pixel_id" not in record:
            notes.append("$.network_pixel_id: missing; every served postback needs its id")
        elif isinstance(pixel_id, int) and not isinstance(pixel_id, bool):
            if pixel_id in first_seen:
                notes.append(f"duplicate id, first used by record {first_seen[pixel_id]}")
            else:
                first_seen[pixel_id] = index
        violations = schema_violations(record)
        if notes or violations:
            problems.append(RecordProblem(index, pixel_id, violations, notes))
    return problems
