"""The everflow-mock command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mock_server.cli import main
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
