"""``everflow-contract --recording FILE``: the body checks on a recording of production.

``everflow-mock record`` (or ``proxy --record``) writes production's postbacks as a data
file; this judges each one by the spec with the same checks the live run applies to an
answer's body (``openapi.remote.checks.judge_record``), and tracks drift (undocumented
fields, documented ones never sent) across them. No network and no key: CI without a key
re-checks the spec against production's last recorded answers whenever the spec changes.
"""

from __future__ import annotations

import json
from pathlib import Path

from openapi.files import MAX_INPUT_BYTES, TooLarge, read_capped
from openapi.remote.checks import DriftTracker, as_int, judge_record
from openapi.remote.findings import Finding, Report
from openapi.remote.targets import BASE_URL_EXAMPLE

MAX_RECORDING_BYTES = MAX_INPUT_BYTES
"""The largest recording read (a postback is a few kilobytes)."""


class RecordingError(ValueError):
    """The recording cannot be read as a JSON array; the message names the file."""


def _records(path: Path) -> list[object]:
    try:
        # a bounded read, not the size stat reports: a FIFO or a device has none
        records = json.loads(read_capped(path, MAX_RECORDING_BYTES).decode("utf-8"))
    except TooLarge as error:
        raise RecordingError(f"{path}: {error}") from None
    except OSError as error:
        raise RecordingError(f"{path}: cannot read: {error.strerror or error}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise RecordingError(f"{path}: not a JSON array of postbacks ({error})") from None
    if not isinstance(records, list):
        raise RecordingError(f"{path}: not a JSON array of postbacks")
    return records


def recording_report(path: str | Path, *, strict: bool = False) -> Report:
    """A report of every recorded postback judged by the spec, as the answer to a read of
    its own id; ``RecordingError`` when the file is no recording."""
    path = Path(path)
    target = f"recording {path.name}"
    report = Report(target, strict=strict)
    drift = DriftTracker(target)
    first_of: dict[int, int] = {}
    for index, record in enumerate(_records(path)):
        probe = f"record {index}"
        report.probes.append(probe)
        if not isinstance(record, dict):
            report.add(
                [Finding(target, probe, None, "type", "$", "an object", type(record).__name__)]
            )
            continue
        pixel_id = as_int(record.get("network_pixel_id"))
        if pixel_id is not None and first_of.setdefault(pixel_id, index) != index:
            # ``serve --data`` refuses such a file: one id names one postback
            expected = "an id no other record has"
            actual = f"the id of record {first_of[pixel_id]}"
            finding = Finding(
                target, probe, pixel_id, "duplicate_id", "$.network_pixel_id", expected, actual
            )
            report.add([finding])
        report.add(judge_record(target, probe, record, BASE_URL_EXAMPLE))
        report.add(drift.observe(probe, pixel_id, record))
    report.add(drift.never_present())
    return report
