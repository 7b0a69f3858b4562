"""everflow-contract: exit codes, reports, skipping without a key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests.cli import main
from mock_server import create_app
from mock_server.live import LiveServer

FAST = ["--rate", "1000"]


@pytest.fixture(scope="module")
def mock_url() -> object:
    with LiveServer(create_app()) as live:
        yield live.url


def test_passing_run_writes_reports(
    mock_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, md = tmp_path / "j.xml", tmp_path / "r.md"
    assert (
        main(
            [
                "--base-url",
                mock_url,
                "--pixel-id",
                "1",
                "--pixel-id",
                "2,3",
                "--junit",
                str(junit),
                "--report",
                str(md),
                *FAST,
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.startswith(
        f"everflow-contract PASS: {mock_url}: 5 requests, 0 errors"
    )
    # five probes; no drift (postback-delivery pixels need no other delivery's fields)
    assert 'tests="5"' in junit.read_text()
    assert 'name="drift"' not in junit.read_text()
    assert md.read_text().startswith("# Everflow contract: passed")


def test_strict_passes_on_a_healthy_mock(mock_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--base-url", mock_url, "--pixel-id", "1,2,3", "--strict", *FAST]) == 0
    assert "0 errors, 0 warnings (strict" in capsys.readouterr().out


def test_pixel_ids_from_the_environment(
    mock_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EVERFLOW_PIXEL_IDS", "4, 5")
    assert main(["--base-url", mock_url, *FAST]) == 0
    assert "4 requests" in capsys.readouterr().out


def test_missing_id_that_exists_is_a_violation(
    mock_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--base-url", mock_url, "--pixel-id", "1", "--missing-id", "2", *FAST]) == 1
    assert "unknown_id (pixel 2): status at $: expected 404, got 200" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base-url", "https://api.eflow.team/v1"], "give at least one --pixel-id"),
        (
            ["--base-url", "https://api.eflow.team/v1", "--pixel-id", "x"],
            "pixel ids must be integers",
        ),
        (["--pixel-id", "1"], "--base-url"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("EVERFLOW_PIXEL_IDS", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_plain_http_to_a_remote_host_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--base-url", "http://api.eflow.team/v1", "--pixel-id", "1"]) == 2
    assert "refusing to send an API key over plain http" in capsys.readouterr().err


def test_no_key_for_a_remote_target_skips_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MY_KEY", raising=False)
    assert (
        main(
            [
                "--base-url",
                "https://api.eflow.team/v1",
                "--pixel-id",
                "1",
                "--api-key-env",
                "MY_KEY",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == "everflow-contract: skipped: no API key in $MY_KEY\n"


def test_console_script_is_installed(mock_url: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "contract_tests.cli",
            "--base-url",
            mock_url,
            "--pixel-id",
            "9",
            *FAST,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
