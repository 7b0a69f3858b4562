"""Request bodies parsed and judged by the spec (``valid_body``: a write's or a search's; and
``unknown_fields``: what a body sent that its schema does not name, for the warning header),
and write bodies (create, replace) turned into stored postbacks.

The spec decides everything here: a body is ``PartnerPostbackInput``; the stored postback
has ``PartnerPostback``'s fields in the spec's order, the writable ones from the body
(left out: 0 for integers, ``""`` for strings, ``null`` for platform objects) and the
``readOnly`` ones from the server, whatever the body said of them. Undocumented fields are
dropped.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mock_server.core.errors import ApiError
from mock_server.core.mock_warning import near, shown
from mock_server.data import strictjson
from openapi import Violation, load_spec, spec_rules
from openapi.fast_validation import violations
from openapi.spec import resolved
from openapi.text import cut, listed

MAX_LISTED = 3
"""How many of a body's problems a 400 names (the rest are counted)."""
MAX_MESSAGE = 200
"""How much of one problem's message a 400 repeats (messages may quote the bad value)."""
MAX_FOUND = 100
"""How many unknown fields are collected from one body (the warning header counts them)."""
MAX_DEPTH = 32
"""How deep ``_numbers`` follows a schema (a schema that names itself would never end)."""


class ChangeRefused(ApiError):
    """A change to a stored postback the spec refuses for a reason no schema can see (a 400
    whose message names the field). Not ``openapi.remote``'s ``WriteRefused`` (a write
    the remote client will not send) nor the proxy's ``Refused`` (an option refused)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class Relationships(Protocol):
    """Where server-filled fields come from: ``fixtures.PostbackFactory`` for the mock's seed."""

    @property
    def network_id(self) -> int: ...

    def relationship(
        self, network_offer_id: int, network_affiliate_id: int, pixel_level: str
    ) -> dict[str, Any]: ...


@functools.cache
def _fields() -> dict[str, Any]:
    """Every ``PartnerPostback`` field in the spec's order, with the value a write that
    leaves it out gets (``None`` for the server-filled ones, which are never left out)."""
    properties = load_spec()["components"]["schemas"]["PartnerPostback"]["properties"]
    defaults = {"integer": 0, "string": ""}
    return {
        name: None if schema.get("readOnly") else defaults.get(schema.get("type", ""))
        for name, schema in properties.items()
    }


@functools.cache
def value_aliases() -> dict[str, dict[str, str]]:
    """Per field, the older names of a value and the name it is stored under (the spec's
    ``x-aliases``: ``{"pixel_type": {"post_conversion": "event"}}``)."""
    properties = load_spec()["components"]["schemas"]["PartnerPostback"]["properties"]
    found = {name: resolved(schema).get("x-aliases") for name, schema in properties.items()}
    return {name: dict(aliases) for name, aliases in found.items() if aliases}


def _canonical(body: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` with every aliased value under the name it is stored as."""
    changed = dict(body)
    for name, aliases in value_aliases().items():
        value = changed.get(name)
        if isinstance(value, str) and value in aliases:
            changed[name] = aliases[value]
    return changed


def valid_body(data: bytes | None, schema_name: str) -> dict[str, Any]:
    """The body as a JSON object valid by ``schema_name``; ``ApiError`` (400) saying why not.

    Numbers JSON Schema counts as integers although written with a fraction (``628.0``) are
    made ints where the spec types a field as integer, so they are stored, indexed and sent
    back as integers.
    """
    try:
        body = strictjson.loads(data or b"")
    except strictjson.StrictJSONError as error:
        raise ApiError(400, cut(f"The body is not plain JSON: {error}", MAX_MESSAGE)) from None
    if not isinstance(body, dict):
        raise ApiError(400, f"The body must be a JSON object ({schema_name}).")
    problems = violations(body, schema_name)
    if problems:
        raise ApiError(400, describe(problems))
    whole: dict[str, Any] = _whole(body, _numbers(schema_name))
    return whole


@functools.cache
def _known_paths(schema_name: str) -> dict[str, tuple[str, ...]]:
    """Every property name anywhere in the schema, with the paths it is known at."""
    found: dict[str, list[str]] = {}

    def walk(schema: Mapping[str, Any], path: str, depth: int) -> None:
        if depth > 4:
            return
        for name, inner in resolved(schema).get("properties", {}).items():
            where = f"{path}.{name}" if path else name
            found.setdefault(name, []).append(where)
            walk(inner, where, depth + 1)

    walk({"$ref": f"#/components/schemas/{schema_name}"}, "", 0)
    return {name: tuple(paths) for name, paths in found.items()}


_PROPERTIES: dict[int, tuple[Mapping[str, Any], Mapping[str, Any]]] = {}
"""Each schema of the spec met so far (kept, so that its id stays its own) with its
properties, resolved once: the spec does not change while the mock runs."""


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The properties a value valid by ``schema`` may have, with their schemas."""
    known = _PROPERTIES.get(id(schema))
    if known is None:
        known = _PROPERTIES[id(schema)] = (schema, resolved(schema).get("properties", {}))
    return known[1]


@functools.cache
def _root(schema_name: str) -> Mapping[str, Any]:
    return {"$ref": f"#/components/schemas/{schema_name}"}


def unknown_fields(body: Any, schema_name: str) -> list[str]:
    """A note for every object key of ``body`` (valid by ``schema_name``) that the schema
    does not name, with where it belongs or what it may be a misspelling of."""
    notes: list[str] = []
    known = _known_paths(schema_name)

    def walk(value: Any, schema: Mapping[str, Any], path: str) -> None:
        if not isinstance(value, dict):
            return
        properties = _properties(schema)
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key in properties:
                walk(item, properties[key], where)
            elif len(notes) < MAX_FOUND:
                notes.append(f"{shown(where)} ({_why(str(key), path, properties, known)})")

    walk(body, _root(schema_name), "")
    return notes


def _why(key: str, path: str, here: Mapping[str, Any], known: Mapping[str, tuple[str, ...]]) -> str:
    elsewhere = [where for where in known.get(key, ()) if where.rsplit(".", 1)[0] != path]
    if elsewhere:
        return f"not read here; it belongs at {shown(elsewhere[0])}"
    close = near(key, list(here))
    if close:
        return f"not documented; did you mean {close[0]}?"
    return "not documented"


@dataclass(frozen=True)
class _Numbers:
    """Where a schema types a number as an integer: the value itself (``integral``), its
    properties', its items'. Read from the spec once per schema, so a write's body is made
    whole without resolving a schema per value."""

    integral: bool
    properties: Mapping[str, _Numbers]
    items: _Numbers | None


@functools.cache
def _numbers(schema_name: str) -> _Numbers:
    return _numbers_of(load_spec()["components"]["schemas"][schema_name], depth=0)


def _numbers_of(schema: Mapping[str, Any], depth: int) -> _Numbers:
    schema = resolved(schema)
    if depth >= MAX_DEPTH:
        return _Numbers(_integral(schema.get("type")), {}, None)
    properties = schema.get("properties") or {}
    items = schema.get("items")
    return _Numbers(
        _integral(schema.get("type")),
        {name: _numbers_of(inner, depth + 1) for name, inner in properties.items()},
        _numbers_of(items, depth + 1) if isinstance(items, Mapping) else None,
    )


def _whole(value: Any, numbers: _Numbers) -> Any:
    """``value`` (valid by the schema of ``numbers``) with integral floats made ints where
    the schema says integer."""
    if isinstance(value, float) and numbers.integral:
        return int(value)
    if isinstance(value, dict):
        properties = numbers.properties
        return {
            key: _whole(item, properties[key]) if key in properties else item
            for key, item in value.items()
        }
    if isinstance(value, list) and numbers.items is not None:
        return [_whole(item, numbers.items) for item in value]
    return value


def _integral(types: Any) -> bool:
    """Whether a schema's ``type`` makes a number an integer (``integer``, or with ``null``;
    not where ``number`` is allowed too)."""
    kinds = types if isinstance(types, list) else [types]
    return "integer" in kinds and "number" not in kinds


def describe(problems: list[Violation]) -> str:
    """A 400's message: each broken rule by name and what it says, each bad field by path."""
    rules = spec_rules()
    said: list[str] = []
    for problem in problems:
        if problem.rule is not None:
            line = f"{problem.rule}: {rules.get(problem.rule, problem.message)}"
        elif problem.path == "$":
            line = problem.message
        else:
            line = f"{problem.path[2:]}: {problem.message}"
        line = cut(line, MAX_MESSAGE)
        if line not in said:
            said.append(line)
    return listed(said, MAX_LISTED)


def _postback(body: Mapping[str, Any], server: Mapping[str, Any]) -> dict[str, Any]:
    """The stored postback: ``server``'s values for its fields, the body's (or defaults) for
    the writable ones, in the spec's order."""
    body = _canonical(body)
    return {
        name: server[name] if name in server else body.get(name, default)
        for name, default in _fields().items()
    }


def _relationship(
    body: Mapping[str, Any], source: Relationships, kept: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The relationship for the body's ids and level; entities of ``kept`` (a stored
    relationship) stay as they are where their id is still the body's."""
    level = body["pixel_level"]
    fresh = source.relationship(
        body.get("network_offer_id", 0), body["network_affiliate_id"], level
    )
    if not isinstance(kept, Mapping):
        return fresh
    for entity in fresh:
        old = kept.get(entity)
        key = f"network_{entity}_id"
        if isinstance(old, dict) and old.get(key) == fresh[entity][key]:
            fresh[entity] = old
    return fresh


def created(
    body: Mapping[str, Any], pixel_id: int, source: Relationships, now: Callable[[], int]
) -> dict[str, Any]:
    """The postback a create stores for a valid ``body`` under ``pixel_id``."""
    moment = now()
    server = {
        "network_pixel_id": pixel_id,
        "network_id": source.network_id,
        "time_created": moment,
        "time_saved": moment,
        "relationship": _relationship(body, source),
    }
    return _postback(body, server)


def replaced(
    body: Mapping[str, Any],
    stored: Mapping[str, Any],
    source: Relationships,
    now: Callable[[], int],
) -> dict[str, Any]:
    """The postback a replace stores in place of ``stored`` for a valid ``body``.

    ``ChangeRefused`` (naming ``pixel_level``) when the body changes the level of a cpc
    postback.
    """
    if stored.get("pixel_type") == "cpc" and body["pixel_level"] != stored.get("pixel_level"):
        raise ChangeRefused(
            f"pixel_level: the pixel_level of a cpc postback cannot be changed "
            f"(it is {stored.get('pixel_level')!r})."
        )
    moment = now()
    saved = stored.get("time_saved")
    server = {
        "network_pixel_id": stored["network_pixel_id"],
        "network_id": stored.get("network_id", source.network_id),
        "time_created": stored.get("time_created", moment),
        "time_saved": max(moment, saved + 1) if type(saved) is int else moment,
        "relationship": _relationship(body, source, stored.get("relationship")),
    }
    return _postback(body, server)
