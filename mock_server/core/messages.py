"""Everflow's error bodies and the control layer's RFC 7807 problem documents."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from mock_server.data.strictjson import dumps_ascii
from openapi import load_spec

MOCK_MESSAGES: dict[int, str] = {
    405: "Method not allowed.",
    408: "The request body was not received in time.",
    413: "The request body is too large.",
}
"""Messages of the statuses only the mock answers (the spec documents none of them)."""
PROBLEM_TYPE = "urn:everflow-postback-kit:problem:"


def _examples(response: Mapping[str, Any]) -> dict[str, str]:
    """A response component's messages by example name (``""`` for a lone ``example``)."""
    media = response.get("content", {}).get("application/json", {})
    named = {name: example.get("value") for name, example in media.get("examples", {}).items()}
    values = {"": media["example"]} if "example" in media else named
    return {
        name: value["error"]
        for name, value in values.items()
        if isinstance(value, dict) and isinstance(value.get("error"), str)
    }


@functools.cache
def spec_messages() -> dict[int, str]:
    """Every error status the spec documents with its message: the first ``error`` example
    of the response component the operations refer to for that status.

    The spec is the one source: its examples and the mock's answers say the same."""
    spec = load_spec()
    components = spec["components"]["responses"]
    found: dict[int, str] = {}
    for item in spec["paths"].values():
        for operation in item.values():
            responses = operation.get("responses", {}) if isinstance(operation, dict) else {}
            for status, response in responses.items():
                ref = response.get("$ref", "") if isinstance(response, dict) else ""
                messages = _examples(components.get(ref.rsplit("/", 1)[-1], {}))
                if messages and int(status) not in found:
                    found[int(status)] = next(iter(messages.values()))
    return found


def spec_message(response: str, example: str) -> str:
    """The message of one named example of a spec response component (``Forbidden``,
    ``out_of_realm``); ``KeyError`` when the spec has none."""
    return _examples(load_spec()["components"]["responses"][response])[example]


def message(status: int) -> str:
    """The message the mock sends with ``status``: the spec's, or the mock's own for the
    statuses the spec does not document (a 500's for anything else)."""
    documented = spec_messages()
    return documented.get(status) or MOCK_MESSAGES.get(status) or documented[500]


def problem_body(status: int, kind: str, title: str, detail: str, **extra: Any) -> bytes:
    """An RFC 7807 problem document: the mock's own errors, never Everflow-shaped."""
    body = {"type": PROBLEM_TYPE + kind, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return dumps_ascii(body)
