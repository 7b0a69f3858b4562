"""Load ``--data FILE``: a JSON array or YAML list of postbacks, all checked before serving;
or the object form, a JSON object or YAML mapping ``{"postbacks": [...], "offers": [...],
"affiliates": [...]}`` that also carries offers and partners (each checked against the
spec's ``Offer`` and ``Affiliate``): what ``everflow-mock record`` writes.

Records of a JSON array are read, checked and encoded one at a time (element by element),
so a big file is never held parsed: what stays is the file's text while it is read and the
bytes the mock will send. The object form, and YAML, are parsed whole. Every problem of every record
is reported at once, and nothing of a bad file is loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mock_server.data.records import MAX_ID, EncodedPostbacks, InvalidRecords, RecordChecker
from mock_server.data.strictjson import StrictJSONError, iter_array, loads
from openapi.files import MAX_INPUT_BYTES, TooLarge, read_capped
from openapi.record_kinds import KEYS, NEIGHBOURS

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


MAX_NEIGHBOUR_PROBLEMS = 20
LIST = {"JSON": "a JSON array", "YAML": "a YAML list"}
"""What the object form's lists are called, by the file's format."""


def _neighbours(
    document: dict[str, Any], form: str, allow_drift: bool
) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """The object form's offers and affiliates, and what is wrong with them, each problem by
    list, index and id; ``allow_drift`` as ``load_data_file`` takes it (an id above
    ``MAX_ID``, as a postback's, cannot be served either)."""
    from openapi import schema_violations

    problems: list[str] = []
    found: dict[str, list[dict[str, Any]]] = {}
    for kind in NEIGHBOURS:
        key, schema, id_field = kind.key, kind.schema, kind.id_field
        entries = document.get(key, [])
        if not isinstance(entries, list):
            problems.append(f"{key}: expected {LIST[form]}")
            continue
        seen: set[int] = set()
        for index, entry in enumerate(entries):
            where = f"{key}[{index}]"
            if not isinstance(entry, dict):
                problems.append(
                    f"{where}: expected {'a JSON object' if form == 'JSON' else 'a mapping'}"
                )
                continue
            entity_id = entry.get(id_field)
            if type(entity_id) is not int or entity_id < 1:
                problems.append(f"{where}: $.{id_field}: expected a positive integer")
                continue
            if entity_id > MAX_ID:  # a GET could never name it
                problems.append(f"{where}: $.{id_field}: above {MAX_ID}, so never served")
                continue
            if entity_id in seen:
                problems.append(f"{where} (id {entity_id}): duplicate id")
            seen.add(entity_id)
            if not allow_drift:
                problems += [
                    f"{where} (id {entity_id}): {v}" for v in schema_violations(entry, schema)
                ]
        found[key] = [e for e in entries if isinstance(e, dict)]
    return found, problems


def _check_object(
    path: Path, document: dict[str, Any], form: str, checker: RecordChecker
) -> dict[str, list[dict[str, Any]]]:
    """The object form (parsed from JSON or YAML, ``form``): its postbacks into
    ``checker`` (named ``postbacks[i]``), its offers and affiliates checked; a
    ``DataFileError`` naming every problem of all three lists at once."""
    _check_keys(path, set(document), form)
    postbacks = document.get("postbacks", [])
    if not isinstance(postbacks, list):
        raise DataFileError(f"{path}: postbacks: expected {LIST[form]} of postbacks")
    neighbours, problems = _neighbours(document, form, checker.allow_drift)
    checker.where = "postbacks"
    for record in postbacks:
        checker.add(record)
    if problems:
        shown = problems[:MAX_NEIGHBOUR_PROBLEMS]
        more = len(problems) - len(shown)
        lines = [f"{path}: invalid offers or affiliates:", *(f"  {p}" for p in shown)]
        lines += [f"  ... and {more} more"] if more else []
        try:
            checker.result()
        except InvalidRecords as invalid:  # the postbacks' problems too, in the same run
            lines += invalid.lines()
        raise DataFileError("\n".join(lines))
    return neighbours


def _check_keys(path: Path, found: set[str], form: str) -> None:
    """``DataFileError`` unless the object form's keys, ``found``, are among its own."""
    keys = set(KEYS)
    if not keys & found:  # a postback alone, say: the commoner mistake
        shape = "an object" if form == "JSON" else "a mapping"
        raise DataFileError(
            f"{path}: expected {LIST[form]} of postbacks, found {shape} (the object form "
            "holds postbacks, offers and affiliates under those keys)"
        )
    unknown = sorted(found - keys)
    if unknown:
        raise DataFileError(
            f"{path}: unknown key {unknown[0]!r}; the object form has postbacks, offers and affiliates"
        )


def _check_yaml(
    path: Path, text: str, checker: RecordChecker
) -> dict[str, list[dict[str, Any]]] | None:
    """A YAML file into ``checker``: a list of postbacks (``None``: no offers or
    affiliates), or the object form (its offers and affiliates). A value that is not
    plain data is refused by its path (``$.postbacks[3].pixel_status``)."""
    from mock_server.data.strictyaml import YAMLDataError, YAMLDocument  # PyYAML only when used

    try:
        document = YAMLDocument(text)
        if not document.is_mapping:
            for record, problems in document.records():
                checker.add(record, problems)
            return None
        _check_keys(path, document.keys(), "YAML")  # before building: a mapping may be a bomb
        whole, problems = document.whole()
    except YAMLDataError as bad:
        raise DataFileError(f"{path}: {bad}") from None
    if problems:
        raise DataFileError("\n".join([f"{path}: not plain data:", *(f"  {p}" for p in problems)]))
    return _check_object(path, whole, "YAML", checker)


def load_data_file(path: str | Path, *, allow_drift: bool = False) -> EncodedPostbacks:
    """Every postback in the file, validated and encoded, or ``DataFileError`` naming the
    file and, for each bad record, its index, its id and every field and rule it breaks.
    With ``allow_drift`` a postback, offer or affiliate that breaks only the spec's rules
    (drift recorded from production) is kept as it is; one that cannot be served (no id, a
    duplicate) is not.

    The result is a sequence of the postbacks (each decoded when read) that a
    ``MockConfig`` takes as its ``postbacks`` without validating them again; with the
    object form's offers and affiliates as its ``neighbours``.
    """
    path = Path(path)
    checker = RecordChecker(allow_drift=allow_drift)
    try:
        text = _text(path)
        neighbours = None
        if path.suffix.lower() in (".yaml", ".yml"):
            neighbours = _check_yaml(path, text, checker)
        elif text.lstrip().startswith("{"):
            neighbours = _check_object(path, loads(text), "JSON", checker)
        else:
            for record, problem in iter_array(text):
                checker.add(record, [str(problem)] if problem else [])
        result = checker.result()
    except StrictJSONError as error:  # the file's JSON, not a record's (``checker`` has those)
        found = error.problem.removeprefix("expected a JSON array, ")
        said = error if found == error.problem else f"expected a JSON array of postbacks, {found}"
        raise DataFileError(f"{path}: {said}") from None
    except InvalidRecords as invalid:
        raise DataFileError(f"{path}: {invalid}") from None
    return result if neighbours is None else EncodedPostbacks(dict(result.encoded), neighbours)
