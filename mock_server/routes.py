"""What the mock needs to know of each operation of the spec, and which one a request is for.

Built on ``openapi.operations`` (the spec's operations as plain data); this adds what only a
mock needs: the named examples it can serve, and the integer path parameters it checks with a
few string operations instead of openapi-core's milliseconds (the tests hold both to the same
verdicts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openapi.operations import Operation, operations


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
    """One operation of the spec, with what the mock serves for it."""

    operation: Operation
    examples: Mapping[str, Any] = field(default_factory=dict)
    parameters: tuple[IntegerParameter, ...] = ()

    @property
    def operation_id(self) -> str:
        """The spec's operationId, which names the operation's function in the mock."""
        return self.operation.operation_id

    @property
    def statuses(self) -> frozenset[int]:
        """The statuses the spec documents for it."""
        return self.operation.statuses

    @property
    def has_body(self) -> bool:
        """Whether requests carry a JSON body."""
        return self.operation.request_schema is not None

    @property
    def ok_schema(self) -> str | None:
        """The component schema of the 200 answer's body, when the spec names one."""
        ref = self.operation.response_schemas.get(200, {}).get("$ref", "")
        return ref.rsplit("/", 1)[1] if ref.startswith("#/components/schemas/") else None


class Routes:
    """Every operation of the spec, found by a request's path and method."""

    def __init__(self, base_path: str, api_key_header: str, served: list[OperationSpec]) -> None:
        self.base_path = base_path
        self.api_key_header = api_key_header
        self.prefix = base_path + "/"
        self.by_id = {op.operation_id: op for op in served}
        templates: dict[str, dict[str, OperationSpec]] = {}
        for op in served:
            templates.setdefault(op.operation.path, {})[op.operation.method] = op
        # Literal templates first (OpenAPI's rule): /networks/pixelstable before /{pixelId}.
        ordered = sorted(templates.items(), key=lambda item: item[0].count("{"))
        self._templates: list[tuple[re.Pattern[str], dict[str, OperationSpec]]] = [
            (next(iter(by_method.values())).operation.pattern, by_method)
            for _, by_method in ordered
        ]

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Routes:
        """Every operation of a parsed spec (``openapi.load_spec()``)."""
        components = spec["components"]
        (requirement,) = spec["security"]
        (scheme_name,) = requirement
        relative = [s["url"] for s in spec["servers"] if s["url"].startswith("/")]
        served = [_served(op, spec["paths"][op.path], components) for op in operations().values()]
        header = components["securitySchemes"][scheme_name]["name"]
        return cls(relative[0].rstrip("/"), header, served)

    def match(self, path: str) -> tuple[dict[str, OperationSpec], dict[str, str]] | None:
        """The operations (by upper-case method) at ``path`` and its raw path parameters by
        name, or ``None`` when no operation of the spec has that path."""
        if not path.startswith(self.prefix):
            return None
        rest = path[len(self.base_path) :]
        for pattern, by_method in self._templates:
            found = pattern.fullmatch(rest)
            if found is not None:
                return by_method, found.groupdict()
        return None


def _resolved(node: Mapping[str, Any], components: Mapping[str, Any]) -> Mapping[str, Any]:
    if "$ref" in node:
        _, kind, name = node["$ref"].rsplit("/", 2)
        resolved: Mapping[str, Any] = components[kind][name]
        return resolved
    return node


def _served(
    operation: Operation, item: Mapping[str, Any], components: Mapping[str, Any]
) -> OperationSpec:
    raw = item[operation.method.lower()]
    declared = [
        _resolved(p, components) for p in [*item.get("parameters", ()), *raw.get("parameters", ())]
    ]
    parameters = tuple(
        IntegerParameter(
            p["name"], p["schema"].get("minimum", 0), p["schema"].get("maximum", 2**63 - 1)
        )
        for p in declared
        if p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
    )
    ok = raw["responses"].get("200", {}).get("content", {}).get("application/json", {})
    examples = {
        name: _resolved(ref, components)["value"] for name, ref in ok.get("examples", {}).items()
    }
    return OperationSpec(operation, examples, parameters)
