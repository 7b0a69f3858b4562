"""The everflow-mock command line."""

from __future__ import annotations

import argparse
import json
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fixtures import PostbackFactory, vocabulary
from mock_server.cli import command as cli
from mock_server.cli import main
from mock_server.core.config import MockConfig
from mock_server.server.serve import THREADS, ServerOptions
from mock_server.testing.spawn import free_port
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
    assert cli.DELIVERY_METHODS == vocabulary.DELIVERY_METHODS


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"everflow-mock": parser, **commands.choices}


@pytest.mark.parametrize("command", ["everflow-mock", "generate", "list", "serve"])
def test_every_options_help_says_its_default(command: str) -> None:
    parser = _subparsers()[command]
    formatter = parser._get_formatter()
    for action in parser._actions:
        if not action.option_strings or action.dest in ("help", "version"):
            continue
        text = formatter._get_help_string(action) or ""
        assert "default" in text, (command, action.option_strings, text)
        if action.default not in (None, False):
            assert f"(default: {action.default})" in text % {"default": action.default}


def test_api_key_help_says_it_can_be_repeated() -> None:
    help_text = _subparsers()["serve"].format_help()
    assert re.search(r"--api-key KEY\s+accept only this key; repeat it", help_text)


@dataclass
class Served:
    config: MockConfig
    options: ServerOptions
    banner: str


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> list[Served]:
    """``everflow-mock serve`` up to where the server would start: what it would run."""
    runs: list[Served] = []

    def fake_run(
        config: MockConfig, options: ServerOptions, on_ready: Callable[[], None], listener: object
    ) -> None:
        on_ready()
        runs.append(Served(config, options, capsys.readouterr().out))

    monkeypatch.setattr(cli, "run", fake_run)
    return runs


def test_serve_options_reach_the_config_and_the_server(served: list[Served]) -> None:
    port = free_port()
    argv = ["serve", "--port", str(port), "--threads", "4", "--quiet", "--server", "waitress"]
    argv += ["--max-body", "2m", "--read-timeout", "2.5", "--max-keys", "50"]
    argv += ["--journal-size", "30", "--journal-bytes", "512k", "--admin-token", "t0k-3n"]
    argv += ["--api-key", "k1", "--api-key", "k2", "--delay", "5", "--rate-limit", "off"]
    assert main(argv) == 0
    (run,) = served
    assert run.config == MockConfig(
        api_keys=("k1", "k2"),
        rate_limit=None,
        delay_ms=5,
        max_body=2 * 1024 * 1024,
        read_timeout=2.5,
        max_keys=50,
        journal_size=30,
        journal_bytes=512 * 1024,
        admin_token="t0k-3n",
    )
    assert run.options == ServerOptions(port=port, threads=4, server="waitress", access_log=False)
    assert "t0k-3n" not in run.banner
    assert "k1" not in run.banner
    assert "(bearer token needed)" in run.banner


def test_serve_defaults_are_the_config_defaults(served: list[Served]) -> None:
    port = free_port()
    assert main(["serve", "--port", str(port)]) == 0
    (run,) = served
    assert run.config == MockConfig()
    assert run.options == ServerOptions(port=port, threads=THREADS, access_log=True)
    assert "(loopback only)" in run.banner


@pytest.mark.parametrize(("text", "setting"), [("now", "now"), ("1700000000", 1_700_000_000)])
def test_serve_clock_reaches_the_config(served: list[Served], text: str, setting: object) -> None:
    assert main(["serve", "--port", str(free_port()), "--clock", text]) == 0
    (run,) = served
    assert run.config == MockConfig(clock=setting)  # type: ignore[arg-type]


def test_a_busy_port_fails_before_the_banner(
    served: list[Served], capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert served == []
    out, err = capsys.readouterr()
    assert out == ""
    assert (
        err == f"everflow-mock: cannot listen on 127.0.0.1:{port}: the port is in use "
        "(another everflow-mock?); stop that server or choose another --port\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "0"], "must be a port number from 1 to 65535, not 0"),
        (["--port", "65536"], "must be a port number from 1 to 65535"),
        (["--port", "9" * 5000], "must be an integer, not '9999"),
        (["--threads", "0"], "must be a positive integer, not 0"),
        (["--delay", "-1"], "must be 0 to 60000 milliseconds (the cap of Prefer: delay), not -1"),
        (["--delay", "100000000"], "must be 0 to 60000 milliseconds"),
        (["--rate-limit", "nan/50"], "rate limit needs a positive rate and burst"),
        (["--rate-limit", "inf/50"], "rate limit needs a positive rate and burst"),
        (["--max-body", "0"], "must be a positive number of bytes"),
        (["--max-body", "1g"], "must be a positive number of bytes, like 1048576, 512k or 1m"),
        (["--journal-bytes", "lots"], "must be a positive number of bytes"),
        (["--read-timeout", "0"], "must be more than 0 and at most 3600 seconds"),
        (["--read-timeout", "nan"], "must be more than 0 and at most 3600 seconds"),
        (["--max-keys", "0"], "must be a positive integer"),
        (["--fault-rate", "x"], "must be a number, not 'x'"),
        (["--clock", "yesterday"], "clock must be 'now' or Unix seconds"),
    ],
)
def test_bad_serve_options_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert len(err) < 1000


@pytest.mark.parametrize("token", ["", "has space", "new\nline", "caf\u00e9"])
def test_a_bad_admin_token_is_a_usage_error_that_does_not_echo_it(
    token: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--admin-token", token])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "must be printable ASCII without spaces, and not empty" in err
    assert not token or token not in err


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


def test_keys_and_the_admin_token_come_from_files_and_the_environment(
    served: list[Served], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys"
    keys.write_text("file-key-1\n\n  file-key-2  \n")
    token = tmp_path / "token"
    token.write_text("t0ken-from-file\n")
    monkeypatch.setenv("EVERFLOW_MOCK_API_KEY", "env-key")
    argv = ["serve", "--port", str(free_port()), "--api-key", "flag-key"]
    assert main([*argv, "--api-key-file", str(keys), "--admin-token-file", str(token)]) == 0
    (run,) = served
    assert run.config.api_keys == ("flag-key", "file-key-1", "file-key-2", "env-key")
    assert run.config.admin_token == "t0ken-from-file"
    monkeypatch.setenv("EVERFLOW_MOCK_ADMIN_TOKEN", "t0ken-from-env")
    assert main(["serve", "--port", str(free_port())]) == 0
    assert served[1].config.admin_token == "t0ken-from-env"
    assert served[1].config.api_keys == ("env-key",)
    for secret in ("file-key", "env-key", "flag-key", "t0ken"):
        assert secret not in served[0].banner + served[1].banner


@pytest.mark.parametrize(
    ("option", "content", "message"),
    [
        ("--api-key-file", "\n \n", "no API key in the file"),
        ("--admin-token-file", "", "no admin token in the file"),
        ("--admin-token-file", "a\nb\n", "more than one line; an admin token is one"),
        ("--admin-token-file", "has space-s3cret\n", "must be printable ASCII without spaces"),
        ("--api-key-file", "\ufeffs3cret\n", "starts with a UTF-8 byte-order mark"),
        ("--admin-token-file", "\ufeffs3cret\n", "starts with a UTF-8 byte-order mark"),
        ("--api-key-file", "partner:\n", "is empty: no request could ever use it"),
    ],
)
def test_a_bad_secret_file_is_one_line_and_exit_2_without_the_secret(
    served: list[Served],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    content: str,
    message: str,
) -> None:
    path = tmp_path / "secret"
    path.write_text(content)
    assert main(["serve", "--port", str(free_port()), option, str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert "s3cret" not in err
    assert served == []


def test_the_banner_tries_an_id_the_data_has(served: list[Served], tmp_path: Path) -> None:
    data = tmp_path / "mine.json"
    data.write_text(json.dumps([PostbackFactory(2).build(9001)]))
    assert main(["serve", "--port", str(free_port()), "--data", str(data)]) == 0
    assert "/v1/networks/pixels/9001\n" in served[0].banner
    assert main(["serve", "--port", str(free_port())]) == 0
    assert "/v1/networks/pixels/3\n" in served[1].banner


@pytest.mark.parametrize("key", ["", "  ", "partner:", "affiliate: "])
def test_an_empty_api_key_is_a_usage_error(
    served: list[Served], capsys: pytest.CaptureFixture[str], key: str
) -> None:
    assert main(["serve", "--port", str(free_port()), "--api-key", key]) == 2
    err = capsys.readouterr().err
    assert "is empty: no request could ever use it" in err
    assert err.count("\n") == 1
    assert served == []


def test_a_secret_file_that_cannot_be_read_names_its_option(
    served: list[Served], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.txt"
    assert main(["serve", "--port", str(free_port()), "--api-key-file", str(missing)]) == 2
    assert capsys.readouterr().err == (
        f"everflow-mock: --api-key-file {missing}: No such file or directory\n"
    )
    assert served == []


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        ([], "X-Eflow-Api-Key: any-non-empty-key"),
        (
            ["net-s3kret", "partner:p-s3kret"],
            "X-Eflow-Api-Key: one of your network --api-key values",
        ),
        (["partner:p-s3kret"], "403 Out of realm"),
    ],
)
def test_the_banner_says_which_key_will_be_answered(
    served: list[Served], keys: list[str], said: str
) -> None:
    argv = ["serve", "--port", str(free_port())]
    assert main([*argv, *(arg for key in keys for arg in ("--api-key", key))]) == 0
    assert said in served[0].banner
    assert "s3kret" not in served[0].banner
