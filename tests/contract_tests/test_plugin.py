"""The contract suite's own pytest plugin: its options, registered without the mocks' plugin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.mock_server.testing.test_pytest_plugin import HEAVY, option_help

if TYPE_CHECKING:
    from tests.conftest import InstalledKit

OPTIONS = {
    "--everflow-contract-url": "(default: none)",
    "--everflow-pixel-id": "(default: none)",
    "--everflow-offer-id": "(default: none: the first one a postback read names)",
    "--everflow-affiliate-id": "(default: none: the first one a postback read names)",
    "--everflow-strict": "(default: off)",
    "--everflow-allow-writes": "(default: off, read-only)",
    "--everflow-rate": "(default: 5.0)",
    "--everflow-backoff": "(default: 0.5)",
    "--everflow-require-key": "(default: off)",
}


@pytest.mark.slow
def test_the_options_are_registered_with_their_defaults_without_the_mocks_plugin(
    pytester: pytest.Pytester,
) -> None:
    help_text = pytester.runpytest_subprocess("-p", "no:everflow", "--help").stdout.str()
    for option, default in OPTIONS.items():
        assert default in option_help(help_text, option), option
    assert "--everflow-seed" not in help_text


def test_the_options_reach_a_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_options="""
def test_options(pytestconfig):
    get = pytestconfig.getoption
    assert get("--everflow-contract-url") == ["http://127.0.0.1:9/v1"]
    assert get("--everflow-pixel-id") == ["3", "4,5"]
    assert get("--everflow-offer-id") == ["605", "7,8"]
    assert get("--everflow-affiliate-id") == ["461"]
    assert (get("--everflow-strict"), get("--everflow-allow-writes")) == (True, True)
    assert (get("--everflow-rate"), get("--everflow-backoff")) == (2.0, 0.1)
"""
    )
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--everflow-contract-url",
        "http://127.0.0.1:9/v1",
        "--everflow-pixel-id",
        "3",
        "--everflow-pixel-id",
        "4,5",
        "--everflow-offer-id",
        "605",
        "--everflow-offer-id",
        "7,8",
        "--everflow-affiliate-id",
        "461",
        "--everflow-strict",
        "--everflow-allow-writes",
        "--everflow-rate",
        "2",
        "--everflow-backoff",
        "0.1",
    )
    result.assert_outcomes(passed=1)


@pytest.mark.slow
def test_loading_the_plugin_imports_no_heavy_library_and_nothing_of_the_mocks(
    tmp_path: Path,
) -> None:
    # Of openapi, only the light defaults the plugin's --help names (and their packages, whose
    # public names load on first use: openapi.lazy).
    light = ("openapi", "openapi.lazy", "openapi.remote", "openapi.remote.defaults")
    checked = (*HEAVY, "mock_server", "fixtures")
    code = (
        "import sys, pytest\n"
        "import contract_tests.plugin\n"
        f"print(','.join(m for m in sys.modules if m.split('.')[0] in {checked!r}"
        f" or (m.startswith('openapi') and m not in {light!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.slow
def test_the_options_work_under_pyargs_from_the_installed_wheel(
    installed_kit: InstalledKit, tmp_path: Path
) -> None:
    # Under --pyargs pytest reads contract_tests/conftest.py after parsing the command line,
    # so options registered there were "unrecognized arguments".
    args = ["-m", "pytest", "-p", "no:cacheprovider", "--pyargs", "contract_tests", "--co", "-q"]
    args += ["--everflow-contract-url", "http://127.0.0.1:9/v1", "--everflow-pixel-id", "3"]
    args += ["--everflow-strict", "--everflow-rate", "2", "--everflow-backoff", "0.1"]
    args += ["--everflow-allow-writes"]
    result = installed_kit.run(args, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_no_drift[url:http://127.0.0.1:9/v1]" in result.stdout


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--everflow-pixel-id", "3,x", "pixel ids must be integers"),
        ("--everflow-pixel-id", "0", "pixel ids must be positive"),
        ("--everflow-offer-id", "605,x", "offer ids must be integers"),
        ("--everflow-affiliate-id", "0", "affiliate ids must be positive"),
        ("--everflow-contract-url", "http://127.0.0.1:4710", "base URL must end in /v1"),
        ("--everflow-contract-url", "http://api.example.com/v1", "refusing to send an API key"),
    ],
)
def test_a_bad_value_is_one_usage_error_naming_option_and_value(
    pytester: pytest.Pytester, option: str, value: str, reason: str
) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    good = {
        "--everflow-pixel-id": "3",
        "--everflow-offer-id": "605",
        "--everflow-affiliate-id": "461",
        "--everflow-contract-url": "http://127.0.0.1:9/v1",
    }
    result = pytester.runpytest("-p", "no:cacheprovider", option, good[option], option, value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.startswith("ERROR:")]
    assert len(errors) == 1, result.errlines
    assert option in errors[0]
    assert value in errors[0]
    assert reason in errors[0]
    assert "passed" not in result.stdout.str()


def test_a_bad_url_with_credentials_is_refused_without_repeating_them(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    url = "http://partner:k3y-5ecret-9z@127.0.0.1:9/v1"
    result = pytester.runpytest("-p", "no:cacheprovider", "--everflow-contract-url", url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = "\n".join([*result.outlines, *result.errlines])
    assert "credentials in the base URL are refused" in output
    assert "127.0.0.1:9/v1" in output
    assert "k3y-5ecret" not in output
    assert "partner" not in output


REFUSED = "no API key in $EVERFLOW_API_KEY ({by}): set it, or drop the option"


@pytest.mark.parametrize("key", [None, ""])
@pytest.mark.parametrize(
    ("args", "ini", "by"),
    [
        (["--everflow-require-key"], "", "--everflow-require-key"),
        ([], "[pytest]\neverflow_require_key = true\n", "everflow_require_key = true"),
    ],
)
def test_require_key_stops_the_run_before_any_test_when_the_key_is_missing(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    key: str | None,
    args: list[str],
    ini: str,
    by: str,
) -> None:
    if key is None:
        monkeypatch.delenv("EVERFLOW_API_KEY", raising=False)
    else:
        monkeypatch.setenv("EVERFLOW_API_KEY", key)
    if ini:
        pytester.makeini(ini)
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line.startswith("ERROR:")] == [
        "ERROR: " + REFUSED.format(by=by)
    ]
    assert "passed" not in result.stdout.str()


@pytest.mark.parametrize("ini", ["", "[pytest]\neverflow_require_key = false\n"])
def test_without_require_key_a_missing_key_stops_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ini: str
) -> None:
    monkeypatch.delenv("EVERFLOW_API_KEY", raising=False)
    if ini:
        pytester.makeini(ini)
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_require_key_with_the_key_set_runs_and_never_shows_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVERFLOW_API_KEY", "k3y-5ecret-canary-9z")
    pytester.makepyfile(
        test_one="def test_one(pytestconfig):\n"
        "    assert pytestconfig.getoption('--everflow-require-key')\n"
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--everflow-require-key", "-v")
    result.assert_outcomes(passed=1)
    assert "k3y-5ecret" not in "\n".join([*result.outlines, *result.errlines])


@pytest.mark.slow
def test_the_live_check_without_a_key_fails_with_require_key_and_only_skips_without(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The pytest form of the live check, as a CI job runs it: in a subprocess, by --pyargs.
    # Only the live target is selected (-k live), so nothing else of the suite runs.
    monkeypatch.delenv("EVERFLOW_API_KEY", raising=False)
    monkeypatch.setenv("EVERFLOW_PIXEL_IDS", "12")
    live = ["-p", "no:cacheprovider", "--pyargs", "contract_tests", "--everflow-live", "-k", "live"]
    skipped = pytester.runpytest_subprocess(*live)
    assert skipped.ret == pytest.ExitCode.OK  # what the option is for: green, nothing checked
    assert skipped.parseoutcomes().get("skipped", 0) >= 5
    assert "passed" not in skipped.parseoutcomes()
    required = pytester.runpytest_subprocess(*live, "--everflow-require-key")
    assert required.ret == pytest.ExitCode.USAGE_ERROR
    assert "ERROR: " + REFUSED.format(by="--everflow-require-key") in required.errlines
    assert "skipped" not in required.stdout.str()
