"""The built-in catalogue and its table (which the docs show)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import QUIRKS, VARIANTS
from mock_server.cli import main
from mock_server.data.catalogue import builtin_postbacks, catalogue_rows, format_table
from openapi import schema_violations
from openapi.cache import CACHE_ENV

DATA_PAGE = Path(__file__).resolve().parents[3] / "docs" / "mock-server" / "data.md"


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


def test_list_command_prints_the_table_the_docs_show(capsys: object) -> None:
    table = format_table(catalogue_rows(builtin_postbacks(0)))
    assert table in DATA_PAGE.read_text(encoding="utf-8")
    assert main(["list"]) == 0
    assert table in capsys.readouterr().out  # type: ignore[attr-defined]


def test_the_catalogue_is_cached_and_read_back_as_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mock_server.data import catalogue

    built = catalogue._build(3)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    catalogue.builtin_catalogue.cache_clear()
    try:
        first = catalogue.builtin_catalogue(3)
        (cached,) = tmp_path.glob("catalogue-3-*")
        catalogue.builtin_catalogue.cache_clear()
        monkeypatch.setattr(catalogue, "_build", lambda seed: pytest.fail("built again"))
        again = catalogue.builtin_catalogue(3)
        assert list(again) == list(first) == built
        assert dict(again.encoded) == dict(first.encoded)

        # A cache file that is not as written is ignored: the catalogue is built again.
        cached.write_bytes(cached.read_bytes().replace(b'"network_pixel_id":1,', b'"x":1,'))
        catalogue.builtin_catalogue.cache_clear()
        monkeypatch.setattr(catalogue, "_build", lambda seed: built)
        assert list(catalogue.builtin_catalogue(3)) == built
    finally:
        catalogue.builtin_catalogue.cache_clear()


@pytest.mark.slow
def test_a_cached_catalogue_needs_no_faker(tmp_path: Path) -> None:
    code = (
        "import sys; from mock_server.app import MockApp; from mock_server.core.config import "
        "MockConfig; MockApp(MockConfig()); print(sorted({'faker', 'fixtures', 'flask', "
        "'werkzeug', 'yaml'} & set(sys.modules)))"
    )
    env = {**os.environ, CACHE_ENV: str(tmp_path)}
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "faker" in first.stdout  # built: the factories drew it
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "[]"


def test_the_world_is_cached_beside_the_catalogue_and_read_back_as_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fixtures import world
    from mock_server.data import catalogue

    built = world.builtin_world(3)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    catalogue.builtin_world.cache_clear()
    try:
        assert catalogue.builtin_world(3) == built
        (cached,) = tmp_path.glob("world-3-*")
        catalogue.builtin_world.cache_clear()
        monkeypatch.setattr(world, "builtin_world", lambda seed: pytest.fail("built again"))
        assert catalogue.builtin_world(3) == built

        # A cache file that is not as written is ignored: the world is built again.
        cached.write_bytes(cached.read_bytes().replace(b'"offers"', b'"x"'))
        catalogue.builtin_world.cache_clear()
        monkeypatch.setattr(world, "builtin_world", lambda seed: built)
        assert catalogue.builtin_world(3) == built
    finally:
        catalogue.builtin_world.cache_clear()


def test_the_world_has_what_every_catalogue_postback_names() -> None:
    from mock_server.data.catalogue import builtin_world

    world = builtin_world(0)
    offers = {o["network_offer_id"]: o for o in world["offers"]}
    partners = {a["network_affiliate_id"]: a for a in world["affiliates"]}
    for postback in builtin_postbacks(0):
        related = postback.get("relationship") or {}
        if "offer" in related:
            offer = offers[postback["network_offer_id"]]
            assert offer["name"] == related["offer"]["name"]
            entries = offer["relationship"]["payout_revenue"]["entries"]
            event = postback["network_offer_payout_revenue_id"]
            assert event == 0 or event in [e["network_offer_payout_revenue_id"] for e in entries]
        if "affiliate" in related:
            assert (
                partners[postback["network_affiliate_id"]]["name"] == related["affiliate"]["name"]
            )
    for offer in world["offers"]:
        assert schema_violations(offer, "Offer") == []
    for partner in world["affiliates"]:
        assert schema_violations(partner, "Affiliate") == []
