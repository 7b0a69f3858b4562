"""The built-in catalogue: every valid variant, then every quirk shape, from a fixed seed."""

from __future__ import annotations

from typing import Any, NamedTuple

from fixtures import QUIRKS, VARIANTS, PostbackFactory


class CatalogueRow(NamedTuple):
    """What one built-in id is."""

    pixel_id: int
    delivery_method: str
    pixel_level: str
    pixel_type: str
    shape: str


def builtin_postbacks(seed: int = 0) -> list[dict[str, Any]]:
    """Ids 1..48: one postback per valid variant; then one per quirk shape."""
    factory = PostbackFactory(seed)
    postbacks = list(factory.variants(start_id=1))
    first_quirk_id = len(postbacks) + 1
    for offset, quirk in enumerate(QUIRKS):
        postbacks.append(factory.build(first_quirk_id + offset, quirks=[quirk]))
    return postbacks


def catalogue_rows(postbacks: list[dict[str, Any]]) -> list[CatalogueRow]:
    """One row per postback, naming its variant and, past the variants, its quirk."""
    rows = []
    for index, body in enumerate(postbacks):
        shape = QUIRKS[index - len(VARIANTS)] if index >= len(VARIANTS) else "coherent"
        rows.append(
            CatalogueRow(
                body["network_pixel_id"],
                body["delivery_method"],
                body["pixel_level"],
                body["pixel_type"],
                shape,
            )
        )
    return rows


def format_table(rows: list[CatalogueRow]) -> str:
    """A Markdown table of the catalogue (as in the README and ``everflow-mock list``)."""
    lines = [
        "| id | delivery_method | pixel_level | pixel_type | shape |",
        "|---:|---|---|---|---|",
    ]
    lines += [
        f"| {r.pixel_id} | {r.delivery_method} | {r.pixel_level} | {r.pixel_type} | {r.shape} |"
        for r in rows
    ]
    return "\n".join(lines)
