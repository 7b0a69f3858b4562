"""The suite must catch what it is for: each planted fault is caught, by name, both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

import contract_tests
from contract_tests.cli import main

from .conftest import BREAKAGES, PIXEL, Breakage

FAST = ["--rate", "1000", "--retries", "1", "--backoff", "0.001"]


@pytest.mark.parametrize("breakage", BREAKAGES, ids=[b.name for b in BREAKAGES])
def test_cli_catches_the_fault_and_names_it(
    breakage: Breakage, broken_servers: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = broken_servers[breakage.name]
    args = ["--base-url", url, "--pixel-id", str(PIXEL), *FAST]
    if breakage.strict:
        assert main(args) == 0, "drift alone must not fail without --strict"
        assert (
            f"[warning] {url} {breakage.probe} (pixel {PIXEL}): {breakage.check}"
            in capsys.readouterr().out
        )
        args.append("--strict")
    assert main(args) == 1
    out = capsys.readouterr().out
    assert out.startswith("everflow-contract FAIL")
    assert f"{breakage.probe} " in out
    assert f": {breakage.check} at " in out


def test_cli_passes_the_real_mock_clean(capsys: pytest.CaptureFixture[str]) -> None:
    from mock_server import create_app
    from mock_server.live import LiveServer

    with LiveServer(create_app()) as live:
        ids = ",".join(str(i) for i in range(1, 54))  # 54 carries an undocumented field on purpose
        assert main(["--base-url", live.url, "--pixel-id", ids, "--strict", *FAST]) == 0
    out = capsys.readouterr().out
    assert out.startswith("everflow-contract PASS")
    assert "0 errors, 0 warnings" in out


def test_pytest_path_catches_every_fault_by_name(
    pytester: pytest.Pytester, broken_servers: dict[str, str]
) -> None:
    suite = Path(contract_tests.__file__).parent / "test_contract.py"
    args = [
        str(suite),
        "-p",
        "no:cacheprovider",
        "-k",
        "url",
        "--everflow-rate",
        "1000",
        "--everflow-backoff",
        "0.001",
        "--everflow-pixel-id",
        str(PIXEL),
        "-rf",
    ]
    for url in broken_servers.values():
        args += ["--everflow-contract-url", url]
    result = pytester.runpytest_subprocess(*args)
    output = result.stdout.str()
    failed_lines = [line for line in output.splitlines() if line.startswith("FAILED")]
    for breakage in BREAKAGES:
        url = broken_servers[breakage.name]
        mine = [line for line in failed_lines if f"[url:{url}]" in line]
        if breakage.strict:
            assert mine == [], f"{breakage.name}: drift must only warn without --everflow-strict"
            assert f"{breakage.check} at" in output
            continue
        assert len(mine) == 1, f"{breakage.name}: expected one failing test:\n{output}"
        assert f"[error] url:{url} {breakage.probe} " in output
        assert f"url:{url} {breakage.probe} (pixel " in output
        named = [
            line
            for line in output.splitlines()
            if f"url:{url} {breakage.probe}" in line and f": {breakage.check} at " in line
        ]
        assert named, f"{breakage.name}: {breakage.check} not named:\n{output}"
    strict = pytester.runpytest_subprocess(
        str(suite),
        "-p",
        "no:cacheprovider",
        "-k",
        "url and drift",
        "--everflow-strict",
        "--everflow-rate",
        "1000",
        "--everflow-pixel-id",
        str(PIXEL),
        "--everflow-contract-url",
        broken_servers["undocumented_field"],
        "-rf",
    )
    strict.assert_outcomes(failed=1)
    assert "undocumented_field at $.brand_new_field" in strict.stdout.str()
