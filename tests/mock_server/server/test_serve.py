"""`everflow-mock serve` on a real production server, as a user starts it.

Every wait here is for something the server does (answers, prints, exits), with generous
deadlines, so that the tests hold on a loaded two-core machine.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fixtures import PostbackFactory
from mock_server.http import wsgi
from mock_server.server.serve import server_name, stop_like_ctrl_c
from mock_server.testing.spawn import Spawned, free_port, spawn_serve

# Every test starts `everflow-mock serve` (or Python) in a subprocess.
pytestmark = pytest.mark.slow

KEY = {"X-Eflow-Api-Key": "key-from-test"}
SERVERS = ["granian", "waitress"]
BANNER_FIRST_LINE = "everflow-mock: Everflow partner postback mock on "
# [2025-06-01 12:00:00 +0000] GET /v1/networks/pixels/3 200 0.42 ms
ACCESS_LINE = re.compile(
    r"^\[[\d-]+ [\d:]+ [+-]\d{4}\] (\S+) (.+) (\d{3}) (\d+\.\d\d) ms(?: warning: .*)?$"
)


def access_lines(out: str) -> list[tuple[str, str, int]]:
    """(method, path, status) of every access line in ``out``."""
    found = [ACCESS_LINE.match(line) for line in out.splitlines()]
    return [(m[1], m[2], int(m[3])) for m in found if m]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_serve_answers_prints_one_banner_and_stops_cleanly(how: int, server: str) -> None:
    with spawn_serve("--server", server) as spawned:
        base = spawned.root
        answer = httpx.get(base + "/v1/networks/pixels/3", headers=KEY)
        assert answer.status_code == 200
        assert answer.json()["network_pixel_id"] == 3
        spawned.wait_for_output("GET /v1/networks/pixels/3 200 ")
        code, out, err = spawned.stop(how)
    assert code == 0
    assert out.startswith(BANNER_FIRST_LINE)
    assert out.count(BANNER_FIRST_LINE) == 1
    assert f"on {base}/v1 ({server}, 1 worker)" in out
    assert f"curl -H 'X-Eflow-Api-Key: any-non-empty-key' {base}/v1/networks/pixels/3" in out
    # Four lines of banner, then access lines only: no server warnings (granian's about its
    # thread count on a small machine), no start-up or shutdown chatter.
    lines = out.splitlines()
    assert lines[4:], out
    assert all(ACCESS_LINE.match(line) for line in lines[4:]), out
    assert err == ""


def test_signals_in_quick_succession_stop_waitress_cleanly() -> None:
    # the stop handler once imported what it needed when called: a second signal broke
    # that import off, and the next one failed with an ImportError traceback
    with spawn_serve("--server", "waitress", "--quiet") as spawned:
        assert httpx.get(spawned.url + "/networks/pixels/3", headers=KEY).status_code == 200
        for how in (signal.SIGTERM, signal.SIGINT, signal.SIGTERM):
            spawned.process.send_signal(how)
            time.sleep(0.02)  # signals sent at once arrive as one
        code, _, err = spawned.stop(signal.SIGTERM)
    assert code == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize("server", SERVERS)
def test_ctrl_c_stops_a_server_started_with_ctrl_c_ignored(server: str) -> None:
    # nohup and `&` in a script start a process with SIGINT ignored; Ctrl-C (or kill -INT)
    # must stop the server anyway.
    with spawn_serve("--server", server, "--quiet", ignore_sigint=True) as spawned:
        assert httpx.get(spawned.url + "/networks/pixels/3", headers=KEY).status_code == 200
        code, _, err = spawned.stop(signal.SIGINT)
    assert code == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize("server", SERVERS)
def test_one_access_line_per_request_without_keys_or_query_strings(server: str) -> None:
    secret = "s3cr3t-in-the-query"
    key = {"X-Eflow-Api-Key": "s3cr3t-key-header"}
    with spawn_serve("--server", server) as spawned:
        api, root = spawned.url, spawned.root
        answers = [
            httpx.get(f"{api}/networks/pixels/3?api_key={secret}", headers=key),
            httpx.get(f"{api}/networks/pixels/999999", headers=key),
            httpx.get(f"{api}/networks/pixels/3"),
            httpx.get(f"{root}/__admin/pixels/5"),
            # A decoded newline in a path must not start a line of its own.
            httpx.get(f"{api}/%0a[fake]%20GET%20/v1%20200%200.1%20ms", headers=key),
        ]
        spawned.wait_for_output(" /v1/\\n[fake] ")
        code, out, err = spawned.stop()
    assert code == 0
    paths = [
        "/v1/networks/pixels/3",
        "/v1/networks/pixels/999999",
        "/v1/networks/pixels/3",
        "/__admin/pixels/5",
        "/v1/\\n[fake] GET /v1 200 0.1 ms",
    ]
    statuses = [answer.status_code for answer in answers]
    assert statuses[:4] == [200, 404, 401, 200]
    assert access_lines(out)[-5:] == [("GET", p, s) for p, s in zip(paths, statuses, strict=True)]
    assert secret not in out + err
    assert "s3cr3t-key" not in out + err
    # The ignored parameter is named (X-Everflow-Mock-Warning), its value never.
    assert "ms warning: ignored query parameter api_key (not a parameter of" in out


@pytest.mark.parametrize("server", SERVERS)
def test_quiet_turns_the_access_log_off(server: str) -> None:
    with spawn_serve("--server", server, "--quiet") as spawned:
        for _ in range(3):
            assert httpx.get(spawned.url + "/networks/pixels/3", headers=KEY).status_code == 200
        code, out, _ = spawned.stop()
    assert code == 0
    assert out.startswith(BANNER_FIRST_LINE)
    assert access_lines(out) == []
    assert len(out.splitlines()) == 4


@pytest.fixture
def plain_listener() -> Iterator[int]:
    """A port something other than everflow-mock listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def granian_mock() -> Iterator[int]:
    """A port an everflow-mock on granian listens on (with SO_REUSEPORT, which would let a
    second granian share it silently)."""
    with spawn_serve("--server", "granian", "--quiet") as spawned:
        yield int(spawned.root.rsplit(":", 1)[1])


@pytest.mark.parametrize("occupant", ["plain_listener", "granian_mock"])
@pytest.mark.parametrize("server", SERVERS)
def test_a_busy_port_is_one_line_and_exit_2_before_any_banner(
    occupant: str, server: str, request: pytest.FixtureRequest
) -> None:
    if server == "granian" and server_name() != "granian":
        pytest.skip("granian is not installed")
    port: int = request.getfixturevalue(occupant)
    result = run_cli("serve", "--server", server, "--port", str(port))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"everflow-mock: cannot listen on 127.0.0.1:{port}: ")
    assert "in use" in result.stderr


def test_a_host_that_is_not_this_machine_is_one_line_and_exit_2() -> None:
    result = run_cli("serve", "--host", "192.0.2.1", "--port", str(free_port()))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("everflow-mock: cannot listen on 192.0.2.1:")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("server", SERVERS)
def test_a_host_name_is_served_on_the_address_it_names(server: str) -> None:
    first = socket.getaddrinfo("localhost", 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    if first[4][0] != "127.0.0.1":
        pytest.skip("localhost is not 127.0.0.1 first here")
    with spawn_serve("--server", server, "--host", "localhost", "--quiet") as spawned:
        assert httpx.get(spawned.url + "/networks/pixels/3", headers=KEY).status_code == 200
        code, out, _ = spawned.stop()
    assert code == 0
    assert f"on http://localhost:{spawned.root.rsplit(':', 1)[1]}/v1 ({server}" in out


def test_serve_on_a_data_file_with_keys_never_prints_the_keys(tmp_path: Path) -> None:
    mine = [PostbackFactory(4).build(9001, delivery_method="rumble")]
    data = tmp_path / "mine.json"
    data.write_text(json.dumps(mine))
    token = "admin-t0ken-never-printed"
    with spawn_serve(
        "--data", str(data), "--api-key", "s3cr3t-key", "--dynamic", "--admin-token", token
    ) as spawned:
        base = spawned.root
        assert httpx.get(base + "/v1/networks/pixels/9001", headers=KEY).status_code == 401
        good = {"X-Eflow-Api-Key": "s3cr3t-key"}
        assert httpx.get(base + "/v1/networks/pixels/9001", headers=good).json() == mine[0]
        generated = httpx.get(base + "/v1/networks/pixels/123", headers=good)
        assert generated.json() == PostbackFactory(0).build(123)
        spawned.wait_for_output("GET /v1/networks/pixels/123 200 ")
        code, out, err = spawned.stop(signal.SIGTERM)
    assert code == 0
    assert "s3cr3t-key" not in out + err
    assert token not in out + err
    assert f"1 postbacks from {data}" in out


def test_serve_with_two_workers_answers() -> None:
    if server_name() != "granian":
        pytest.skip("workers are a granian feature")
    with spawn_serve("--workers", "2", "--rate-limit", "off") as spawned:
        answers = [httpx.get(spawned.url + "/networks/pixels/5", headers=KEY) for _ in range(10)]
        assert {a.status_code for a in answers} == {200}
        assert "X-RateLimit-Limit" not in answers[0].headers
        spawned.wait_for_output("GET /v1/networks/pixels/5 200 ")
        code, out, _ = spawned.stop(signal.SIGTERM)
    assert "2 workers" in out
    assert out.count(BANNER_FIRST_LINE) == 1
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
    result = run_cli("serve", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("server", SERVERS)
def test_injected_faults_break_connections_without_tracebacks_in_the_log(server: str) -> None:
    with spawn_serve("--server", server) as spawned:
        for fault in ("reset", "empty"):
            with pytest.raises(httpx.TransportError):
                httpx.get(
                    spawned.url + "/networks/pixels/3", headers={**KEY, "Prefer": f"fault={fault}"}
                )
        assert httpx.get(spawned.url + "/networks/pixels/3", headers=KEY).status_code == 200
        code, out, err = spawned.stop(signal.SIGTERM)
    assert code == 0
    assert "Traceback" not in out + err
    assert "fault injected" not in out + err


@pytest.mark.parametrize("server", SERVERS)
def test_a_delayed_answer_does_not_hold_up_others(server: str) -> None:
    finished: list[str] = []

    def fetch(name: str, headers: dict[str, str], url: str) -> None:
        httpx.get(url, headers=headers, timeout=30)
        finished.append(name)

    with spawn_serve("--server", server, "--quiet") as spawned:
        url = spawned.url + "/networks/pixels/3"
        slow = threading.Thread(target=fetch, args=("slow", {**KEY, "Prefer": "delay=3000"}, url))
        slow.start()
        time.sleep(0.3)  # give the slow request a head start (if it is late, this still passes)
        fetch("quick", KEY, url)
        slow.join()
    assert finished == ["quick", "slow"]


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
@pytest.mark.parametrize("server", SERVERS)
def test_an_upload_cut_short_by_a_client_that_left_changes_nothing(
    server: str, framing: str
) -> None:
    body = json.dumps(PostbackFactory().build(904)).encode()
    if framing == "chunked":  # the whole JSON in one chunk, but never the last (empty) chunk
        head, sent = b"Transfer-Encoding: chunked\r\n\r\n", b"%x\r\n%s\r\n" % (len(body), body)
    else:  # the whole JSON, but never the 500 bytes more it announced
        head, sent = f"Content-Length: {len(body) + 500}\r\n\r\n".encode(), body
    with spawn_serve("--server", server, "--quiet") as spawned:
        conn = socket.create_connection(("127.0.0.1", int(spawned.root.rsplit(":", 1)[1])))
        conn.sendall(
            b"PUT /__admin/pixels/904 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + head
            + sent
        )
        time.sleep(0.3)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # a reset, as a client that crashed would leave
        time.sleep(0.3)
        after = httpx.get(spawned.url + "/networks/pixels/904", headers=KEY, timeout=10)
        assert after.status_code == 404


@pytest.mark.parametrize("server", SERVERS)
def test_a_whole_chunked_upload_is_stored(server: str) -> None:
    body = json.dumps(PostbackFactory().build(905)).encode()
    with spawn_serve("--server", server, "--quiet") as spawned:
        pieces = iter([body[:100], body[100:]])  # an iterator: httpx sends it chunked
        stored = httpx.put(
            spawned.root + "/__admin/pixels/905",
            content=pieces,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert stored.status_code == 201
        served = httpx.get(spawned.url + "/networks/pixels/905", headers=KEY, timeout=10)
        assert served.json() == json.loads(body)


def _stall(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that send an admin PUT's headers and part of its body, then wait."""
    held = []
    for _ in range(count):
        conn = socket.create_connection(("127.0.0.1", port), timeout=30)
        conn.sendall(
            b"PUT /__admin/pixels/900 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b'Content-Length: 5000\r\n\r\n{"network_pixel_id": 9'
        )
        held.append(conn)
    return held


@pytest.mark.parametrize("server", SERVERS)
def test_stalled_uploads_hold_only_their_own_connections(server: str) -> None:
    with spawn_serve(
        "--server", server, "--quiet", "--read-timeout", "3", "--threads", "4"
    ) as spawned:
        held = _stall(int(spawned.root.rsplit(":", 1)[1]), 32)
        try:
            for _ in range(5):
                api = httpx.get(spawned.url + "/networks/pixels/3", headers=KEY, timeout=10)
                assert api.status_code == 200
            admin = httpx.get(spawned.root + "/__admin/health", timeout=10)
            assert admin.status_code == 200
            # After the read timeout each stalled client gets its answer (or its connection
            # closed) instead of holding anything for ever.
            for conn in held:
                answer = conn.recv(200)
                assert answer == b"" or answer.startswith(b"HTTP/1.1 408")
        finally:
            for conn in held:
                conn.close()


def _granian_only() -> None:
    if server_name() != "granian":
        pytest.skip("granian is not installed")


def _port_of(spawned: Spawned) -> int:
    return int(spawned.root.rsplit(":", 1)[1])


def _wait_for_a_journaled_request(spawned: Spawned) -> None:
    """Until the server has taken a request in (journaled before its delay starts)."""
    deadline = time.monotonic() + 30
    while not httpx.get(spawned.root + "/__admin/requests", timeout=10).json()["requests"]:
        assert time.monotonic() < deadline, "the request never arrived"
        time.sleep(0.05)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
@pytest.mark.parametrize("server", SERVERS)
def test_a_stop_does_not_wait_for_delayed_answers_in_flight(server: str, how: int) -> None:
    ended: list[float] = []

    def wait_a_minute(url: str) -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, headers={**KEY, "Prefer": "delay=60000"}, timeout=90)
        ended.append(time.monotonic())

    with spawn_serve("--server", server, "--quiet") as spawned:
        waiting = threading.Thread(target=wait_a_minute, args=(spawned.url + "/networks/pixels/3",))
        waiting.start()
        _wait_for_a_journaled_request(spawned)
        asked = time.monotonic()
        code, out, err = spawned.stop(how, timeout=60)
        stopped = time.monotonic() - asked
        waiting.join(90)
    assert stopped < 5, f"took {stopped:.1f} s to stop"
    assert ended
    assert ended[0] - asked < 5
    assert code == 0
    assert "Traceback" not in out + err
    assert out == "" or "refused to gracefully stop" not in out


def test_two_servers_started_at_once_on_one_port_one_serves_one_exits_2() -> None:
    _granian_only()
    port = free_port()
    command = [sys.executable, "-m", "mock_server.cli", "serve", "--quiet", "--port", str(port)]
    both = [
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while all(p.poll() is None for p in both) and time.monotonic() < deadline:
            time.sleep(0.1)
        (lost,) = [p for p in both if p.poll() is not None]
        (won,) = [p for p in both if p is not lost]
        _, err = lost.communicate(timeout=10)
        assert lost.returncode == 2
        assert err.startswith(
            f"everflow-mock: cannot listen on 127.0.0.1:{port}: the port is in use"
        )
        assert err.count("\n") == 1
        # Every answer comes from the one server left: an id created there is found there.
        created = httpx.post(
            f"http://127.0.0.1:{port}/v1/networks/pixels",
            headers=KEY,
            json=PostbackFactory().build_input(),
            timeout=30,
        )
        assert created.status_code == 200
        pixel_id = created.json()["network_pixel_id"]
        for _ in range(10):
            found = httpx.get(f"http://127.0.0.1:{port}/v1/networks/pixels/{pixel_id}", headers=KEY)
            assert found.status_code == 200
        assert won.poll() is None
    finally:
        for process in both:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(30)


@pytest.mark.parametrize("server", SERVERS)
def test_the_banner_is_printed_once_connections_are_accepted(server: str) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "serve", "--server", server, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith(BANNER_FIRST_LINE)
        # At once, as a user's curl right after the banner: accepted, and answered.
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(
                b"GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            assert conn.recv(12) == b"HTTP/1.1 200"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)


@pytest.mark.parametrize("server", SERVERS)
def test_on_all_ipv6_addresses_the_admin_api_answers_ipv4_loopback(server: str) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    with spawn_serve("--server", server, "--host", "::", "--quiet") as spawned:
        assert httpx.get(spawned.root + "/__admin/health", timeout=10).status_code == 200
        requests = httpx.get(spawned.root + "/__admin/requests", timeout=10)
        assert requests.status_code == 200


def test_silent_connections_are_closed_and_do_not_lock_others_out() -> None:
    _granian_only()
    if not sys.platform.startswith("linux"):
        pytest.skip("silent connections are swept on Linux")
    with spawn_serve("--quiet", "--rate-limit", "off") as spawned:
        port = _port_of(spawned)
        silent = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(1100)]
        try:
            # More than granian's default of about 1,000 connections a worker, all silent:
            # another client is still answered at once.
            started = time.monotonic()
            answer = httpx.get(spawned.url + "/networks/pixels/3", headers=KEY, timeout=10)
            assert answer.status_code == 200
            assert time.monotonic() - started < 5
            # ...and the silent ones are closed after a few seconds.
            assert silent[0].recv(10) == b""
            assert time.monotonic() - started < 15
            assert all(conn.recv(10) == b"" for conn in silent[1:])
        finally:
            for conn in silent:
                conn.close()


@pytest.mark.parametrize("server", SERVERS)
def test_an_idle_keep_alive_connection_is_closed_after_the_read_timeout(server: str) -> None:
    with spawn_serve("--server", server, "--quiet", "--read-timeout", "2") as spawned:
        conn = socket.create_connection(("127.0.0.1", _port_of(spawned)), timeout=30)
        try:
            conn.sendall(b"GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert conn.recv(12) == b"HTTP/1.1 200"
            started = time.monotonic()
            while conn.recv(65536):  # the rest of the answer, then the server's close
                pass
            assert time.monotonic() - started < 10
        finally:
            conn.close()


def test_the_open_files_limit_is_raised_to_what_the_system_allows() -> None:
    script = (
        "import resource\n"
        "from mock_server.server.serve import _raise_open_files_limit\n"
        "_, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 256), hard))\n"
        "_raise_open_files_limit()\n"
        "print(*resource.getrlimit(resource.RLIMIT_NOFILE))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    soft, hard = map(int, result.stdout.split())
    assert soft == hard or soft >= 65536


def test_a_signal_inside_the_stop_handler_returns_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # A second signal can run its handler inside the first one's STOPPING.set(), whose lock
    # a second set() would wait for forever (seen: 1 proxy in 20 hung on two SIGTERMs).
    calls: list[str] = []

    class Stopping:
        def set(self) -> None:
            calls.append("set")
            if len(calls) == 1:
                assert stop(signal.SIGTERM, None) is None  # the second signal, in here

    monkeypatch.setattr(wsgi, "STOPPING", Stopping())
    stop = stop_like_ctrl_c()
    with pytest.raises(KeyboardInterrupt):
        stop(signal.SIGTERM, None)
    assert stop(signal.SIGINT, None) is None
    assert calls == ["set"]


def test_granian_takes_the_claimed_socket_through_the_attributes_serve_sets() -> None:
    """``everflow-mock serve`` hands granian the socket it claimed through granian's private
    attributes: granian has no public way to take a socket (a host and port, or a unix
    socket's path). Should granian change them, this fails here, instead of the claim
    silently ending before granian binds a socket of its own."""
    import inspect

    from granian.server import Server
    from granian.server.mp import MPServer

    from mock_server.server.serve import _serve_on

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    server = Server("walk", address="127.0.0.1", port=listener.getsockname()[1])
    assert isinstance(server, MPServer)
    _serve_on(server, listener)
    try:
        server._init_shared_socket()
        assert server._sfd == listener.fileno()
        assert server._shd.get_fd() == listener.fileno()
        assert server._sso is listener
        # what each worker is given: the socket spec, its holder and the socket itself
        assert "((self._ssp, self._shd), self._sso)" in inspect.getsource(MPServer._spawn_worker)
    finally:
        listener.close()
