"""State checks: what a write answers, and what a read sees after it."""

from __future__ import annotations

from typing import Any

from contract_tests.probe_postback import WRITABLE_FIELDS
from contract_tests.state_checks import (
    check_created,
    check_deleted,
    check_error_names,
    check_replaced,
    check_same,
)

SENT = {"description": "probe", "pixel_status": "inactive", "delay_ms": 0}
SERVER = {
    "network_pixel_id": 9,
    "network_id": 1,
    "time_created": 100,
    "time_saved": 100,
    "relationship": {},
}


def names(findings: list[Any]) -> list[tuple[str, str]]:
    return [(f.check, f.path) for f in findings]


def test_a_create_answers_what_it_was_sent_and_the_servers_fields() -> None:
    assert check_created("t", "create", None, SENT, {**SENT, **SERVER}) == []
    found = check_created(
        "t", "create", None, SENT, {**SENT, **SERVER, "pixel_status": "active", "time_saved": None}
    )
    assert names(found) == [
        ("create_stored", "$.pixel_status"),
        ("server_filled", "$.time_saved"),
    ]
    missing = {k: v for k, v in {**SENT, **SERVER}.items() if k != "description"}
    assert names(check_created("t", "create", None, SENT, missing)) == [
        ("create_stored", "$.description")
    ]
    assert check_created("t", "create", None, SENT, "not json") == []


def test_a_read_after_a_write_answers_what_the_write_did() -> None:
    stored = {**SENT, **SERVER}
    assert check_same("t", "read", 9, "read_after_create", stored, dict(stored)) == []
    changed = {**stored, "description": "other", "extra": 1}
    del changed["delay_ms"]
    found = check_same("t", "read", 9, "read_after_create", stored, changed)
    assert [(f.check, f.path, f.expected, f.actual) for f in found] == [
        (
            "read_after_create",
            "$.description",
            "a string of 5 characters",
            "another value, also a string of 5 characters",
        ),
        ("read_after_create", "$.delay_ms", "0", "(absent)"),
        ("read_after_create", "$.extra", "(absent)", "1"),
    ]


def test_a_replace_keeps_time_created_and_never_moves_time_saved_back() -> None:
    before = {**SENT, **SERVER}
    sent = {**before, "description": "replaced"}
    good = {**sent, "time_saved": 101}
    assert check_replaced("t", "replace", 9, before, sent, good, WRITABLE_FIELDS) == []
    assert check_replaced("t", "replace", 9, before, sent, sent, WRITABLE_FIELDS) == []
    ignored = check_replaced("t", "replace", 9, before, sent, before, WRITABLE_FIELDS)
    assert names(ignored) == [("replace_stored", "$.description")]
    wrong_times = {**sent, "time_created": 150, "time_saved": 99}
    assert names(check_replaced("t", "replace", 9, before, sent, wrong_times, WRITABLE_FIELDS)) == [
        ("time_created_kept", "$.time_created"),
        ("time_saved_forward", "$.time_saved"),
    ]


def test_a_delete_answers_result_true() -> None:
    assert check_deleted("t", "delete", 9, {"result": True}) == []
    for wrong in ({"result": False}, {}, {"result": "true"}, None):
        assert names(check_deleted("t", "delete", 9, wrong)) == [("delete_result", "$")]


def test_a_refusal_should_name_the_rule_or_field() -> None:
    named = ("postback_url_required", "postback_url")
    assert check_error_names("t", "c", None, {"Error": "postback_url is required"}, named) == []
    found = check_error_names("t", "c", None, {"error": "Invalid parameters."}, named)
    assert [(f.check, f.severity) for f in found] == [("error_message", "warning")]
    assert check_error_names("t", "c", None, {"unexpected": 1}, named) == []
