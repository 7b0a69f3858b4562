"""Files written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openapi.files import write_whole


@pytest.mark.parametrize("sync", [True, False])
def test_the_data_replaces_the_file_and_nothing_else_is_left(tmp_path: Path, sync: bool) -> None:
    target = tmp_path / "data.json"
    target.write_bytes(b"old")
    write_whole(target, b"new", sync=sync)
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
def test_a_write_stopped_before_the_rename_leaves_the_old_file_and_no_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]
) -> None:
    target = tmp_path / "data.json"
    target.write_bytes(b"old")

    def stopped(source: str, destination: str) -> None:
        raise stop

    monkeypatch.setattr(os, "replace", stopped)
    with pytest.raises(stop):
        write_whole(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]
