"""What a test author waits for: the first use of a fixture, and each test after it.

Run: python benchmarks/bench_first_use.py [--rounds 7] [--tests 200]
Every case is a fresh ``python -m pytest`` process on a generated test file, the cases
taking turns in every round so that the machine's load falls on all of them alike; each
figure is the median over the rounds. A small timing plugin (``-p _bench_timing``) records,
inside the pytest process, how long each test's setup and each whole test took.

- first use: the setup of the only test in a run (``pytest -k one_test``, the loop a
  developer runs all day), for ``everflow_mock`` against respx's ``respx_mock`` and
  ``everflow_server`` against pytest-httpserver's ``httpserver``. That setup is where the
  fixture's first use costs: whatever it imports, builds and starts.
- per test: ``--tests`` tests each doing one GET through a shared httpx client (the kit's
  fixtures answer a built-in postback; respx gets one route, httpserver one expectation,
  each added in the test), median time of one whole test (setup, call, teardown,
  report) past the first, less that of a trivial test in the same kind of run.

Each is printed as process CPU time (what the machine's load barely moves: it counts every
thread of the pytest process, the live servers' included) and as wall-clock time.
- also printed: the CPU time of the whole ``pytest -k one_test`` run against a run of one
  trivial test, and what Faker's pytest plugin costs that trivial run (``-p no:faker``).

Goals (issue 20, issue 30): first use <= 2.5x the anchor's, the plugin doing nothing to the pytest process; per-test overhead <= 1.3x the anchor's.
The runs use the plugins installed in this environment as a developer's project would
(Faker's and respx's register themselves); ``--no-faker`` adds ``-p no:faker`` to every run.
Byte-code caches are on, as on a developer's machine (``PYTHONDONTWRITEBYTECODE`` is
cleared for the runs, and a warm-up run of each case fills the caches): without them every
run compiles every module again, and pytest rewrites the asserts of every module of a
distribution that registers a plugin (respx's at start-up, the kit's at first use).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

FIRST_USE_GOAL = 2.5
PER_TEST_GOAL = 1.3

TIMING_PLUGIN = '''
"""Writes each test's setup time and whole-test time, wall clock and process CPU, to
$BENCH_TIMES (JSON)."""
import gc, json, os, time
import pytest

_times = {"setup": [], "whole": [], "setup_cpu": [], "whole_cpu": [], "setup_gc": [], "whole_gc": []}
_gc = [0.0, 0.0]  # seconds in the cyclic GC so far; when the running pass started


def _count_gc(phase, info):
    if phase == "start":
        _gc[1] = time.process_time()
    else:
        _gc[0] += time.process_time() - _gc[1]


gc.callbacks.append(_count_gc)


def _timed(kind):
    wall, cpu, collected = time.perf_counter(), time.process_time(), _gc[0]

    def done():
        _times[kind].append(time.perf_counter() - wall)
        _times[kind + "_cpu"].append(time.process_time() - cpu)
        _times[kind + "_gc"].append(_gc[0] - collected)

    return done


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    done = _timed("whole")
    try:
        return (yield)
    finally:
        done()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    done = _timed("setup")
    try:
        return (yield)
    finally:
        done()


def pytest_runtest_logreport(report):
    if report.failed:
        raise SystemExit(f"benchmark test failed: {report.nodeid}: {report.longreprtext}")


def pytest_sessionfinish(session):
    with open(os.environ["BENCH_TIMES"], "w") as out:
        json.dump(_times, out)
'''

PIXEL = "/networks/pixels/1"
KEY = {"X-Eflow-Api-Key": "bench"}

# Each kind: (fixture parameter, lines of the test body). ``client`` is a module-level httpx
# client; ``URL`` the Everflow base URL.
KINDS: dict[str, tuple[str, str]] = {
    "everflow_mock": (
        "everflow_mock",
        f"assert client.get(URL + {PIXEL!r}, headers={KEY!r}).status_code == 200",
    ),
    "respx_mock": (
        "respx_mock",
        f"respx_mock.get(URL + {PIXEL!r}).respond(200, json={{'network_pixel_id': 1}})\n"
        f"assert client.get(URL + {PIXEL!r}, headers={KEY!r}).status_code == 200",
    ),
    "everflow_server": (
        "everflow_server",
        f"assert client.get(everflow_server.url + {PIXEL!r}, headers={KEY!r}).status_code == 200",
    ),
    "httpserver": (
        "httpserver",
        f"httpserver.expect_request('/v1' + {PIXEL!r}).respond_with_json({{'network_pixel_id': 1}})\n"
        f"assert client.get(httpserver.url_for('/v1' + {PIXEL!r}), headers={KEY!r}).status_code == 200",
    ),
    "trivial": ("", "pass"),
}
PAIRS = (("everflow_mock", "respx_mock"), ("everflow_server", "httpserver"))


def _test_file(kind: str, count: int) -> str:
    parameter, body = KINDS[kind]
    tests = "\n".join(
        f"def test_{kind}_{n}({parameter}):\n{textwrap.indent(body, '    ')}\n"
        for n in range(count)
    )
    return f"import httpx\n\nURL = 'https://api.eflow.team/v1'\nclient = httpx.Client()\n\n{tests}"


def _run(
    folder: Path, kind: str, count: int, extra: list[str]
) -> tuple[float, dict[str, list[float]]]:
    """CPU seconds of one pytest process (all of it: start, collection, the test, exit) and
    the times its plugin wrote."""
    times = folder / "times.json"
    env = {**os.environ, "BENCH_TIMES": str(times), "PYTHONPATH": str(folder)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # byte-code caches on, as on a developer's machine
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "_bench_timing",
        "--rootdir", str(folder), *extra, str(folder / f"test_{kind}_{count}.py"),
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if done.returncode != 0:
        sys.exit(
            f"{kind} x{count} failed ({done.returncode}):\n{done.stdout.decode()}{done.stderr.decode()}"
        )
    recorded: dict[str, list[float]] = json.loads(times.read_text())
    return cpu, recorded


def _ratio_line(what: str, kit: float, anchor_name: str, anchor: float, goal: float) -> str:
    ratio = kit / anchor if anchor > 0 else float("inf")
    verdict = "met" if ratio <= goal else "MISSED"
    return (
        f"{what}: {kit * 1000:6.2f} ms vs {anchor_name:<10} {anchor * 1000:6.2f} ms "
        f"= {ratio:4.2f}x (goal <= {goal}x: {verdict})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds of every case")
    parser.add_argument("--tests", type=int, default=200, help="tests in a per-test run")
    parser.add_argument("--no-faker", action="store_true", help="run pytest with -p no:faker")
    args = parser.parse_args()
    extra = ["-p", "no:faker"] if args.no_faker else []

    clocks = ("", "_cpu", "_gc")
    first = {(kind, clock): [] for kind in KINDS for clock in clocks}  # type: dict[tuple[str, str], list[float]]
    each = {(kind, clock): [] for kind in KINDS for clock in clocks}  # type: dict[tuple[str, str], list[float]]
    whole: dict[str, list[float]] = {kind: [] for kind in [*KINDS, "trivial, -p no:faker"]}
    with tempfile.TemporaryDirectory(prefix="bench-first-use-") as name:
        folder = Path(name)
        (folder / "_bench_timing.py").write_text(TIMING_PLUGIN)
        for kind in KINDS:
            for count in (1, args.tests):
                (folder / f"test_{kind}_{count}.py").write_text(_test_file(kind, count))
        for kind in KINDS:  # warm-up: byte-code and assertion-rewrite caches, the kit's cache
            _run(folder, kind, 1, extra)
        kinds = list(KINDS)
        for round_ in range(args.rounds):
            for kind in kinds[round_ % len(kinds) :] + kinds[: round_ % len(kinds)]:
                seconds, recorded = _run(folder, kind, 1, extra)
                whole[kind].append(seconds)
                if kind == "trivial":
                    whole["trivial, -p no:faker"].append(
                        _run(folder, kind, 1, ["-p", "no:faker"])[0]
                    )
                _, many = _run(folder, kind, args.tests, extra)
                for clock in clocks:
                    first[kind, clock].append(recorded["setup" + clock][0])
                    each[kind, clock].append(statistics.median(many["whole" + clock][1:]))
            print(f"round {round_ + 1} of {args.rounds} done", file=sys.stderr)

    def median(values: dict[tuple[str, str], list[float]], kind: str, clock: str) -> float:
        return statistics.median(values[kind, clock])

    flags = " ".join(extra) or "default plugins"
    print(
        f"pytest ({flags}), {args.rounds} rounds, medians; load average at the end "
        f"{os.getloadavg()[0]:.1f}"
    )
    print(
        "-- of the first use's CPU time, in the cyclic GC (a full pass falls where allocations "
        "cross its thresholds)"
    )
    for kind in ("everflow_mock", "respx_mock", "everflow_server", "httpserver"):
        gc_times = ", ".join(f"{t * 1000:.1f}" for t in first[kind, "_gc"])
        print(f"   {kind:<15}: median {median(first, kind, '_gc') * 1000:.1f} ms ({gc_times})")
    for clock, title in (("_cpu", "process CPU time"), ("", "wall clock")):
        print(f"-- {title}")
        for kit, anchor in PAIRS:
            print(
                _ratio_line(
                    f"first use (setup) of {kit:<15}",
                    median(first, kit, clock),
                    anchor,
                    median(first, anchor, clock),
                    FIRST_USE_GOAL,
                )
            )
        trivial = median(each, "trivial", clock)
        for kit, anchor in PAIRS:
            print(
                _ratio_line(
                    f"per test over trivial, {kit:<15}",
                    median(each, kit, clock) - trivial,
                    anchor,
                    median(each, anchor, clock) - trivial,
                    PER_TEST_GOAL,
                )
            )
        print(f"   (a trivial test: {trivial * 1000:.2f} ms)")
    print("-- a whole `pytest -k one_test` run, process CPU time")
    base = statistics.median(whole["trivial"])
    for kind, seconds in ((kind, statistics.median(times)) for kind, times in whole.items()):
        print(f"   {kind:<20}: {seconds:.2f} s ({seconds - base:+.2f} s against a trivial test)")


if __name__ == "__main__":
    main()
