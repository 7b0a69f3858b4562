"""Scrubbing by allow-list: no planted secret or personal value survives, in any shape;
shapes, macros, enums and evidence do, and the recording still keeps the spec."""

from __future__ import annotations

import copy
import functools
import html
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mock_server import builtin_postbacks
from mock_server.data.datafile import load_data_file
from mock_server.proxy.record import Recording
from mock_server.proxy.scrub import MAX_NAME, MAX_VALUE, MAX_WORD, NAME, WORD, Scrubber
from openapi.fast_validation import violations
from openapi.remote.masking import MIN_PIECE

from .conftest import DRIFT_ID, KEY, PLANTED, leaks, planted_postbacks


def scrubbed() -> tuple[list[dict[str, object]], Scrubber]:
    scrubber = Scrubber([KEY])
    return [scrubber.postback(p) for p in planted_postbacks()], scrubber


def forms(secret: str) -> set[str]:
    """The forms a secret may take in a file: raw, lower-cased, percent-encoded (either
    case of hex digits), HTML- and JSON-escaped."""
    encoded = quote(secret, safe="")
    found = {
        secret,
        encoded,
        encoded.lower(),
        quote(secret),
        html.escape(secret),
        json.dumps(secret)[1:-1],
    }
    return found | {form.lower() for form in found}


def found_in(text: str, secret: str) -> list[str]:
    lowered = text.lower()
    return sorted(form for form in forms(secret) if form in text or form.lower() in lowered)


def test_no_planted_value_and_no_piece_of_the_key_survives() -> None:
    records, _ = scrubbed()
    assert leaks(json.dumps(records)) == []
    assert leaks(json.dumps(records, ensure_ascii=False)) == []


def test_ids_enums_macros_url_structure_and_every_key_stay() -> None:
    originals = planted_postbacks()
    records, _ = scrubbed()
    for original, record in zip(originals, records, strict=True):
        assert _keys(record) == _keys(original)  # unknown keys too: drift evidence
        for name in ("network_pixel_id", "network_offer_id", "network_affiliate_id"):
            assert record[name] == original[name]
        for name in ("delivery_method", "pixel_level", "pixel_status", "time_created"):
            assert record[name] == original[name]
    # the structure: scheme, user info, host, path, parameter names and macros in place;
    # every literal replaced, every query value too (not only those named like secrets)
    assert records[0]["postback_url"] == (
        "https://user-1@host-1.example/path-1"
        "?click={transaction_id}&token=value-1&api_key=value-2&amount={sale_amount}"
    )
    assert records[2]["html_code"] == (
        '<img src="https://host-2.example/path-3?key=value-2&amp;c={transaction_id}">'
        "<!-- text-1 -->"
    )
    assert records[DRIFT_ID - 5]["pixel_status"] == "halted"  # a plain word: drift evidence


def test_scrubbed_postbacks_still_keep_the_spec() -> None:
    records, _ = scrubbed()
    for record in records:
        if record["network_pixel_id"] != DRIFT_ID:
            assert violations(record) == [], record["network_pixel_id"]


def test_stand_ins_are_deterministic_and_keep_offers_and_partners_coherent() -> None:
    first, _ = scrubbed()
    again, _ = scrubbed()
    assert first == again
    one, two = first[0], first[1]
    assert one["relationship"] == two["relationship"]  # same offer, same partner
    offer = one["relationship"]["offer"]  # type: ignore[index]
    assert offer["network_offer_id"] == one["network_offer_id"]
    assert offer["name"] == "Offer 1"
    assert one["relationship"]["affiliate"]["name"] == "Partner 1"  # type: ignore[index]
    # the same host (and the same value) in two postbacks is the same stand-in
    assert str(two["postback_url"]).startswith("https://host-1.example/path-2?sig=value-1&")


def test_a_different_value_gets_a_different_stand_in() -> None:
    scrubber = Scrubber()
    a = scrubber.stand_in("offer", "Acme")
    assert scrubber.stand_in("offer", "Other") != a
    assert scrubber.stand_in("offer", "Acme") == a


@pytest.mark.parametrize(
    ("record", "kept"),
    [
        ({"anything": "{email}"}, True),
        ({"anything": "{sub1}{sub2}"}, True),
        ({"anything": 1700000000, "other": 12.5, "flag": True, "none": None}, True),
        ({"pixel_status": "active", "pixel_type": "post_conversion"}, True),
        ({"pixel_status": "halted"}, True),  # an enum value the spec lacks: evidence
        ({"relationship": {"offer": {"currency_id": "USD", "visibility": "public"}}}, True),
        ({"facebook_pixel": {"pixel_id": "1234567890", "event_name": "Purchase"}}, True),
        ({"postback_url": "https://{domain}/{sub1}?token={token}"}, True),
        ({"anything": "2024-01-01 12:00:00"}, False),  # a birth date is personal data
        ({"anything": "1700000000"}, False),  # digits as text: a PIN, a phone number
        ({"pixel_status": "active2"}, False),  # not a plain word
        ({"facebook_pixel": {"pixel_id": "ab12"}}, False),
        ({"facebook_pixel": {"event_name": "Purchase by Jane9"}}, False),
        ({"anything": "{prodKEY7f3a9c2e51b84d06aa19}"}, False),  # a credential in braces
        ({"anything": "{Sub1}"}, False),  # a macro's name is lower-case from its start
        ({"anything": "{sub1X}"}, False),  # and ends in its digits
    ],
)
def test_only_what_is_known_safe_is_kept(record: dict[str, Any], kept: bool) -> None:
    scrubber = Scrubber([KEY])
    assert (scrubber.postback(record) == record) is kept
    assert bool(scrubber.counts) is not kept


@pytest.mark.parametrize(
    ("url", "scrubbed"),
    [
        ("https://admin:pw@conv.example.io:99999/cb?token=t", "https://host-1.example/"),
        ("https://conv.example.io:abc/cb?token=t", "https://host-1.example/"),
        ("https://[2001:db8::1/cb?token=t", "https://host-1.example/"),
        (
            "http://u:p@[2001:db8::1]:8080/a?b=c",
            "http://user-1@host-1.example:8080/path-1?b=value-1",
        ),
        ("//cdn.example.io/p.gif?token=t#x", "//host-1.example/path-1?token=value-1#value-2"),
        ("ftp://files.example.io/a", "scheme-1://host-1.example/path-1"),
        (
            "https://h.example/r?next=https%3A%2F%2Fx.io%3Ft%3D1",
            "https://host-1.example/path-1?next=value-1",
        ),
        (
            "https://h.example/r?next=https://x.io/?t=1&pw=2",
            "https://host-1.example/path-1?next=value-1&pw=value-2",
        ),
        (
            "https://h.example/jane%40mail.example/?e=a@b.example",
            "https://host-1.example/path-1/?e=person-1@people.example",
        ),
        (
            "https://h.example/u/jane@mail.example",
            "https://host-1.example/path-1/person-1@people.example",
        ),
        ("https://h.example/?a&&b=", "https://host-1.example/?value-1&&b="),
        (
            "https://h.example/p?x_auth=a&partner_token=b&email%40x=c",
            "https://host-1.example/path-1?x_auth=value-1&partner_token=value-2&name-1=value-3",
        ),
    ],
)
def test_urls_keep_their_structure_only(url: str, scrubbed: str) -> None:
    assert Scrubber().postback({"anything": url}) == {"anything": scrubbed}


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # names and macros are kept only when plain: words, up to three digits at the end
        (
            "https://h.example/p?aff_sub10=1&utm-source=2",
            "https://host-1.example/path-1?aff_sub10=value-1&utm-source=value-2",
        ),
        (
            "https://h.example/p?Pl4nted=1&tok3nX=2",
            "https://host-1.example/path-1?name-1=value-1&name-2=value-2",
        ),
        ("https://h.example/p?jörg=1", "https://host-1.example/path-1?name-1=value-1"),
        (
            "https://h.example/{sub1}?c={adv10}&d={payout_amount}",
            "https://host-1.example/{sub1}?c={adv10}&d={payout_amount}",
        ),
        (
            "https://h.example/p?c={Pl4nted}&d={tok3n_x}",
            "https://host-1.example/path-1?c=value-1&d=value-2",
        ),
        # a URL with a space is no URL that parses; one with spaces around it is
        ("https://u:pw@h.example/p?x=a b", "https://host-1.example/"),
        ("  https://h.example/p  ", "  https://host-1.example/path-1  "),
        ("// just a comment", "//host-1.example/"),
    ],
)
def test_names_and_macros_are_kept_only_when_plain(text: str, scrubbed: str) -> None:
    assert Scrubber().postback({"anything": text}) == {"anything": scrubbed}


def test_html_attribute_names_are_kept_only_when_plain() -> None:
    code = '<img Pl4nted="1" data-src="x" jörg=2 width="1">'
    assert Scrubber().postback({"html_code": code}) == {
        "html_code": '<img data-x1="value-1" data-src="value-2" data-x2="value-3" width="1">'
    }


def test_unparseable_urls_keep_the_scheme_the_spec_asks_for() -> None:
    postback = next(p for p in builtin_postbacks(0) if p["delivery_method"] == "postback")
    broken = dict(postback, postback_url="https://u:secret@h.example:99999/p?token=s3cret")
    record = Scrubber().postback(broken)
    assert record["postback_url"] == "https://host-1.example/"
    assert violations(record) == []


def test_html_keeps_its_tags_and_layout_and_replaces_every_other_literal() -> None:
    code = (
        '<IMG src="//px.example.io/p?a=1&amp;token=T0k3n" width=1 style="display:none"'
        " alt='Jane Doe' data-token=abc123>"
        "<!-- call +44 20 7946 0958 --> hi {sub1}\n<script async>var t='x';</script><br/>"
        "<a href=mailto:jane@mail.example>jörg.x@bücher.de</a>"
    )
    assert Scrubber().postback({"html_code": code}) == {
        "html_code": (
            '<img src="//host-1.example/path-1?a=value-1&amp;token=value-2" width=1'
            ' style="display:none" alt="value-3" data-token="value-4">'
            "<!-- text-1 --> text-2 {sub1}\n<script async>text-3</script><br/>"
            '<a href="value-5">person-1@people.example</a>'
        )
    }


def test_a_tag_that_does_not_parse_is_text_and_replaced() -> None:
    code = '<img src="https://h.example/p?token=SECRET9x'
    assert Scrubber().postback({"html_code": code}) == {"html_code": "text-1"}


def test_whole_fields_get_stand_ins_of_their_kind() -> None:
    record = {
        "description": "Widgets for Jane",
        "tiktok_pixel": {"email": "jörg.x@bücher.de", "phone": "+44 20 7946 0958"},
        "facebook_pixel": {"user_data": [{"field": "em", "value": "jane@mail.example"}]},
        "brand_new": {"contact": "jane@mail.example", "note": "call Jane {sub1}"},
    }
    assert Scrubber().postback(record) == {
        "description": "Postback 1",
        "tiktok_pixel": {"email": "person-1@people.example", "phone": "+15550000001"},
        "facebook_pixel": {"user_data": [{"field": "em", "value": "user-data-1"}]},
        "brand_new": {"contact": "person-2@people.example", "note": "text-1 {sub1}"},
    }


def test_keys_that_are_not_plain_names_are_replaced_and_counted() -> None:
    scrubber = Scrubber([KEY])
    record = {"by_mail": {"jane@mail.example": 1, "tok9f8e7d6c5b4a3210": 2, KEY: 3, "ok": 4}}
    assert scrubber.postback(record) == {"by_mail": {"key-1": 1, "key-2": 2, "key-3": 3, "ok": 4}}
    assert dict(scrubber.counts) == {f"$.by_mail.key-{n}": 1 for n in (1, 2, 3)}


def test_the_key_is_replaced_even_where_its_shape_would_be_kept() -> None:
    key = "Purchase_secret"  # a plain word: kept in a vocabulary field, were it not the key
    record = {
        "pixel_status": key,
        "facebook_pixel": {"event_name": key, "pixel_id": "123"},
        "postback_url": f"https://h.example/p?{key}=1&c={{sub1}}",
        key: 1,
    }
    assert Scrubber([key]).postback(record) == {
        "pixel_status": "text-1",
        "facebook_pixel": {"event_name": "text-1", "pixel_id": "123"},
        "postback_url": "https://host-1.example/path-1?name-1=value-1&c={sub1}",
        "key-1": 1,
    }


@pytest.mark.parametrize("case", [str.upper, str.lower, str.swapcase])
def test_a_piece_of_the_key_in_another_case_is_not_kept_as_a_word(
    case: Callable[[str], str],
) -> None:
    key = "Secret_WordKeys_Purchase"  # letters alone: every piece of it has a word's shape
    piece = case(key[7:15])  # "WordKeys" in another case: one the key does not hold as is
    assert piece not in key
    record = {"pixel_status": piece, "facebook_pixel": {"event_name": case(key)}}
    scrubbed = Scrubber([key]).postback(record)
    assert scrubbed == {"pixel_status": "text-1", "facebook_pixel": {"event_name": "text-2"}}
    assert Scrubber(["unrelated-key-0123"]).postback(record) == record  # kept otherwise
    short = {"pixel_status": case("Tiny")}  # shorter than a piece: only whole, in any case
    assert Scrubber(["Tiny"]).postback(short) == {"pixel_status": "text-1"}


def test_the_report_counts_paths_never_values() -> None:
    _, scrubber = scrubbed()
    named = [p for p in planted_postbacks() if p["relationship"].get("affiliate", {}).get("name")]
    assert scrubber.counts["$.relationship.affiliate.name"] == len(named) > 2
    assert scrubber.counts["$.brand_new_field.contact_email"] == 1
    assert leaks(json.dumps(scrubber.counts)) == []


SURVIVORS = [
    # a URL the parser rejects is replaced whole, user info and token included
    "https://admin:{s}@conv.example.io:99999/cb?click={{transaction_id}}",
    "https://admin:{s}@conv.example.io:port/cb",
    "https://{s}@[2001:db8::1/cb",
    "https://h.example:99999/cb?token={s}",
    "https://h.example:abc/cb?token={s}",
    "https://[fe80::1/p?token={s}",
    # protocol-relative URLs in HTML
    '<img src="//px.example.io/p?token={s}">',
    "<img src='//px.example.io/p?token={s}'>",
    "<img src=//px.example.io/{s}/p.gif>",
    '<iframe src="//{s}.example.io/"></iframe>',
    # URLs nested in a query value, raw or percent-encoded
    "https://h.example/r?next=https://x.example/p?token={s}",
    "https://h.example/r?next=https%3A%2F%2Fx.example%2Fp%3Ftoken%3D{s}",
    "https://h.example/r?next=https%253A%252F%252Fx.example%252Fp%253Ftoken%253D{s}",
    "https://h.example/r?u=//x.example/{s}",
    '<img src="https://h.example/r?next=https%3A%2F%2Fx.example%2F%3Ft%3D{s}">',
    # e-mail addresses in a path, percent-encoded, inside a longer value, non-ASCII
    "https://h.example/u/{s}@mail.example/p",
    "https://h.example/u/{s}%40mail.example/p",
    "https://h.example/p?e={s}%40mail.example",
    "https://h.example/p?e=x{s}@mail.example.y",
    "https://h.example/p?e=name%3C{s}%40mail.example%3E",
    "https://h.example/p/jörg.{s}@bücher.de",
    "jörg.{s}@bücher.de",
    "contact: {s}@mail.example, thanks",
    "<p>write to {s}@mail.example</p>",
    '<a href="mailto:{s}@mail.example">mail</a>',
    # secret parameters whose names a deny-list missed
    "https://h.example/p?pw={s}",
    "https://h.example/p?partner_token={s}",
    "https://h.example/p?x_auth={s}",
    "https://h.example/p?passwd={s}&c={{sub1}}",
    "https://h.example/p?access-code={s}",
    "https://h.example/p#access_token={s}",
    "https://h.example/p;jsessionid={s}",
    # secrets in the user info, host and path, and outside any URL
    "https://{s}:x@h.example/p",
    "https://user:{s}@h.example/p",
    "https://{s}.h.example/p",
    "https://h.example/{s}",
    "https://h.example/p-{s}.gif",
    "http://{s}/",
    "{s}",
    "Bearer {s}",
    "key={s}",
    # secrets in HTML attributes, text and comments
    '<img alt="{s}" src="https://h.example/p">',
    "<div data-key='{s}'>x</div>",
    "<script>var k = '{s}';</script>",
    "<!-- {s} -->",
    "<p>{s}</p>",
    '<img src="https://h.example/p?a=1&amp;k={s}">',
]
"""The shapes that survived the deny-list (issue 29: 26 of 47 planted), and their kin."""

SECRET = "Pl4nted-Secr3t"


@pytest.mark.parametrize("template", SURVIVORS)
@pytest.mark.parametrize("field", ["postback_url", "html_code", "description", "brand_new"])
def test_none_of_the_old_survivors_survives(template: str, field: str) -> None:
    value = template.format(s=SECRET)
    postback = {"network_pixel_id": 1, field: value, "more": [{"note": value}]}
    record = Scrubber([KEY]).postback(postback)
    written = json.dumps(record, ensure_ascii=False) + json.dumps(record)
    assert found_in(written, SECRET) == []
    if "@" in template:  # the address's domain is personal data too
        assert found_in(written, "mail.example") == []
        assert found_in(written, "bücher.de") == []


def _keys(value: object, path: str = "$") -> set[str]:
    if isinstance(value, dict):
        return {f"{path}.{k}" for k in value} | {
            key for k, v in value.items() for key in _keys(v, f"{path}.{k}")
        }
    if isinstance(value, list):
        return {key for item in value for key in _keys(item, f"{path}[]")}
    return set()


@functools.cache
def _one_of_each() -> tuple[dict[str, Any], ...]:
    seen: dict[str, dict[str, Any]] = {}
    for postback in builtin_postbacks(0):
        seen.setdefault(postback["delivery_method"], postback)
    return tuple(sorted(seen.values(), key=lambda p: p["network_pixel_id"]))  # as recorded


def base_postbacks() -> list[dict[str, Any]]:
    """One built-in postback of each delivery method (a copy), to plant secrets in."""
    return copy.deepcopy(list(_one_of_each()))


# Property: secrets generated, planted in generated shapes, found in no form afterwards.

ALPHABET = st.characters(codec="utf-8", categories=("Lu", "Ll", "Nd"), exclude_characters="\u0130")
"""Letters (any script) and digits; not the dotted capital I, whose lower case grows."""


@st.composite
def secrets(draw: st.DrawFn) -> str:
    """A secret: 10 to 24 letters and digits, with a digit and a capital or non-ASCII
    letter (so that its lower-cased form is no piece of a stand-in, which are lower-case
    ASCII), and no plain name or word: those the allow-list keeps by design where a name
    or a vocabulary word stands (``NAME``, ``WORD``)."""
    text = draw(st.text(ALPHABET, min_size=10, max_size=24))
    assume(any(c.isdigit() for c in text))
    assume(any(c.isupper() or not c.isascii() for c in text if c.isalpha()))
    assume(not NAME.fullmatch(text) and not WORD.fullmatch(text))
    return text


def _url_shapes(s: str, name: str) -> list[str]:
    nested = f"https://x.example/p?{name}={s}"
    return [
        f"https://{s}.example.com/p",
        f"https://{s}:{s}@h.example/p",
        f"https://h.example/{s}/x",
        f"https://h.example/p?{name}={s}&c={{sub1}}",
        f"https://h.example/u/{s}@mail.example/",
        f"https://h.example/r?next={nested}",
        f"https://h.example/r?next={quote(nested, safe='')}",
        f"https://h.example/r?next={quote(quote(nested, safe=''), safe='')}",
        f"https://h.example/p?e={quote(s)}%40mail.example",
        f"https://h.example/p#{name}={s}",
        f"https://u:{s}@h.example:99999/p",
        f"https://{s}@h.example:port/p",
        f"https://[{s}/p?{name}={s}",
        f"//h.example/p?{name}={s}",
        f"https://h.example/p?x=abc{s}def",
        f"https://h.example/{quote(s)}",
        f"https://h.example/p?c={{{s}}}&{s}=1",
        f"https://h.example/p?x={s} {{sub1}}",
    ]


def _html_shapes(s: str, url: str, name: str) -> list[str]:
    escaped = html.escape(url, quote=True)
    return [
        f'<img src="{escaped}">',
        f"<img src='{escaped}' alt=\"{s}\">",
        f"<iframe src={quote(url, safe=':/?=&')} width=1></iframe>",
        f"<!-- {s} -->",
        f"<script>var {name} = '{s}';</script>",
        f'<div data-{name}="{s}">hello {s} {{sub1}}</div>',
        f"<p>write to {s}@bücher.de</p>",
        f'<a href="mailto:{s}@mail.example">{s}</a>',
        f"<img {s}=1 src={{{s}}}>",
    ]


PARAMETER_NAMES = st.sampled_from(
    ["pw", "partner_token", "x_auth", "token", "click", "sub1", "u", "redirect", "q"]
)


@st.composite
def planted(draw: st.DrawFn) -> tuple[list[str], list[dict[str, Any]]]:
    """Postbacks of every delivery method with secrets planted in URL, HTML, text, key and
    array shapes; and the secrets."""
    planted_secrets = draw(st.lists(secrets(), min_size=1, max_size=3, unique=True))
    postbacks = []
    for postback in base_postbacks():
        s = draw(st.sampled_from(planted_secrets))
        name = draw(PARAMETER_NAMES)
        url = draw(st.sampled_from(_url_shapes(s, name)))
        text = draw(st.sampled_from([s, f"{s}@mail.example", f"call {s} {{sub1}}", url]))
        if postback["delivery_method"] == "postback":
            postback["postback_url"] = url
        elif postback["delivery_method"] == "html":
            postback["html_code"] = draw(st.sampled_from(_html_shapes(s, url, name)))
        postback["description"] = text
        pixel = postback.get(f"{postback['delivery_method']}_pixel")
        if pixel:
            for field in sorted(pixel):
                if isinstance(pixel[field], str) and draw(st.booleans()):
                    pixel[field] = draw(st.sampled_from([url, text]))
        postback["brand_new"] = {
            "note": text,
            "links": [url, {"href": url}],
            s: 1,
            f"{s}@mail.example": name,
        }
        postbacks.append(postback)
    return planted_secrets, postbacks


def _check_no_secret_leaves(case: tuple[list[str], list[dict[str, Any]]]) -> None:
    planted_secrets, postbacks = case
    recording = Recording()
    for postback in postbacks:
        recording.add(postback)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "rec.json"
        report = recording.write(out, [KEY]).read_text(encoding="utf-8")
        written = out.read_text(encoding="utf-8")
        served = load_data_file(out, allow_drift=True)  # as serve --data loads it
    assert [p["network_pixel_id"] for p in served] == [p["network_pixel_id"] for p in postbacks]
    records = json.loads(written)["postbacks"]
    texts = (written, json.dumps(records), report)
    for secret in planted_secrets:
        for text in texts:
            assert found_in(text, secret) == [], secret
    for original, record in zip(postbacks, records, strict=True):
        # a stand-in keeps what the spec asks of its field: the verdict is the same
        assert [v.name for v in violations(record)] == [v.name for v in violations(original)]


@settings(max_examples=100, deadline=None)
@given(case=planted())
def test_no_planted_secret_is_in_the_recording_or_its_report(
    case: tuple[list[str], list[dict[str, Any]]],
) -> None:
    _check_no_secret_leaves(case)


@pytest.mark.slow
@settings(max_examples=600, deadline=None)
@given(case=planted())
def test_no_planted_secret_is_in_the_recording_or_its_report_at_length(
    case: tuple[list[str], list[dict[str, Any]]],
) -> None:
    _check_no_secret_leaves(case)


# Cost: linear in the value. A shape repeated 4 times as often costs about 4 times as much;
# a quadratic scan (`<!--` x N took 1.1 s at 5k and 19 s at 30k) costs 16 times. Timed in
# the same test as the thread's CPU time (a loaded machine's waits are not the scrubber's),
# best of several runs, with a bar between the two (8).

PATHOLOGICAL = [
    "<!--",
    "<a ",
    '<x y="',
    "<a b=",
    "<a b='",
    "<a/",
    "<",
    "</",
    "<!",
    "<script>",
    "<img src=//",
    "&#",
    "{",
    "{a",
    "{sub1}",
    "//",
    "%",
    "%25",
    "@",
    "a@a.",
    "a.",
    "?a=",
    "https://h.example/r?u=",  # URLs nested in URLs
    "https%3A%2F%2Fh.example%2Fr%3Fu%3D",  # and percent-encoded
]
PLACES: dict[str, Callable[[str], dict[str, str]]] = {
    "html_code": lambda s: {"html_code": s},
    "html attribute": lambda s: {"html_code": f"<img src=\"{s}\" alt='{s}'>"},
    "url query": lambda s: {"postback_url": f"https://h.example/p?x={s}"},
    "url path": lambda s: {"postback_url": f"https://h.example/{s}"},
    "url": lambda s: {"postback_url": s},
    "text": lambda s: {"brand_new": s},
}


def _scrub_time(record: dict[str, str]) -> float:
    scrubber = Scrubber([KEY])
    started = time.thread_time()
    scrubber.postback(record)
    return time.thread_time() - started


def _growth(shape: str, place: str, size: int) -> float:
    """How much more scrubbing ``shape`` repeated to 4 x ``size`` characters costs than
    to ``size``: the best of several runs of each, taken in turns so that both see the
    machine alike (the floor keeps a timer's grain from reading as growth)."""
    wrap = PLACES[place]
    small = wrap(shape * (size // len(shape)))
    large = wrap(shape * (4 * size // len(shape)))
    times = [(_scrub_time(small), _scrub_time(large)) for _ in range(7)]
    return min(t for _, t in times) / max(min(t for t, _ in times), 1e-4)


@pytest.mark.parametrize("shape", PATHOLOGICAL)
@pytest.mark.parametrize("place", ["html_code", "url query"])
def test_scrubbing_costs_time_linear_in_the_value(shape: str, place: str) -> None:
    assert _growth(shape, place, 4096) < 8


@pytest.mark.slow
@pytest.mark.parametrize("shape", PATHOLOGICAL)
@pytest.mark.parametrize("place", sorted(PLACES))
def test_scrubbing_costs_time_linear_in_the_value_up_to_its_bound(shape: str, place: str) -> None:
    size = MAX_VALUE // 4 - 64  # the largest scrubbed piece by piece, wrapping included
    assert _growth(shape, place, size) < 8


def test_a_value_past_the_bound_is_replaced_whole() -> None:
    long = "<img src=x>" * (MAX_VALUE // 11 + 1)
    url = "https://h.example/p?x=" + "a" * MAX_VALUE
    record = {"html_code": long, "postback_url": url, "description": long, "brand_new": long}
    assert Scrubber().postback(record) == {
        "html_code": "text-1",
        "postback_url": "https://host-1.example/",
        "description": "Postback 1",
        "brand_new": "text-1",
    }
    at_the_bound = Scrubber().postback({"html_code": long[: MAX_VALUE - MAX_VALUE % 11]})
    assert at_the_bound["html_code"].startswith('<img src="value-1"><img src="value-1">')


def test_only_html_tag_names_are_kept_lower_cased() -> None:
    code = "<DIV><x-a1b2c3d4e5f6g7h8>a</x-a1b2c3d4e5f6g7h8><Tk12qx/><Img src=x></tk12QX></Div>"
    assert Scrubber().postback({"html_code": code}) == {
        "html_code": ('<div><x-tag-1>text-1</x-tag-1><x-tag-2/><img src="value-1"></x-tag-2></div>')
    }


@pytest.mark.parametrize(
    ("code", "scrubbed"),
    [
        # a script's body is text to its end tag, a "<" included
        (
            "<script>if (a<b) {go('x')}</script><img src=x>",
            '<script>text-1</script><img src="value-1">',
        ),
        # as a browser reads it: a "<" and a letter open a tag, closed by its ">"
        ("1<2 and a<zz c>d", "text-1<x-tag-1 c>text-2"),
        # what the text ends inside of is text to the end: no structure, nothing kept
        ("<p>hi <!-- Jane", "<p>text-1"),
        ("<p>hi <img alt='Jane", "<p>text-1"),
        ("<p>hi <script>Jane", "<p>text-1"),
        ("<p>hi <img src=x", "<p>text-1"),
        # a "<" that opens nothing is text, and the "<" after it may open a tag
        ("<<img src=x>", 'text-1<img src="value-1">'),
        # a script's end tag inside its opening tag's quoted value does not end it
        ('<script data-x="</script">Jane</script>', '<script data-x="value-1">text-1</script>'),
        # "<!-->" opens a comment to the next "-->" (all of it replaced), where a browser
        # would end an empty comment: stricter, and still a comment
        ("<br><!-->Jane-->x", "<br><!--text-1-->text-2"),
        # a comment ends at the first "-->" after its "<!--": an empty one too
        ("<!--a-->b-->", "<!--text-1-->text-2"),
        ("<p>a<!---->b", "<p>text-1<!---->text-2"),
    ],
)
def test_html_is_read_as_a_browser_reads_it(code: str, scrubbed: str) -> None:
    assert Scrubber().postback({"html_code": code}) == {"html_code": scrubbed}


def test_an_offer_keeps_ids_vocabulary_and_numbers_and_its_name_is_its_postbacks() -> None:
    from fixtures import PostbackFactory

    postback = planted_postbacks()[0]
    offer = PostbackFactory(0).build_offer(
        postback["network_offer_id"],
        name=postback["relationship"]["offer"]["name"],
        preview_url=f"https://{PLANTED['host']}/lp?who={PLANTED['email']}&c={{sub1}}",
        relationship__advertiser__name=PLANTED["company"],
    )
    offer["relationship"]["payout_revenue"]["entries"][1]["entry_name"] = PLANTED["person"]
    scrubber = Scrubber([KEY])
    scrubbed_postback = scrubber.postback(postback)
    scrubbed_offer = scrubber.record(offer, "offer")
    assert leaks(json.dumps(scrubbed_offer)) == []
    # the offer a postback names is named as the postback names it
    assert scrubbed_offer["name"] == scrubbed_postback["relationship"]["offer"]["name"]
    assert scrubbed_offer["relationship"]["advertiser"]["name"] == "Advertiser 1"
    kept = ("network_offer_id", "network_advertiser_id", "offer_status", "visibility")
    assert {k: scrubbed_offer[k] for k in kept} == {k: offer[k] for k in kept}
    assert scrubbed_offer["currency_id"] == offer["currency_id"]
    entries = scrubbed_offer["relationship"]["payout_revenue"]["entries"]
    originals = offer["relationship"]["payout_revenue"]["entries"]
    for entry, original in zip(entries, originals, strict=True):
        assert entry["entry_name"].startswith("Event ")  # free text, the network's
        assert {k: v for k, v in entry.items() if k != "entry_name"} == {
            k: v for k, v in original.items() if k != "entry_name"
        }
    # the host its postbacks use is the same stand-in host; the e-mail an e-mail
    assert (
        scrubbed_offer["preview_url"]
        == "https://host-1.example/path-2?who=person-1@people.example&c={sub1}"
    )
    assert violations(scrubbed_offer, "Offer") == []
    assert scrubber.counts_of["offer"]["$.name"] == 1
    assert "$.name" not in scrubber.counts  # postbacks' counts are their own


def test_an_affiliate_keeps_its_status_and_loses_its_name_and_notes() -> None:
    from fixtures import PostbackFactory

    affiliate = PostbackFactory(0).build_affiliate(
        461, name=PLANTED["person"], internal_notes=PLANTED["notes"], account_status="suspended"
    )
    scrubber = Scrubber([KEY])
    scrubbed_affiliate = scrubber.record(affiliate, "affiliate")
    assert leaks(json.dumps(scrubbed_affiliate)) == []
    assert (scrubbed_affiliate["name"], scrubbed_affiliate["internal_notes"]) == (
        "Partner 1",
        "Notes 1",
    )
    same = {k: v for k, v in affiliate.items() if k not in ("name", "internal_notes")}
    assert {k: scrubbed_affiliate[k] for k in same} == same
    assert violations(scrubbed_affiliate, "Affiliate") == []


def test_a_vocabulary_word_is_kept_up_to_its_bound_and_replaced_past_it() -> None:
    longest = {"tiktok_pixel": {"event_name": "A" * MAX_WORD}}
    assert Scrubber().postback(longest) == longest
    past = {"tiktok_pixel": {"event_name": "A" * (MAX_WORD + 1)}}
    assert Scrubber().postback(past) == {"tiktok_pixel": {"event_name": "text-1"}}


def test_an_attribute_kept_keeps_its_quotes_and_each_e_mail_gets_its_own_stand_in() -> None:
    code = (
        "<img style='display:none' data-a='{sub1}{sub2}' alt=\"jane@mail.example\""
        " title='bob@mail.example' lang=\"jane@mail.example\">"
    )
    assert Scrubber().postback({"html_code": code}) == {
        "html_code": (
            "<img style='display:none' data-a='{sub1}{sub2}' alt=\"person-1@people.example\""
            ' title="person-2@people.example" lang="person-1@people.example">'
        )
    }


def test_urls_that_do_not_parse_get_a_stand_in_host_each() -> None:
    record = {"a": "https://h.example:99999/p", "b": "https://i.example:99999/q"}
    record["c"] = record["a"]
    assert Scrubber().postback(record) == {
        "a": "https://host-1.example/",
        "b": "https://host-2.example/",
        "c": "https://host-1.example/",
    }


def test_each_part_of_a_url_gets_the_stand_in_of_its_own_value() -> None:
    record = {
        # a bracketed host is the text to its "]", whatever port follows
        "a": "http://[2001:db8::1]:8080/p",
        "b": "http://[2001:db8::1]/q",
        "c": "http://[2001:db8::2]:8080/",
        # a host is the same host with or without a port, in any case
        "d": "https://h.example:8080/",
        "e": "https://H.example/",
        "f": "https://\u0131.example/",  # a dotless i: another host than "I.example",
        "g": "https://I.example/",  # though both upper-case alike ("I.EXAMPLE")
        # user information and schemes: a stand-in each
        "h": "https://a:1@x.example/",
        "i": "https://b:2@x.example/",
        "j": "ftp://x.example/",
        "k": "gopher://x.example/",
        "l": "https://{domain}:8080/{sub1}",
    }
    assert Scrubber().postback(record) == {
        "a": "http://host-1.example:8080/path-1",
        "b": "http://host-1.example/path-2",
        "c": "http://host-2.example:8080/",
        "d": "https://host-3.example:8080/",
        "e": "https://host-3.example/",
        "f": "https://host-4.example/",
        "g": "https://host-5.example/",
        "h": "https://user-1@host-6.example/",
        "i": "https://user-2@host-6.example/",
        "j": "scheme-1://host-6.example/",
        "k": "scheme-2://host-6.example/",
        "l": "https://{domain}:8080/{sub1}",
    }


def test_every_macro_in_a_text_is_kept_and_every_run_between_them_replaced() -> None:
    record = {"brand_new": "call {sub1} or {sub2} now {sub3}{sub4}"}
    assert Scrubber().postback(record) == {
        "brand_new": "text-1 {sub1} text-2 {sub2} text-3 {sub3}{sub4}"
    }


def test_a_key_is_never_kept_as_a_macro_or_in_a_word() -> None:
    # a key shorter than a piece is found only whole: as a macro's name too
    record = {"brand_new": "{tiny}", "other": "{sub1} {tiny}", "pixel_status": "Tiny"}
    assert Scrubber(["tiny"]).postback(record) == {
        "brand_new": "text-1",
        "other": "{sub1} text-1",
        "pixel_status": "text-2",
    }
    # a key of a piece's length is found inside a longer value
    key = "Abcdefgh"
    assert len(key) == MIN_PIECE
    record = {"pixel_status": f"{key}Xyz", "brand_new": f"{{{key.lower()}_x}}", f"{key}_id": 1}
    assert Scrubber([key]).postback(record) == {
        "pixel_status": "text-1",
        "brand_new": "text-2",
        "key-1": 1,
    }


def test_names_are_kept_up_to_their_bound_and_replaced_past_it() -> None:
    longest, past = "a" * MAX_NAME, "b" * (MAX_NAME + 1)
    record = {longest: 1, past: 2, "postback_url": f"https://h.example/?{longest}=1&{past}=2"}
    assert Scrubber().postback(record) == {
        longest: 1,
        "key-1": 2,
        "postback_url": f"https://host-1.example/?{longest}=value-1&name-1=value-2",
    }


def test_a_platform_id_is_kept_up_to_twenty_digits() -> None:
    longest = {"facebook_pixel": {"pixel_id": "1" * 20}}
    assert Scrubber().postback(longest) == longest
    past = {"facebook_pixel": {"pixel_id": "1" * 21}}
    assert Scrubber().postback(past) == {"facebook_pixel": {"pixel_id": "text-1"}}


def test_a_value_at_the_bound_is_scrubbed_piece_by_piece_and_past_it_each_gets_its_own() -> None:
    at_the_bound = "<br>" * (MAX_VALUE // 4)
    assert len(at_the_bound) == MAX_VALUE
    assert Scrubber().postback({"html_code": at_the_bound}) == {"html_code": at_the_bound}
    record = {"a": "Jane Doe", "b": "John Roe", "c": "Jane Doe", "d": "{sub1}"}
    assert Scrubber(max_value=6).postback(record) == {
        "a": "text-1",
        "b": "text-2",
        "c": "text-1",
        "d": "{sub1}",
    }


def test_a_key_replaced_is_counted_each_time_it_is_met() -> None:
    scrubber = Scrubber()
    record = {"by_mail": [{"jane@mail.example": 1}, {"jane@mail.example": 2}]}
    scrubber.postback(record)
    scrubber.postback(record)
    assert dict(scrubber.counts) == {"$.by_mail[].key-1": 4}


def _lenient_brackets() -> bool:
    """Whether this Python's ``urlsplit`` takes text after a bracketed host's ``]`` (3.11.7
    does; later ones raise, and the scrubber replaces such a URL whole)."""
    try:
        return urlsplit("http://[::1]]:80/").port == 80
    except ValueError:
        return False


@pytest.mark.skipif(not _lenient_brackets(), reason="urlsplit rejects text after ']'")
def test_a_bracketed_host_ends_at_its_first_bracket() -> None:
    record = {"a": "http://[::1]]:80/", "b": "http://[::1]:80/"}
    assert Scrubber().postback(record) == {
        "a": "http://host-1.example:80/",
        "b": "http://host-1.example:80/",
    }
