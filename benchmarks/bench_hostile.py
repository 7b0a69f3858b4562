"""Hostile clients against `everflow-mock serve`: silent connections and held uploads.

Run: python benchmarks/bench_hostile.py [--silent 2000] [--keyless 300] [--keyed 300]

Starts `everflow-mock serve` (granian, one worker, access log off, rate limit high) on
127.0.0.1, then, all at once, opens SILENT connections that never send a byte, KEYLESS
uploads (a create without an API key announcing 1 MiB and sending 1 MiB minus a byte, then
holding) and KEYED uploads (the same with a key: admitted, so their bodies are read until
the worker's budget for bodies still arriving is spent). While they are all open it times
200 ordinary requests on another connection and samples the server's RSS (the server
process and its workers, VmRSS from /proc); then it lets everything go and takes the RSS
again, and once more after the silent connections' sweep time.

Goals (issue 25): all of it held open at once costs the server under 200 MB, ordinary
requests are answered in milliseconds, and every silent connection is closed by the server.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import select
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from benchmarks.bench_server import free_port, running
from benchmarks.bench_soak import rss_kib

REPO = Path(__file__).resolve().parent.parent
BODY = 1024 * 1024
KEY = "hostile-key"


def rss_mib(pid: int) -> float:
    """VmRSS of ``pid`` and all its descendants, in MiB."""
    return rss_kib(pid) / 1024


@contextmanager
def serving(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """The mock on granian with a rate limit no attack here reaches, until it answers."""
    command = [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port), "--quiet"]
    command += ["--server", "granian", "--rate-limit", "1000000/1000000"]
    with running(command, port) as (process, _):
        yield process


def upload_head(key: str | None) -> bytes:
    keyed = f"X-Eflow-Api-Key: {key}\r\n" if key else ""
    return (
        "POST /v1/networks/pixels HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"{keyed}Content-Length: {BODY}\r\n\r\n"
    ).encode()


class Upload:
    """A client sending all but the last byte of a 1 MiB body, without blocking."""

    def __init__(self, port: int, key: str | None) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.left = memoryview(upload_head(key) + b"x" * (BODY - 1))
        self.answer = b""

    def pump(self) -> bool:
        """Send what fits and read what came; whether there is more to send."""
        with contextlib.suppress(BlockingIOError):
            chunk = self.sock.recv(65536)
            self.answer += chunk
            if not chunk:
                self.left = self.left[:0]
        if self.left:
            try:
                self.left = self.left[self.sock.send(self.left) :]
            except BlockingIOError:
                pass
            except OSError:  # answered and closed: nothing more to send
                self.left = self.left[:0]
        return bool(self.left)

    def status(self) -> str:
        return self.answer[9:12].decode() if self.answer.startswith(b"HTTP/1.1 ") else "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--silent", type=int, default=2000)
    parser.add_argument("--keyless", type=int, default=300)
    parser.add_argument("--keyed", type=int, default=300)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    port = free_port()
    with serving(port) as server:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(headers={"X-Eflow-Api-Key": KEY}, timeout=30) as client:
            for _ in range(50):  # warm up
                client.get(base + "/v1/networks/pixels/3")
            at_start = rss_mib(server.pid)
            opened = time.monotonic()
            silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(args.silent)]
            uploads = [Upload(port, None) for _ in range(args.keyless)]
            uploads += [Upload(port, KEY) for _ in range(args.keyed)]
            deadline = time.monotonic() + 3
            pending = list(uploads)
            while pending and time.monotonic() < deadline:
                poller = select.poll()
                for upload in pending:
                    poller.register(upload.sock, select.POLLOUT | select.POLLIN)
                poller.poll(50)
                pending = [u for u in pending if u.pump()]
            for upload in uploads:
                upload.pump()
            held_for = time.monotonic() - opened
            peak = rss_mib(server.pid)
            timings = []
            for _ in range(200):
                started = time.perf_counter()
                answer = client.get(base + "/v1/networks/pixels/3")
                timings.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, answer.status_code
            peak = max(peak, rss_mib(server.pid))
            statuses: dict[str, int] = {}
            for kind, group in (
                ("keyless", uploads[: args.keyless]),
                ("keyed", uploads[args.keyless :]),
            ):
                for upload in group:
                    upload.pump()
                    name = f"{kind} {upload.status()}"
                    statuses[name] = statuses.get(name, 0) + 1
            time.sleep(7)  # past the sweep time of silent connections
            swept = 0
            for conn in silent:
                conn.setblocking(False)
                try:
                    swept += conn.recv(1) == b""
                except BlockingIOError:
                    pass
                except OSError:
                    swept += 1
            for conn in silent:
                conn.close()
            for upload in uploads:
                upload.sock.close()
            time.sleep(2)
            after = rss_mib(server.pid)
            timings.sort()
            print(
                f"held at once: {args.silent} silent connections, {args.keyless} keyless and "
                f"{args.keyed} keyed uploads of 1 MiB - 1 byte (opened in {held_for:.1f} s)\n"
                f"server RSS: {at_start:.1f} MB at start, {peak:.1f} MB while held "
                f"(+{peak - at_start:.1f} MB), {after:.1f} MB after they left\n"
                f"200 ordinary GETs while held: p50 {statistics.median(timings):.2f} ms, "
                f"p99 {timings[197]:.2f} ms, max {timings[-1]:.2f} ms\n"
                f"upload answers while held: {dict(sorted(statuses.items()))}\n"
                f"silent connections closed by the server after 7 s more: {swept} of {args.silent}"
            )


if __name__ == "__main__":
    main()
