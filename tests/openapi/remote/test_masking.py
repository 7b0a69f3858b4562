"""Masking: the key, its escaped forms and any piece of 8+ characters of it."""

from __future__ import annotations

import html
import json
import re
import time
import urllib.parse
from collections.abc import Iterator

import httpx
import pytest

from openapi.remote import masking
from openapi.remote.masking import (
    MASK,
    MIN_PIECE,
    SECRET_FORMS,
    Secrets,
    masked_response,
    printable,
    redact,
    redact_body,
    secret_forms,
    variants,
)

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


# A short key (under MIN_PIECE, so that no piece of another form can stand in for the one
# tested) that each form writes differently.
SHORT_KEY = "&\"' /é|"
LONG_KEYS = {
    "ascii": "canary&<>|\"'/ -5f1e9c2b",
    "non-ascii": "clé-sécrète-àpi",
}


@pytest.fixture
def fresh_forms() -> Iterator[None]:
    """Forms computed anew, before and after a test that changes ``SECRET_FORMS``."""
    masking.secret_forms.cache_clear()
    masking._prepared.cache_clear()
    yield
    masking.secret_forms.cache_clear()
    masking._prepared.cache_clear()


@pytest.mark.parametrize("name", SECRET_FORMS)
def test_each_form_of_a_short_key_is_masked_and_needed(
    name: str, fresh_forms: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = SHORT_KEY
    assert len(key) < MIN_PIECE
    form = SECRET_FORMS[name](key)
    others = {other: encode(key) for other, encode in SECRET_FORMS.items() if other != name}
    assert form not in others.values(), f"{name} is not told apart by {key!r}"
    text = f"got {form}, {form}."
    assert redact(text, [key]) == f"got {MASK}, {MASK}."
    # and this test holds the form: without it, the form comes through
    monkeypatch.delitem(SECRET_FORMS, name)
    masking.secret_forms.cache_clear()
    masking._prepared.cache_clear()
    assert redact(text, [key]) != f"got {MASK}, {MASK}."


@pytest.mark.parametrize("name", SECRET_FORMS)
@pytest.mark.parametrize("key", LONG_KEYS.values(), ids=LONG_KEYS.keys())
def test_each_form_of_a_long_key_is_masked_whole(name: str, key: str) -> None:
    form = SECRET_FORMS[name](key)
    assert redact(f"before {form} after", [key]) == f"before {MASK} after"
    assert redact(f"{form[1:-1]}", [key]) == MASK  # pieces of it too


def test_a_non_ascii_key_written_by_default_json_is_masked(
    fresh_forms: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = LONG_KEYS["non-ascii"]
    body = json.dumps({"echo": f"key {key}"})
    assert "cl\\u00e9-s\\u00e9cr\\u00e8te-\\u00e0pi" in body
    assert redact(body, [key]) == '{"echo": "key ' + MASK + '"}'
    monkeypatch.delitem(SECRET_FORMS, "json_ascii")
    monkeypatch.delitem(SECRET_FORMS, "json_escaped_slashes")
    masking.secret_forms.cache_clear()
    masking._prepared.cache_clear()
    assert "\\u00e0pi" in redact(body, [key])


def _percent_encodings(key: str) -> dict[str, str]:
    quoted = urllib.parse.quote(key, safe="")
    return {
        "quote": quoted,
        "quote-keeping-slash": urllib.parse.quote(key),
        "quote_plus": urllib.parse.quote_plus(key + " x"),
        "lower-case hex": re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quoted),
        "every byte": "".join(f"%{byte:02X}" for byte in key.encode()),
        "one character": key[:3] + urllib.parse.quote(key[3], safe="") + key[4:],
        "in JSON, in XML": html.escape(json.dumps(quoted)[1:-1]),
    }


@pytest.mark.parametrize("key", [*LONG_KEYS.values(), "p&ss/wd"], ids=[*LONG_KEYS, "short"])
@pytest.mark.parametrize("how", _percent_encodings("abcdef").keys())
def test_percent_encoded_keys_are_masked(key: str, how: str) -> None:
    encoded = _percent_encodings(key)[how]
    masked = redact(f"Content-Type: text/plain; key={encoded}; rest", [key])
    assert masked.startswith("Content-Type: text/plain; key=" + MASK)
    assert masked.endswith("; rest")
    assert "%" not in masked.replace("%20", "").replace("+x", "")


def test_a_percent_encoded_piece_of_a_long_key_is_masked() -> None:
    key = LONG_KEYS["ascii"]
    assert redact("q=" + urllib.parse.quote(key[2:12], safe=""), [key]) == "q=" + MASK
    # other percent-encoded text is left alone
    assert redact("q=a%20b%2Fc&r=%E2%82%AC", [key]) == "q=a%20b%2Fc&r=%E2%82%AC"


def test_a_short_key_is_masked_only_where_it_stands_whole() -> None:
    text = "pixel 3 of x: x, [x] x-y 'x' xx ax x_ x%41"
    assert redact(text, ["x"]) == (
        f"pixel 3 of {MASK}: {MASK}, [{MASK}] {MASK}-y '{MASK}' xx ax x_ {MASK}%41"
    )
    assert redact("q=%78&r=a%78", ["x"]) == f"q={MASK}&r=a%78"
    assert redact("a pixel, a pie", ["pi"]) == "a pixel, a pie"


def test_what_is_not_printable_is_escaped() -> None:
    forged = "7\x1b[2J\x00\n[error] forged line\u202e\udcff\x7f\xa0 é"
    assert printable(forged) == "7\\x1b[2J\\x00\\n[error] forged line\\u202e\\udcff\\x7f\\xa0 é"
    assert printable("plain é, ünïcode") == "plain é, ünïcode"


def test_a_body_nested_too_deep_for_the_parser_is_masked_as_text() -> None:
    deep = b"[" * 100_000 + b'"' + KEY.encode() + b'"' + b"]" * 100_000
    assert KEY.encode() not in redact_body(deep, [KEY])


def test_a_raw_half_and_a_percent_encoded_half_leave_no_remnant() -> None:
    key = "0123456789abcdef&<>|\"'"
    half = len(key) - 6
    text = key[:half] + urllib.parse.quote(key[half:], safe="")
    assert redact(f"x={text};", [key]) == f"x={MASK};"


def test_a_key_read_as_latin1_is_masked_in_the_forms_of_the_text_it_was() -> None:
    key = LONG_KEYS["non-ascii"]
    as_decoded = key.encode().decode("latin-1")  # what a WSGI server hands the app
    assert variants(as_decoded) == (as_decoded, key)
    for written in (
        key,
        as_decoded,
        urllib.parse.quote(key),
        urllib.parse.quote(key).lower(),
        urllib.parse.quote(key, encoding="latin-1"),
        urllib.parse.quote(as_decoded),
        json.dumps(key)[1:-1],
        html.escape(key),
    ):
        assert redact(f"api_key={written}&x=1", [as_decoded]) == f"api_key={MASK}&x=1", written


def test_a_key_that_is_not_utf8_read_as_latin1_has_no_other_variant() -> None:
    assert variants("plain-ascii-key") == ("plain-ascii-key",)
    assert variants("caf\xe9-key") == ("caf\xe9-key",)  # \xe9 alone is no UTF-8
    assert variants("€-key") == ("€-key",)  # not Latin-1 at all


def test_secrets_are_made_ready_once_and_forgotten_oldest_first() -> None:
    own = "own-key-0000000"
    callers = ["QWERTYUIOP", "ASDFGHJKLZ", "ZXCVBNMPOI", "POIUYTREWQ", "LKJHGFDSAM"]
    kept = Secrets([own], most=3)
    for caller in callers:
        kept.add(caller)
    assert list(kept) == [own, callers[3], callers[4]]
    assert redact(f"a {callers[4]} b", kept) == f"a {MASK} b"
    assert redact(f"a {callers[0]} b", kept) == f"a {callers[0]} b"  # forgotten
    assert redact(f"x {own}", kept) == f"x {MASK}"
    kept.add("ab")  # a short one, masked as a token; the oldest caller's goes
    assert list(kept) == [own, callers[4], "ab"]
    assert redact(f"ab abc {callers[3]}", kept) == f"{MASK} abc {callers[3]}"


def test_a_requests_own_secrets_lie_over_a_shared_set() -> None:
    shared = Secrets(["shared-key-1234"])
    own = Secrets(["request-key-5678"], below=shared)
    text = "shared-key-1234 request-key-5678"
    assert redact(text, own) == f"{MASK} {MASK}"
    assert redact(text, shared) == f"{MASK} request-key-5678"
    assert "request-key-5678" not in shared
    assert redact("anything", Secrets(whole=True)) == MASK
    assert redact("", Secrets(whole=True)) == ""


def test_masking_costs_the_same_however_many_secrets_there_are() -> None:
    text = "GET /v1/networks/pixels/5?page=2&page_size=50 " * 20
    one = Secrets(["k" * 8 + "0" * 248])
    many = Secrets([f"{n:04d}" + "&<'|" * 63 for n in range(64)])

    def timed(secrets: Secrets) -> float:
        started = time.perf_counter()
        for _ in range(50):
            redact(text, secrets)
        return time.perf_counter() - started

    timed(many)
    assert timed(many) < 3 * timed(one) + 0.05


def test_a_secret_holding_a_shorter_one_is_masked_whole() -> None:
    from openapi.remote.masking import MASK, Secrets, redact

    held = Secrets(["abcdefgh", "abcdefghijklmnop"])
    assert redact("xx abcdefghijklmnop yy", held) == f"xx {MASK} yy"
    assert redact("xx abcdefgh yy", held) == f"xx {MASK} yy"


def test_a_secret_is_held_whatever_its_length() -> None:
    from openapi.remote.masking import MIN_PIECE, Secrets

    short, exact, long = "abc", "k" * MIN_PIECE, "m" * (MIN_PIECE + 5)
    held = Secrets([short, exact, long])
    assert short in held
    assert exact in held
    assert long in held
    assert "zzz" not in held
    assert "" not in held


def test_a_short_secret_that_begins_another_leaves_no_remnant_of_the_longer() -> None:
    # two short keys (a loopback mock's placeholders), one the start of the other: the
    # longer is masked whole, not its first part with "-cd" left in clear
    held = Secrets(["ab", "ab-cd"])
    assert redact("key ab-cd here, ab there", held) == f"key {MASK} here, {MASK} there"


def test_a_short_secret_added_later_is_forgotten_before_one_given_at_creation() -> None:
    kept = Secrets(["ab"], most=2)
    kept.add("cd")
    kept.add("ef")
    assert list(kept) == ["ab", "ef"]
    assert redact("ab cd ef", kept) == f"{MASK} cd {MASK}"


def test_a_run_a_kept_secret_shares_with_a_forgotten_one_stays_masked() -> None:
    kept = Secrets(most=1)
    kept.add("abcdefgh-first")
    kept.add("abcdefgh-second")  # the first is forgotten; "abcdefgh" is the second's too
    assert list(kept) == ["abcdefgh-second"]
    assert redact("x abcdefgh y", kept) == f"x {MASK} y"
    assert redact("x gh-first y", kept) == "x gh-first y"  # a run of the first alone


@pytest.mark.parametrize(
    "written", ["q=my%20secret%20key%201", "q=my+secret+key+%31", "q=my%20secret+key+1%21"]
)
def test_a_key_with_spaces_is_masked_percent_encoded_or_form_encoded(written: str) -> None:
    masked = redact(written, ["my secret key 1"])
    assert masked.startswith(f"q={MASK}")
    assert "secret" not in masked


def test_a_key_of_exactly_min_piece_characters_is_masked_inside_a_longer_word() -> None:
    key = "k" * (MIN_PIECE - 1) + "9"
    assert redact(f"xx{key}xx", [key]) == f"xx{MASK}xx"


def test_an_empty_secret_is_no_secret() -> None:
    held = Secrets(["", "abc"])
    assert len(held) == 1
    assert "" not in held
    assert not Secrets([""])


def test_secrets_given_at_creation_stay_even_beyond_most() -> None:
    own = ["own-key-one-1111", "own-key-two-2222", "ab"]
    kept = Secrets(own, most=1)
    kept.add("cd")  # one added later is the one forgotten
    assert list(kept) == own
    assert redact("own-key-one-1111 own-key-two-2222 ab cd", kept) == f"{MASK} {MASK} {MASK} cd"


@pytest.mark.parametrize("query", ["q=my+secret+key+1", "q=my+secret+key+1&x=%20"])
def test_a_key_with_spaces_form_encoded_without_any_escape_is_masked(query: str) -> None:
    assert redact(query, ["my secret key 1"]).startswith(f"q={MASK}")


def test_a_body_that_is_not_utf8_is_masked_where_it_percent_encodes_the_key() -> None:
    # read with surrogateescape, its bytes that are no UTF-8 reach the percent-decoding too
    key = "abcdefghij"
    body = b"\xff q=%61%62cdefghij \xfe"
    assert redact_body(body, [key]) == b"\xff q=" + MASK.encode() + b" \xfe"


def test_a_percent_encoded_key_is_masked_from_its_first_character() -> None:
    assert redact("a%62cdefghij", ["abcdefghij"]) == MASK


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("%61%62", MASK),  # the whole text
        ("q=%61%62&r=1", f"q={MASK}&r=1"),
        ("q=%61%62c", "q=%61%62c"),  # the start of another word: not the key
        ("q=c%61%62", "q=c%61%62"),
    ],
)
def test_a_short_key_percent_encoded_is_masked_only_where_it_stands_whole(
    text: str, masked: str
) -> None:
    assert redact(text, ["ab"]) == masked


@pytest.mark.parametrize(
    ("text", "shaped"),
    [
        ("abcdefghijklmno1", True),  # 16 characters, letters and digits
        ("abcdefghijklmn1", False),  # 15
        ("1234567890123456", False),  # digits only
        ("abcdefghijklmnopq", False),  # letters only
    ],
)
def test_credential_shaped_is_16_characters_or_more_of_letters_and_digits_mixed(
    text: str, shaped: bool
) -> None:
    from openapi.remote.masking import credential_shaped

    assert credential_shaped(text) is shaped


@pytest.mark.parametrize("written", ["q=my+secret+key+%31", "q=my+secret+%6Bey+1"])
def test_a_form_encoded_key_with_an_escape_is_masked_to_its_last_character(written: str) -> None:
    # spaces as "+" and a character as %XX: the bytes it encodes hold the key with "+"
    assert redact(written, ["my secret key 1"]) == f"q={MASK}"


@pytest.mark.parametrize(
    ("secrets", "masked"),
    [
        (Secrets(whole=True), {MASK: MASK}),  # every string whole, names too
        (Secrets(below=Secrets(["shared-key-1234"])), {"echo": MASK}),
    ],
    ids=["whole", "only-below"],
)
def test_a_body_is_masked_by_secrets_that_hold_none_of_their_own(
    secrets: Secrets, masked: object
) -> None:
    body = b'{"echo": "shared-key-1234"}'
    assert json.loads(redact_body(body, secrets)) == masked


def test_a_masked_json_body_keeps_its_other_text_as_utf8() -> None:
    body = json.dumps({"name": "Café Ünïcode", "echo": KEY}).encode()
    masked = redact_body(body, [KEY])
    assert "Café Ünïcode".encode() in masked
    assert json.loads(masked) == {"name": "Café Ünïcode", "echo": MASK}


def _masked(key: str, echoed: str) -> httpx.Response:
    """An answer that echoes ``echoed`` in a header and its body, to a request sent with
    ``key``, as ``masked_response`` returns it."""
    request = httpx.Request(
        "GET",
        "https://api.eflow.team/v1/networks/pixels/1",
        headers={"Accept": "application/json", "X-Eflow-Api-Key": key},
    )
    body = json.dumps({"echo": echoed}).encode()
    answer = httpx.Response(200, headers={"X-Echo": echoed}, content=body, request=request)
    return masked_response(answer, body, key)


def test_an_answer_is_masked_of_a_key_of_exactly_min_piece_characters() -> None:
    key = "abcd1234"
    assert len(key) == MIN_PIECE
    masked = _masked(key, key)
    assert masked.json() == {"echo": MASK}
    assert masked.headers["X-Echo"] == MASK


def test_an_answer_is_not_masked_of_a_key_too_short_to_be_a_real_one() -> None:
    # a loopback mock's placeholder key: masking it would mangle the answers judged
    masked = _masked("pixel", "pixel")
    assert masked.json() == {"echo": "pixel"}
    assert masked.headers["X-Echo"] == "pixel"


def test_an_answer_s_request_keeps_its_headers_but_the_key() -> None:
    masked = _masked("a-key-0123456789", "x")
    assert masked.request.headers["Accept"] == "application/json"
    assert "X-Eflow-Api-Key" not in masked.request.headers
