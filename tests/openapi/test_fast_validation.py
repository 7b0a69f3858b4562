"""The compiled validator agrees with openapi-core's on every verdict, and names come from one place.

A differential test: more than 10,000 bodies (the factory's variants and quirks, bodies
broken for every rule, and mutations of them: wrong types, numbers out of range, missing
and extra fields), each judged by both validators.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_core.testing import MockRequest, MockResponse

from fixtures import QUIRKS, RULES, PostbackFactory
from openapi import get_openapi, load_spec, schema_violations
from openapi.fast_validation import compiled, is_valid, violations

Path = tuple[str | int, ...]


def spec_values() -> list[Any]:
    """Every ``enum`` and ``const`` value in the spec's schemas: the values rules turn on."""
    found: list[Any] = []
    stack: list[Any] = [load_spec()["components"]["schemas"]]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found.extend(node.get("enum", []))
            if "const" in node:
                found.append(node["const"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


INTERESTING: list[Any] = [
    *spec_values(),
    *(None, True, False, 0, 1, -1, 2, 300_000, 300_001, 2**31, 2**63 - 1, 2**63, -(2**63)),
    *(2**64, 10**30, 0.0, -0.0, 1.0, 0.5, 299_999.5, 300_000.0, 1e300, -1e-300),
    *("", "x", "http://a", "https://a", "HTTP://a", "ftp://a", " https://a", "0", "null"),
    *([], [1], [{}], [{"field": "a", "value": 1}], {}, {"a": None}, {"field": 1}),
]
TOP_LEVEL = list(load_spec()["components"]["schemas"]["PartnerPostback"]["properties"])


def corpus() -> list[Any]:
    """Valid bodies of every variant and quirk, and bodies that break each rule."""
    bodies: list[Any] = []
    for seed in (0, 1):
        factory = PostbackFactory(seed)
        bodies.extend(factory.variants())
        for offset, quirk in enumerate(QUIRKS):
            bodies.extend(factory.build(100 + 40 * offset + i, quirks=[quirk]) for i in range(20))
            bodies.extend(
                factory.build(400 + i, quirks=[quirk, *QUIRKS[:offset]]) for i in range(3)
            )
        for rule in RULES:
            bodies.extend(factory.build_invalid(rule, 1000 + i) for i in range(20))
    return bodies


BASES = corpus()


def paths(body: Any) -> list[Path]:
    """Every path in ``body``, and the documented top-level fields it lacks."""
    found: list[Path] = []
    stack: list[tuple[Any, Path]] = [(body, ())]
    while stack:
        node, where = stack.pop()
        found.append(where)
        if isinstance(node, dict):
            stack.extend((value, (*where, key)) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, (*where, i)) for i, value in enumerate(node))
    if isinstance(body, dict):
        found.extend((name,) for name in TOP_LEVEL if name not in body)
    return found


def mutate(body: Any, where: Path, operation: str, value: Any) -> Any:
    """``body`` with the value at ``where`` replaced, removed, or given an extra field."""
    value = copy.deepcopy(value)  # never share (and so never mutate) a value between bodies
    if not where:
        return value if operation == "replace" else body
    parent = body
    for part in where[:-1]:
        parent = parent[part]
    last = where[-1]
    if operation == "delete":
        if isinstance(parent, dict):
            parent.pop(last, None)
        elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
            del parent[last]
    elif operation == "extra" and isinstance(parent, dict):
        target = parent.get(last)
        if isinstance(target, dict):
            target["undocumented"] = value
        else:
            parent[f"{last}_extra"] = value
    elif isinstance(parent, dict) or (isinstance(parent, list) and last < len(parent)):
        parent[last] = value
    return body


def mutated(count: int, seed: int = 0) -> Iterator[Any]:
    """``count`` bodies, each a base with one to three seeded mutations."""
    rng = random.Random(seed)
    for _ in range(count):
        body = copy.deepcopy(rng.choice(BASES))
        for _ in range(rng.randint(1, 3)):
            operation = rng.choice(["replace", "replace", "delete", "extra"])
            body = mutate(body, rng.choice(paths(body)), operation, rng.choice(INTERESTING))
        yield body


def agree(body: Any, schema_name: str = "PartnerPostback") -> list[str]:
    """Assert that both validators give one verdict; the names of the rules broken."""
    expected = schema_violations(body, schema_name)
    assert is_valid(body, schema_name) == (not expected), (body, expected)
    return [violation.name for violation in expected]


@pytest.mark.slow
def test_the_fast_verdict_agrees_on_more_than_10000_bodies() -> None:
    bodies = [*BASES, *mutated(10_000 - len(BASES) + 500)]
    assert len(bodies) > 10_000
    verdicts = [agree(body) for body in bodies]
    invalid = [names for names in verdicts if names]
    named = {name for names in invalid for name in names}
    assert set(RULES) <= named, "every rule was broken and named"
    assert any(":type" in name for name in named)
    assert any(":maximum" in name for name in named)
    assert 0.15 < len(invalid) / len(bodies) < 0.85, "both verdicts are well represented"


def test_violations_are_schema_violations_exactly() -> None:
    for body in [*BASES[::7], *mutated(300, seed=1)]:
        assert violations(body) == schema_violations(body)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(INTERESTING),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(st.data())
def test_hypothesis_mutations_agree(data: st.DataObject) -> None:
    for _ in range(10):
        body = copy.deepcopy(data.draw(st.sampled_from(BASES)))
        for _ in range(data.draw(st.integers(1, 3))):
            where = data.draw(st.sampled_from(paths(body)))
            operation = data.draw(st.sampled_from(["replace", "delete", "extra"]))
            body = mutate(body, where, operation, data.draw(JSON_VALUES))
        agree(body)


@settings(max_examples=100, deadline=None)
@given(JSON_VALUES)
def test_any_json_value_as_an_error_body_agrees(value: Any) -> None:
    agree(value, "EverflowError")
    agree({"error": value}, "EverflowError")
    agree({"Error": value, "extra": value}, "EverflowError")


REQUEST = MockRequest(
    "http://127.0.0.1:4010", "get", "/v1/networks/pixels/1", headers={"X-Eflow-Api-Key": "k"}
)


def test_openapi_core_response_validation_gives_the_same_verdicts() -> None:
    """``schema_violations`` stands for openapi-core; here openapi-core itself judges a sample."""
    for body in [*BASES[::25], *mutated(150, seed=2)]:
        response = MockResponse(
            json.dumps(body).encode(), status_code=200, content_type="application/json"
        )
        errors = list(get_openapi().iter_response_errors(REQUEST, response))
        assert is_valid(body) == (not errors), body


def test_bodies_jsonschema_rs_cannot_read_are_judged_by_schema_violations() -> None:
    assert is_valid({1: "integer key"}) is True
    assert is_valid({1: "integer key", "delay_ms": -1}) is False


def test_a_disagreement_still_refuses_with_the_compiled_validator_s_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import openapi.fast_validation as module

    monkeypatch.setattr(module, "schema_violations", lambda body, name: [])
    (found,) = violations({"delay_ms": "soon"})
    assert (found.path, found.keyword) == ("$.delay_ms", "type")


def test_an_unknown_schema_name_is_an_error() -> None:
    with pytest.raises(KeyError):
        compiled("NoSuchSchema")
