"""Recordings: production's postbacks as a data file the mock serves, scrubbed by default.

A ``Recording`` collects the postbacks of answers (a read of one, the items of a list
page) by id, and ``write`` turns them into a JSON array that ``everflow-mock serve --data``
and the fixtures load as it is, with a report next to it (``report_path``): how many values
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
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openapi.files import write_whole

if TYPE_CHECKING:
    from mock_server.proxy.scrub import Deadline

MAX_RECORDED = 10_000
MAX_RECORDED_BYTES = 64 * 1024 * 1024
"""Postbacks one recording holds, and their size as JSON (a postback is a few kilobytes);
more are counted in the report as not recorded, never dropped silently."""

REPORT_SUFFIX = ".scrub.json"


def report_path(out: str | Path) -> Path:
    """Where the report of the recording ``out`` is written: next to it."""
    out = Path(out)
    return out.with_name(out.name + REPORT_SUFFIX)


class Recording:
    """The postbacks seen so far, by id (a later answer replaces an earlier one), safe to
    add to from several threads."""

    def __init__(self, limit: int = MAX_RECORDED, max_bytes: int = MAX_RECORDED_BYTES) -> None:
        self._postbacks: dict[int, dict[str, Any]] = {}
        self._sizes: dict[int, int] = {}
        self._bytes = 0
        self._limit = limit
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self.not_recorded = 0
        """Postbacks seen but not kept: past ``limit``, or without an integer id."""

    def __len__(self) -> int:
        return len(self._postbacks)

    def add(self, postback: Any) -> None:
        """Keep ``postback`` (a JSON object with an integer ``network_pixel_id``)."""
        pixel_id = postback.get("network_pixel_id") if isinstance(postback, dict) else None
        size = len(json.dumps(postback, ensure_ascii=False))
        with self._lock:
            known = pixel_id in self._postbacks
            if (
                type(pixel_id) is not int
                or (not known and len(self._postbacks) >= self._limit)
                or self._bytes - self._sizes.get(pixel_id, 0) + size > self._max_bytes
            ):
                self.not_recorded += 1
                return
            self._bytes += size - self._sizes.get(pixel_id, 0)
            self._sizes[pixel_id] = size
            self._postbacks[pixel_id] = postback

    def add_answer(self, path: str, body: Any) -> None:
        """Keep the postbacks of a 200 answer to ``GET path`` (a path under ``/v1``): the
        postback of a read of one, the items of a list page."""
        if path.rstrip("/").endswith("/networks/pixels") and isinstance(body, dict):
            for item in body.get("pixels") or ():
                self.add(item)
        elif isinstance(body, dict) and "network_pixel_id" in body:
            self.add(body)

    def postbacks(self) -> list[dict[str, Any]]:
        """The postbacks kept, by id."""
        with self._lock:
            return [self._postbacks[i] for i in sorted(self._postbacks)]

    def write(
        self,
        out: str | Path,
        secrets: Iterable[str],
        *,
        scrub: bool = True,
        deadline: Deadline | None = None,
    ) -> Path:
        """Write the recording to ``out`` and its report next to it (``report_path``);
        returns the report's path. Scrubbed (``Scrubber``) unless ``scrub`` is false; past
        ``deadline``, scrubbing stops with ``OutOfTime`` and nothing is written."""
        from mock_server.proxy.scrub import Scrubber
        from openapi.fast_validation import violations
        from openapi.remote.checks import undocumented_paths
        from openapi.violations import component_schema

        out = Path(out)
        scrubber = Scrubber(secrets, deadline=deadline)
        originals = self.postbacks()
        scrubbed = [scrubber.postback(p) for p in originals] if scrub else originals
        key = scrubber.key if scrub else _escaped
        unwritable = [
            {"index": index, "network_pixel_id": original["network_pixel_id"], "path": path}
            for index, original in enumerate(originals)
            for path in _unwritable(original, "$", key)
        ]
        records = [_writable(record) for record in scrubbed]
        drift = [
            {
                "index": index,
                "network_pixel_id": original["network_pixel_id"],
                "violations": [
                    {"rule": v.name, "path": v.path, "keyword": v.keyword}
                    for v in violations(original)
                ],
            }
            for index, original in enumerate(originals)
        ]
        schema = component_schema("PartnerPostback")
        undocumented = [  # of the records written: their keys, scrubbed
            {
                "index": index,
                "network_pixel_id": record["network_pixel_id"],
                "paths": list(undocumented_paths(record, schema)),
            }
            for index, record in enumerate(records)
        ]
        report = _writable(
            {
                "recording": out.name,
                "postbacks": len(records),
                "not_recorded": self.not_recorded,
                "scrubbed": scrub,
                "values_scrubbed": sum(scrubber.counts.values()),
                "paths": dict(sorted(scrubber.counts.items())),
                "drift": [entry for entry in drift if entry["violations"]],
                "undocumented": [entry for entry in undocumented if entry["paths"]],
                "unwritable": unwritable,
            }
        )
        report_file = report_path(out)
        write_whole(report_file, _dumps(report))
        try:
            write_whole(out, _dumps(records))
        except BaseException:  # Ctrl-C included: no report of a recording not written
            report_file.unlink(missing_ok=True)
            raise
        return report_file


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


def drift_ids(report: Mapping[str, Any]) -> list[int]:
    """The ids a recording's report marks as breaking the spec."""
    return [entry["network_pixel_id"] for entry in report.get("drift", ())]
