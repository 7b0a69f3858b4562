"""``PostbackIndex``: what list and search need to answer in milliseconds from 100,000 postbacks.

The ids in order (a page of a whole listing is a slice), and for each field a filter or a
search term reads a way to find the matching ids without decoding a single stored body
(``INDEXED``, ``SCANNED``, ``TEXT``). The store keeps one up to date on every change; the
filters and terms become ``Condition`` values (``mock_server.operations.selection``).
"""

from __future__ import annotations

import bisect
import json
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

INDEXED = (
    "pixel_status",
    "pixel_type",
    "delivery_method",
    "pixel_level",
    "network_offer_id",
    "network_affiliate_id",
    "network_offer_payout_revenue_id",
)
"""Fields with few distinct values: each value maps to the set of ids that have it."""
SCANNED = ("time_created", "time_saved")
"""Fields with about as many values as there are postbacks: kept by id, scanned."""
TEXT = ("description", "postback_url", "html_code")
"""Text searched by case-insensitive substring: kept case-folded by id, scanned."""
ID_FIELD = "network_pixel_id"

_ABSENT = object()
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    ">": operator.gt,
}


@dataclass(frozen=True)
class Equals:
    """``field`` has any of ``values`` (``field`` in ``INDEXED``, or the id)."""

    field: str
    values: frozenset[Any]


@dataclass(frozen=True)
class Compare:
    """``field <op> value`` for an integer field: ``op`` is ``=``, ``<`` or ``>``."""

    field: str
    op: str
    value: int


@dataclass(frozen=True)
class Contains:
    """Any of ``fields`` (in ``TEXT``) contains ``text``, ignoring case."""

    fields: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Either:
    """Any of ``parts`` holds."""

    parts: tuple[Condition, ...]


Condition = Equals | Compare | Contains | Either


def _number(value: Any) -> bool:
    return type(value) is int


class PostbackIndex:
    """Every stored id in order, and the ids by the value of each filterable field."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        """Every id, ascending. Read-only for callers."""
        self._values: dict[str, dict[Any, set[int]]] = {name: {} for name in INDEXED}
        self._columns: dict[str, dict[int, Any]] = {name: {} for name in SCANNED + TEXT}
        self._facts: dict[int, tuple[Any, ...]] = {}

    @classmethod
    def of(cls, items: Mapping[int, bytes]) -> PostbackIndex:
        """The index of stored bodies (JSON bytes by id)."""
        index = cls()
        for pixel_id, data in items.items():
            index.add(pixel_id, json.loads(data))
        return index

    def copy(self) -> PostbackIndex:
        """An independent copy (the store keeps one of its start data, for ``reset``)."""
        twin = PostbackIndex()
        twin.ids = list(self.ids)
        twin._values = {
            name: {value: set(ids) for value, ids in by_value.items()}
            for name, by_value in self._values.items()
        }
        twin._columns = {name: dict(column) for name, column in self._columns.items()}
        twin._facts = dict(self._facts)
        return twin

    def __contains__(self, pixel_id: object) -> bool:
        return pixel_id in self._facts

    def __len__(self) -> int:
        return len(self._facts)

    def add(self, pixel_id: int, body: Mapping[str, Any]) -> None:
        """Index ``body`` under ``pixel_id``, in place of what was there."""
        if pixel_id in self._facts:
            self.remove(pixel_id)
        ids = self.ids
        if not ids or pixel_id > ids[-1]:
            ids.append(pixel_id)
        else:
            bisect.insort(ids, pixel_id)
        facts = tuple(body.get(name, _ABSENT) for name in INDEXED)
        self._facts[pixel_id] = facts
        for name, value in zip(INDEXED, facts, strict=True):
            if value is not _ABSENT:
                self._values[name].setdefault(value, set()).add(pixel_id)
        for name in SCANNED:
            value = body.get(name, _ABSENT)
            if value is not _ABSENT:
                self._columns[name][pixel_id] = value
        for name in TEXT:
            value = body.get(name)
            if isinstance(value, str) and value:
                self._columns[name][pixel_id] = value.casefold()

    def remove(self, pixel_id: int) -> None:
        """Forget ``pixel_id`` (nothing happens when it is not indexed)."""
        facts = self._facts.pop(pixel_id, None)
        if facts is None:
            return
        del self.ids[bisect.bisect_left(self.ids, pixel_id)]
        for name, value in zip(INDEXED, facts, strict=True):
            if value is _ABSENT:
                continue
            holders = self._values[name][value]
            holders.discard(pixel_id)
            if not holders:
                del self._values[name][value]
        for column in self._columns.values():
            column.pop(pixel_id, None)

    def select(self, conditions: Iterable[Condition]) -> Sequence[int]:
        """The ids that meet every condition, ascending (all ids when there are none).

        Conditions answered from the value sets go first, so the scans that follow only
        look at the ids still in the running.
        """
        found: set[int] | None = None
        for condition in sorted(conditions, key=self._cost):
            found = self._narrow(condition, found)
            if not found:
                return []
        return self.ids if found is None else sorted(found)

    def ordered(self, ids: Sequence[int], field: str, descending: bool) -> Sequence[int]:
        """``ids`` (ascending, as ``select`` gives them) ordered by ``field``: the id or a
        field of ``SCANNED``. Stable: ids with the same value keep ascending id order in
        either direction, so pages cut from the result never overlap; ids without a number
        in the field come last."""
        if field == ID_FIELD:
            return ids[::-1] if descending else ids
        column = self._columns[field]
        having = [pixel_id for pixel_id in ids if _number(column.get(pixel_id))]
        lacking = [pixel_id for pixel_id in ids if not _number(column.get(pixel_id))]
        # sorted() keeps equal items in their order, reverse=True included.
        return sorted(having, key=column.__getitem__, reverse=descending) + lacking

    def _cost(self, condition: Condition) -> int:
        if isinstance(condition, Equals):
            return 0
        if isinstance(condition, Either):
            return max(map(self._cost, condition.parts), default=0)
        if isinstance(condition, Compare):
            return 1 if condition.field in self._values else 2
        return 3

    def _narrow(self, condition: Condition, within: set[int] | None) -> set[int]:
        """The ids of ``within`` (``None``: of all) that meet ``condition``.

        May return one of the index's own sets: callers never change what they get.
        """
        if isinstance(condition, Either):
            return set().union(*(self._narrow(part, within) for part in condition.parts))
        if isinstance(condition, Contains):
            found: set[int] = set()
            for name in condition.fields:
                found |= _containing(self._columns[name], within, condition.text)
            return found
        if isinstance(condition, Equals) and condition.field == ID_FIELD:
            sets = [{value for value in condition.values if value in self._facts}]
        elif isinstance(condition, Equals):
            by_value = self._values[condition.field]
            sets = [by_value[v] for v in condition.values if v in by_value]
        else:
            test = _COMPARE[condition.op]
            value = condition.value
            if condition.field not in self._values:
                column = self._columns[condition.field]
                return _scan(column, within, lambda found: _number(found) and test(found, value))
            by_value = self._values[condition.field]
            sets = [ids for key, ids in by_value.items() if _number(key) and test(key, value)]
        matched = sets[0] if len(sets) == 1 else set().union(*sets)
        return matched if within is None else within & matched


def _containing(column: Mapping[int, str], within: set[int] | None, text: str) -> set[int]:
    """The ids of ``within`` (``None``: of the column) whose text contains ``text``.

    ``_scan`` with the test written in place: a call per postback would double the cost.
    """
    if within is None or len(within) >= len(column):
        found = {pixel_id for pixel_id, value in column.items() if text in value}
        return found if within is None else found & within
    return {pixel_id for pixel_id in within if text in column.get(pixel_id, "")}


def _scan(
    column: Mapping[int, Any], within: set[int] | None, keep: Callable[[Any], bool]
) -> set[int]:
    """The ids of ``within`` (``None``: of the column) whose value in ``column`` passes
    ``keep``; walks whichever of the two is smaller."""
    if within is None or len(within) >= len(column):
        found = {pixel_id for pixel_id, value in column.items() if keep(value)}
        return found if within is None else found & within
    missing = _ABSENT
    return {
        pixel_id
        for pixel_id in within
        if (value := column.get(pixel_id, missing)) is not missing and keep(value)
    }
