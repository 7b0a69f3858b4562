"""What the spec says about each operation, read once, and which operation a request is for.

Matching a path and checking a path parameter costs a few string operations here, instead of
openapi-core's milliseconds; the tests hold both to the same verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class IntegerParameter:
    """A path parameter the spec types as a bounded integer."""

    name: str
    minimum: int
    maximum: int

    def parse(self, raw: str) -> int | None:
        """The value if ``raw`` is an integer the spec allows, else ``None``."""
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 20:
            return None
        value = int(raw)
        return value if self.minimum <= value <= self.maximum else None


@dataclass(frozen=True)
class OperationSpec:
    """One operation as the spec states it: its id, method, path and documented answers."""

    operation_id: str
    method: str
    template: str
    statuses: frozenset[int]
    examples: Mapping[str, Any] = field(default_factory=dict)
    parameters: tuple[IntegerParameter, ...] = ()
    has_body: bool = False
    ok_schema: str | None = None
    """The component schema of the 200 answer's body, when the spec names one."""


def _segments(template: str) -> tuple[str, ...]:
    return tuple(template.strip("/").split("/"))


class Routes:
    """Every operation of the spec, found by method and request path."""

    def __init__(self, base_path: str, api_key_header: str, operations: list[OperationSpec]):
        self.base_path = base_path
        self.api_key_header = api_key_header
        self.prefix = base_path + "/"
        self.by_id = {op.operation_id: op for op in operations}
        # segment count -> [(template segments, {METHOD: operation})]
        self._shapes: dict[int, list[tuple[tuple[str, ...], dict[str, OperationSpec]]]] = {}
        for template in dict.fromkeys(op.template for op in operations):
            methods = {op.method: op for op in operations if op.template == template}
            segments = _segments(template)
            self._shapes.setdefault(len(segments), []).append((segments, methods))

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Routes:
        """Read every operation from a parsed spec (``openapi.load_spec()``)."""
        components = spec["components"]
        (requirement,) = spec["security"]
        (scheme_name,) = requirement
        relative = [s["url"] for s in spec["servers"] if s["url"].startswith("/")]
        operations = [
            _operation(template, method, item, components)
            for template, item in spec["paths"].items()
            for method in METHODS
            if method in item
        ]
        return cls(
            relative[0].rstrip("/"), components["securitySchemes"][scheme_name]["name"], operations
        )

    def match(self, path: str) -> tuple[dict[str, OperationSpec], dict[str, str]] | None:
        """The operations (by upper-case method) at ``path`` and its raw path parameters by
        name, or ``None`` when no operation of the spec has that path."""
        if not path.startswith(self.prefix):
            return None
        parts = path[len(self.prefix) :].split("/")
        for segments, methods in self._shapes.get(len(parts), ()):
            params: dict[str, str] = {}
            for want, got in zip(segments, parts, strict=True):
                if want[0] == "{":
                    params[want[1:-1]] = got
                elif want != got:
                    break
            else:
                return methods, params
        return None


def _resolved(node: Mapping[str, Any], components: Mapping[str, Any]) -> Mapping[str, Any]:
    if "$ref" in node:
        _, kind, name = node["$ref"].rsplit("/", 2)
        resolved: Mapping[str, Any] = components[kind][name]
        return resolved
    return node


def _operation(
    template: str, method: str, item: Mapping[str, Any], components: Mapping[str, Any]
) -> OperationSpec:
    operation = item[method]
    declared = [
        _resolved(p, components)
        for p in [*item.get("parameters", ()), *operation.get("parameters", ())]
    ]
    parameters = tuple(
        IntegerParameter(
            p["name"],
            p["schema"].get("minimum", 0),
            p["schema"].get("maximum", 2**63 - 1),
        )
        for p in declared
        if p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
    )
    examples: dict[str, Any] = {}
    ok = operation["responses"].get("200", {}).get("content", {}).get("application/json", {})
    for name, ref in ok.get("examples", {}).items():
        examples[name] = _resolved(ref, components)["value"]
    ok_ref = ok.get("schema", {}).get("$ref", "")
    return OperationSpec(
        operation_id=operation["operationId"],
        method=method.upper(),
        template=template,
        statuses=frozenset(int(code) for code in operation["responses"]),
        examples=examples,
        parameters=parameters,
        has_body="requestBody" in operation,
        ok_schema=ok_ref.rsplit("/", 1)[1] if ok_ref.startswith("#/components/schemas/") else None,
    )
