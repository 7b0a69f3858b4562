"""Finding another installed distribution that takes one of the kit's package names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from openapi.installation import Clash, clash_message, find_clashes


def fake_distribution(
    where: Path,
    name: str,
    version: str,
    files: list[str],
    top_level: list[str] | None = None,
) -> Path:
    """An installed distribution as pip leaves it: a dist-info with METADATA and RECORD
    (and ``top_level.txt`` for setuptools-built ones). Only the metadata, no packages."""
    info = where / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    record = [*files, f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    (info / "RECORD").write_text("\n".join(f if "," in f else f + ",," for f in record) + "\n")
    if top_level is not None:
        (info / "top_level.txt").write_text("\n".join(top_level) + "\n")
    return where


def test_nothing_clashes_in_an_empty_place(tmp_path: Path) -> None:
    assert find_clashes([str(tmp_path)]) == []
    assert clash_message("everflow-mock", [str(tmp_path)]) is None


def test_nothing_clashes_in_this_environment() -> None:
    assert find_clashes() == []


def test_a_distribution_is_found_from_the_files_it_recorded(tmp_path: Path) -> None:
    # PyPI's fixtures 4.x is built by hatchling: no top_level.txt, only RECORD.
    fake_distribution(
        tmp_path, "fixtures", "4.3.2", ["fixtures/__init__.py", "fixtures/fixture.py"]
    )
    assert find_clashes([str(tmp_path)]) == [Clash("fixtures", "fixtures", "4.3.2")]


def test_a_distribution_is_found_from_its_top_level_txt(tmp_path: Path) -> None:
    fake_distribution(tmp_path, "openapi", "2.0.0", ["openapi/__init__.py"], ["openapi"])
    fake_distribution(
        tmp_path, "mock-server", "0.3.9", ["mock_server/__init__.py"], ["mock_server"]
    )
    assert find_clashes([str(tmp_path)]) == [
        Clash("mock_server", "mock-server", "0.3.9"),
        Clash("openapi", "openapi", "2.0.0"),
    ]


def test_the_kit_itself_and_unrelated_distributions_do_not_clash(tmp_path: Path) -> None:
    fake_distribution(
        tmp_path,
        "everflow_postback_kit",
        "0.1.0",
        ["fixtures/__init__.py", "openapi/__init__.py", "mock_server/__init__.py"],
    )
    fake_distribution(
        tmp_path,
        "fixtures-extra",
        "1.0",
        ["fixtures_extra/__init__.py", "../../bin/fixtures", "openapi_core.py"],
    )
    assert find_clashes([str(tmp_path)]) == []


def test_the_message_names_the_distribution_and_what_to_do(tmp_path: Path) -> None:
    fake_distribution(tmp_path, "fixtures", "4.3.2", ["fixtures/__init__.py"])
    message = clash_message("everflow-mock", [str(tmp_path)])
    assert message == (
        "everflow-mock: everflow-postback-kit's package 'fixtures' is also installed by the "
        "distribution 'fixtures' 4.3.2 in this environment, and they cannot work side by side; "
        "install everflow-postback-kit in a virtual environment without 'fixtures' "
        "(pip uninstall fixtures && pip install --force-reinstall everflow-postback-kit)"
    )


def test_one_distribution_with_two_of_our_names_is_named_once(tmp_path: Path) -> None:
    fake_distribution(tmp_path, "kitchen-sink", "1.0", ["openapi/__init__.py", "fixtures/a.py"])
    message = clash_message("x", [str(tmp_path)])
    assert message is not None
    assert "also installed by the distribution 'kitchen-sink' 1.0 in this" in message
    assert "(pip uninstall kitchen-sink && " in message


def test_several_clashes_make_one_line(tmp_path: Path) -> None:
    fake_distribution(tmp_path, "fixtures", "4.3.2", ["fixtures/__init__.py"])
    fake_distribution(tmp_path, "openapi", "2.0.0", ["openapi/__init__.py"], ["openapi"])
    message = clash_message("x", [str(tmp_path)])
    assert message is not None
    assert "\n" not in message
    assert "packages 'fixtures' and 'openapi' are also installed by the distributions " in message
    assert "'fixtures' 4.3.2 and 'openapi' 2.0.0 in this environment" in message
    assert "pip uninstall fixtures openapi &&" in message


@pytest.mark.parametrize(
    ("module", "prog"),
    [("mock_server.cli", "everflow-mock"), ("contract_tests.cli", "everflow-contract")],
)
@pytest.mark.slow
@pytest.mark.parametrize("args", [["--help"], ["list"]])
def test_the_clis_exit_2_with_the_line_and_no_traceback(
    tmp_path: Path, module: str, prog: str, args: list[str]
) -> None:
    fake_distribution(tmp_path, "fixtures", "4.3.2", ["fixtures/__init__.py"])
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [clash_message(prog, [str(tmp_path)])]


def test_a_clean_verdict_is_cached_until_the_installed_distributions_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openapi import cache, installation

    site = tmp_path / "site"
    fake_distribution(site, "requests", "2.0", ["requests/__init__.py"])
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(sys, "path", [str(site)])
    installation._clashes_on_sys_path.cache_clear()
    try:
        assert find_clashes() == []
        assert [p.name for p in (tmp_path / "cache").iterdir() if "installation" in p.name]
        fake_distribution(site, "fixtures", "4.3.2", ["fixtures/__init__.py"])
        installation._clashes_on_sys_path.cache_clear()
        assert find_clashes() == [Clash("fixtures", "fixtures", "4.3.2")]
    finally:
        installation._clashes_on_sys_path.cache_clear()
