"""Files written whole or not at all."""

from __future__ import annotations

import os
import threading
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


def test_threads_writing_one_file_at_once_each_leave_a_whole_one(tmp_path: Path) -> None:
    target = tmp_path / "data.json"
    bodies = [bytes([65 + n]) * 1_000_000 for n in range(4)]
    failed: list[BaseException] = []

    def write(body: bytes) -> None:
        try:
            write_whole(target, body, sync=False)
        except BaseException as error:  # the test reports it
            failed.append(error)

    threads = [threading.Thread(target=write, args=(body,)) for body in bodies * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failed == []
    assert target.read_bytes() in bodies
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]
