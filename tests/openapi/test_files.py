"""Files written whole or not at all, only over regular files; inputs read up to a cap."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from openapi.files import NotRegularFile, TooLarge, check_output, read_capped, write_whole


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


def test_a_new_name_and_a_regular_file_may_be_written(tmp_path: Path) -> None:
    (tmp_path / "old.json").write_bytes(b"old")
    assert check_output(tmp_path / "old.json") == tmp_path / "old.json"
    assert check_output(str(tmp_path / "new.json")) == tmp_path / "new.json"


def test_a_link_to_a_regular_file_is_replaced_and_the_file_it_named_left_alone(
    tmp_path: Path,
) -> None:
    (tmp_path / "real.json").write_bytes(b"old")
    (tmp_path / "link.json").symlink_to(tmp_path / "real.json")
    write_whole(tmp_path / "link.json", b"new")
    assert (tmp_path / "real.json").read_bytes() == b"old"
    assert not (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "link.json").read_bytes() == b"new"


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("", "'': an empty name names no file"),
        ("   ", "'   ': an empty name names no file"),
        ("/dev/null", "/dev/null: a device; only a regular file is written"),
    ],
)
def test_an_empty_name_or_a_device_is_no_output(name: str, said: str) -> None:
    with pytest.raises(NotRegularFile) as refused:
        check_output(name)
    assert str(refused.value) == said
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_folder_or_a_missing_folder_is_no_output(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile, match="a folder; only a regular file is written"):
        check_output(tmp_path)
    with pytest.raises(NotRegularFile, match=f"no folder {tmp_path / 'missing'}"):
        check_output(tmp_path / "missing" / "out.json")


def test_a_fifo_or_a_link_to_one_is_refused_and_left_as_it_was(
    tmp_path: Path, fifo: Callable[..., Path]
) -> None:
    pipe = fifo("pipe")
    (tmp_path / "link").symlink_to(pipe)
    for target in (pipe, tmp_path / "link"):
        with pytest.raises(NotRegularFile, match=r"a FIFO \(named pipe\)"):
            write_whole(target, b"new")
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert (tmp_path / "link").is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "pipe"]


def test_a_name_that_becomes_a_fifo_while_written_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "data.json"
    real_fsync = os.fsync

    def meanwhile(fd: int) -> None:
        real_fsync(fd)
        os.mkfifo(target)

    monkeypatch.setattr(os, "fsync", meanwhile)
    with pytest.raises(NotRegularFile):
        write_whole(target, b"new")
    assert stat.S_ISFIFO(target.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


def test_an_input_is_read_up_to_its_cap_whatever_the_file(fifo: Callable[..., Path]) -> None:
    assert read_capped(fifo("small", b"x" * 100), 100) == b"x" * 100
    with pytest.raises(TooLarge, match="larger than 100 bytes"):
        read_capped(fifo("large", b"x" * 1_000_000), 100)
