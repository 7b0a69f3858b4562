"""The kit's cache files: read back only as written, never a reason to fail."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from openapi import cache


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_what_is_written_is_read_back(folder: Path) -> None:
    assert cache.read("thing") is None
    cache.write("thing", b'{"a": 1}\nline two')
    assert cache.read("thing") == b'{"a": 1}\nline two'
    assert (folder / "thing").exists()


def test_a_changed_or_cut_file_reads_as_missing(folder: Path) -> None:
    cache.write("thing", b"the body as written")
    path = folder / "thing"
    path.write_bytes(path.read_bytes().replace(b"written", b"changed"))
    assert cache.read("thing") is None
    cache.write("thing", b"the body as written")
    path.write_bytes(path.read_bytes()[:-3])
    assert cache.read("thing") is None
    path.write_bytes(b"")
    assert cache.read("thing") is None


def test_an_empty_setting_turns_the_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, "")
    monkeypatch.chdir(tmp_path)
    assert cache.cache_dir() is None
    cache.write("thing", b"body")
    assert cache.read("thing") is None
    assert list(tmp_path.iterdir()) == []


def test_the_default_place_is_the_users_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "everflow-postback-kit"


def test_a_new_version_replaces_the_old_ones(folder: Path) -> None:
    cache.write("catalogue-0-old", b"old", replaces="catalogue-0-")
    cache.write("catalogue-1-other", b"other seed", replaces="catalogue-1-")
    cache.write("catalogue-0-new", b"new", replaces="catalogue-0-")
    assert sorted(p.name for p in folder.iterdir()) == ["catalogue-0-new", "catalogue-1-other"]


def test_a_folder_that_cannot_be_written_only_leaves_it_uncached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker / "cache"))
    cache.write("thing", b"body")  # no exception
    assert cache.read("thing") is None


def test_a_write_that_fails_leaves_no_temporary_file(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    cache.write("value-1", b"body")  # logged, not raised: the cache only makes things faster
    assert cache.read("value-1") is None
    assert list(folder.iterdir()) == []
