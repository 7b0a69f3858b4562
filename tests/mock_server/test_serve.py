"""`everflow-mock serve` on a real production server, as a user starts it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from fixtures import PostbackFactory
from mock_server.serve import server_name
from mock_server.spawn import spawn_serve

KEY = {"X-Eflow-Api-Key": "key-from-test"}


def stop(process: subprocess.Popen[str], how: int = signal.SIGTERM) -> tuple[int, str, str]:
    process.send_signal(how)
    out, err = process.communicate(timeout=15)
    return process.returncode, out, err


@pytest.mark.parametrize("server", ["granian", "waitress"])
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_serve_answers_prints_a_banner_and_stops_cleanly(how: int, server: str) -> None:
    with spawn_serve("--server", server) as spawned:
        base, process = spawned.root, spawned.process
        answer = httpx.get(base + "/v1/networks/pixels/3", headers=KEY)
        assert answer.status_code == 200
        assert answer.json()["network_pixel_id"] == 3
        code, out, err = stop(process, how)
    assert code == 0
    assert f"on {base}/v1 ({server}, 1 worker)" in out
    assert f"curl -H 'X-Eflow-Api-Key: any-non-empty-key' {base}/v1/networks/pixels/3" in out
    assert "Traceback" not in err


def test_serve_on_a_data_file_with_keys_never_prints_the_keys(tmp_path: Path) -> None:
    mine = [PostbackFactory(4).build(9001, delivery_method="rumble")]
    data = tmp_path / "mine.json"
    data.write_text(json.dumps(mine))
    with spawn_serve("--data", str(data), "--api-key", "s3cr3t-key", "--dynamic") as spawned:
        base, process = spawned.root, spawned.process
        assert httpx.get(base + "/v1/networks/pixels/9001", headers=KEY).status_code == 403
        good = {"X-Eflow-Api-Key": "s3cr3t-key"}
        assert httpx.get(base + "/v1/networks/pixels/9001", headers=good).json() == mine[0]
        generated = httpx.get(base + "/v1/networks/pixels/123", headers=good)
        assert generated.json() == PostbackFactory(0).build(123)
        code, out, err = stop(process)
    assert code == 0
    assert "s3cr3t-key" not in out + err
    assert f"1 postbacks from {data}" in out


def test_serve_with_two_workers_answers() -> None:
    if server_name() != "granian":
        pytest.skip("workers are a granian feature")
    with spawn_serve("--workers", "2", "--rate-limit", "off") as spawned:
        base, process = spawned.root, spawned.process
        answers = [httpx.get(base + "/v1/networks/pixels/5", headers=KEY) for _ in range(10)]
        assert {a.status_code for a in answers} == {200}
        assert "X-RateLimit-Limit" not in answers[0].headers
        code, out, _ = stop(process)
    assert "2 workers" in out
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limit", "fast"], "rate limit must look like 30/50 or off"),
        (["--fault-rate", "2"], "must be between 0 and 1"),
        (["--error-key", "err"], "invalid choice: 'err'"),
    ],
)
def test_bad_options_are_usage_errors(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_server.cli", "serve", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_injected_faults_break_connections_without_tracebacks_in_the_log(server: str) -> None:
    with spawn_serve("--server", server) as spawned:
        for fault in ("reset", "empty"):
            with pytest.raises(httpx.TransportError):
                httpx.get(
                    spawned.url + "/networks/pixels/3", headers={**KEY, "Prefer": f"fault={fault}"}
                )
        assert httpx.get(spawned.url + "/networks/pixels/3", headers=KEY).status_code == 200
        code, out, err = stop(spawned.process)
    assert code == 0
    assert "Traceback" not in out + err
    assert "fault injected" not in out + err


@pytest.mark.parametrize("server", ["granian", "waitress"])
def test_a_delayed_answer_does_not_hold_up_others(server: str) -> None:
    finished: list[str] = []

    def fetch(name: str, headers: dict[str, str], url: str) -> None:
        httpx.get(url, headers=headers, timeout=30)
        finished.append(name)

    with spawn_serve("--server", server) as spawned:
        url = spawned.url + "/networks/pixels/3"
        slow = threading.Thread(target=fetch, args=("slow", {**KEY, "Prefer": "delay=3000"}, url))
        slow.start()
        time.sleep(0.3)  # let the slow request reach the server first
        fetch("quick", KEY, url)
        slow.join()
    assert finished == ["quick", "slow"]
