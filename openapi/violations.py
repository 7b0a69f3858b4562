"""Turn JSON Schema errors into findings that name the broken rule or field."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openapi.jsonpath import json_path
from openapi.spec import SPEC_URI, dereferenced, load_spec
from openapi.text import counted, cut

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError
    from openapi_schema_validator import OAS31Validator


@dataclass(frozen=True)
class Violation:
    """One way a body breaks the spec.

    ``rule`` is the name of a documented field rule (e.g. ``postback_url_required``) when
    the failure is inside one, else ``None``; ``keyword`` is the JSON Schema keyword that
    failed (``enum``, ``maximum``, ``type`` ...); ``path`` is the JSON path of the value.

    ``message`` may quote the value (the mock tells a caller what was wrong with what it
    sent); ``expected`` (what the schema asks) and ``actual`` (the value's kind and size,
    ``shape``) never hold a byte of the value that is not known safe: reports of someone
    else's answers use those.
    """

    path: str
    keyword: str
    message: str
    rule: str | None = None
    expected: str = ""
    actual: str = ""

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


def rule_of(schema: Mapping[str, Any], schema_path: Sequence[str | int]) -> str | None:
    """The title of the innermost titled ``allOf`` member that ``schema_path`` passes through.

    Only a member written in place counts: ``allOf: [{$ref: PartnerPostback}]`` reuses a
    schema (and its rules), it is not a rule itself.
    """
    node: Any = dereferenced(schema)
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
        node = dereferenced(member)
        previous = part
    return rule


MAX_MESSAGE = 300
"""Longer messages are cut: jsonschema quotes the whole value, which may be a megabyte."""
MAX_SHOWN = 200
"""Characters of a schema's own values (an enum's list, a pattern) an expectation shows."""


@functools.cache
def known_values() -> frozenset[str]:
    """The strings the spec itself names as values (every ``enum`` member and ``const``):
    the one kind of string a report may show as it is."""
    found: set[str] = set()
    stack: list[Any] = [load_spec()]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == "enum" and isinstance(value, list):
                    found.update(item for item in value if isinstance(item, str))
                elif key == "const" and isinstance(value, str):
                    found.add(value)
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(found)


def shape(value: Any) -> str:
    """What a JSON value is, for a report, without its content: ``null``, a boolean, a
    number (up to ``HUGE_DIGITS`` digits), a string the spec names (``known_values``);
    otherwise its kind and size (``a string of 33 characters``, ``an object of 4 members``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) >= 10**HUGE_DIGITS:
            return f"an integer of more than {HUGE_DIGITS} digits"
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        if value in known_values():
            return json.dumps(value)
        return f"a string of {counted(len(value), 'character')}"
    if isinstance(value, Mapping):
        return f"an object of {counted(len(value), 'member')}"
    if isinstance(value, Sequence):
        return f"an array of {counted(len(value), 'item')}"
    return f"a {type(value).__name__}"


def _shown(value: Any) -> str:
    return cut(json.dumps(value, default=str), MAX_SHOWN)


BOUNDS = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
)
SHOWN_AS = {"pattern": "matching", "format": "format", **{bound: bound for bound in BOUNDS}}
"""How an expectation names the keywords whose schema value it shows: ``maximum 100``."""


def expectation(keyword: str, asked: Any, instance: Any) -> tuple[str, str]:
    """What a failed ``keyword`` (its schema value ``asked``) expects, and what
    ``instance`` is, both without a byte of the instance (see ``shape``)."""
    actual = shape(instance)
    if keyword == "enum" and isinstance(asked, list):
        return "one of " + ", ".join(map(_shown, asked)), actual
    if keyword == "const":
        return _shown(asked), actual
    if keyword == "type":
        return f"type {' or '.join(asked) if isinstance(asked, list) else asked}", actual
    if keyword == "required" and isinstance(asked, list):
        missing = [name for name in asked if isinstance(instance, Mapping) and name not in instance]
        return "property " + ", ".join(map(str, missing or asked)), "absent"
    if keyword in SHOWN_AS:
        return f"{SHOWN_AS[keyword]} {_shown(asked)}", actual
    if keyword in ("additionalProperties", "unevaluatedProperties") and asked is False:
        return "no undocumented properties", actual
    return f"the schema's {keyword}", actual


def describe(error: ValidationError, schema: Mapping[str, Any]) -> Violation:
    """A ``Violation`` for one jsonschema error raised while validating against ``schema``."""
    message = cut(error.message, MAX_MESSAGE)
    keyword = str(error.validator)
    expected, actual = expectation(keyword, error.validator_value, error.instance)
    return Violation(
        path=json_path(error.absolute_path),
        keyword=keyword,
        message=message,
        rule=rule_of(schema, list(error.absolute_schema_path)),
        expected=expected,
        actual=actual,
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
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    ref = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
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
            expected = f"an integer of at most {HUGE_DIGITS} digits"
            found.append(Violation(json_path(where), "maximum", message, None, expected, message))
        elif isinstance(node, dict):
            stack.extend((value, (*where, key)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*where, i)) for i, value in enumerate(node))
    return sorted(found, key=lambda v: v.path)
