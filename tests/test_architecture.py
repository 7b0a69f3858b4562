"""docs/architecture.md's walks hold: each row of its table is what ``benchmarks/walk.py``
measures on the code as it is."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROXIED = "GET through the proxy"


def test_the_walks_table_is_what_walk_py_measures(monkeypatch: pytest.MonkeyPatch) -> None:
    found = importlib.util.spec_from_file_location("walk", REPO / "benchmarks" / "walk.py")
    assert found is not None
    assert found.loader is not None
    walk = importlib.util.module_from_spec(found)
    monkeypatch.setitem(sys.modules, "walk", walk)  # its dataclasses look themselves up there
    monkeypatch.setattr(sys, "path", list(sys.path))  # it puts the checkout first
    found.loader.exec_module(walk)
    page = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = page.split("## How far each walk travels", 1)[1].split("\n\n")[2]
    rows = re.findall(r"^\| (.+?) \| (\d+) \| (\d+) \|", table, flags=re.MULTILINE)
    documented = {
        name.strip("`"): (int(modules), int(switches)) for name, modules, switches in rows
    }
    walks = walk.measure()
    assert [m.status for m in walks] == [200] * len(walks)
    measured = {m.name: (m.modules, m.switches) for m in walks}
    # Through a real socket, the upstream's answer may arrive in two reads: one switch more.
    modules, switches = measured[PROXIED]
    if switches == documented[PROXIED][1] + 1:
        measured[PROXIED] = (modules, switches - 1)
    assert documented == measured
