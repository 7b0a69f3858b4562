"""Issue 11's goals, each against its baseline in the same run.

Run: python benchmarks/bench_scale.py [--seconds 5] [--rounds 9] [--concurrent 500]

- latency at concurrency: N concurrent requests with `Prefer: delay=1000`, all answered
  within 2.5 s (goal), on `everflow-mock serve` and on the baseline;
- stored postbacks: requests/s of `everflow-mock serve` >= 0.9x the baseline, at 10
  connections. The servers take turns within each round (the first changes every round) and
  the ratio is the median of the rounds' ratios: the baseline alone swings by a third
  from one start to the next on 2 cores, and pairing keeps the machine's slow spells from
  deciding the verdict. Single rounds range from 0.72x to 1.44x (median 1.01x), so the
  verdict takes 9 of them; a run whose baseline is fast throughout still lands near 0.9x. 50 connections are measured too, for comparison, and the two
  interfaces' ceilings: the same bytes with next to no Python (benchmarks/serve_ceiling.py);
- dynamic mode: never-seen ids (each request a new id) >= 0.3x the stored-id rate of the
  same server, and its memory constant in the number of ids served;
- start-up: process start to first answer <= 0.8 s.

The baseline is the same app as served before the RSGI front: its WSGI front on granian,
16 Python threads (benchmarks/serve_wsgi_mock.py). Load comes from wrk (`apt-get install
wrk`) or a Python keep-alive client; the delayed requests from a raw asyncio client, each on
its own connection. Where `java` and a WireMock standalone jar are present (WIREMOCK_JAR, or
benchmarks/wiremock-standalone*.jar), WireMock is measured too; otherwise it is skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
from pathlib import Path

from benchmarks.bench_server import (
    CONNECTIONS,
    KEY_HEADER,
    REPO,
    free_port,
    median,
    paired_ratio,
    paired_rounds,
    running,
    throughput,
)

DELAY_MS = 1000
MANY_THREADS = 1024
MANY_CONNECTIONS = 50


async def _delayed(port: int, path: str, headers: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    return data[9:12]


def delayed_burst(port: int, count: int, path: str, headers: str) -> tuple[float, set[bytes]]:
    """Seconds until all ``count`` concurrent requests are answered, and their statuses."""

    async def main() -> tuple[float, set[bytes]]:
        start = time.perf_counter()
        statuses = await asyncio.wait_for(
            asyncio.gather(*(_delayed(port, path, headers) for _ in range(count))), 120
        )
        return time.perf_counter() - start, set(statuses)

    return asyncio.run(main())


def rss_kb(pid: int) -> int:
    """Resident memory of a process and its children, in KiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        for line in Path(f"/proc/{one}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def _stored(
    args: argparse.Namespace,
    mock: list[str],
    mock_port: int,
    base: list[str],
    many: list[str],
    bare_rsgi: tuple[list[str], int],
    base_port: int,
) -> None:
    """The stored-postback rounds: the mock against its WSGI baselines (goal >= 0.9x) and
    against the bare RSGI app on the same interface (issue 20's goal: >= 0.8x)."""
    servers = {
        "mock": (mock, mock_port),
        "base": (base, base_port),
        "many": (many, base_port),
        "rsgi": bare_rsgi,
    }
    runs, starts = paired_rounds(servers, args.rounds, args.seconds, CONNECTIONS)
    mock_r, base_r, many_r = median(runs["mock"]), median(runs["base"]), median(runs["many"])
    ratio = paired_ratio(runs["mock"], runs["base"])
    print(
        f"stored postback, {CONNECTIONS} connections, {args.rounds} rounds of {args.seconds:.0f} s"
        " (median; ratios are the median of each round's)"
    )
    print(f"  baseline (WSGI, 16 threads): {base_r.rps:>9,.0f} req/s  p99 {base_r.p99_ms:.2f} ms")
    print(
        f"  alternative (WSGI, {MANY_THREADS} threads): {many_r.rps:>7,.0f} req/s  "
        f"p99 {many_r.p99_ms:.2f} ms  {paired_ratio(runs['many'], runs['base']):.2f}x"
    )
    print(
        f"  everflow-mock serve:         {mock_r.rps:>9,.0f} req/s  p99 {mock_r.p99_ms:.2f} ms  {ratio:.2f}x; goal >= 0.9x: {'meets' if ratio >= 0.9 else 'MISSES'}"
    )
    print(
        "  each round, everflow-mock serve / baseline: "
        + ", ".join(f"{a.rps / b.rps:.2f}" for a, b in zip(runs["mock"], runs["base"], strict=True))
    )
    rsgi_ratio = paired_ratio(runs["mock"], runs["rsgi"])
    print(
        f"  bare RSGI app (same bytes):  {median(runs['rsgi']).rps:>9,.0f} req/s; everflow-mock "
        f"serve {rsgi_ratio:.2f}x of it; goal >= 0.8x: {'meets' if rsgi_ratio >= 0.8 else 'MISSES'}"
    )
    print(
        "  each round, everflow-mock serve / bare RSGI app: "
        + ", ".join(f"{a.rps / b.rps:.2f}" for a, b in zip(runs["mock"], runs["rsgi"], strict=True))
    )
    print(
        f"start-up to first answer: {max(starts):.2f} s (slowest of {len(starts)}); goal <= 0.8 s: {'meets' if max(starts) <= 0.8 else 'MISSES'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--concurrent", type=int, default=500)
    parser.add_argument(
        "--stored-only",
        action="store_true",
        help="only the stored-postback rounds (the mock, its baselines and the bare RSGI app)",
    )
    args = parser.parse_args()
    mock_port, base_port = free_port(), free_port()
    mock = [
        sys.executable,
        "-m",
        "mock_server.cli",
        "serve",
        "--port",
        str(mock_port),
        "--rate-limit",
        "off",
        "--quiet",
    ]
    base = [sys.executable, "-m", "benchmarks.serve_wsgi_mock", "--port", str(base_port)]
    # The other way to overlap delays: enough threads (granian starts them as needed). It
    # keeps WSGI's rate, but a stalled upload then holds a thread with no read timeout.
    many = [*base, "--threads", str(MANY_THREADS)]
    delay_headers = f"{KEY_HEADER}\r\nPrefer: delay={DELAY_MS}\r\n"

    ceiling = [sys.executable, "-m", "benchmarks.serve_ceiling", "--port", str(base_port)]
    rsgi_port = free_port()
    bare_rsgi = (
        [
            sys.executable,
            "-m",
            "benchmarks.serve_ceiling",
            "--port",
            str(rsgi_port),
            "--interface",
            "rsgi",
        ],
        rsgi_port,
    )
    if args.stored_only:
        _stored(args, mock, mock_port, base, many, bare_rsgi, base_port)
        return
    print(f"{args.concurrent} concurrent requests with Prefer: delay={DELAY_MS}")
    with running(mock, mock_port):
        took, statuses = delayed_burst(
            mock_port, args.concurrent, "/v1/networks/pixels/3", delay_headers
        )
    print(
        f"  everflow-mock serve: all answered in {took:.2f} s {sorted(statuses)}; goal <= 2.5 s: {'meets' if took <= 2.5 and statuses == {b'200'} else 'MISSES'}"
    )
    with running(base, base_port):
        took_base, _ = delayed_burst(
            base_port, args.concurrent, "/v1/networks/pixels/3", delay_headers
        )
    print(f"  baseline (WSGI, 16 threads): {took_base:.2f} s")
    with running(many, base_port):
        took_many, _ = delayed_burst(
            base_port, args.concurrent, "/v1/networks/pixels/3", delay_headers
        )
    print(f"  alternative (WSGI, {MANY_THREADS} threads): {took_many:.2f} s")

    _stored(args, mock, mock_port, base, many, bare_rsgi, base_port)
    busier = {"mock": (mock, mock_port), "base": (base, base_port)}
    more, _ = paired_rounds(busier, max(1, args.rounds // 2 + 1), args.seconds, MANY_CONNECTIONS)
    print(f"stored postback, {MANY_CONNECTIONS} connections (for comparison, not a goal)")
    print(f"  baseline (WSGI, 16 threads): {median(more['base']).rps:>9,.0f} req/s")
    print(
        f"  everflow-mock serve:         {median(more['mock']).rps:>9,.0f} req/s  "
        f"{paired_ratio(more['mock'], more['base']):.2f}x"
    )

    bare = {"rsgi": bare_rsgi, "wsgi": ([*ceiling, "--interface", "wsgi"], base_port)}
    bare_runs, _ = paired_rounds(bare, max(1, args.rounds // 2 + 1), args.seconds, CONNECTIONS)
    print(
        f"the same bytes with next to no Python, {CONNECTIONS} connections (each interface's cost)"
    )
    print(f"  bare WSGI app (16 threads):  {median(bare_runs['wsgi']).rps:>9,.0f} req/s")
    print(
        f"  bare RSGI app:               {median(bare_runs['rsgi']).rps:>9,.0f} req/s  "
        f"{paired_ratio(bare_runs['rsgi'], bare_runs['wsgi']):.2f}x"
    )

    dynamic = [*mock, "--dynamic"]
    script = str(REPO / "benchmarks" / "unique_ids.lua")
    with running(dynamic, mock_port) as (process, _):
        stored = throughput(mock_port, args.seconds)
        fresh = throughput(mock_port, args.seconds, script=script)
        before = rss_kb(process.pid)
        fresh_again = throughput(mock_port, args.seconds, script=script)
        after = rss_kb(process.pid)
    share = fresh.rps / stored.rps
    print("dynamic mode, one worker")
    print(f"  stored id:      {stored.rps:>9,.0f} req/s")
    print(
        f"  never-seen ids: {fresh.rps:>9,.0f} req/s  {share:.2f}x; goal >= 0.3x: {'meets' if share >= 0.3 else 'MISSES'}"
    )
    served = int(fresh_again.rps * args.seconds)
    print(
        f"  memory: {before / 1024:.0f} MiB -> {after / 1024:.0f} MiB over ~{served:,} more new ids"
        " (constant: the cache of generated postbacks is bounded)"
    )
    _wiremock(args)


def _wiremock(args: argparse.Namespace) -> None:
    jar = os.environ.get("WIREMOCK_JAR") or next(
        (str(p) for p in (REPO / "benchmarks").glob("wiremock-standalone*.jar")), None
    )
    if not (shutil.which("java") and jar and Path(jar).exists()):
        print(
            "WireMock: skipped (needs java and WIREMOCK_JAR or benchmarks/wiremock-standalone*.jar)"
        )
        return
    port = free_port()
    root = Path(os.environ.get("TMPDIR", "/tmp")) / f"wiremock-{port}"
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    (root / "mappings" / "pixel.json").write_text(
        '{"request": {"method": "GET", "urlPath": "/v1/networks/pixels/3"},'
        ' "response": {"status": 200, "jsonBody": {"network_pixel_id": 3}}}'
    )
    (root / "mappings" / "slow.json").write_text(
        '{"request": {"method": "GET", "urlPath": "/v1/networks/pixels/4"},'
        f' "response": {{"status": 200, "fixedDelayMilliseconds": {DELAY_MS}, "jsonBody": {{"network_pixel_id": 4}}}}}}'
    )
    command = [
        "java",
        "-jar",
        jar,
        "--port",
        str(port),
        "--root-dir",
        str(root),
        "--disable-banner",
    ]
    with running(command, port):
        took, _ = delayed_burst(port, args.concurrent, "/v1/networks/pixels/4", "")
        static = throughput(port, args.seconds)
    print(
        f"WireMock: {args.concurrent} delayed in {took:.2f} s; static stub {static.rps:,.0f} req/s"
    )


if __name__ == "__main__":
    main()
