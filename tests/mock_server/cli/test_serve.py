"""``everflow-mock serve``: its options reach the config and the server, its secrets stay
secret, its banner says how to call it."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fixtures import PostbackFactory
from mock_server.cli import main
from mock_server.cli import serve as serve_command
from mock_server.cli.secrets import MAX_SECRET_BYTES
from mock_server.cli.values import MIN_TOKEN_CHARS
from mock_server.core.config import MockConfig
from mock_server.server.serve import THREADS, ServerOptions
from mock_server.testing.spawn import free_port, spawn_serve


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

    monkeypatch.setattr(serve_command, "run", fake_run)
    return runs


def test_serve_options_reach_the_config_and_the_server(served: list[Served]) -> None:
    port = free_port()
    argv = ["serve", "--port", str(port), "--threads", "4", "--quiet", "--server", "waitress"]
    argv += ["--max-body", "2m", "--read-timeout", "2.5"]
    argv += ["--journal-size", "30", "--journal-bytes", "512k"]
    argv += ["--admin-token", "t0k-3n-long-enough"]
    argv += ["--api-key", "k1", "--api-key", "k2", "--delay", "5", "--rate-limit", "off"]
    assert main(argv) == 0
    (run,) = served
    assert run.config == MockConfig(
        api_keys=("k1", "k2"),
        rate_limit=None,
        delay_ms=5,
        max_body=2 * 1024 * 1024,
        read_timeout=2.5,
        journal_size=30,
        journal_bytes=512 * 1024,
        admin_token="t0k-3n-long-enough",
    )
    assert run.options == ServerOptions(port=port, threads=4, server="waitress", access_log=False)
    assert "t0k-3n-long-enough" not in run.banner
    assert "k1" not in run.banner
    assert "(bearer token needed)" in run.banner


def test_serve_defaults_are_the_config_defaults(served: list[Served]) -> None:
    port = free_port()
    assert main(["serve", "--port", str(port)]) == 0
    (run,) = served
    assert run.config == MockConfig()
    assert run.options == ServerOptions(port=port, threads=THREADS, access_log=True)
    assert "(loopback only)" in run.banner


def test_serve_strict_reaches_the_config_and_the_banner(served: list[Served]) -> None:
    assert main(["serve", "--port", str(free_port()), "--strict"]) == 0
    (run,) = served
    assert run.config == MockConfig(strict=True)
    assert "strict: warnings are 400s" in run.banner


ISSUE_PAGING = ("/v1/networks/pixelstable?page_size=1999", {"paging": {"page_size": 50}})
ISSUE_WARNING = (
    "ignored paging.page_size (sent twice, with another value; query parameter page_size wins)"
)


@pytest.mark.slow
@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_everflow_mock_serve_replays_the_fidelity_requests(server: str) -> None:
    """The requests of issue 31 against a served mock, lenient and ``--strict``."""
    key = {"X-Eflow-Api-Key": "good"}
    with spawn_serve("--server", server, "--quiet", "--api-key", "good") as spawned:
        base = spawned.root
        keyless = httpx.get(base + "/v1/networks/pixels/3")  # the fresh mock's first request
        assert keyless.status_code == 401
        assert keyless.headers["X-RateLimit-Limit"] == "30"
        assert keyless.headers["X-RateLimit-Remaining"] == "50"
        unknown = httpx.get(base + "/v1/networks/pixels/3", headers={"X-Eflow-Api-Key": "bad"})
        assert (unknown.status_code, unknown.json()) == (401, {"error": "Invalid API key."})
        path, body = ISSUE_PAGING
        lenient = httpx.post(base + path, json=body, headers=key)
        assert lenient.status_code == 200
        assert lenient.json()["paging"]["page_size"] == 1999
        assert lenient.headers["X-Everflow-Mock-Warning"] == ISSUE_WARNING
        newest = httpx.post(
            base + "/v1/networks/pixelstable?page_size=3",
            json={"sort": {"field": "time_created", "direction": "desc"}},
            headers=key,
        ).json()["pixels"]
        times = [row["time_created"] for row in newest]
        assert times == sorted(times, reverse=True)
    with spawn_serve("--server", server, "--quiet", "--strict") as spawned:
        refused = httpx.post(spawned.root + path, json=body, headers=key)
        assert refused.status_code == 400
        assert refused.json() == {"error": f"strict mode: {ISSUE_WARNING}"}
        journal = httpx.get(spawned.root + "/__admin/requests").json()
        assert journal["requests"][-1]["strict"] is True


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
        (["--max-keys", "50"], "--max-keys was removed: rate-limit buckets are per key kind"),
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
    assert len(err) < 1200  # the usage lines and one message, not a screenful of help


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


def test_a_short_admin_token_is_refused_from_every_source(
    served: list[Served],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a web page can send guesses (see admin.md, Exposure): a short token is one to guess
    short = "s3cret-fifteen!"
    assert len(short) == MIN_TOKEN_CHARS - 1
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--admin-token", short])
    assert exit_info.value.code == 2
    said = f"must be at least {MIN_TOKEN_CHARS} characters"
    assert said in capsys.readouterr().err
    path = tmp_path / "token"
    path.write_text(short + "\n")
    assert main(["serve", "--port", str(free_port()), "--admin-token-file", str(path)]) == 2
    assert f"--admin-token-file {path}: the admin token {said}" in capsys.readouterr().err
    monkeypatch.setenv("EVERFLOW_MOCK_ADMIN_TOKEN", short)
    assert main(["serve", "--port", str(free_port())]) == 2
    err = capsys.readouterr().err
    assert f"$EVERFLOW_MOCK_ADMIN_TOKEN: the admin token {said}" in err
    assert short not in err
    assert served == []
    assert main(["serve", "--port", str(free_port()), "--admin-token", short + "x"]) == 0


def test_keys_and_the_admin_token_come_from_files_and_the_environment(
    served: list[Served], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys"
    keys.write_text("file-key-1\n\n  file-key-2  \n")
    token = tmp_path / "token"
    token.write_text("t0ken-from-the-file\n")
    monkeypatch.setenv("EVERFLOW_MOCK_API_KEY", "env-key")
    argv = ["serve", "--port", str(free_port()), "--api-key", "flag-key"]
    assert main([*argv, "--api-key-file", str(keys), "--admin-token-file", str(token)]) == 0
    (run,) = served
    assert run.config.api_keys == ("flag-key", "file-key-1", "file-key-2", "env-key")
    assert run.config.admin_token == "t0ken-from-the-file"
    monkeypatch.setenv("EVERFLOW_MOCK_ADMIN_TOKEN", "t0ken-from-the-env")
    assert main(["serve", "--port", str(free_port())]) == 0
    assert served[1].config.admin_token == "t0ken-from-the-env"
    assert served[1].config.api_keys == ("env-key",)
    for secret in ("file-key", "env-key", "flag-key", "t0ken"):
        assert secret not in served[0].banner + served[1].banner


@pytest.mark.parametrize(
    ("option", "content", "message"),
    [
        ("--api-key-file", "\n \n", "no API key in the file"),
        ("--admin-token-file", "", "no admin token in the file"),
        ("--admin-token-file", "a\nb\n", "more than one line; an admin token is one"),
        ("--api-key-file", "s3cret\n" * 10_000, "larger than 65536 bytes; not read further"),
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
    assert option in err
    assert err.count("\n") == 1
    assert "s3cret" not in err
    assert served == []


@pytest.mark.parametrize("option", ["--api-key-file", "--admin-token-file"])
def test_a_secret_file_without_an_end_is_read_only_to_its_cap(
    served: list[Served], capsys: pytest.CaptureFixture[str], option: str
) -> None:
    # /dev/zero has no size to ask for and no end: read unbounded, it would fill memory
    assert main(["serve", "--port", str(free_port()), option, "/dev/zero"]) == 2
    assert capsys.readouterr().err == (
        f"everflow-mock: {option} /dev/zero: larger than {MAX_SECRET_BYTES} bytes; "
        "not read further\n"
    )
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
