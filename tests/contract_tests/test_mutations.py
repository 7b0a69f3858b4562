"""The suite must catch what it is for: each planted fault is caught, by name, both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

import contract_tests
from contract_tests.cli import main

from .conftest import BREAKAGES, PIXEL, Breakage, BrokenServer, probes_left

FAST = ["--rate", "1000", "--retries", "1", "--backoff", "0.001"]
READS = [b for b in BREAKAGES if not b.writes]
WRITES = [b for b in BREAKAGES if b.writes]


@pytest.mark.parametrize("breakage", BREAKAGES, ids=[b.name for b in BREAKAGES])
def test_cli_catches_the_fault_and_names_it(
    breakage: Breakage,
    broken_servers: dict[str, BrokenServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = broken_servers[breakage.name].url
    args = ["--base-url", url, "--pixel-id", str(PIXEL), *FAST]
    if breakage.writes:
        assert main(args) == 0, "a fault in writes must not show to a read-only run"
        assert "writes: none (read-only run)" in capsys.readouterr().out
        args.append("--allow-writes")
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
    named = [line for line in out.splitlines() if f" {breakage.probe} (" in line]
    assert any(f": {breakage.check} at " in line for line in named), out
    if breakage.writes and breakage.name != "deleted_kept":
        assert probes_left(broken_servers[breakage.name].mock) == [], "the probe was left"


def test_cli_passes_the_real_mock_clean(capsys: pytest.CaptureFixture[str]) -> None:
    from mock_server import create_app
    from mock_server.testing.local_server import LocalServer

    with LocalServer(create_app()) as local:
        ids = ",".join(str(i) for i in range(1, 54))  # 54 carries an undocumented field on purpose
        assert main(["--base-url", local.url, "--pixel-id", ids, "--strict", *FAST]) == 0
    out = capsys.readouterr().out
    assert out.startswith("everflow-contract PASS")
    assert "0 errors, 0 warnings" in out


@pytest.mark.slow
@pytest.mark.parametrize("writes", [False, True], ids=["read-only", "allow-writes"])
def test_pytest_path_catches_every_fault_by_name(
    writes: bool, pytester: pytest.Pytester, broken_servers: dict[str, BrokenServer]
) -> None:
    suite = Path(contract_tests.__file__).parent / "test_contract.py"
    breakages = WRITES if writes else READS
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
        *(["--everflow-allow-writes"] if writes else []),
    ]
    for breakage in breakages:
        args += ["--everflow-contract-url", broken_servers[breakage.name].url]
    result = pytester.runpytest_subprocess(*args)
    output = result.stdout.str()
    failed_lines = [line for line in output.splitlines() if line.startswith("FAILED")]
    for breakage in breakages:
        url = broken_servers[breakage.name].url
        mine = [line for line in failed_lines if f"[url:{url}]" in line]
        if breakage.strict:
            assert mine == [], f"{breakage.name}: drift must only warn without --everflow-strict"
            assert f"{breakage.check} at" in output
            continue
        assert len(mine) == 1, f"{breakage.name}: expected one failing test:\n{output}"
        assert f"[error] url:{url} {breakage.probe} " in output
        assert f"url:{url} {breakage.probe} (" in output
        named = [
            line
            for line in output.splitlines()
            if f"url:{url} {breakage.probe}" in line and f": {breakage.check} at " in line
        ]
        assert named, f"{breakage.name}: {breakage.check} not named:\n{output}"
    if writes:
        return
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
        broken_servers["undocumented_field"].url,
        "-rf",
    )
    strict.assert_outcomes(failed=1)
    assert "undocumented_field at $.brand_new_field" in strict.stdout.str()
