"""Check postbacks against the spec, once, and keep the good ones as the bytes the mock sends."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from mock_server.data.strictjson import StrictJSONError, dumps
from openapi.text import cut

if TYPE_CHECKING:
    from openapi import Violation

MAX_ID = 2**63 - 1
"""The largest ``pixelId`` a request may name: the spec's ``pixelId`` maximum (an int64;
a test holds them equal), so the largest id worth storing or creating."""


@dataclass(frozen=True)
class RecordProblem:
    """Everything wrong with one record: its index, its id (if readable) and each violation.
    ``where`` is the list the record is in, when it is one of a file's lists (``postbacks``)."""

    index: int
    pixel_id: Any
    violations: list[Violation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    where: str | None = None

    def lines(self) -> list[str]:
        """Human-readable lines: a heading naming the record (``record 3`` or
        ``postbacks[3]``, and its id if it has one), then one line per problem."""
        head = f"record {self.index}" if self.where is None else f"{self.where}[{self.index}]"
        if self.pixel_id is not None:
            head += f" (network_pixel_id {self.pixel_id!r})"
        return [f"{head}:", *(f"  {n}" for n in self.notes), *(f"  {v}" for v in self.violations)]


MAX_REPORTED = 20
"""Bad records a report details; the others are counted (a file of a million bad records
must not print millions of lines)."""


class InvalidRecords(ValueError):
    """Some records break the spec; none of them were loaded.

    ``problems`` holds the first bad records' problems (at most ``MAX_REPORTED`` when they
    came from a ``RecordChecker``), ``invalid`` how many records were bad in all.
    """

    def __init__(
        self, problems: list[RecordProblem], total: int, invalid: int | None = None
    ) -> None:
        self.problems = problems
        self.total = total
        self.invalid = len(problems) if invalid is None else invalid
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """A summary line, then every problem of each bad record reported, then how many
        more bad records there are."""
        head = f"{self.invalid} of {self.total} records are invalid; nothing was loaded:"
        lines = [head, *(line for p in self.problems for line in p.lines())]
        more = self.invalid - len(self.problems)
        if more:
            lines.append(f"... and {more} more invalid record{'s' if more > 1 else ''}")
        return lines


class EncodedPostbacks(Sequence[dict[str, Any]]):
    """Postbacks that passed every check, held only as the JSON bytes the mock sends.

    Made by ``RecordChecker`` (or ``encode_records``), so a store takes them as they are,
    without validating again. Reading an item decodes it; ``encoded`` is the bytes by id,
    in the order the records came.
    """

    def __init__(
        self,
        encoded: dict[int, bytes],
        neighbours: Mapping[str, Sequence[dict[str, Any]]] | None = None,
    ) -> None:
        self.encoded: Mapping[int, bytes] = encoded
        """The bytes of each postback by its ``network_pixel_id``."""
        self._order = list(encoded.values())
        self.neighbours: Mapping[str, Sequence[dict[str, Any]]] = neighbours or {}
        """The offers and affiliates the data carried beside its postbacks (``--data``'s
        object form), by ``"offers"`` and ``"affiliates"``; checked by the loader."""

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [json.loads(data) for data in self._order[index]]
        body: dict[str, Any] = json.loads(self._order[index])
        return body

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (json.loads(data) for data in self._order)

    def __repr__(self) -> str:
        return f"<EncodedPostbacks: {len(self)} postbacks>"


class RecordChecker:
    """Checks records one at a time, keeping only the bytes of good ones and every problem.

    Feed it records with ``add`` as they are read, so that a big data file is never held
    parsed all at once; ``result`` then gives every good record, or raises
    ``InvalidRecords`` naming every problem of every record (and loads nothing).
    """

    def __init__(
        self, max_reported: int | None = MAX_REPORTED, *, allow_drift: bool = False
    ) -> None:
        self.where: str | None = None
        """The list the records are in, which names them in problems (``postbacks[3]``)."""
        self.problems: list[RecordProblem] = []
        """The problems of the first ``max_reported`` bad records (all with ``None``)."""
        self.invalid = 0
        """How many records were bad."""
        self.max_reported = max_reported
        self.allow_drift = allow_drift
        """Keep records that break only the spec's rules, as they are."""
        self.total = 0
        self._encoded: dict[int, bytes] = {}
        self._first_seen: dict[int, int] = {}
        # The validators load with the first checker: a mock serving a cached catalogue
        # checks nothing, and its first use in a test should not pay for them.
        from openapi.fast_validation import violations

        self._violations = violations

    def add(
        self, record: Any, unreadable: Sequence[str] = (), *, expected_id: int | None = None
    ) -> RecordProblem | None:
        """Check the next record; returns its problem, if any.

        ``unreadable`` says why the record could not be read as plain JSON data (``record``
        is then only looked at for its id); ``expected_id`` is the id the record must carry.
        """
        index = self.total
        self.total += 1
        if not isinstance(record, dict):
            notes = list(unreadable) or [f"expected a JSON object, found {_kind(record)}"]
            return self._problem(RecordProblem(index, None, notes=notes, where=self.where))
        pixel_id: Any = record.get("network_pixel_id")
        notes = list(unreadable)
        if expected_id is not None and pixel_id != expected_id:
            notes.append(
                f"$.network_pixel_id: {_shown(pixel_id)!r} differs from the id {expected_id}"
            )
        if "network_pixel_id" not in record:
            notes.append("$.network_pixel_id: missing; every served postback needs its id")
        elif isinstance(pixel_id, float):
            notes.append(f"$.network_pixel_id: {pixel_id!r} is not written as an integer")
        elif type(pixel_id) is int:
            if pixel_id > MAX_ID:
                notes.append(f"$.network_pixel_id: above {MAX_ID}, so never served")
            if pixel_id in self._first_seen:
                notes.append(f"duplicate id, first used by record {self._first_seen[pixel_id]}")
            else:
                self._first_seen[pixel_id] = index
        if unreadable or (notes and self._full()):  # known bad, and its details not shown
            return self._problem(
                RecordProblem(index, _shown(pixel_id), notes=notes, where=self.where)
            )
        found = [] if self.allow_drift and not notes else self._violations(record)
        if not notes and not found:
            try:
                data = dumps(record)
            except StrictJSONError as error:
                notes.append(str(error))
            else:
                if not self.invalid:  # once anything is wrong nothing is loaded: drop bytes
                    self._encoded[pixel_id] = data
                return None
        return self._problem(RecordProblem(index, _shown(pixel_id), found, notes, self.where))

    def _full(self) -> bool:
        return self.max_reported is not None and len(self.problems) >= self.max_reported

    def _problem(self, problem: RecordProblem) -> RecordProblem:
        self.invalid += 1
        if not self._full():
            self.problems.append(problem)
        self._encoded.clear()
        return problem

    def result(self) -> EncodedPostbacks:
        """Every record added, encoded; ``InvalidRecords`` if any of them has a problem."""
        if self.invalid:
            raise InvalidRecords(self.problems, self.total, self.invalid)
        return EncodedPostbacks(self._encoded)


_KINDS = {str: "a string", list: "an array", int: "a number", float: "a number", bool: "a boolean"}


def _kind(value: Any) -> str:
    return "null" if value is None else _KINDS.get(type(value), type(value).__name__)


def _shown(pixel_id: Any) -> Any:
    """The id as a report may show it: an int or string cut to a readable size, else ``None``."""
    if isinstance(pixel_id, int) and pixel_id.bit_length() > 128:
        return "<an integer of more than 38 digits>"
    if isinstance(pixel_id, str):
        return cut(pixel_id, 40)
    return pixel_id if isinstance(pixel_id, (int, float, str)) else None


def encode_records(records: Iterable[Any]) -> EncodedPostbacks:
    """Every record checked and encoded; ``InvalidRecords`` naming every problem of every one."""
    checker = RecordChecker()
    for record in records:
        checker.add(record)
    return checker.result()
