"""Load ``--data FILE``: a JSON array or YAML list of postbacks, all checked before serving.

Records are read, checked and encoded one at a time (a JSON array element by element), so
a big file is never held parsed: what stays is the file's text while it is read and the
bytes the mock will send. Every problem of every record is reported at once, and nothing
of a bad file is loaded.
"""

from __future__ import annotations

from pathlib import Path

from mock_server.data.records import EncodedPostbacks, InvalidRecords, RecordChecker
from mock_server.data.strictjson import StrictJSONError, iter_array
from openapi.files import MAX_INPUT_BYTES, TooLarge, read_capped

MAX_DATA_BYTES = MAX_INPUT_BYTES
"""The largest data file read (a postback is a few kilobytes)."""


class DataFileError(ValueError):
    """The data file cannot be served; the message names the file and every problem."""


def _text(path: Path) -> str:
    try:
        data = read_capped(path, MAX_DATA_BYTES)  # bounded, whatever the file: a FIFO has no size
    except TooLarge as error:
        raise DataFileError(f"{path}: {error}") from None
    except OSError as error:
        raise DataFileError(f"{path}: cannot read: {error.strerror or error}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        raise DataFileError(
            f"{path}: starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without one"
        )
    if not data.strip():
        raise DataFileError(
            f"{path}: the file is empty; expected a JSON array or YAML list of postbacks"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DataFileError(f"{path}: not UTF-8 (byte {error.start})") from None


def _check(path: Path, text: str, checker: RecordChecker) -> None:
    if path.suffix.lower() in (".yaml", ".yml"):
        from mock_server.data.strictyaml import YAMLDataError, read_records  # PyYAML only when used

        try:
            for record, problems in read_records(text):
                checker.add(record, problems)
        except YAMLDataError as bad:
            raise DataFileError(f"{path}: {bad}") from None
        return
    try:
        for record, problem in iter_array(text):
            checker.add(record, [str(problem)] if problem else [])
    except StrictJSONError as error:
        if error.problem.startswith("expected a JSON array"):
            found = error.problem.removeprefix("expected a JSON array, ")
            raise DataFileError(f"{path}: expected a JSON array of postbacks, {found}") from None
        raise DataFileError(f"{path}: {error}") from None


def load_data_file(path: str | Path, *, allow_drift: bool = False) -> EncodedPostbacks:
    """Every postback in the file, validated and encoded, or ``DataFileError`` naming the
    file and, for each bad record, its index, its id and every field and rule it breaks.
    With ``allow_drift`` a postback that breaks only the spec's rules (drift recorded from
    production) is kept as it is; one that cannot be served (no id, a duplicate) is not.

    The result is a sequence of the postbacks (each decoded when read) that a
    ``MockConfig`` takes as its ``postbacks`` without validating them again.
    """
    path = Path(path)
    checker = RecordChecker(allow_drift=allow_drift)
    try:
        _check(path, _text(path), checker)
        return checker.result()
    except InvalidRecords as invalid:
        lines = invalid.lines()
        raise DataFileError("\n".join([f"{path}: {lines[0]}", *lines[1:]])) from None
