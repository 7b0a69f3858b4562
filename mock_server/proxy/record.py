"""Recordings: production's postbacks as a data file the mock serves, scrubbed by default.

A ``Recording`` collects the postbacks of answers (a read of one, the items of a list
page) by id, and the offers and affiliates (partners) of reads of one, and ``write`` turns
them into the data file's object form (``{"postbacks": [...], "offers": [...],
"affiliates": [...]}``) that ``everflow-mock serve --data`` and the fixtures load as it is,
the offers and affiliates scrubbed by the same scrubber so that their names are the
stand-ins their postbacks carry, with a report next to it (``report_path``): how many values
were scrubbed at which path, which postbacks break the spec (drift), by rule and path, and
which carry fields the spec does not document (``undocumented``), by path; never a value.
A postback that breaks the spec is recorded all the same (it is evidence); ``serve --data``
refuses it, naming it, unless ``--allow-drift``. Undocumented fields break no rule of the
spec (as in the contract suite, they are a warning): they are recorded, and served.
A string UTF-8 cannot encode (a lone surrogate) is written as its escape and named in the
report (``unwritable``, by record and path): it never costs the rest of the recording.

Both files are written whole or not at all (a temporary file, then a rename): Ctrl-C or
SIGTERM while one is written leaves no file, or the one before, never half of one.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openapi.files import write_whole
from openapi.record_kinds import KEYS, KINDS, NEIGHBOURS
from openapi.record_kinds import Kind as RecordKind

if TYPE_CHECKING:
    from mock_server.proxy.scrub import Deadline, Scrubber

MAX_RECORDED = 10_000
MAX_RECORDED_BYTES = 64 * 1024 * 1024
"""Postbacks one recording holds, and their size as JSON (a postback is a few kilobytes);
more are counted in the report as not recorded, never dropped silently."""


def report_path(out: str | Path) -> Path:
    """Where the report of the recording ``out`` is written: next to it."""
    out = Path(out)
    return out.with_name(out.name + ".scrub.json")


OFFER_READ = re.compile(r"(?:/v1)?/networks/offers/([0-9]+)/?")
AFFILIATE_READ = re.compile(r"(?:/v1)?/networks/affiliates/([0-9]+)/?")
"""The reads of one offer and of one affiliate whose answers a recording keeps."""


class _Kept:
    """Records of one kind by id (a later one replaces an earlier), bounded in number;
    their bytes are counted against the recording's one budget."""

    def __init__(self, id_field: str) -> None:
        self.id_field = id_field
        self.records: dict[int, dict[str, Any]] = {}
        self.sizes: dict[int, int] = {}
        self.not_recorded = 0


class Recording:
    """The postbacks seen so far, by id (a later answer replaces an earlier one), and the
    offers and affiliates (partners) read whole, safe to add to from several threads."""

    def __init__(self, limit: int = MAX_RECORDED, max_bytes: int = MAX_RECORDED_BYTES) -> None:
        self._kept = {kind.key: _Kept(kind.id_field) for kind in KINDS}
        self._bytes = 0
        self._limit = limit
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    @property
    def not_recorded(self) -> int:
        """Postbacks seen but not kept: past ``limit``, or without an integer id."""
        return self._kept["postbacks"].not_recorded

    def __len__(self) -> int:
        return len(self._kept["postbacks"].records)

    def add(self, postback: Any) -> None:
        """Keep ``postback`` (a JSON object with an integer ``network_pixel_id``)."""
        self._add("postbacks", postback)

    def add_offer(self, offer: Any) -> None:
        """Keep ``offer`` (an offer as ``getOffer`` answers it, with an integer id). A
        later read replaces an earlier one but for the related data (``relationship``)
        the earlier asked for and the later did not: a client that reads an offer with its
        payout/revenue entries, then without, leaves the entries in the recording."""
        offer_id = offer.get("network_offer_id") if isinstance(offer, dict) else None
        if type(offer_id) is int and isinstance(offer.get("relationship"), dict):
            with self._lock:
                earlier = self._kept["offers"].records.get(offer_id)
            related = earlier.get("relationship") if earlier is not None else None
            if isinstance(related, dict):
                offer = {**offer, "relationship": {**related, **offer["relationship"]}}
        self._add("offers", offer)

    def add_affiliate(self, affiliate: Any) -> None:
        """Keep ``affiliate`` (as ``getAffiliate`` answers it, with an integer id)."""
        self._add("affiliates", affiliate)

    def _add(self, key: str, record: Any) -> None:
        kept = self._kept[key]
        record_id = record.get(kept.id_field) if isinstance(record, dict) else None
        size = len(json.dumps(record, ensure_ascii=False))
        with self._lock:
            known = record_id in kept.records
            if (
                type(record_id) is not int
                or (not known and len(kept.records) >= self._limit)
                or self._bytes - kept.sizes.get(record_id, 0) + size > self._max_bytes
            ):
                kept.not_recorded += 1
                return
            self._bytes += size - kept.sizes.get(record_id, 0)
            kept.sizes[record_id] = size
            kept.records[record_id] = record

    def add_answer(self, path: str, body: Any) -> None:
        """Keep what a 200 answer to ``GET path`` (under the base URL, ``/v1`` or not)
        holds: the postback of a read of one, the items of a list page, the offer of a read
        of one offer, the affiliate of a read of one affiliate."""
        if not isinstance(body, dict):
            return
        if OFFER_READ.fullmatch(path):
            self.add_offer(body)
        elif AFFILIATE_READ.fullmatch(path):
            self.add_affiliate(body)
        elif path.rstrip("/").endswith("/networks/pixels"):
            for item in body.get("pixels") or ():
                self.add(item)
        elif "network_pixel_id" in body:
            self.add(body)

    def postbacks(self) -> list[dict[str, Any]]:
        """The postbacks kept, by id."""
        return self.records("postbacks")

    def said(self) -> str:
        """What the recording holds, as the commands say it: ``5 postbacks, 1 offer and 2
        partners``."""
        from openapi.text import counted

        with self._lock:
            postbacks, offers, partners = (
                counted(len(self._kept[key].records), noun)
                for key, noun in zip(KEYS, ("postback", "offer", "partner"), strict=True)
            )
        return f"{postbacks}, {offers} and {partners}"

    def named(self) -> dict[str, set[int]]:
        """The ids of the offers and affiliates the postbacks kept name, by the data file's
        key (``offers``, ``affiliates``): by level, as the mock's references are judged
        (``World.missing``: an offer unless ``global``, a partner unless ``global_offer``)."""
        from mock_server.state.world import World

        fields = {kind.id_field: kind.key for kind in NEIGHBOURS}
        named: dict[str, set[int]] = {kind.key: set() for kind in NEIGHBOURS}
        for postback in self.postbacks():
            for field, named_id in World().missing(postback):
                if field in fields:
                    named[fields[field]].add(named_id)
        return named

    def records(self, key: str) -> list[dict[str, Any]]:
        """The records kept under the data file's ``key`` (``postbacks``, ``offers``,
        ``affiliates``), by id."""
        with self._lock:
            records = self._kept[key].records
            return [records[i] for i in sorted(records)]

    def write(
        self,
        out: str | Path,
        secrets: Iterable[str],
        *,
        scrub: bool = True,
        deadline: Deadline | None = None,
    ) -> Path:
        """Write the recording to ``out`` and its report next to it (``report_path``; the
        module's docstring says what each holds); returns the report's path. Scrubbed
        (``Scrubber``) unless ``scrub`` is false; past ``deadline``, scrubbing stops with
        ``OutOfTime`` and nothing is written. The report also says how many of each kind
        were recorded and not, and which offers and affiliates the postbacks name are not
        in the recording (``missing``: ``serve --data`` fills them in from the postbacks)."""
        from mock_server.proxy.scrub import Scrubber

        out = Path(out)
        scrubber = Scrubber(secrets, deadline=deadline)
        postbacks, *neighbours = KINDS
        records, report = _section(self.postbacks(), postbacks, scrubber, scrub)
        written: dict[str, Any] = {postbacks.key: records}
        sections: dict[str, dict[str, Any]] = {}
        named = self.named()
        for kind in neighbours:
            key = kind.key
            originals = self.records(key)
            written[key], section = _section(originals, kind, scrubber, scrub)
            recorded = {record[kind.id_field] for record in originals}
            sections[key] = {
                "recorded": len(originals),
                "not_recorded": self._kept[key].not_recorded,
                "missing": sorted(named[key] - recorded),
                **section,
            }
        document = _writable(
            {
                "recording": out.name,
                "postbacks": len(records),
                "not_recorded": self.not_recorded,
                "scrubbed": scrub,
                "values_scrubbed": sum(sum(c.values()) for c in scrubber.counts_of.values()),
                **report,
                **sections,
            }
        )
        report_file = report_path(out)
        write_whole(report_file, _dumps(document))
        try:
            write_whole(out, _dumps(written))
        except BaseException:  # Ctrl-C included: no report of a recording not written
            report_file.unlink(missing_ok=True)
            raise
        return report_file


def _section(
    originals: list[dict[str, Any]], kind: RecordKind, scrubber: Scrubber, scrub: bool
) -> tuple[list[Any], dict[str, Any]]:
    """The records of one kind as written (scrubbed unless ``scrub`` is false, and
    writable), and their part of the report: the paths scrubbed, drift (by the kind's
    schema), undocumented fields and unwritable values, each entry naming its record by
    index and id."""
    from openapi.fast_validation import violations
    from openapi.remote.checks import undocumented_paths
    from openapi.violations import component_schema

    name, schema, id_field = kind.name, kind.schema, kind.id_field
    scrubbed = [scrubber.record(r, name) for r in originals] if scrub else originals
    key = scrubber.key if scrub else _escaped
    unwritable = [
        {"index": index, id_field: original[id_field], "path": path}
        for index, original in enumerate(originals)
        for path in _unwritable(original, "$", key)
    ]
    records = [_writable(record) for record in scrubbed]
    drift = [
        {
            "index": index,
            id_field: original[id_field],
            "violations": [
                {"rule": v.name, "path": v.path, "keyword": v.keyword}
                for v in violations(original, schema)
            ],
        }
        for index, original in enumerate(originals)
    ]
    documented = component_schema(schema)
    undocumented = [  # of the records written: their keys, scrubbed
        {
            "index": index,
            id_field: record[id_field],
            "paths": list(undocumented_paths(record, documented)),
        }
        for index, record in enumerate(records)
    ]
    return records, {
        "paths": dict(sorted(scrubber.counts_of[name].items())),
        "drift": [entry for entry in drift if entry["violations"]],
        "undocumented": [entry for entry in undocumented if entry["paths"]],
        "unwritable": unwritable,
    }


def _escaped(text: str) -> str:
    """``text`` as UTF-8 can hold it: a lone surrogate (``\\ud800``) written as its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _unwritable(value: Any, path: str, key: Callable[[str], str]) -> Iterator[str]:
    """The paths of every key or string in ``value`` that UTF-8 cannot encode, once per
    place (a key and its string value both unwritable are one place), named as
    ``undocumented`` names them (``field_path``, of the key as ``key`` writes it)."""
    from openapi.remote.checks import field_path  # jsonschema: loaded when first written

    if isinstance(value, dict):
        for name, item in value.items():
            inner = field_path(path, _escaped(key(name)))
            if _escaped(name) != name and not (isinstance(item, str) and _escaped(item) != item):
                yield inner  # else the value's own entry names the place
            yield from _unwritable(item, inner, key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unwritable(item, f"{path}[{index}]", key)
    elif isinstance(value, str) and _escaped(value) != value:
        yield path


def _writable(value: Any) -> Any:
    """``value`` with every key and string UTF-8 cannot encode escaped (``_escaped``)."""
    if isinstance(value, dict):
        return {_escaped(k): _writable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_writable(item) for item in value]
    return _escaped(value) if isinstance(value, str) else value


def _dumps(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()
