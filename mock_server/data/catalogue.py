"""The built-in catalogue: every valid variant, then every quirk shape, from a fixed seed.

Building it draws from Faker and validates every postback, which would cost a developer
0.1-0.2 s on every ``pytest -k one_test`` and every ``everflow-mock serve``. So each seed's
catalogue, validated and encoded, is kept in the kit's cache (``openapi.cache``) under a
name that hashes everything that decides its bytes: the seed, Faker's version and the
source of the factories, the encoder, the validator and the spec. Without a usable cache
file the catalogue is built as before (and kept), so the cache never changes what is served.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple

from mock_server.data.records import EncodedPostbacks, encode_records
from openapi import cache

# What decides the catalogue's bytes, relative to the kit's root: every file of a folder.
_SOURCES = ("fixtures", "openapi", "mock_server/data/catalogue.py", "mock_server/data/records.py",
            "mock_server/data/strictjson.py")  # fmt: skip


class CatalogueRow(NamedTuple):
    """What one built-in id is."""

    pixel_id: int
    delivery_method: str
    pixel_level: str
    pixel_type: str
    shape: str


def builtin_postbacks(seed: int = 0) -> list[dict[str, Any]]:
    """Ids 1..48: one postback per valid variant; then one per quirk shape."""
    return list(builtin_catalogue(seed))


@functools.lru_cache(maxsize=8)
def builtin_catalogue(seed: int = 0) -> EncodedPostbacks:
    """The catalogue of ``builtin_postbacks``, validated and encoded as the store keeps it:
    from the cache when it holds this seed's, else built (and cached)."""
    fingerprint = _fingerprint()
    name = f"catalogue-{seed}-{fingerprint}.jsonl"
    cached = cache.read(name) if fingerprint is not None else None
    if cached is not None:
        return EncodedPostbacks(
            {json.loads(line)["network_pixel_id"]: line for line in cached.split(b"\n")}
        )
    catalogue = encode_records(_build(seed))
    if fingerprint is not None:
        # Compact JSON has no raw newline: one postback a line.
        cache.write(name, b"\n".join(catalogue.encoded.values()), replaces=f"catalogue-{seed}-")
    return catalogue


@functools.lru_cache(maxsize=8)
def builtin_world(seed: int = 0) -> dict[str, list[dict[str, Any]]]:
    """The offers and affiliates the catalogue's postbacks name (``fixtures.world``), as
    ``{"offers": [...], "affiliates": [...]}``: from the cache when it holds this seed's,
    else built (and cached) like the catalogue. Callers copy before changing it."""
    fingerprint = _fingerprint()
    name = f"world-{seed}-{fingerprint}.json"
    cached = cache.read(name) if fingerprint is not None else None
    if cached is not None:
        world: dict[str, list[dict[str, Any]]] = json.loads(cached)
        return world
    from fixtures.world import builtin_world as build  # Faker: only when not cached

    world = build(seed)
    if fingerprint is not None:
        cache.write(name, json.dumps(world).encode(), replaces=f"world-{seed}-")
    return world


def _build(seed: int) -> list[dict[str, Any]]:
    from fixtures import QUIRKS, PostbackFactory  # Faker: only when not cached

    factory = PostbackFactory(seed)
    postbacks = list(factory.variants(start_id=1))
    first_quirk_id = len(postbacks) + 1
    for offset, quirk in enumerate(QUIRKS):
        postbacks.append(factory.build(first_quirk_id + offset, quirks=[quirk]))
    return postbacks


@functools.cache
def _fingerprint() -> str | None:
    """A hash of Faker's version (its ``__init__.py``, which states it: read, not imported)
    and of every source file that decides the catalogue (``None`` without Faker)."""
    from importlib.util import find_spec

    faker = find_spec("faker")
    if faker is None or faker.origin is None:
        return None
    root = Path(__file__).absolute().parents[2]
    files = [("faker/__init__.py", Path(faker.origin))]
    for source in map(root.joinpath, _SOURCES):
        found = sorted(source.iterdir()) if source.is_dir() else [source]
        files += [
            (p.relative_to(root).as_posix(), p) for p in found if p.suffix in (".py", ".yaml")
        ]
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def catalogue_rows(postbacks: list[dict[str, Any]]) -> list[CatalogueRow]:
    """One row per postback, naming its variant and, past the variants, its quirk."""
    from fixtures import QUIRKS, VARIANTS

    shapes = ["coherent"] * len(VARIANTS) + list(QUIRKS)
    return [
        CatalogueRow(
            body["network_pixel_id"],
            body["delivery_method"],
            body["pixel_level"],
            body["pixel_type"],
            shape,
        )
        for body, shape in zip(postbacks, shapes, strict=False)
    ]


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
