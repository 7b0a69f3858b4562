"""What the kit costs before it is used: loading its pytest plugins, and the CLIs' --help.

Run: python benchmarks/bench_import.py [--rounds 21]
Each figure is the median wall time of fresh interpreters, the cases taking turns in every
round so that the machine's load falls on all of them alike. Baselines from the same run:
``python -c pass`` for the CLIs, ``import pytest`` for the plugins (the mocks' and the contract
suite's, both loaded by every pytest run in an environment with the kit).
Goals (issue 9): the plugin modules add <= 50 ms to ``import pytest``; ``--help`` of either
CLI answers in <= 0.4 s.

Also printed, for information: what the pytest plugins of two of the kit's dependencies
(Faker's and respx's, registered by those distributions themselves) add to every pytest run
in an environment with the kit.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

PLUGIN_BUDGET = 0.050
HELP_BUDGET = 0.4
PLUGINS = "import pytest + the kit's plugins"


def _script(name: str, module: str) -> list[str]:
    """The installed console script, or its ``main`` run by this interpreter."""
    script = Path(sys.executable).with_name(name)
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", f"import sys; from {module} import main; sys.exit(main())"]


CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import pytest": [sys.executable, "-c", "import pytest"],
    PLUGINS: [
        sys.executable,
        "-c",
        "import pytest; import mock_server.testing.pytest_plugin; import contract_tests.plugin",
    ],
    "everflow-mock --help": [*_script("everflow-mock", "mock_server.cli"), "--help"],
    "everflow-contract --help": [*_script("everflow-contract", "contract_tests.cli"), "--help"],
    "import pytest + Faker's and respx's plugins": [
        sys.executable,
        "-c",
        "import pytest; import faker.contrib.pytest.plugin; import respx.plugin",
    ],
}


def _once(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()}")
    return elapsed


def measure(rounds: int) -> dict[str, float]:
    """Median seconds per case over ``rounds`` rounds (one warm-up round not counted)."""
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for round_ in range(rounds + 1):
        for name, command in CASES.items():
            elapsed = _once(command)
            if round_:
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def _verdict(value: float, budget: float) -> str:
    return "within budget" if value <= budget else "OVER BUDGET"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21, help="fresh runs per case")
    rounds = parser.parse_args().rounds
    median = measure(rounds)

    print(f"median of {rounds} fresh interpreters each ({sys.executable}):")
    for name, value in median.items():
        print(f"  {name:<50}{value * 1000:>8.0f} ms")
    python, pytest_alone = median["python -c pass"], median["import pytest"]
    plugin = median[PLUGINS] - pytest_alone
    print(
        f"plugin modules over import pytest: {plugin * 1000:.0f} ms "
        f"(budget {PLUGIN_BUDGET * 1000:.0f} ms): {_verdict(plugin, PLUGIN_BUDGET)}"
    )
    for cli in ("everflow-mock --help", "everflow-contract --help"):
        value = median[cli]
        print(
            f"{cli}: {value:.2f} s, {value - python:.2f} s over python -c pass "
            f"(budget {HELP_BUDGET} s): {_verdict(value, HELP_BUDGET)}"
        )
    others = median["import pytest + Faker's and respx's plugins"] - pytest_alone
    print(f"for information: Faker's and respx's own pytest plugins add {others * 1000:.0f} ms")


if __name__ == "__main__":
    main()
