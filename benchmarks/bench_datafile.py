"""How long a big ``--data`` file takes to load, and how much memory, against plain json.loads.

Run: python benchmarks/bench_datafile.py [--count 100000] [--keep FILE]

Writes ``--count`` postbacks from the factories as ``everflow-mock generate`` writes them
(a JSON array, indented), then, each in a fresh subprocess so that peak memory is its own:
plain ``json.loads`` of the file (the baseline: parsing alone, no checks), and the mock's
load (``load_data_file``, every record checked and encoded, then the ``MockState`` a served
app starts from). Prints seconds, peak RSS (VmHWM, Linux) and the ratios.
Goal (issue 11): loaded in <= 15 s, peak memory <= 3x the file size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fixtures import PostbackFactory

MEASURE = """
import json, resource, sys, time
from pathlib import Path

def status_mb(field):
    # VmHWM, unlike ru_maxrss, starts afresh at exec, so the parent's size does not count.
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return next(int(line.split()[1]) / 1024 for line in lines if line.startswith(field))

mode, path = sys.argv[1], sys.argv[2]
if mode == "mock":
    from mock_server import MockConfig, MockState
    from mock_server.data.datafile import load_data_file
before = status_mb("VmRSS:")
start = time.perf_counter()
if mode == "mock":
    state = MockState(MockConfig(postbacks=load_data_file(path)))
    count = len(state.store)
else:
    count = len(json.loads(Path(path).read_text(encoding="utf-8")))
seconds = time.perf_counter() - start
peak = status_mb("VmHWM:")
print(json.dumps({"seconds": seconds, "before_mb": before, "peak_mb": peak, "count": count}))
"""


def measure(mode: str, path: Path) -> dict[str, float]:
    """Run one load in a fresh interpreter and return its figures."""
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, mode, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def write_file(path: Path, count: int) -> float:
    """Write ``count`` factory postbacks as ``everflow-mock generate`` does; seconds taken."""
    start = time.perf_counter()
    factory = PostbackFactory(seed=0)
    postbacks = [factory.build(pixel_id) for pixel_id in range(1, count + 1)]
    path.write_text(json.dumps(postbacks, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000, help="postbacks in the file")
    parser.add_argument("--keep", type=Path, help="write the file here and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        path = args.keep or Path(scratch) / "postbacks.json"
        wrote = write_file(path, args.count)
        size_mb = path.stat().st_size / 2**20
        print(f"{args.count:,} postbacks, {size_mb:.1f} MiB, written in {wrote:.1f} s")
        baseline = measure("json", path)
        mock = measure("mock", path)

    assert mock["count"] == baseline["count"] == args.count
    print(f"{'what':<44}{'seconds':>9}{'peak RSS':>12}{'x file':>8}{'after imports':>15}")
    for label, figures in (
        ("json.loads(file) [baseline, no checks]", baseline),
        ("load_data_file + MockState [the mock]", mock),
    ):
        print(
            f"{label:<44}{figures['seconds']:>9.2f}{figures['peak_mb']:>9.0f} MiB"
            f"{figures['peak_mb'] / size_mb:>7.2f}x{figures['before_mb']:>11.0f} MiB"
        )
    print(f"mock / baseline: {mock['seconds'] / baseline['seconds']:.2f}x the time")
    time_ok = mock["seconds"] <= 15
    memory_ok = mock["peak_mb"] <= 3 * size_mb
    print(f"goal: loaded in <= 15 s: {'meets' if time_ok else 'MISSES'}")
    print(f"goal: peak memory <= 3x the file: {'meets' if memory_ok else 'MISSES'}")
    print("(figures on a shared, loaded machine are provisional)")


if __name__ == "__main__":
    main()
