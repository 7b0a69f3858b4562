"""Soak `everflow-mock serve`: many mixed requests, then count unexpected 5xx and RSS growth.

Run: python benchmarks/bench_soak.py [--requests 100000] [--concurrency 50] [--max-seconds 900]

Starts `everflow-mock serve` (one worker, the access log on as by default, written to
/dev/null; rate limit high enough never to answer 429, so every distinct key still gets a
bucket) on 127.0.0.1 and sends it REQUESTS requests from this process, CONCURRENCY at a
time, drawn from a fixed mix: stored ids, unknown and malformed ids, missing keys, Prefer
and query controls (including values thousands of digits long), thousands of distinct API
keys, admin writes (PUT and DELETE of postbacks, a few invalid or oversized bodies) and
journal reads. A first tenth (2,000 to 5,000 requests) warms the server up; its RSS (the
server process and its worker processes, VmRSS from /proc) is taken after the warm-up and
again at the end. Everything stops at MAX_SECONDS, with what was sent by then reported.

Goals (issue 10): no unexpected 5xx (a 5xx is expected only where a control asked for
one) and RSS growth under 20 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.bench_server import free_port
from fixtures import PostbackFactory

REPO = Path(__file__).resolve().parent.parent
KEY = "soak-key"
ADMIN_IDS = range(900_001, 900_201)  # admin writes stay in this range: the store is bounded
HUGE = "9" * 5000
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Call:
    """One request of the mix, and whether a 5xx answer to it is what it asked for."""

    kind: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    expects_5xx: bool = False


class Mix:
    """Makes the requests of the soak; :meth:`kinds` says how often each kind comes."""

    def __init__(self, rng: random.Random, bodies: dict[int, bytes]) -> None:
        self.rng = rng
        self.bodies = bodies

    def kinds(self) -> list[tuple[float, Callable[[], Call]]]:
        """(weight, maker) of every kind of request."""
        return [
            (40, self.stored),
            (4, self.unknown_id),
            (4, self.bad_id),
            (3, self.no_key),
            (8, self.control),
            (1, self.control_asking_for_500),
            (3, self.huge_control),
            (15, self.distinct_key),
            (12, self.admin_put),
            (4, self.admin_delete),
            (1, self.admin_put_bad),
            (0.05, self.admin_put_huge),
            (0.3, self.journal_read),
            (0.3, self.health),
        ]

    def _pixel(self, kind: str, pixel: object, key: str | None = KEY, **headers: str) -> Call:
        sent = {"X-Eflow-Api-Key": key} if key else {}
        return Call(kind, "GET", f"/v1/networks/pixels/{pixel}", {**sent, **headers})

    def stored(self) -> Call:
        return self._pixel("get", self.rng.randint(1, 54))

    def unknown_id(self) -> Call:
        return self._pixel("unknown id", self.rng.randint(55, 10**6))

    def bad_id(self) -> Call:
        pixel = self.rng.choice(["abc", "-1", "0", "1.5", "9" * 30, "%00", "x" * 3000])
        return self._pixel("bad id", pixel)

    def no_key(self) -> Call:
        return self._pixel("no key", 3, key=None)

    def control(self) -> Call:
        prefer = self.rng.choice(
            ["code=404", "code=429", "dynamic=true", "example=nope", "delay=5", "seed=7"]
        )
        return self._pixel("control", 3, Prefer=prefer)

    def control_asking_for_500(self) -> Call:
        call = self._pixel("control 500", 3, Prefer="code=500")
        return Call(call.kind, call.method, call.path, call.headers, expects_5xx=True)

    def huge_control(self) -> Call:
        which = self.rng.randrange(5)
        if which < 3:
            prefer = ("delay", "seed", "code")[which]
            return self._pixel("huge control", 3, Prefer=f"{prefer}={HUGE}")
        if which == 3:
            return self._pixel("huge control", f"3?__delay={HUGE}")
        return self._pixel("huge control", HUGE)

    def distinct_key(self) -> Call:
        key = f"soak-{self.rng.getrandbits(64):x}-" + "k" * self.rng.randint(0, 1000)
        return self._pixel("distinct key", self.rng.randint(1, 54), key=key)

    def _admin_id(self) -> int:
        return self.rng.choice(ADMIN_IDS)

    def admin_put(self) -> Call:
        pixel = self._admin_id()
        return Call("admin put", "PUT", f"/__admin/pixels/{pixel}", JSON, self.bodies[pixel])

    def admin_delete(self) -> Call:
        return Call("admin delete", "DELETE", f"/__admin/pixels/{self._admin_id()}")

    def admin_put_bad(self) -> Call:
        body = self.rng.choice([b"{}", b"[", b'{"network_pixel_id": NaN}', b"[" * 100_000])
        return Call("admin put bad", "PUT", f"/__admin/pixels/{self._admin_id()}", JSON, body)

    def admin_put_huge(self) -> Call:
        body = b"{" + b" " * 2**21 + b"}"
        return Call("admin put huge", "PUT", f"/__admin/pixels/{self._admin_id()}", JSON, body)

    def journal_read(self) -> Call:
        return Call("journal read", "GET", "/__admin/requests")

    def health(self) -> Call:
        return Call("health", "GET", "/__admin/health")


def calls(count: int, seed: int) -> Iterator[Call]:
    """``count`` requests of the mix, the same ones for the same seed."""
    rng = random.Random(seed)
    factory = PostbackFactory(seed)
    bodies = {i: json.dumps(factory.build(i)).encode() for i in ADMIN_IDS}
    weights, makers = zip(*Mix(rng, bodies).kinds(), strict=True)
    for maker in rng.choices(makers, weights, k=count):
        yield maker()


def rss_kib(pid: int) -> int:
    """VmRSS of ``pid`` and all its descendants, in KiB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        todo.extend(int(child) for child in children)
    return total


@contextmanager
def serving(port: int, server: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port)]
    command += ["--server", server, "--workers", "1", "--rate-limit", "1000000/1000000"]
    with log.open("wb") as errors:
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=errors)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"http://127.0.0.1:{port}/__admin/health", timeout=2)
                    break
                except httpx.TransportError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(
                            f"the server did not start:\n{log.read_text()}"
                        ) from None
                    time.sleep(0.05)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class Tally:
    statuses: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    unexpected_5xx: list[str] = field(default_factory=list)
    sent: int = 0


async def send(base: str, work: list[Call], concurrency: int, until: float, tally: Tally) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    queue = iter(work)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker() -> None:
            for call in queue:
                if time.monotonic() > until:
                    return
                tally.sent += 1
                try:
                    answer = await client.request(
                        call.method, call.path, headers=call.headers, content=call.body
                    )
                    outcome = str(answer.status_code)
                    if answer.status_code >= 500 and not call.expects_5xx:
                        tally.unexpected_5xx.append(
                            f"{answer.status_code} {call.method} {call.path[:60]} "
                            f"{call.headers.get('Prefer', '')[:30]}"
                        )
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                tally.statuses[(call.kind, outcome)] += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100_000, help="how many (default 100000)")
    parser.add_argument("--concurrency", type=int, default=50, help="at once (default 50)")
    parser.add_argument("--max-seconds", type=float, default=900, help="stop after (default 900)")
    parser.add_argument("--server", default="auto", help="auto, granian or waitress")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    # Enough to fill the journal (1,000 entries), so that its growth is not counted.
    warm = min(5000, max(2000, args.requests // 10))
    work = list(calls(args.requests + warm, args.seed))
    port = free_port()
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(port, args.server, Path(tmp) / "err") as server,
    ):
        base = f"http://127.0.0.1:{port}"
        start = time.monotonic()
        until = start + args.max_seconds
        at_start = rss_kib(server.pid)
        asyncio.run(send(base, work[:warm], args.concurrency, until, Tally()))
        before = rss_kib(server.pid)
        tally = Tally()
        peak = [before]

        async def sampled() -> None:
            async def sample() -> None:
                while True:
                    peak[0] = max(peak[0], rss_kib(server.pid))
                    await asyncio.sleep(0.5)

            sampler = asyncio.ensure_future(sample())
            try:
                await send(base, work[warm:], args.concurrency, until, tally)
            finally:
                sampler.cancel()

        measured_from = time.monotonic()
        asyncio.run(sampled())
        elapsed = time.monotonic() - measured_from
        after = rss_kib(server.pid)
        alive = server.poll() is None
        errors = (Path(tmp) / "err").read_text(errors="replace")

    print(
        f"everflow-mock serve, 1 worker; {tally.sent:,} of {args.requests:,} requests "
        f"({warm:,} more to warm up) at {args.concurrency} concurrent in {elapsed:.1f} s "
        f"({tally.sent / elapsed:,.0f}/s)"
        + ("" if tally.sent == args.requests else " [TIME LIMIT]")
    )
    print(f"{'kind':<16}{'count':>9}  answers")
    kinds: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for (kind, outcome), count in tally.statuses.items():
        kinds[kind][outcome] += count
    for kind, outcomes in sorted(kinds.items(), key=lambda item: -sum(item[1].values())):
        shown = ", ".join(f"{o}: {n:,}" for o, n in sorted(outcomes.items()))
        print(f"{kind:<16}{sum(outcomes.values()):>9,}  {shown}")
    growth_mb = (after - before) / 1024
    print(f"unexpected 5xx: {len(tally.unexpected_5xx)} (goal 0)")
    for line in collections.Counter(tally.unexpected_5xx).most_common(5):
        print(f"  {line[1]} x {line[0]}")
    print(
        f"server RSS: {at_start / 1024:.1f} MB at start, {before / 1024:.1f} MB after warm-up, {after / 1024:.1f} MB at the end, "
        f"{peak[0] / 1024:.1f} MB peak; growth {growth_mb:+.1f} MB (goal < 20 MB)"
    )
    print(f"server still running at the end: {'yes' if alive else 'NO'}")
    tracebacks = errors.count("Traceback")
    print(f"server stderr: {len(errors.splitlines())} lines, {tracebacks} tracebacks")
    ok = not tally.unexpected_5xx and growth_mb < 20 and alive
    print(f"goals: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
