"""Requests/s and latency of `everflow-mock serve` against a bare Flask app, same server, same run.

Run: python benchmarks/bench_server.py [--seconds 10] [--workers 1] [--connections 10]

Both apps run on the server `everflow-mock serve` uses (granian), with the same worker count.
The mock runs with request and response validation on (as always) and rate limiting off, once
with `--quiet` (no access log, like the bare app) and once as it starts by default, writing
one access line per request (to /dev/null here). Load comes from wrk when it is installed
(`apt-get install wrk`), else from a Python keep-alive client; concurrency 10 either way.
Goal (issue 4): the quiet mock >= 0.8x the bare app, p99 under 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATH = "/v1/networks/pixels/3"
KEY_HEADER = "X-Eflow-Api-Key: bench-key"
CONNECTIONS = 10


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float


def median(results: list[Result]) -> Result:
    """The round with the median rate, so its latencies belong to the same round."""
    return sorted(results, key=lambda r: r.rps)[len(results) // 2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(command: list[str], port: int) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    """Start a server, wait until it answers; yields it and the seconds it took to answer."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                    conn.sendall(f"GET {PATH} HTTP/1.1\r\nHost: x\r\n{KEY_HEADER}\r\n\r\n".encode())
                    if conn.recv(12).startswith(b"HTTP/1.1 200"):
                        break
            except OSError:
                pass
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode() if process.stderr else "exited")
            time.sleep(0.01)
        yield process, time.perf_counter() - start
    finally:
        process.terminate()
        process.wait(timeout=20)


def with_wrk(port: int, seconds: float, connections: int, script: str | None = None) -> Result:
    """wrk's rate and latencies for ``PATH`` (or what a wrk Lua ``script`` asks for)."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds:.0f}s",
            "--latency",
            "-H",
            KEY_HEADER,
            *(["-s", script] if script else []),
            f"http://127.0.0.1:{port}{PATH}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(name: str) -> float:
        value, unit = re.search(rf"\s{name}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return Result(rps, percentile("50"), percentile("99"))


async def _client(port: int, until: float, latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {PATH} HTTP/1.1\r\nHost: x\r\n{KEY_HEADER}\r\n\r\n".encode()
    while time.perf_counter() < until:
        start = time.perf_counter()
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - start)
    writer.close()


def with_python(port: int, seconds: float, connections: int) -> Result:
    latencies: list[float] = []

    async def main() -> None:
        until = time.perf_counter() + seconds
        await asyncio.gather(*(_client(port, until, latencies) for _ in range(connections)))

    asyncio.run(main())
    cuts = statistics.quantiles(latencies, n=100)
    return Result(len(latencies) / seconds, cuts[49] * 1000, cuts[98] * 1000)


def throughput(
    port: int, seconds: float, script: str | None = None, connections: int = CONNECTIONS
) -> Result:
    """Requests/s for id 3 (or what a wrk ``script`` asks for)."""
    if not shutil.which("wrk"):
        return with_python(port, seconds, connections)  # stored id only: no script without wrk
    return with_wrk(port, seconds, connections, script)


def paired_rounds(
    servers: dict[str, tuple[list[str], int]],
    rounds: int,
    seconds: float,
    connections: int,
    timed: str | None = None,
) -> tuple[dict[str, list[Result]], list[float]]:
    """Each server measured once per round, the order turning every round so that none is
    always first; the results, and each round's start-up time of the ``timed`` server (the
    first one unless named)."""
    results: dict[str, list[Result]] = {name: [] for name in servers}
    starts: list[float] = []
    names = list(servers)
    timed = timed or names[0]
    for round_number in range(rounds):
        turn = round_number % len(names)
        for name in names[turn:] + names[:turn]:
            command, port = servers[name]
            with running(command, port) as (_, ready_after):
                if name == timed:
                    starts.append(ready_after)
                results[name].append(throughput(port, seconds, connections=connections))
    return results, starts


def paired_ratio(ours: list[Result], baseline: list[Result]) -> float:
    """The median of the rounds' ratios: each round's pair ran minutes apart at most, so the
    machine's slower and faster spells count against both."""
    return statistics.median(a.rps / b.rps for a, b in zip(ours, baseline, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds, the first server turning; medians reported"
    )
    args = parser.parse_args()
    print(
        f"load: {'wrk -t2' if shutil.which('wrk') else 'python keep-alive client'}, "
        f"{args.connections} connections, {args.seconds:.0f} s per run, {args.rounds} "
        f"rounds, the first server turning (median shown); {args.workers} worker(s)"
    )

    bare_port, mock_port = free_port(), free_port()
    bare = [
        sys.executable,
        "-m",
        "benchmarks.serve_bare",
        "--port",
        str(bare_port),
        "--workers",
        str(args.workers),
    ]
    mock = [
        sys.executable,
        "-m",
        "mock_server.cli",
        "serve",
        "--port",
        str(mock_port),
        "--workers",
        str(args.workers),
        "--rate-limit",
        "off",
    ]

    # The same app with one Python thread: bare Flask's best setting here, shown so the
    # ratio is not flattered by the thread count that suits the mock.
    bare_one_thread = [*bare, "--threads", "1"]
    quiet_mock = [*mock, "--quiet"]

    servers = {
        "bare": (bare, bare_port),
        "best": (bare_one_thread, bare_port),
        "quiet": (quiet_mock, mock_port),
        "logging": (mock, mock_port),
    }
    runs, starts = paired_rounds(
        servers, args.rounds, args.seconds, args.connections, timed="quiet"
    )
    baseline, best, measured = median(runs["bare"]), median(runs["best"]), median(runs["quiet"])
    logging = median(runs["logging"])
    ready_after = max(starts)

    print(f"{'server':<44}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}")
    for label, result in (
        ("bare Flask app, same settings [baseline]", baseline),
        ("bare Flask app, 1 thread (its best here)", best),
        ("everflow-mock serve --quiet", measured),
        ("everflow-mock serve (access log, default)", logging),
    ):
        print(
            f"{label:<44}{result.rps:>10,.0f}{result.p50_ms:>9.2f}{result.p99_ms:>9.2f}"
            f"{result.rps / baseline.rps:>7.2f}x"
        )
    print(
        f"everflow-mock serve answered {ready_after:.2f} s after start (slowest of {args.rounds})"
    )
    ok = measured.rps >= 0.8 * baseline.rps and measured.p99_ms < 5.0
    print(f"goal: >= 0.80x the bare app and p99 < 5 ms: {'meets' if ok else 'MISSES'}")
    print(f"against bare Flask at its best: {measured.rps / best.rps:.2f}x")
    print(f"the access log costs {1 - logging.rps / measured.rps:.0%} of the quiet rate")


if __name__ == "__main__":
    main()
