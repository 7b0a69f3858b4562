"""Checks that writes behave as state: what a write answers, and what reads see after it.

The spec judges each answer alone; these judge answers against each other and against what
was sent: a create stores what it was sent and fills the server's fields, a read after a
write sees the write, a replace keeps ``time_created`` and does not move ``time_saved``
back, a delete answers ``{"result": true}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from contract_tests.probe_postback import SERVER_FIELDS
from openapi.remote.checks import as_int
from openapi.remote.findings import Finding
from openapi.violations import shape

_ABSENT = "(absent)"


def _value(body: Mapping[str, Any], name: str) -> str:
    return shape(body[name]) if name in body else _ABSENT


def _differences(
    target: str,
    probe: str,
    pixel_id: int | None,
    check: str,
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    names: Iterable[str],
) -> list[Finding]:
    found = []
    for name in names:
        if expected.get(name, _ABSENT) == actual.get(name, _ABSENT):
            continue
        was, got = _value(expected, name), _value(actual, name)
        if got == was:  # two values of one shape: say that they differ, not what they are
            got = f"another value, also {got}"
        found.append(Finding(target, probe, pixel_id, check, f"$.{name}", was, got))
    return found


def check_created(
    target: str, probe: str, pixel_id: int | None, sent: Mapping[str, Any], answer: Any
) -> list[Finding]:
    """A create's answer holds every field as sent (``create_stored``) and every field the
    server fills in (``server_filled``)."""
    if not isinstance(answer, dict):
        return []
    found = _differences(target, probe, pixel_id, "create_stored", sent, answer, sent)
    found += [
        Finding(target, probe, pixel_id, "server_filled", f"$.{name}", "filled in", _ABSENT)
        for name in SERVER_FIELDS
        if answer.get(name) is None
    ]
    return found


def check_same(
    target: str, probe: str, pixel_id: int | None, check: str, expected: Any, actual: Any
) -> list[Finding]:
    """A read answers the postback as the last write answered it: one ``check`` finding per
    top-level field that differs."""
    if not (isinstance(expected, dict) and isinstance(actual, dict)):
        return []
    names = list(expected) + [name for name in actual if name not in expected]
    return _differences(target, probe, pixel_id, check, expected, actual, names)


def check_replaced(
    target: str,
    probe: str,
    pixel_id: int | None,
    before: Mapping[str, Any],
    sent: Mapping[str, Any],
    answer: Any,
    writable: Iterable[str],
) -> list[Finding]:
    """A replace's answer holds every writable field as sent (``replace_stored``), the
    ``time_created`` it had (``time_created_kept``) and a ``time_saved`` no earlier than
    before (``time_saved_forward``)."""
    if not isinstance(answer, dict):
        return []
    found = _differences(target, probe, pixel_id, "replace_stored", sent, answer, writable)
    if answer.get("time_created", _ABSENT) != before.get("time_created", _ABSENT):
        found.append(
            Finding(
                target,
                probe,
                pixel_id,
                "time_created_kept",
                "$.time_created",
                _value(before, "time_created"),
                _value(answer, "time_created"),
            )
        )
    saved, was = as_int(answer.get("time_saved")), as_int(before.get("time_saved"))
    if saved is None or (was is not None and saved < was):
        found.append(
            Finding(
                target,
                probe,
                pixel_id,
                "time_saved_forward",
                "$.time_saved",
                f">= {was}" if was is not None else "an integer",
                _value(answer, "time_saved"),
            )
        )
    return found


def check_deleted(target: str, probe: str, pixel_id: int | None, answer: Any) -> list[Finding]:
    """A delete answers exactly ``{"result": true}`` (``delete_result``)."""
    if answer == {"result": True}:
        return []
    return [
        Finding(target, probe, pixel_id, "delete_result", "$", '{"result": true}', shape(answer))
    ]


def error_message(body: Any) -> str | None:
    """The message of an Everflow error body (``error`` or ``Error``)."""
    if not isinstance(body, dict):
        return None
    message = body.get("error", body.get("Error"))
    return message if isinstance(message, str) else None


def check_error_names(
    target: str, probe: str, pixel_id: int | None, answer: Any, names: Iterable[str]
) -> list[Finding]:
    """A warning (``error_message``) when a refusal's message names none of ``names`` (the
    broken rule or field): Everflow documents the status, not the message."""
    message = error_message(answer)
    names = list(names)
    if message is None or any(name in message for name in names):
        return []
    return [
        Finding(
            target,
            probe,
            pixel_id,
            "error_message",
            "$.error",
            "names " + " or ".join(names),
            shape(message),
            "warning",
        )
    ]
