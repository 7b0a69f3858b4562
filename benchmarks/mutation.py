"""Mutation testing of the packages that judge, relay and fire: how many planted bugs the
tests catch, and which ones they miss.

Run: python benchmarks/mutation.py [SCOPE ...] [--max-minutes 30] [--max-children 1]
     [--workdir DIR] [--resume | --again] [--diffs]

SCOPE is one or more of openapi/remote, mock_server/firing, mock_server/proxy and
mock_server/testing (default: all four, one after another; on a shared machine, run one at a
time). Needs mutmut 3 (`pip install -e '.[mutation]'`); not part of CI.

For each scope, the checkout's files (tracked and new, from the working tree) are copied to a
folder of their own (DIR/<scope>, default under the system's temporary folder: the checkout
is never touched, and the folder stays for `mutmut show NAME` / `mutmut browse` there), a
`setup.cfg` there tells mutmut to mutate only that scope's modules and to run only the tests
that exercise them (``SCOPES``), and `mutmut run` runs at the lowest priority (nice 19).
mutmut first runs those tests once, unmutated, to learn which test reaches which function,
and checks that a forced failure fails them; then, for each mutant (one small change: an
operator, a constant, a string, a call's argument), it runs the tests that reach the mutated
function. A mutant is killed when a test fails (or times out), survives when all pass.

After --max-minutes a scope's run is interrupted and the mutants checked so far are
reported, the rest counted as not checked; --resume goes on from there (the same copy, only
the mutants not checked yet). --again brings an earlier run's copy up to the checkout (the
files that differ are copied over) and runs its survivors, unreached and not checked mutants,
so that tests added since are counted; a module whose code changed is mutated anew by mutmut,
under new names, and those are run next, in the same --max-minutes. Printed per scope: the counts by status, the
score (killed and timed out, out of every mutant checked, those no test reaches included)
and every survivor by name (with its diff under --diffs).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("openapi", "fixtures", "mock_server", "contract_tests")
"""Every package of the kit is copied into mutmut's tree, so that the tests import all of it
from there (the mutated scope and the rest alike), never the checkout's copy."""


@dataclass(frozen=True)
class Scope:
    modules: tuple[str, ...]
    """Globs of the files to mutate, relative to the checkout."""
    tests: tuple[str, ...]
    """The tests that exercise those modules: what mutmut runs against each mutant."""
    deselected: tuple[str, ...] = ()
    """Tests among those left out of mutmut's runs: one that builds and installs a wheel of
    its tree runs mutmut's trampolines without mutmut's settings; the slow twin of a property
    test that stays, the same property at more examples, costs minutes per survivor."""


SCOPES = {
    "openapi/remote": Scope(
        ("openapi/remote/*.py",),
        # The checks and reports are exercised through the contract suite and its CLI.
        ("tests/openapi/remote", "tests/contract_tests"),
        (
            "tests/contract_tests/test_plugin.py::test_the_options_work_under_pyargs_from_the_installed_wheel",
        ),
    ),
    "mock_server/firing": Scope(
        ("mock_server/firing/*.py",),
        (
            "tests/mock_server/firing",
            "tests/mock_server/cli/test_fire.py",
            "tests/mock_server/testing/test_pytest_firing.py",
        ),
    ),
    # The proxy with its two commands (their options and runs live in cli/ with the others).
    "mock_server/proxy": Scope(
        (
            "mock_server/proxy/*.py",
            "mock_server/cli/proxy.py",
            "mock_server/cli/record.py",
            "mock_server/cli/upstream.py",
        ),
        (
            "tests/mock_server/proxy",
            "tests/mock_server/cli/test_proxy.py",
            "tests/mock_server/cli/test_upstream.py",
        ),
        # The same property as its 100-example twin, which stays: at 600 examples (13 s here,
        # the twin 3 s) it would run again for each of the scrubber's survivors.
        (
            "tests/mock_server/proxy/test_scrub.py::test_no_planted_secret_is_in_the_recording_or_its_report_at_length",
        ),
    ),
    "mock_server/testing": Scope(("mock_server/testing/*.py",), ("tests/mock_server/testing",)),
}

ALSO_COPIED = (".github", "docs", "examples", "mkdocs.yml", "README.md")
"""What tests read from the checkout besides the packages: the example workflow, the docs."""

KILLED = ("killed", "timeout", "caught by type check")
NOT_CHECKED = ("not checked", "skipped", "check was interrupted by user")


def _files() -> list[str]:
    """The checkout's files as the working tree has them: tracked, and new ones not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (REPO / name).is_file()]


def _prepare(scope: Scope, workdir: Path) -> None:
    """A fresh copy of the checkout in ``workdir``, with mutmut's settings for ``scope``."""
    if workdir.exists():
        shutil.rmtree(workdir)
    _refresh(workdir)
    _configure(scope, workdir)


def _configure(scope: Scope, workdir: Path) -> None:
    """mutmut's settings for ``scope`` in ``workdir``'s ``setup.cfg``."""
    lines = ["[mutmut]", "source_paths =", *(f"    {p}" for p in PACKAGES)]
    lines += ["only_mutate =", *(f"    {m}" for m in scope.modules)]
    lines += ["pytest_add_cli_args_test_selection =", *(f"    {t}" for t in scope.tests)]
    lines += [f"    --deselect={t}" for t in scope.deselected]
    lines += ["pytest_add_cli_args =", "    -p", "    no:cacheprovider"]
    # Files outside the packages that tests read from the checkout's root (the example
    # workflow, the docs): mutmut copies only the packages and the tests into its tree.
    lines += ["also_copy =", *(f"    {p}" for p in ALSO_COPIED if (workdir / p).exists())]
    (workdir / "setup.cfg").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _refresh(workdir: Path) -> None:
    """Copy over into ``workdir`` the checkout's files that differ from its copy's."""
    for name in _files():
        source, target = REPO / name, workdir / name
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _mutmut(*args: str) -> list[str]:
    return ["nice", "-n", "19", sys.executable, "-m", "mutmut", *args]


def _run(workdir: Path, max_children: int, max_seconds: float, log: Path, names: list[str]) -> bool:
    """``mutmut run`` in ``workdir`` (of the mutants ``names``, or every one not checked);
    False when it was stopped at ``max_seconds``."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            _mutmut("run", "--max-children", str(max_children), *names),
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers are stopped with it
        )
        try:
            process.wait(timeout=max_seconds)
            return True
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGINT)  # mutmut saves what it has checked
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            return False


def _statuses(workdir: Path) -> dict[str, str]:
    """Every mutant's status, by name, as ``mutmut results --all true`` prints them."""
    printed = subprocess.run(
        _mutmut("results", "--all", "true"),
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = {}
    for line in printed.splitlines():
        name, colon, status = line.strip().rpartition(": ")
        if colon and "__mutmut_" in name:
            found[name] = status
    return found


def _diff(workdir: Path, name: str) -> str:
    shown = subprocess.run(_mutmut("show", name), cwd=workdir, capture_output=True, text=True)
    return shown.stdout


def report(name: str, statuses: dict[str, str], finished: bool) -> str:
    """The counts, the score and the survivors of one scope's run."""
    counts = Counter(statuses.values())
    checked = sum(n for status, n in counts.items() if status not in NOT_CHECKED)
    killed = sum(counts[status] for status in KILLED)
    score = f"{100 * killed / checked:.1f}%" if checked else "n/a"
    lines = [
        f"{name}: {len(statuses)} mutants, {checked} checked"
        + ("" if finished else " (stopped at --max-minutes)"),
        "  " + ", ".join(f"{status} {n}" for status, n in sorted(counts.items())),
        f"  score: {score} ({killed} of {checked} killed or timed out)",
    ]
    survivors = sorted(m for m, status in statuses.items() if status == "survived")
    unreached = sorted(m for m, status in statuses.items() if status == "no tests")
    lines += [f"  survived: {m}" for m in survivors]
    lines += [f"  no tests: {m}" for m in unreached]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scopes", nargs="*", metavar="SCOPE", help=", ".join(SCOPES))
    parser.add_argument("--max-minutes", type=float, default=30.0, help="per scope (30)")
    parser.add_argument("--max-children", type=int, default=1, help="mutmut's workers (1)")
    parser.add_argument("--workdir", type=Path, help="where the copies go (a temporary folder)")
    again = parser.add_mutually_exclusive_group()
    again.add_argument(
        "--resume", action="store_true", help="go on with an earlier run's copy (not checked ones)"
    )
    again.add_argument(
        "--again",
        action="store_true",
        help="an earlier run's survivors, unreached and not checked, with the checkout's tests",
    )
    parser.add_argument("--diffs", action="store_true", help="print each survivor's diff")
    args = parser.parse_args()
    scopes = args.scopes or list(SCOPES)
    unknown = [name for name in scopes if name not in SCOPES]
    if unknown:
        parser.error(f"unknown scope {unknown[0]!r}; the scopes are {', '.join(SCOPES)}")
    root = args.workdir or Path(tempfile.gettempdir()) / "everflow-mutation"
    # Started in the background by a shell, this process (and so mutmut and the tests' own
    # subprocesses) would ignore SIGINT: mutmut could not be stopped at --max-minutes, and the
    # tests that interrupt a subprocess would fail. A handler here is reset to the default in
    # every child.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = 0
    for name in scopes:
        workdir = root / name.replace("/", "-")
        earlier = (workdir / "mutants").is_dir()
        names: list[str] = []
        if args.again and earlier:
            wanted = ("survived", "no tests", *NOT_CHECKED)
            names = sorted(m for m, status in _statuses(workdir).items() if status in wanted)
            _refresh(workdir)
            _configure(SCOPES[name], workdir)
            if not names:
                print(f"{name}: every mutant was killed; nothing to run again")
                continue
        elif not (args.resume and earlier):
            _prepare(SCOPES[name], workdir)
        started = time.monotonic()
        log = workdir / "mutmut-run.log"
        finished = _run(workdir, args.max_children, args.max_minutes * 60, log, names)
        statuses = _statuses(workdir)
        if names and finished and any(s in NOT_CHECKED for s in statuses.values()):
            # The mutants of a module changed since: made anew, under names not asked above.
            left = args.max_minutes * 60 - (time.monotonic() - started)
            finished = left > 0 and _run(workdir, args.max_children, left, log, [])
            statuses = _statuses(workdir)
        if not statuses:
            print(f"{name}: mutmut checked nothing; see {log}", file=sys.stderr)
            code = 1
            continue
        print(report(name, statuses, finished))
        print(f"  {time.monotonic() - started:.0f} s; mutmut's tree: {workdir}")
        if args.diffs:
            for mutant in sorted(m for m, s in statuses.items() if s == "survived"):
                print(_diff(workdir, mutant))
    return code


if __name__ == "__main__":
    sys.exit(main())
