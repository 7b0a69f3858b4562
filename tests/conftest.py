"""Shared test fixtures: the kit as a user installs it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytest_plugins = ["pytester"]


@dataclass(frozen=True)
class InstalledKit:
    """The kit's wheel installed into a directory of its own, outside the checkout."""

    site: Path

    def run(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run ``python ARGS`` in ``cwd`` with the installed wheel first on the import path."""
        env = {**os.environ, "PYTHONPATH": str(self.site), "PYTHONSAFEPATH": "1"}
        return subprocess.run(
            [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
        )


@pytest.fixture(scope="session")
def installed_kit(tmp_path_factory: pytest.TempPathFactory) -> InstalledKit:
    """The kit's wheel, built from this checkout and installed into a directory of its own."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("*.whl")
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return InstalledKit(target)
