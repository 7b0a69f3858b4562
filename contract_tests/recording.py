"""``everflow-contract --recording FILE``: the body checks on a recording of production.

``everflow-mock record`` (or ``proxy --record``) writes production's postbacks, and the
offers and affiliates they name, as a data file; this judges each one by the spec with the
same checks the live run applies to an answer's body (``openapi.remote.checks.judge_record``:
a postback as the answer to a read of its id, an offer or affiliate as the answer to
``getOffer`` or ``getAffiliate``), and tracks drift (undocumented fields; for postbacks,
documented ones never sent) across them. A JSON array of postbacks (an older recording)
is read too. No network and no key: CI without a key
re-checks the spec against production's last recorded answers whenever the spec changes.
"""

from __future__ import annotations

import json
from pathlib import Path

from openapi.files import MAX_INPUT_BYTES, TooLarge, read_capped
from openapi.record_kinds import KEYS, KINDS, Kind
from openapi.remote.checks import DriftTracker, as_int, judge_record
from openapi.remote.findings import Finding, Report
from openapi.remote.targets import BASE_URL_EXAMPLE

MAX_RECORDING_BYTES = MAX_INPUT_BYTES
"""The largest recording read (a postback is a few kilobytes)."""


class RecordingError(ValueError):
    """The file cannot be read as a recording; the message names the file."""


SHAPE = "a JSON array of postbacks, or an object of postbacks, offers and affiliates"


def _records(path: Path) -> dict[str, list[object]]:
    """The recording's lists by key (``postbacks``, ``offers``, ``affiliates``): a JSON
    array is postbacks alone, an object (``everflow-mock record``'s) has the three."""
    try:
        # a bounded read, not the size stat reports: a FIFO or a device has none
        document = json.loads(read_capped(path, MAX_RECORDING_BYTES).decode("utf-8"))
    except TooLarge as error:
        raise RecordingError(f"{path}: {error}") from None
    except OSError as error:
        raise RecordingError(f"{path}: cannot read: {error.strerror or error}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise RecordingError(f"{path}: not {SHAPE} ({error})") from None
    if isinstance(document, list):
        return {"postbacks": document}
    if (
        not isinstance(document, dict)
        or "postbacks" not in document
        or not set(KEYS) >= set(document)
    ):
        raise RecordingError(f"{path}: not {SHAPE}")
    lists = {key: document.get(key, []) for key in KEYS}
    for key, records in lists.items():
        if not isinstance(records, list):
            raise RecordingError(f"{path}: {key}: not a JSON array")
    return lists


def recording_report(path: str | Path, *, strict: bool = False) -> Report:
    """A report of every recorded postback judged by the spec, as the answer to a read of
    its own id, and of every recorded offer and affiliate as the answer to a read of its
    own; ``RecordingError`` when the file is no recording."""
    path = Path(path)
    target = f"recording {path.name}"
    report = Report(target, strict=strict)
    lists = _records(path)
    for kind in KINDS:
        _judge(report, target, lists.get(kind.key, []), kind)
    return report


def _judge(report: Report, target: str, records: list[object], kind: Kind) -> None:
    """Judge the recorded ``records`` of ``kind`` into ``report``: each as the answer to a
    read of its own id, a repeated id as ``serve --data`` refuses it, and fields the spec
    does not document as drift warnings."""
    drift = DriftTracker(target, kind.schema)
    first_of: dict[int, int] = {}
    postback = kind.name == "postback"
    named = "record" if postback else kind.name  # a postback is "record N", as reports say
    for index, record in enumerate(records):
        probe = f"{named} {index}"
        report.probes.append(probe)
        if not isinstance(record, dict):
            report.add(
                [Finding(target, probe, None, "type", "$", "an object", type(record).__name__)]
            )
            continue
        record_id = as_int(record.get(kind.id_field))
        pixel_id = record_id if postback else None
        if record_id is not None and first_of.setdefault(record_id, index) != index:
            # ``serve --data`` refuses such a file: one id names one record
            expected = "an id no other record has"
            actual = f"the id of {named} {first_of[record_id]}"
            report.add(
                [
                    Finding(
                        target,
                        probe,
                        pixel_id,
                        "duplicate_id",
                        f"$.{kind.id_field}",
                        expected,
                        actual,
                    )
                ]
            )
        read = None  # a postback: judged as the answer to a read of its own id, checked too
        if not postback:
            read = kind.read.format(record_id if record_id is not None and record_id > 0 else 1)
        report.add(judge_record(target, probe, record, BASE_URL_EXAMPLE, read))
        report.add(drift.observe(probe, pixel_id, record))
    if postback:  # documented fields never sent
        report.add(drift.never_present())
