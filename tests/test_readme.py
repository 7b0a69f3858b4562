"""The README's and the docs' Python examples run as written, and their links lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = REPO / "docs"
PAGES = {
    "README.md": README,
    **{
        str(page.relative_to(REPO)): page.read_text(encoding="utf-8")
        for page in sorted(DOCS.rglob("*.md"))
    },
}
BLOCKS = [
    (name, block)
    for name, text in PAGES.items()
    for block in re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
]
TITLED = re.compile(r'```python title="([\w.]+)"\n(.*?)```', flags=re.DOTALL)
# The pytest examples are test modules of their own (`.ci/run` also runs them from the wheel).
PYTEST_EXAMPLES = (
    "test_quickstart.py",
    "test_postbacks.py",
    "test_verification.py",
    "test_failures.py",
    "test_other_clients.py",
    "test_firing.py",
    "test_references.py",
)
TESTS = re.compile(r"^(?:async )?def test_", flags=re.MULTILINE)
# A Markdown link's target: [text](target), not inside code.
LINK = re.compile(r"\]\(([^)\s]+)\)")


def titled_block(title: str) -> str:
    """The ```python block, in the README or the docs, whose title is ``title``."""
    found = [
        block for text in PAGES.values() for name, block in TITLED.findall(text) if name == title
    ]
    assert len(found) == 1, f"the README and docs need exactly one python block titled {title}"
    return str(found[0])


def test_the_docs_have_python_examples() -> None:
    assert len(BLOCKS) >= 2
    assert len(PAGES) > 10


@pytest.mark.parametrize(
    ("page", "block"), BLOCKS, ids=[f"{page}:block{i}" for i, (page, _) in enumerate(BLOCKS)]
)
def test_example_runs(page: str, block: str) -> None:
    exec(compile(block, page, "exec"), {"__name__": "readme_example"})


def test_every_python_block_is_run() -> None:
    """A python block either runs as it is (``BLOCKS``) or is a titled pytest module."""
    fences = [fence for text in PAGES.values() for fence in re.findall(r"```python[^\n]*\n", text)]
    titles = [title for text in PAGES.values() for title, _ in TITLED.findall(text)]
    assert sorted(titles) == sorted(PYTEST_EXAMPLES)
    assert len(fences) == len(BLOCKS) + len(titles)


@pytest.mark.parametrize("title", PYTEST_EXAMPLES)
def test_pytest_example_passes_as_a_test_module(pytester: pytest.Pytester, title: str) -> None:
    source = titled_block(title)
    assert "everflow_client" not in source
    pytester.makepyfile(**{title.removesuffix(".py"): source})
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(TESTS.findall(source)))


def slug(heading: str) -> str:
    """The anchor MkDocs gives a heading (``## Set up`` -> ``set-up``)."""
    words = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[-\s]+", "-", words)


def test_the_readmes_links_lead_to_files_and_headings() -> None:
    targets = [target for target in LINK.findall(README) if not target.startswith("https://")]
    assert any(target.startswith("docs/") for target in targets), "the README links to the docs"
    for target in targets:
        path, _, anchor = target.partition("#")
        assert (REPO / path).is_file(), target
        if anchor:
            headings = re.findall(r"^#+ (.*)$", PAGES[path], flags=re.MULTILINE)
            assert anchor in map(slug, headings), target


def test_the_docs_index_links_every_page() -> None:
    index = PAGES["docs/index.md"]
    linked = {target.split("#")[0] for target in LINK.findall(index)}
    pages = {str(page.relative_to(DOCS)) for page in DOCS.rglob("*.md")} - {"index.md"}
    assert pages - linked == set()


def test_the_readme_says_which_set_up_installs_mkdocs() -> None:
    (note,) = re.findall(r"\(`\.venv/bin/mkdocs serve`[^)]*\)", README)
    assert "second set-up" in note
    second = re.findall(r"^python3 -m venv \.venv && .*$", README, flags=re.MULTILINE)[1]
    assert "'.[dev]'" in second
    dev = re.search(r"^dev = \[(.*?)^\]", (REPO / "pyproject.toml").read_text(), re.M | re.S)
    assert dev is not None
    assert '"mkdocs' in dev.group(1)


def test_every_docs_page_is_in_the_site_navigation() -> None:
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for page in DOCS.rglob("*.md"):
        assert f": {page.relative_to(DOCS).as_posix()}\n" in config, page


def test_ci_runs_the_readmes_test_command_first_and_installs_the_project_once() -> None:
    (command,) = re.findall(
        r"^python3 -m venv \.venv && .*pytest -n auto$", README, flags=re.MULTILINE
    )
    steps = [
        line
        for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.startswith(".venv/bin/") or line.startswith("python3 -m venv .venv")
    ]
    assert steps[0] == command
    assert sum("pip install -e" in line for line in steps) == 1
    assert ".venv/bin/lint-imports" in steps
    built = steps.index(".venv/bin/lint-imports") + 1
    assert steps[built].startswith(".venv/bin/mkdocs build --strict")
