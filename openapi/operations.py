"""The spec's operations as plain data, found by operationId or by a request's method and path.

Read from the parsed spec once, with no openapi-core: judging an exchange needs the operation
it belongs to (its documented statuses, and the schemas that name a broken rule), and a mock
routes requests the same way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from openapi.spec import dereferenced, load_spec

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class Operation(NamedTuple):
    """One operation of the spec.

    ``path`` is the template under the servers' base path (``/networks/pixels/{pixelId}``);
    ``pattern`` matches a concrete path under it, with one named group per path parameter.
    ``request_schema`` is the JSON request body's schema (``None`` without a body) and
    ``response_schemas`` the JSON body schema of each documented status that has one.
    """

    operation_id: str
    method: str
    path: str
    pattern: re.Pattern[str]
    statuses: frozenset[int]
    request_schema: Mapping[str, Any] | None
    response_schemas: Mapping[int, Mapping[str, Any]]


def _json_schema(holder: Mapping[str, Any]) -> Mapping[str, Any] | None:
    media = dereferenced(holder).get("content", {}).get("application/json")
    return None if media is None else media.get("schema")


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, ..., literal
    return re.compile(
        "".join(f"(?P<{p}>[^/]+)" if i % 2 else re.escape(p) for i, p in enumerate(parts))
    )


@functools.cache
def operations() -> dict[str, Operation]:
    """Every operation of the spec, by ``operationId``, in the spec's order."""
    found: dict[str, Operation] = {}
    for template, item in load_spec()["paths"].items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            spec = item[method]
            responses = spec["responses"]
            schemas = {int(code): _json_schema(response) for code, response in responses.items()}
            found[spec["operationId"]] = Operation(
                operation_id=spec["operationId"],
                method=method.upper(),
                path=template,
                pattern=_pattern(template),
                statuses=frozenset(int(code) for code in responses),
                request_schema=_json_schema(spec["requestBody"]) if "requestBody" in spec else None,
                response_schemas={code: s for code, s in schemas.items() if s is not None},
            )
    return found


class MockResponse(NamedTuple):
    """A status the mock answers on its own (the spec's ``x-mock-responses``): its media
    type and the name of its body's schema in ``components.schemas``."""

    media_type: str
    schema_name: str


@functools.cache
def mock_responses() -> dict[int, MockResponse]:
    """The mock's own statuses, for any operation, by status (``x-mock-responses``)."""
    found: dict[int, MockResponse] = {}
    for code, response in load_spec().get("x-mock-responses", {}).get("responses", {}).items():
        ((media_type, media),) = dereferenced(response)["content"].items()
        found[int(code)] = MockResponse(media_type, media["schema"]["$ref"].rsplit("/", 1)[1])
    return found


@functools.cache
def base_paths() -> tuple[str, ...]:
    """The servers' base paths (``/v1``), longest first."""
    paths = {urlsplit(server["url"]).path.rstrip("/") for server in load_spec()["servers"]}
    return tuple(sorted(paths, key=len, reverse=True))


@functools.cache
def _by_template() -> list[tuple[re.Pattern[str], dict[str, Operation]]]:
    """Templates with their operations by method; literal templates first, as OpenAPI asks."""
    table: dict[str, dict[str, Operation]] = {}
    for operation in operations().values():
        table.setdefault(operation.path, {})[operation.method] = operation
    ordered = sorted(table.items(), key=lambda item: item[0].count("{"))
    return [(next(iter(ops.values())).pattern, ops) for _, ops in ordered]


def operations_at(path: str) -> dict[str, Operation]:
    """The operations (by upper-case method) of the spec path that ``path`` falls under.

    ``path`` is a request path with the base path (``/v1/networks/pixels/3``); empty when no
    spec path matches it.
    """
    for base in base_paths():
        if path.startswith(base + "/"):
            rest = path[len(base) :]
            for pattern, by_method in _by_template():
                if pattern.fullmatch(rest):
                    return by_method
    return {}


def find_operation(method: str, path: str) -> Operation | None:
    """The operation that answers ``method`` on the request path ``path``, if the spec has one."""
    return operations_at(path).get(method.upper())


@functools.cache
def response_headers(operation_id: str, status: int) -> dict[str, Mapping[str, Any]]:
    """The headers the spec documents on ``operation_id``'s answer with ``status``: each
    one's schema, by lower-case name (empty for a status the operation does not document)."""
    operation = operations().get(operation_id)
    if operation is None:
        return {}
    spec = load_spec()["paths"][operation.path][operation.method.lower()]
    response = dereferenced(spec["responses"].get(str(status), {}))
    headers = response.get("headers", {})
    return {name.lower(): dereferenced(header)["schema"] for name, header in headers.items()}
