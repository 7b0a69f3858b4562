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

import csv
import functools
import hashlib
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "everflow-postback-kit"
PACKAGES = ("openapi", "fixtures", "mock_server", "contract_tests")
# Where a distribution lists its top-level names or files (wheels, then eggs).
_LISTINGS = ("top_level.txt", "RECORD", "installed-files.txt", "SOURCES.txt")
# A line of top_level.txt or RECORD that names one of the packages (or a module of its name).
_LISTED = re.compile(
    rb'(?m)^"?(?:' + b"|".join(name.encode() for name in PACKAGES) + rb")(?:/|\.py,|\s*$)"
)


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
    record = dist.read_text("RECORD")  # read directly: 20x faster than ``dist.files``
    firsts = (
        {row[0].split("/", 1)[0] for row in csv.reader(record.splitlines()) if row}
        if record is not None
        else {file.parts[0] for file in dist.files or () if file.parts}
    )
    return {first.removesuffix(".py") for first in firsts - {"", "..", "__pycache__"}}


def find_clashes(path: Sequence[str] | None = None) -> list[Clash]:
    """Every other distribution on ``path`` (default ``sys.path``) that installs one of the
    kit's top-level packages, sorted by package and distribution."""
    if path is None:
        return list(_clashes_on_sys_path())
    return _find(_candidates(path))


@functools.lru_cache(maxsize=1)
def _clashes_on_sys_path() -> tuple[Clash, ...]:
    """The clashes on ``sys.path``; a clean verdict is kept in the kit's cache for as long
    as the same distributions (names and versions) are installed, so that every pytest run
    does not read every distribution's listings again."""
    try:
        from openapi import cache
    except Exception:  # a clash may have broken the rest of the package
        cache = None  # type: ignore[assignment]
    stamp = ["\0".join([entry, *(_infos(entry) or ())]) for entry in sys.path]
    where = "installation-" + hashlib.sha256(sys.prefix.encode()).hexdigest()[:16] + "-"
    name = where + hashlib.sha256("\n".join(stamp).encode()).hexdigest()[:32]
    if cache is not None and cache.read(name) == b"no clash":
        return ()
    found = tuple(_find(_candidates(sys.path)))
    if cache is not None and not found:
        cache.write(name, b"no clash", replaces=where)
    return found


def _candidates(path: Sequence[str]) -> Iterator[metadata.Distribution]:
    """The distributions on ``path`` whose listings mention one of the kit's names at all.

    Parsing every distribution's metadata and file list costs a pytest run 30-150 ms; a
    byte search of the listings rules out nearly all of them first, and only the few left
    are read as ``importlib.metadata`` reads them.
    """
    wanted = [name.encode() for name in PACKAGES]
    for entry in path:
        infos = _infos(entry)
        if infos is None:
            yield from metadata.distributions(path=[entry])  # a zip, or nothing
            continue
        for name in infos:
            info = os.path.join(entry or ".", name)
            listings = _listings(info)
            if (
                _LISTED.search(listings)
                if name.endswith(".dist-info")
                else any(word in listings for word in wanted)  # egg paths are relative
            ):
                yield metadata.PathDistribution(Path(info))


def _infos(entry: str) -> list[str] | None:
    """The distributions' folders in a ``sys.path`` entry, sorted; ``None`` when it is not
    a folder (a zip) or is gone."""
    try:
        names = os.listdir(entry or ".")
    except OSError:
        return None
    return sorted(name for name in names if name.endswith((".dist-info", ".egg-info")))


def _listings(info: str) -> bytes:
    found = []
    for listing in _LISTINGS:
        try:
            with open(os.path.join(info, listing), "rb") as file:
                found.append(file.read())
        except OSError:
            continue
    return b"\n".join(found)


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
