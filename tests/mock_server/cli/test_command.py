"""The everflow-mock command line."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fixtures import vocabulary
from mock_server.cli import command as cli
from mock_server.cli import generate, main
from openapi import schema_violations

if TYPE_CHECKING:
    from tests.conftest import InstalledKit


def test_generate_writes_valid_postbacks_with_ids_from_one(tmp_path: Path) -> None:
    out = tmp_path / "pb.json"
    assert main(["generate", "--count", "5", "--seed", "4", "--out", str(out)]) == 0
    postbacks = json.loads(out.read_text())
    assert [p["network_pixel_id"] for p in postbacks] == [1, 2, 3, 4, 5]
    for body in postbacks:
        assert schema_violations(body) == []


def test_generate_is_byte_identical_for_the_same_arguments(tmp_path: Path) -> None:
    a, b, c = (tmp_path / n for n in ("a.json", "b.json", "c.json"))
    main(["generate", "--count", "20", "--seed", "9", "--out", str(a)])
    main(["generate", "--count", "20", "--seed", "9", "--out", str(b)])
    main(["generate", "--count", "20", "--seed", "10", "--out", str(c)])
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_generate_to_stdout_with_one_delivery_method(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["generate", "--count", "3", "--delivery-method", "snapchat", "--start-id", "40"]) == 0
    )
    postbacks = json.loads(capsys.readouterr().out)
    assert [p["network_pixel_id"] for p in postbacks] == [40, 41, 42]
    assert {p["delivery_method"] for p in postbacks} == {"snapchat"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate", "--count", "0"], "must be a positive integer"),
        (["generate", "--delivery-method", "sms"], "invalid choice: 'sms'"),
        (["nope"], "invalid choice: 'nope'"),
    ],
)
def test_bad_arguments_get_a_usage_error(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_unwritable_output_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing-dir" / "out.json"
    assert main(["generate", "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "everflow-mock:" in err
    assert "missing-dir" in err
    assert "Traceback" not in err


@pytest.mark.slow
def test_installed_console_script_works_outside_the_repo(
    installed_kit: InstalledKit, tmp_path: Path
) -> None:
    script = installed_kit.site / "bin" / "everflow-mock"
    listed = installed_kit.run([str(script), "list"], cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "| 3 | postback | global | event | coherent |" in listed.stdout
    generated = installed_kit.run([str(script), "generate", "--count", "2"], cwd=tmp_path)
    assert [p["network_pixel_id"] for p in json.loads(generated.stdout)] == [1, 2]
    where = installed_kit.run(
        ["-c", "import mock_server; print(mock_server.__file__)"], cwd=tmp_path
    )
    assert Path(where.stdout.strip()).is_relative_to(installed_kit.site)


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"everflow-mock {version('everflow-postback-kit')}\n"


# Import mock_server.cli as the console script does, but with the package's __init__
# skipped (it is another module's business), then print which heavy libraries got loaded.
LOADED_BY_HELP = """
import importlib.util, sys, types
spec = importlib.util.find_spec("mock_server")
package = types.ModuleType("mock_server")
package.__path__ = list(spec.submodule_search_locations)
sys.modules["mock_server"] = package
import mock_server.cli
try:
    mock_server.cli.main(sys.argv[1:])
except SystemExit:
    pass
heavy = ("flask", "faker", "yaml", "openapi_core", "granian", "waitress", "httpx", "fixtures")
print(sorted(name for name in heavy if name in sys.modules))
"""


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["--version"], ["generate", "--help"], ["list", "--help"], ["serve", "--help"]],
)
@pytest.mark.slow
def test_help_and_version_load_no_heavy_library(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", LOADED_BY_HELP, *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_the_delivery_method_choices_are_the_vocabulary() -> None:
    assert generate.DELIVERY_METHODS == vocabulary.DELIVERY_METHODS


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"everflow-mock": parser, **commands.choices}


@pytest.mark.parametrize("command", ["everflow-mock", "generate", "list", "serve"])
def test_every_options_help_says_its_default(command: str) -> None:
    parser = _subparsers()[command]
    formatter = parser._get_formatter()
    for action in parser._actions:
        if (
            not action.option_strings
            or action.dest in ("help", "version")
            or action.help == argparse.SUPPRESS
        ):
            continue
        text = formatter._get_help_string(action) or ""
        assert "default" in text, (command, action.option_strings, text)
        if action.default not in (None, False):
            assert f"(default: {action.default})" in text % {"default": action.default}


def test_api_key_help_says_it_can_be_repeated() -> None:
    help_text = _subparsers()["serve"].format_help()
    assert re.search(r"--api-key KEY\s+accept only this key; repeat it", help_text)


def test_generate_refuses_ids_past_the_largest_the_api_serves(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["generate", "--start-id", "9223372036854775807", "--count", "1"]) == 0
    capsys.readouterr()
    assert main(["generate", "--start-id", "9223372036854775807", "--count", "2"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("everflow-mock: --start-id 9223372036854775807 and --count 2 ")
    assert "9223372036854775808" in err
    assert err.count("\n") == 1
