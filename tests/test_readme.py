"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)
# The pytest examples are test modules of their own (`.ci/run` also runs them from the wheel).
PYTEST_EXAMPLES = ("test_postbacks.py", "test_verification.py", "test_failures.py")
TESTS = re.compile(r"^(?:async )?def test_", flags=re.MULTILINE)


def titled_block(title: str) -> str:
    """The ```python block of the README whose title is ``title``."""
    found = re.findall(rf"```python title={re.escape(title)}\n(.*?)```", README, flags=re.DOTALL)
    assert len(found) == 1, f"README needs exactly one python block titled {title}"
    return str(found[0])


def test_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(block: str) -> None:
    exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})


def test_every_titled_block_is_run() -> None:
    titles = re.findall(r"```python title=(\S+)\n", README)
    assert sorted(titles) == sorted(PYTEST_EXAMPLES)


@pytest.mark.parametrize("title", PYTEST_EXAMPLES)
def test_readme_pytest_example_passes_as_a_test_module(
    pytester: pytest.Pytester, title: str
) -> None:
    source = titled_block(title)
    assert "everflow_client" not in source
    pytester.makepyfile(**{title.removesuffix(".py"): source})
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(TESTS.findall(source)))


def test_ci_runs_the_readmes_test_command_first_and_installs_the_project_once() -> None:
    (command,) = re.findall(r"^python3 -m venv \.venv && .*pytest$", README, flags=re.MULTILINE)
    steps = [
        line
        for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.startswith(".venv/bin/") or line.startswith("python3 -m venv .venv")
    ]
    assert steps[0] == command
    assert sum("pip install -e" in line for line in steps) == 1
    assert ".venv/bin/lint-imports" in steps
