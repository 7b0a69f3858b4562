"""List and search on 100,000 stored postbacks, against a single GET in the same run.

Run: python benchmarks/bench_resource.py [--count 100000] [--requests 2000] [--server granian]

Writes ``--count`` factory postbacks (ids 1..count) to a temporary data file, starts
``everflow-mock serve --data FILE --rate-limit off --quiet`` on 127.0.0.1 and, over one
keep-alive connection (so every figure is one request's latency, not a queue's), sends in
alternating rounds of 100: a single GET of a random id (the baseline), a page of 50 of the
whole list at a random page, a filtered list page, a filtered search (status, two delivery
methods and three offers, so global postbacks are in too) and a search by a description
term. The first list request, which builds the store's index, is timed on its own. Prints
p50, p99 and max of each, and p99 against the single GET's.

Goals (issue 12): with 100,000 stored postbacks, a page of 50 answers with p99 <= 5 ms and
a filtered search with p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fixtures import PostbackFactory
from mock_server.testing.spawn import spawn_serve

KEY = {"X-Eflow-Api-Key": "bench-key"}
GOALS = {"list page of 50": 5.0, "filtered search": 20.0}


def write_data(path: Path, count: int) -> list[dict[str, object]]:
    """``count`` factory postbacks as one JSON array; returns them."""
    factory = PostbackFactory(seed=0)
    postbacks = [factory.build(pixel_id) for pixel_id in range(1, count + 1)]
    path.write_text(json.dumps(postbacks, separators=(",", ":")), encoding="utf-8")
    return postbacks


Request = tuple[str, str, bytes | None]


def kinds(count: int, postbacks: list[dict[str, object]]) -> dict[str, Callable[[], Request]]:
    """Each kind of request the benchmark sends, as a maker of (method, path, body)."""
    rng = random.Random(12)
    offers = sorted({p["network_offer_id"] for p in postbacks if p["network_offer_id"]})
    pages = max(1, count // 50)

    def search_body() -> bytes:
        chosen = rng.sample(offers, 3)
        filters = {
            "status": "active",
            "delivery_methods": ["postback", "tiktok"],
            "network_offer_ids": chosen,
        }
        return json.dumps({"query": {"filters": filters}}).encode()

    def term_body() -> bytes:
        word = rng.choice(["s2s", "tiktok", "purchase", "lead", "registration"])
        term = {"search_type": "description", "value": word}
        return json.dumps({"query": {"search_terms": [term]}}).encode()

    filtered = "filter=delivery_method%3Dtiktok&filter=pixel_status%3Dactive"
    return {
        "single GET (baseline)": lambda: (
            "GET",
            f"/v1/networks/pixels/{rng.randint(1, count)}",
            None,
        ),
        "list page of 50": lambda: (
            "GET",
            f"/v1/networks/pixels?page={rng.randint(1, pages)}&page_size=50",
            None,
        ),
        "filtered list page": lambda: (
            "GET",
            f"/v1/networks/pixels?{filtered}&page={rng.randint(1, 20)}",
            None,
        ),
        "filtered search": lambda: (
            "POST",
            f"/v1/networks/pixelstable?page={rng.randint(1, 3)}",
            search_body(),
        ),
        "search by a description term": lambda: (
            "POST",
            f"/v1/networks/pixelstable?page={rng.randint(1, 3)}",
            term_body(),
        ),
    }


def timed(connection: http.client.HTTPConnection, request: Request) -> float:
    """Milliseconds for one request and its whole answer (which must be a 200)."""
    method, path, body = request
    headers = {**KEY, "Content-Type": "application/json"} if body is not None else KEY
    start = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise SystemExit(f"{method} {path} answered {response.status}: {data[:300]!r}")
    return elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000, help="postbacks stored")
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind")
    parser.add_argument("--server", default="granian", choices=("granian", "waitress"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "postbacks.json"
        started = time.perf_counter()
        postbacks = write_data(data, args.count)
        print(
            f"wrote {args.count} postbacks ({data.stat().st_size / 1e6:.0f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        makers = kinds(args.count, postbacks)
        del postbacks
        started = time.perf_counter()
        serve_args = [
            "--data",
            str(data),
            "--rate-limit",
            "off",
            "--quiet",
            "--server",
            args.server,
        ]
        with spawn_serve(*serve_args, timeout=600) as spawned:
            print(f"everflow-mock serve answered {time.perf_counter() - started:.1f} s after start")
            host, port = spawned.root.removeprefix("http://").rsplit(":", 1)
            connection = http.client.HTTPConnection(host, int(port), timeout=60)
            first = timed(connection, makers["list page of 50"]())
            print(f"first list page (builds the index): {first:.0f} ms")
            for maker in makers.values():  # warm up every path
                for _ in range(50):
                    timed(connection, maker())
            figures: dict[str, list[float]] = {name: [] for name in makers}
            rounds = max(1, args.requests // 100)
            for _ in range(rounds):
                for name, maker in makers.items():
                    figures[name].extend(timed(connection, maker()) for _ in range(100))
            connection.close()

    baseline = percentile(figures["single GET (baseline)"], 0.99)
    print(
        f"\n{args.count} postbacks, {args.server}, {rounds * 100} requests of each kind, "
        "one keep-alive connection (provisional: the machine is shared)"
    )
    print(f"{'request':32} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'p99/GET':>8}  goal")
    for name, values in figures.items():
        p99 = percentile(values, 0.99)
        goal = GOALS.get(name)
        verdict = f"p99 <= {goal:g} ms: {'met' if p99 <= goal else 'NOT met'}" if goal else ""
        print(
            f"{name:32} {statistics.median(values):8.2f} {p99:8.2f} {max(values):8.2f} "
            f"{p99 / baseline:7.1f}x  {verdict}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
