"""Find, parse and cache the spec file, in a checkout and in an installed wheel alike."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openapi import cache

if TYPE_CHECKING:
    from openapi_core import OpenAPI

SPEC_FILENAME = "partner-postbacks.yaml"
SPEC_URI = "urn:everflow-postback-kit:spec"
"""What the validators' registries call the spec, for ``$ref`` into its components."""


def spec_path() -> Path:
    """The spec file shipped inside this package, beside this module (a real file in a
    checkout or an installed wheel; the kit is never imported from a zip)."""
    return Path(__file__).with_name(SPEC_FILENAME)


@functools.cache
def spec_bytes() -> bytes:
    """The spec file's raw bytes, read once (served as-is by the mock at /openapi.yaml)."""
    return spec_path().read_bytes()


@functools.cache
def load_spec() -> dict[str, Any]:
    """The spec parsed into plain data, parsed once per process.

    Callers must not mutate it: every part of the kit shares this one copy. Start-up waits
    for this, so the parsed spec is kept as JSON in the kit's cache (``openapi.cache``),
    named by the hash of the spec's bytes: reading that is several times faster than
    parsing the YAML, even with libyaml.
    """
    raw = spec_bytes()
    name = f"spec-{hashlib.sha256(raw).hexdigest()[:32]}.json"
    cached = cache.read(name)
    if cached is not None:
        data: dict[str, Any] = json.loads(cached)
        return data
    import yaml  # only when the spec is not cached

    # libyaml's loader where PyYAML has it: ten times faster than PyYAML's own.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(raw, Loader=loader)
    if not isinstance(data, dict):
        raise ValueError(f"{SPEC_FILENAME} is not a YAML mapping")
    try:
        text = json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError):  # a value JSON cannot carry: no cache
        return data
    if json.loads(text) == data:  # e.g. YAML's integer keys would come back as strings
        cache.write(name, text, replaces="spec-")
    return data


@functools.cache
def get_openapi() -> OpenAPI:
    """The process-wide openapi-core object for the spec.

    Building one is slow, so there is exactly one. The spec itself is validated by the
    test suite, not here on every load.
    """
    # None is the documented way to skip spec validation; the type hints omit it.
    from openapi_core import Config, OpenAPI  # costs 0.2 s: only for whole-exchange checks

    config = Config(spec_validator_cls=None)  # type: ignore[arg-type]
    return OpenAPI.from_dict(load_spec(), config=config)


def dereferenced(node: Any) -> Any:
    """``node``, or the part of the spec its local ``$ref`` (``#/components/...``) names,
    followed until a node has none; any other node as it is."""
    while isinstance(node, Mapping) and str(node.get("$ref")).startswith("#/"):
        target: Any = load_spec()
        for key in node["$ref"][2:].split("/"):
            target = target[key]
        node = target
    return node


def resolved(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` with its local ``$ref`` followed and its ``allOf`` and ``anyOf`` members'
    properties, ``items`` and ``type`` merged in (its own keys win): enough to know which
    properties a valid value may have, and their schemas, without a validator. Members'
    types are united, as JSON Schema lists them (``anyOf [integer, null]`` gives
    ``["integer", "null"]``), since a valid value may be of any of them."""
    if "$ref" in schema:
        schema = {**dereferenced(schema), **{k: v for k, v in schema.items() if k != "$ref"}}
    merged: dict[str, Any] = dict(schema)
    types: list[Any] = []
    for member in [*schema.get("allOf", ()), *schema.get("anyOf", ())]:
        inner = resolved(member)
        merged["properties"] = {**inner.get("properties", {}), **merged.get("properties", {})}
        if "items" in inner:
            merged.setdefault("items", inner["items"])
        kinds = inner.get("type", [])
        types += [
            kind for kind in (kinds if isinstance(kinds, list) else [kinds]) if kind not in types
        ]
    if types and "type" not in schema:
        merged["type"] = types[0] if len(types) == 1 else types
    return merged


def rule_schemas(schema: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The titled ``allOf`` members of ``schema``, by title, in the spec's order.

    A member without a title is a group of rules (its own ``allOf``); the spec groups them
    so that tools that expand conditionals into alternatives stay within their limits.
    """
    found: dict[str, Mapping[str, Any]] = {}
    for member in schema.get("allOf", ()):
        if "title" in member:
            found[str(member["title"])] = member
        else:
            found.update(rule_schemas(member))
    return found


@functools.cache
def spec_rules() -> dict[str, str]:
    """The documented field rules (``PartnerPostback``'s ``rule_schemas``), by name, with
    what each one says."""
    rules = rule_schemas(load_spec()["components"]["schemas"]["PartnerPostback"])
    return {name: str(rule.get("description", "")) for name, rule in rules.items()}


@functools.cache
def api_key_header() -> str:
    """The header that carries the API key: the spec's one security scheme's."""
    spec = load_spec()
    (requirement,) = spec["security"]
    (scheme,) = requirement
    return str(spec["components"]["securitySchemes"][scheme]["name"])


@functools.cache
def everflow_base_urls() -> tuple[str, ...]:
    """Everflow's own base URLs, default region first: the spec's absolute servers."""
    return tuple(server["url"] for server in load_spec()["servers"] if "://" in server["url"])
