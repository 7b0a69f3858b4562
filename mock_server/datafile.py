"""Load ``--data FILE``: a JSON array or YAML list of postbacks, all checked before serving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from mock_server.records import InvalidRecords, check_records


class DataFileError(ValueError):
    """The data file cannot be served; the message names the file and every problem."""


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise DataFileError(f"{path}: not valid YAML: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DataFileError(f"{path}: not valid JSON: {error}") from None


def load_data_file(path: str | Path) -> list[dict[str, Any]]:
    """Every postback in the file, or ``DataFileError`` naming each bad record and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise DataFileError(f"{path}: cannot read: {reason}") from None
    data = _parse(path, text)
    if not isinstance(data, list):
        found = type(data).__name__
        raise DataFileError(
            f"{path}: expected a JSON array or YAML list of postbacks, found {found}"
        )
    problems = check_records(data)
    if problems:
        lines = InvalidRecords(problems, len(data)).lines()
        raise DataFileError("\n".join([f"{path}: {lines[0]}", *lines[1:]]))
    return data
