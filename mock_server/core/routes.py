"""What the mock needs to know of each operation of the spec, and which one a request is for.

Built on ``openapi.operations`` (the spec's operations as plain data); this adds what only a
mock needs: the named examples it can serve, and the path and query parameters it checks with
a few string operations instead of openapi-core's milliseconds (the tests hold both to the same
verdicts, and list the few inputs where the mock is deliberately stricter).
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from mock_server.core.controls import MAX_DIGITS
from mock_server.core.errors import MAX_ECHO, ApiError
from openapi.operations import Operation, operations
from openapi.spec import api_key_header, resolved
from openapi.text import cut

MATCHES_REMEMBERED = 4096
"""How many paths' matches are kept (all forgotten at once past it), so that a client
asking for ever new ids costs bounded memory."""
REMEMBERED_PATH = 256
"""The longest path whose match is kept: with the count above, at most about 2 MB."""


class IntegerParameter(NamedTuple):
    """A path or query parameter the spec types as a bounded integer."""

    name: str
    minimum: int
    maximum: int
    default: int | None = None
    explained: bool = True
    """Whether a refusal says which values are allowed (query parameters), or answers with
    Everflow's documented ``Invalid parameters.`` (a path id)."""

    def parse(self, raw: str) -> int:
        """The value if ``raw`` is an integer the spec allows, else ``ApiError`` (400)
        saying which are.

        Decimal ASCII digits only: openapi-core also takes what Python's ``int`` does
        (``+5``, `` 5``, ``1_0``, other scripts' digits), which no client means to send.
        """
        if raw.isascii() and raw.isdigit() and len(raw) <= MAX_DIGITS:
            value = int(raw)
            if self.minimum <= value <= self.maximum:
                return value
        allowed = f"{self.name} must be an integer from {self.minimum} to {self.maximum}."
        raise ApiError(400, allowed if self.explained else None)


class PatternListParameter(NamedTuple):
    """A repeatable query parameter the spec types as an array of strings with a pattern."""

    name: str
    pattern: re.Pattern[str]
    max_items: int

    def parse(self, raws: list[str]) -> list[str]:
        """The values if each matches the pattern and there are not too many, else
        ``ApiError`` (400) naming the first bad one.

        Matched as JSON Schema (and openapi-core) match patterns, with ``re.search``: the
        spec's patterns are anchored, and ``$`` also matches before one final newline,
        which is dropped from the value.
        """
        if len(raws) > self.max_items:
            raise ApiError(400, f"At most {self.max_items} {self.name} parameters may be given.")
        for raw in raws:
            if not self.pattern.search(raw):
                said = f"{self.name} {cut(raw, MAX_ECHO)!r} is not documented"
                raise ApiError(400, f"{said}: it must match {self.pattern.pattern}")
        return [raw[:-1] if raw.endswith("\n") else raw for raw in raws]


QueryParameter = IntegerParameter | PatternListParameter


def parse_query(
    parameters: tuple[QueryParameter, ...], pairs: list[tuple[str, str]]
) -> dict[str, Any]:
    """The query parameters by name (defaults filled in); ``ApiError`` (400) for a value the
    spec does not allow.

    A repeated integer parameter counts once, by its first value (as openapi-core reads
    it); parameters the spec does not name are ignored.
    """
    values: dict[str, Any] = {}
    for parameter in parameters:
        raws = [value for name, value in pairs if name == parameter.name]
        if isinstance(parameter, PatternListParameter):
            values[parameter.name] = parameter.parse(raws)
        else:
            values[parameter.name] = parameter.parse(raws[0]) if raws else parameter.default
    return values


@dataclass(frozen=True)
class OperationSpec:
    """One operation of the spec, with what the mock serves for it."""

    operation: Operation
    examples: Mapping[str, Any] = field(default_factory=dict)
    parameters: tuple[IntegerParameter, ...] = ()
    query: tuple[QueryParameter, ...] = ()

    @functools.cached_property
    def operation_id(self) -> str:
        """The spec's operationId, which names the operation's function in the mock."""
        return self.operation.operation_id

    @property
    def statuses(self) -> frozenset[int]:
        """The statuses the spec documents for it."""
        return self.operation.statuses

    @functools.cached_property
    def has_body(self) -> bool:
        """Whether requests carry a JSON body."""
        return self.operation.request_schema is not None

    @property
    def ok_schema(self) -> str | None:
        """The component schema of the 200 answer's body, when the spec names one."""
        ref = self.operation.response_schemas.get(200, {}).get("$ref", "")
        return ref.rsplit("/", 1)[1] if ref.startswith("#/components/schemas/") else None


Match = tuple[dict[str, OperationSpec], dict[str, str]]
"""The operations at a path, by upper-case method, and its raw path parameters by name."""


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
        self._matched: dict[str, Match] = {}

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Routes:
        """Every operation of a parsed spec (``openapi.load_spec()``)."""
        relative = [s["url"] for s in spec["servers"] if s["url"].startswith("/")]
        served = [_served(op, spec["paths"][op.path]) for op in operations().values()]
        return cls(relative[0].rstrip("/"), api_key_header(), served)

    def match(self, path: str) -> Match | None:
        """The operations (by upper-case method) at ``path`` and its raw path parameters by
        name (not to be changed: answers are remembered), or ``None`` when no operation of
        the spec has that path."""
        found = self._matched.get(path)
        if found is not None:
            return found
        if not path.startswith(self.prefix):
            return None
        rest = path[len(self.base_path) :]
        for pattern, by_method in self._templates:
            matched = pattern.fullmatch(rest)
            if matched is not None:
                found = (by_method, matched.groupdict())
                if len(path) <= REMEMBERED_PATH:
                    if len(self._matched) >= MATCHES_REMEMBERED:
                        self._matched.clear()
                    self._matched[path] = found
                return found
        return None


def _served(operation: Operation, item: Mapping[str, Any]) -> OperationSpec:
    raw = item[operation.method.lower()]
    declared = [resolved(p) for p in [*item.get("parameters", ()), *raw.get("parameters", ())]]
    parameters = tuple(
        _integer(p)._replace(explained=False)
        for p in declared
        if p.get("in") == "path" and _type(p) == "integer"
    )
    query = tuple(_query_parameter(p) for p in declared if p.get("in") == "query")
    ok = raw["responses"].get("200", {}).get("content", {}).get("application/json", {})
    examples = {name: resolved(ref)["value"] for name, ref in ok.get("examples", {}).items()}
    return OperationSpec(operation, examples, parameters, query)


def _type(parameter: Mapping[str, Any]) -> Any:
    return parameter.get("schema", {}).get("type")


def _integer(parameter: Mapping[str, Any]) -> IntegerParameter:
    schema = parameter["schema"]
    return IntegerParameter(
        parameter["name"],
        schema.get("minimum", 0),
        # No maximum in the spec: Python's ints are not bounded, the parse is.
        schema.get("maximum", sys.maxsize),
        schema.get("default"),
    )


def _query_parameter(parameter: Mapping[str, Any]) -> QueryParameter:
    """The check for a query parameter of one of the kinds the spec uses; a kind this mock
    cannot check fails here, at start-up, rather than letting values through unchecked."""
    kind = _type(parameter)
    if kind == "integer":
        return _integer(parameter)
    schema = parameter["schema"]
    items = schema.get("items", {})
    if kind == "array" and items.get("type") == "string" and "pattern" in items:
        return PatternListParameter(
            parameter["name"], re.compile(items["pattern"]), schema.get("maxItems", 2**31)
        )
    raise ValueError(f"the mock cannot check query parameter {parameter['name']!r} ({kind})")
