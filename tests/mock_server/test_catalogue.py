"""The built-in catalogue and its table (which the README shows)."""

from __future__ import annotations

from pathlib import Path

from fixtures import QUIRKS, VARIANTS
from mock_server.catalogue import builtin_postbacks, catalogue_rows, format_table
from mock_server.cli import main
from openapi import schema_violations

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_variant_once_then_every_quirk() -> None:
    postbacks = builtin_postbacks(0)
    rows = catalogue_rows(postbacks)
    assert [r.pixel_id for r in rows] == list(range(1, len(VARIANTS) + len(QUIRKS) + 1))
    assert [(r.delivery_method, r.pixel_level, r.pixel_type) for r in rows[: len(VARIANTS)]] == [
        tuple(v) for v in VARIANTS
    ]
    assert [r.shape for r in rows[len(VARIANTS) :]] == list(QUIRKS)
    for body in postbacks:
        assert schema_violations(body) == []


def test_catalogue_is_deterministic() -> None:
    assert builtin_postbacks(0) == builtin_postbacks(0)
    assert builtin_postbacks(0) != builtin_postbacks(1)


def test_list_command_prints_the_table_the_readme_shows(capsys: object) -> None:
    table = format_table(catalogue_rows(builtin_postbacks(0)))
    assert table in README.read_text(encoding="utf-8")
    assert main(["list"]) == 0
    assert table in capsys.readouterr().out  # type: ignore[attr-defined]
