"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(block: str) -> None:
    exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})


def test_readme_pytest_section_is_the_example_projects_test_module() -> None:
    name = "examples/downstream/tests/test_clients.py"
    shown = re.search(rf"```python title={re.escape(name)}\n(.*?)```", README, flags=re.DOTALL)
    assert shown is not None
    assert shown.group(1) == (Path(__file__).resolve().parent.parent / name).read_text()
