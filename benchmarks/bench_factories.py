"""How fast PostbackFactory.build() is, against copy.deepcopy of one postback in the same run.

Run: python benchmarks/bench_factories.py [--seconds 2]
Goal (issue 3): at least 20,000 postbacks/s on one core, i.e. within about 2.5x of deepcopy.
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable

from fixtures import VARIANTS, PostbackFactory


def rate(work: Callable[[int], object], seconds: float, batch: int = 500) -> float:
    """Calls per second of ``work(i)`` over about ``seconds``, best of three rounds; the clock
    is read once per ``batch`` calls."""
    best = 0.0
    for _ in range(3):
        n, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 3:
            for i in range(batch):
                work(n + i)
            n += batch
        best = max(best, n / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    seconds = parser.parse_args().seconds

    factory = PostbackFactory(seed=0)
    fixed = factory.build(1, delivery_method="facebook", pixel_level="specific")
    variants = [v._asdict() for v in VARIANTS]

    baseline = rate(lambda i: copy.deepcopy(fixed), seconds)
    drawn = rate(lambda i: factory.build(i + 1), seconds)
    chosen = rate(lambda i: factory.build(i + 1, **variants[i % len(variants)]), seconds)
    quirky = rate(lambda i: factory.build(i + 1, quirks=("sparse",)), seconds)

    print(f"{'what':<44}{'per second':>12}{'vs deepcopy':>13}")
    for label, value in (
        ("copy.deepcopy(one postback) [baseline]", baseline),
        ("build(id) [variant drawn]", drawn),
        ("build(id, **variant) [all 48 variants]", chosen),
        ("build(id, quirks=...)", quirky),
    ):
        print(f"{label:<44}{value:>12,.0f}{value / baseline:>12.2f}x")
    goal = 20_000
    verdict = "meets" if min(drawn, chosen) >= goal else "MISSES"
    print(f"goal: >= {goal:,}/s for build() over all variants: {verdict}")


if __name__ == "__main__":
    main()
