"""``spawn_serve``: ``everflow-mock serve`` in a child process, ready when it returns, its
output read as it comes and kept; ``_Drain``, the reader, on streams of its own."""

from __future__ import annotations

import io
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from mock_server.testing import spawn
from mock_server.testing.spawn import ServeFailed, _Drain, free_port, spawn_serve


def test_free_port_is_a_port_this_machine_can_listen_on() -> None:
    port = free_port()
    assert 0 < port < 65536
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_free_port_is_one_any_user_may_listen_on() -> None:
    assert 1024 <= free_port() < 65536  # never a privileged port, which only root may bind


def test_a_drain_keeps_the_last_lines_of_a_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spawn, "KEPT_LINES", 2)
    drain = _Drain(io.StringIO("one\ntwo\nthree\n"))
    drain.join(5)
    assert drain.text() == "two\nthree\n"
    assert drain.wait_for(lambda text: "three" in text, timeout=5) == "two\nthree\n"


def test_waiting_for_text_a_finished_stream_never_held_fails_at_once() -> None:
    drain = _Drain(io.StringIO("ready\n"))
    drain.join(5)
    started = time.monotonic()
    with pytest.raises(TimeoutError) as waited:
        drain.wait_for(lambda text: "never" in text, timeout=30)
    assert time.monotonic() - started < 5  # the stream ended: no use waiting 30 s
    assert str(waited.value) == "not seen in 30 s; output so far:\nready\n"


@pytest.fixture
def pipe() -> Iterator[tuple[io.TextIOWrapper, _Drain]]:
    """A stream still open (a child that runs on), and its drain."""
    read, write = os.pipe()
    writer = os.fdopen(write, "w")
    drain = _Drain(os.fdopen(read))
    try:
        yield writer, drain
    finally:
        if not writer.closed:
            writer.close()
        drain.join(5)


def test_waiting_for_text_a_live_stream_never_prints_takes_the_whole_timeout(
    pipe: tuple[io.TextIOWrapper, _Drain],
) -> None:
    writer, drain = pipe
    writer.write("starting\n")
    writer.flush()
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"^not seen in 0.3 s; output so far:\nstarting\n$"):
        drain.wait_for(lambda text: "ready" in text, timeout=0.3)
    assert time.monotonic() - started >= 0.3


def test_waiting_for_text_returns_once_a_live_stream_prints_it(
    pipe: tuple[io.TextIOWrapper, _Drain],
) -> None:
    writer, drain = pipe

    def later() -> None:
        time.sleep(0.1)
        writer.write("ready on port 1\n")
        writer.flush()

    threading.Thread(target=later).start()
    started = time.monotonic()
    assert drain.wait_for(lambda text: "ready" in text, timeout=0.8) == "ready on port 1\n"
    assert time.monotonic() - started < 0.8


def test_a_drain_of_a_child_that_never_ends_never_holds_up_the_process_exit() -> None:
    read, write = os.pipe()
    before = set(threading.enumerate())
    drain = _Drain(os.fdopen(read))
    try:
        started = set(threading.enumerate()) - before
        assert started  # its reader
        assert all(thread.daemon for thread in started)
    finally:
        os.close(write)
        drain.join(5)


def test_ignore_sigint_makes_the_process_that_runs_it_ignore_ctrl_c() -> None:
    before = signal.getsignal(signal.SIGINT)
    try:
        spawn._ignore_sigint()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.mark.slow
def test_spawn_serve_answers_once_it_returns_and_keeps_what_it_printed() -> None:
    port = free_port()
    with spawn_serve("--api-key", "good", port=port) as spawned:
        assert spawned.root == f"http://127.0.0.1:{port}"
        assert spawned.url == f"http://127.0.0.1:{port}/v1"
        answer = httpx.get(spawned.url + "/networks/pixels/1", headers={"X-Eflow-Api-Key": "good"})
        assert answer.status_code == 200
        line = spawned.wait_for_output("GET /v1/networks/pixels/1 200")
        assert "GET /v1/networks/pixels/1 200" in spawned.output()
        assert line == spawned.output()
        with pytest.raises(TimeoutError, match=r"not seen in 0.2 s; output so far:\n"):
            spawned.wait_for_output("never printed", timeout=0.2)
        code, out, err = spawned.stop()
        assert spawned.process.poll() is not None
    assert code == 0, err
    assert "GET /v1/networks/pixels/1 200" in out
    assert spawned.stop() == (code, out, err)  # stopped already: the same answer


@pytest.mark.slow
def test_spawn_serve_stops_the_server_it_leaves() -> None:
    with spawn_serve() as spawned:
        pass
    assert spawned.process.poll() is not None


@pytest.mark.slow
def test_a_server_that_cannot_start_fails_naming_its_exit_and_what_it_said() -> None:
    with pytest.raises(ServeFailed) as failed, spawn_serve("--data", "/nonexistent/data.json"):
        pass
    assert str(failed.value).startswith(
        "everflow-mock serve exited with 2 or did not answer in 60 s\n"
    )
    assert "/nonexistent/data.json" in str(failed.value)


@pytest.mark.slow
def test_sigterm_stops_it_too() -> None:
    with spawn_serve() as spawned:
        code, _, err = spawned.stop(signal.SIGTERM)
    assert spawned.process.poll() is not None
    assert code == 0, err


@pytest.mark.slow
def test_a_server_the_signal_does_not_stop_is_killed_once_stop_s_timeout_passes() -> None:
    with spawn_serve() as spawned:
        started = time.monotonic()
        # SIGCONT: a signal the server does not act on, as a hung one acts on none.
        code, _, _ = spawned.stop(signal.SIGCONT, timeout=0.5)
        assert time.monotonic() - started < 10
    assert code == -signal.SIGKILL
    assert spawned.process.poll() == -signal.SIGKILL


@pytest.mark.slow
def test_a_port_held_by_something_that_never_answers_fails_in_bounded_time() -> None:
    """The server cannot bind a port a silent listener holds, and each health probe of it
    gives up on its own: waiting fails instead of hanging on the first probe."""
    failures: list[ServeFailed] = []

    def start(port: int) -> None:
        try:
            with spawn_serve(port=port, timeout=0.1):
                pass
        except ServeFailed as failed:
            failures.append(failed)

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections wait in its backlog, never answered
        waiting = threading.Thread(target=start, args=(silent.getsockname()[1],), daemon=True)
        waiting.start()
        waiting.join(20)
        ended = not waiting.is_alive()
    waiting.join(20)  # the listener closed: a probe that hung is reset
    assert ended
    (failed,) = failures
    assert "did not answer in 0.1 s" in str(failed)
