"""Whether another installed distribution also claims one of the kit's top-level packages.

The kit's packages have plain names (``openapi``, ``fixtures``, ``mock_server``,
``contract_tests``) that PyPI distributions of the same names install too. pip puts both
into one directory and says nothing, so one overwrites the other's files, or, in two
directories on the path, one hides the other. This module finds such a neighbour in the
installed distributions' metadata (``top_level.txt``, else the files listed in ``RECORD``)
and words the one line the CLIs print and the pytest plugin fails with.

Standard library only, and it imports nothing else of the kit, so that it still works when
the clash has broken the rest.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata

DISTRIBUTION = "everflow-postback-kit"
PACKAGES = ("openapi", "fixtures", "mock_server", "contract_tests")


@dataclass(frozen=True)
class Clash:
    """Another distribution (``distribution`` at ``version``) installs ``package`` too."""

    package: str
    distribution: str
    version: str


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _top_level_names(dist: metadata.Distribution) -> set[str]:
    declared = dist.read_text("top_level.txt")
    if declared is not None:
        return set(declared.split())
    return {
        file.parts[0].removesuffix(".py")
        for file in dist.files or ()
        if len(file.parts) > 0 and file.parts[0] not in ("..", "__pycache__")
    }


def find_clashes(path: Sequence[str] | None = None) -> list[Clash]:
    """Every other distribution on ``path`` (default ``sys.path``) that installs one of the
    kit's top-level packages, sorted by package and distribution."""
    if path is None:
        return list(_clashes_on_sys_path())
    return _find(metadata.distributions(path=list(path)))


@functools.lru_cache(maxsize=1)
def _clashes_on_sys_path() -> tuple[Clash, ...]:
    return tuple(_find(metadata.distributions()))


def _find(dists: Iterable[metadata.Distribution]) -> list[Clash]:
    ours = _normalized(DISTRIBUTION)
    found: set[Clash] = set()
    for dist in dists:
        name = dist.metadata["Name"]
        if not name or _normalized(name) == ours:
            continue
        for package in _top_level_names(dist).intersection(PACKAGES):
            found.add(Clash(package, name, dist.version))
    return sorted(found, key=lambda clash: (clash.package, _normalized(clash.distribution)))


def _listed(words: Sequence[str], quote: bool = True) -> str:
    shown = [f"'{word}'" if quote else word for word in words]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def clash_message(prog: str, path: Sequence[str] | None = None) -> str | None:
    """The one line saying which distribution clashes with the kit and what to do, prefixed
    with ``prog``; ``None`` when nothing clashes."""
    clashes = find_clashes(path)
    if not clashes:
        return None
    packages = list(dict.fromkeys(clash.package for clash in clashes))
    others = list(dict.fromkeys(clash.distribution for clash in clashes))
    owners = _listed(
        list(dict.fromkeys(f"'{clash.distribution}' {clash.version}" for clash in clashes)), False
    )
    noun = "package" if len(packages) == 1 else "packages"
    verb = "is" if len(packages) == 1 else "are"
    return (
        f"{prog}: {DISTRIBUTION}'s {noun} {_listed(packages)} {verb} also installed by "
        f"the distribution{'s' if len(others) > 1 else ''} {owners} in this environment, "
        f"and they cannot work side by side; install {DISTRIBUTION} in a virtual environment "
        f"without {_listed(others)} (pip uninstall {' '.join(others)} && "
        f"pip install --force-reinstall {DISTRIBUTION})"
    )


def exit_on_clash(prog: str) -> None:
    """For the CLIs: print the clash line to stderr and exit with status 2 if there is one."""
    message = clash_message(prog)
    if message is not None:
        print(message, file=sys.stderr)
        raise SystemExit(2)
