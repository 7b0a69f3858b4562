"""What a request sent that the mock did not read, said back in ``X-Everflow-Mock-Warning``.

The mock is lenient where Everflow is (unknown query parameters, undocumented body fields
and search filters are accepted), but a client that misplaces or misspells a filter would
otherwise get the whole catalogue and no hint. Every answer that ignored part of its request
names what, and why, in one header; the journal and the access log repeat it. Only names are
repeated, never values, cut and escaped so that a header stays one short ASCII line.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from openapi.remote.masking import printable as escaped
from openapi.spec import resolved
from openapi.text import cut, listed

HEADER = "X-Everflow-Mock-Warning"
MAX_NOTES = 8
"""How many ignored things one header names (the rest are counted)."""
MAX_NAME = 64
"""How much of one ignored name is repeated."""
MAX_FOUND = 100
"""How many ignored things are collected from one request (the header counts them)."""


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
                notes.append(f"{_shown(where)} ({_why(str(key), path, properties, known)})")

    walk(body, _root(schema_name), "")
    return notes


def _why(key: str, path: str, here: Mapping[str, Any], known: Mapping[str, tuple[str, ...]]) -> str:
    elsewhere = [where for where in known.get(key, ()) if where.rsplit(".", 1)[0] != path]
    if elsewhere:
        return f"not read here; it belongs at {_shown(elsewhere[0])}"
    close = near(key, list(here))
    if close:
        return f"not documented; did you mean {close[0]}?"
    return "not documented"


def unknown_parameters(names: Iterable[str], known: Iterable[str], operation_id: str) -> list[str]:
    """A note for every query parameter that is neither the operation's nor a mock control
    (``__code`` and the like)."""
    documented = set(known)
    notes = []
    for name in sorted(set(names)):
        if name in documented or name.startswith("__"):
            continue
        close = near(name, sorted(documented))
        hint = f"; did you mean {close[0]}?" if close else ""
        notes.append(f"query parameter {_shown(name)} (not a parameter of {operation_id}{hint})")
    return notes


def near(name: str, known: list[str]) -> list[str]:
    """The known name ``name`` is most likely a misspelling of, if any (for every "did you
    mean" of the kit: the mock's warnings, the ``everflow`` marker's keywords)."""
    import difflib

    return difflib.get_close_matches(name, known, n=1, cutoff=0.75)


def header_value(notes: list[str]) -> str:
    """The header's value: ``ignored <note>; <note>...``, at most ``MAX_NOTES`` of them."""
    return "ignored " + listed(notes, MAX_NOTES)


def _shown(name: str) -> str:
    """``name`` cut and made printable ASCII (a header value cannot carry the rest)."""
    text = escaped(cut(name, MAX_NAME))
    return text.encode("ascii", "backslashreplace").decode("ascii")


def warning_of(headers: Iterable[tuple[str, str]]) -> str | None:
    """The warning among a reply's headers, if there is one."""
    for name, value in headers:
        if name == HEADER:
            return value
    return None
