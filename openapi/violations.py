"""Turn JSON Schema errors into findings that name the broken rule or field."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openapi.jsonpath import json_path
from openapi.spec import load_spec

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from openapi_schema_validator import OAS31Validator

_SPEC_URI = "urn:everflow-postback-kit:spec"


@dataclass(frozen=True)
class Violation:
    """One way a body breaks the spec.

    ``rule`` is the name of a documented field rule (e.g. ``postback_url_required``) when
    the failure is inside one, else ``None``; ``keyword`` is the JSON Schema keyword that
    failed (``enum``, ``maximum``, ``type`` ...); ``path`` is the JSON path of the value.
    """

    path: str
    keyword: str
    message: str
    rule: str | None = None

    @property
    def name(self) -> str:
        """The rule's name, or the field and keyword for a plain schema constraint."""
        return self.rule or f"{self.path}:{self.keyword}"

    def __str__(self) -> str:
        where = f"rule {self.rule}" if self.rule else self.keyword
        return f"{self.path}: {self.message} ({where})"

    def as_dict(self) -> dict[str, str | None]:
        """A JSON-ready form, for error bodies and reports."""
        return {
            "path": self.path,
            "rule": self.rule,
            "keyword": self.keyword,
            "message": self.message,
        }


def _resolve(node: Any) -> Any:
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = load_spec()
        for key in ref[2:].split("/"):
            target = target[key]
        node = target
    return node


def rule_of(schema: Mapping[str, Any], schema_path: Sequence[str | int]) -> str | None:
    """The title of the innermost titled ``allOf`` member that ``schema_path`` passes through.

    Only a member written in place counts: ``allOf: [{$ref: PartnerPostback}]`` reuses a
    schema (and its rules), it is not a rule itself.
    """
    node: Any = _resolve(schema)
    rule: str | None = None
    previous: str | int | None = None
    for part in schema_path:
        if part == "$ref" and previous != "properties":
            continue  # a validator that records the $ref keyword: ``node`` is already resolved
        try:
            member = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if previous == "allOf" and isinstance(member, Mapping) and "title" in member:
            rule = str(member["title"])
        node = _resolve(member)
        previous = part
    return rule


MAX_MESSAGE = 300
"""Longer messages are cut: jsonschema quotes the whole value, which may be a megabyte."""


def describe(error: ValidationError, schema: Mapping[str, Any]) -> Violation:
    """A ``Violation`` for one jsonschema error raised while validating against ``schema``."""
    message = error.message
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return Violation(
        path=json_path(error.absolute_path),
        keyword=str(error.validator),
        message=message,
        rule=rule_of(schema, list(error.absolute_schema_path)),
    )


def component_schema(name: str) -> dict[str, Any]:
    """A schema from ``components/schemas`` of the spec."""
    schema: dict[str, Any] = load_spec()["components"]["schemas"][name]
    return schema


@functools.cache
def _validator(schema_name: str) -> OAS31Validator:
    # Imported here: a mock judges bodies by the compiled validator and needs this one only
    # to name what is wrong with a refused body (importing it costs 0.2 s at start-up).
    from openapi_schema_validator import OAS31Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
    ref = {"$ref": f"{_SPEC_URI}#/components/schemas/{schema_name}"}
    return OAS31Validator(ref, registry=registry)


def schema_violations(body: Any, schema_name: str = "PartnerPostback") -> list[Violation]:
    """Every way ``body`` breaks the named component schema; empty when it is valid.

    Uses the same OpenAPI 3.1 validator as openapi-core, without building a request and
    response around the body, so that a store can check thousands of records quickly.
    """
    schema = component_schema(schema_name)
    try:
        errors = sorted(
            _validator(schema_name).iter_errors(body), key=lambda e: list(e.absolute_path)
        )
    except ValueError:
        # jsonschema writes the value into its message, and Python will not write an integer
        # of more than 4,300 digits: name those integers instead.
        huge = _huge_integers(body)
        if not huge:
            raise
        return huge
    return [describe(error, schema) for error in errors]


HUGE_DIGITS = 38


def _huge_integers(body: Any) -> list[Violation]:
    found: list[Violation] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(body, ())]
    while stack:
        node, where = stack.pop()
        if isinstance(node, int) and not isinstance(node, bool) and abs(node) >= 10**HUGE_DIGITS:
            message = f"an integer of more than {HUGE_DIGITS} digits"
            found.append(Violation(json_path(where), "maximum", message))
        elif isinstance(node, dict):
            stack.extend((value, (*where, key)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*where, i)) for i, value in enumerate(node))
    return sorted(found, key=lambda v: v.path)
