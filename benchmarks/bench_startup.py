"""How long ``everflow-mock serve`` takes from process start to its first answer.

Run: python benchmarks/bench_startup.py [--rounds 9]
The baseline is a bare Flask app with one route on granian (benchmarks/serve_bare_flask.py,
granian's own command line, one worker): what any Flask mock served the same way costs.
Both start in every round (the first changes every round) and are timed from ``Popen`` to
the first 200 answer of ``GET /v1/networks/pixels/3``; each figure is the median of the
rounds. The kit's cache (``openapi.cache``) is as a second start leaves it: a warm-up start
of each comes first. Goal (issue 20): <= 1.5x the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from benchmarks.bench_server import free_port, running

GOAL = 1.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    commands = {
        "everflow-mock serve": [sys.executable, "-m", "mock_server.cli", "serve", "--quiet",
                                "--port"],
        "bare Flask on granian": [sys.executable, "-m", "benchmarks.serve_bare_flask"],
    }  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for round_ in range(args.rounds + 1):
        for name in names[round_ % 2 :] + names[: round_ % 2]:
            port = free_port()  # a new port: an old worker still closing must not answer
            with running([*commands[name], str(port)], port) as (_, took):
                if round_:  # round 0 warms the byte-code and the kit's cache
                    times[name].append(took)
    kit, base = (statistics.median(times[name]) for name in names)
    ratio = kit / base
    print(
        f"process start to first answer, median of {args.rounds} rounds; load {os.getloadavg()[0]:.1f}"
    )
    for name in names:
        print(
            f"  {name:<22} {statistics.median(times[name]):.2f} s  (all: {', '.join(f'{t:.2f}' for t in times[name])})"
        )
    print(f"  ratio {ratio:.2f}x; goal <= {GOAL}x: {'met' if ratio <= GOAL else 'MISSED'}")


if __name__ == "__main__":
    main()
