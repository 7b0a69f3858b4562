"""Masking: the key, its escaped forms and any piece of 8+ characters of it."""

from __future__ import annotations

import html
import json

from contract_tests.masking import MASK, MIN_PIECE, redact, redact_body, secret_forms

KEY = "canary&<>|\"'-5f1e9c2b-" + "0123456789abcdef" * 8


def test_the_key_and_each_escaped_form_are_masked() -> None:
    for form in (
        KEY,
        html.escape(KEY),
        html.escape(KEY, quote=False),
        json.dumps(KEY)[1:-1],
        repr(KEY)[1:-1],
        KEY.replace("|", "\\|"),
    ):
        assert form in secret_forms(KEY)
        assert redact(f"before {form} after", [KEY]) == f"before {MASK} after"


def test_any_piece_of_eight_or_more_characters_is_masked() -> None:
    cut = KEY[:117] + "..."  # what cutting a long value before masking used to leave
    assert redact(f"got {cut}", [KEY]) == f"got {MASK}..."
    middle = KEY[40 : 40 + MIN_PIECE]
    assert redact(f"x{middle}y", [KEY]) == f"x{MASK}y"
    assert redact(KEY[: MIN_PIECE - 1], [KEY]) == KEY[: MIN_PIECE - 1]


def test_pieces_of_different_forms_leave_no_remnant() -> None:
    # an escaped prefix followed by a raw rest: no form matches whole
    mixed = html.escape(KEY[:12]) + KEY[12:60]
    assert redact(mixed, [KEY]) == MASK


def test_short_and_empty_secrets() -> None:
    assert redact("a-key and a-key", ["a-key", ""]) == f"{MASK} and {MASK}"
    assert redact("text", []) == "text"


def test_json_bodies_are_masked_string_by_string() -> None:
    body = json.dumps({"echo": KEY, KEY[:30]: [KEY[5:]], "n": 1}).encode()
    assert KEY.encode() not in body  # JSON escapes hide the raw key
    assert json.loads(redact_body(body, [KEY])) == {"echo": MASK, MASK: [MASK], "n": 1}
    untouched = b'{"a": 1.50,  "b": "x"}'
    assert redact_body(untouched, [KEY]) is untouched


def test_other_bodies_are_masked_as_text() -> None:
    assert redact_body(f"<p>{KEY}</p>\xff".encode("latin-1"), [KEY]) == (
        f"<p>{MASK}</p>\xff".encode("latin-1")
    )
