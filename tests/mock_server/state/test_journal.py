"""The request journal: bounded, secrets masked."""

from __future__ import annotations

from typing import Any

from mock_server.core.reply import INVALID, VALID, Verdict
from mock_server.state.journal import HEADER_BYTES, Journal, mask_headers
from openapi.remote.masking import MASK


def test_secret_headers_are_masked_whatever_their_case() -> None:
    masked = mask_headers(
        [("x-eflow-api-key", "abc"), ("Authorization", "Bearer t"), ("Accept", "application/json")]
    )
    assert masked == {"x-eflow-api-key": MASK, "Authorization": MASK, "Accept": "application/json"}


def test_oldest_entries_are_dropped() -> None:
    journal = Journal(size=2)
    for n in range(3):
        journal.record({"REQUEST_METHOD": "GET", "PATH_INFO": f"/p/{n}"}, 200)
    assert [e["path"] for e in journal.entries()] == ["/p/1", "/p/2"]
    journal.clear()
    assert journal.entries() == []


def test_entries_are_read_from_the_environ_with_keys_masked() -> None:
    journal = Journal(size=5)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/v1/networks/pixels/3",
        "QUERY_STRING": "__code=404",
        "HTTP_X_EFLOW_API_KEY": "live-secret",
        "HTTP_USER_AGENT": "curl/8",
        "wsgi.input": object(),
        "HOME": "/root",
    }
    journal.record(environ, 404)
    (entry,) = journal.entries()
    assert entry["method"] == "GET"
    assert entry["query"] == {"__code": "404"}
    assert entry["status"] == 404
    assert entry["headers"] == {"X-Eflow-Api-Key": MASK, "User-Agent": "curl/8"}
    assert "live-secret" not in repr(journal.entries())


def _request(n: int, header: str = "") -> dict[str, str]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": f"/p/{n}", "HTTP_X_BIG": header}


def test_huge_headers_are_cut_in_the_journal() -> None:
    journal = Journal(size=10)
    journal.record(_request(1, "x" * 400_000), 200)
    (entry,) = journal.entries()
    kept = entry["headers"]["X-Big"]
    assert kept.startswith("x" * 1000)
    assert kept.endswith("(400,000 characters, cut)")
    assert len(kept) < 1100
    assert journal.bytes < 4096


def test_the_journal_is_bounded_in_bytes_as_well_as_entries() -> None:
    journal = Journal(size=1000, max_bytes=64 * 1024)
    for n in range(1000):
        journal.record(_request(n, "y" * 15_000), 200)
    entries = journal.entries()
    assert journal.bytes <= 64 * 1024
    assert 1 < len(entries) < 1000
    assert entries[-1]["path"] == "/p/999"  # the newest are kept
    journal.clear()
    assert journal.bytes == 0


def test_the_environ_is_not_kept() -> None:
    journal = Journal(size=5)
    environ = {**_request(1), "wsgi.input": object()}
    journal.record(environ, 200)
    environ["PATH_INFO"] = "/changed"
    assert journal.entries()[0]["path"] == "/p/1"


def test_bodies_are_kept_whole_and_parsed_when_the_entry_is_small() -> None:
    journal = Journal(size=5)
    body = b'{"pixel_type": "cpc", "delay_ms": 0}'
    journal.record(_request(1), 200, "createPartnerPostback", {"pixelId": "12"}, body)
    journal.record(_request(2), 400, "createPartnerPostback", {}, b"{not json")
    first, second = journal.entries()
    assert first["json"] == {"pixel_type": "cpc", "delay_ms": 0}
    assert first["body"] == body.decode()
    assert first["operation"] == "createPartnerPostback"
    assert first["path_params"] == {"pixelId": 12}
    assert (second["json"], second["body"]) == (None, "{not json")


def test_a_huge_body_is_cut_and_counted() -> None:
    journal = Journal(size=1000, max_bytes=64 * 1024)
    body = b'{"description": "' + b"d" * 900_000 + b'"}'
    journal.record(_request(1), 200, "createPartnerPostback", {}, body)
    (entry,) = journal.entries()
    assert entry["json"] is None
    assert entry["body"].startswith('{"description": "ddd')
    assert entry["body"].endswith(f"... ({len(body)} bytes, cut)")
    assert len(entry["body"]) < 1100
    assert journal.bytes < 4096
    for n in range(100):
        journal.record(_request(n), 200, "createPartnerPostback", {}, b"[" + b"1," * 7000 + b"1]")
    assert journal.bytes <= 64 * 1024


def test_a_repeated_query_parameter_is_a_list() -> None:
    journal = Journal(size=5)
    journal.record({**_request(1), "QUERY_STRING": "page=2&filter=a%3D1&filter=b%3D2&x="}, 200)
    (entry,) = journal.entries()
    assert entry["query"] == {"page": "2", "filter": ["a=1", "b=2"], "x": ""}


def _marked(environ: dict[str, Any]) -> dict[str, Any]:
    """``environ`` as a front that made it for the mock alone hands it over."""
    size = sum(len(k) + len(v) for k, v in environ.items() if k.startswith("HTTP_"))
    return {**environ, HEADER_BYTES: size}


def test_an_environ_marked_as_the_mock_s_own_is_journaled_as_a_copied_one() -> None:
    environ = {
        "REQUEST_METHOD": "PUT",
        "PATH_INFO": "/v1/networks/pixels/3",
        "QUERY_STRING": "a=1&a=2",
        "CONTENT_LENGTH": "2",
        "HTTP_X_EFLOW_API_KEY": "live-secret",
        "HTTP_ACCEPT": "application/json",
    }
    copied, kept = Journal(size=5), Journal(size=5)
    copied.record(environ, 200, "updatePartnerPostback", {"pixelId": "3"}, b"{}", "w", None)
    kept.record(_marked(environ), 200, "updatePartnerPostback", {"pixelId": "3"}, b"{}", "w", None)
    (one,), (other,) = copied.entries(), kept.entries()
    assert {**one, "time": 0} == {**other, "time": 0}
    assert other["headers"] == {"X-Eflow-Api-Key": MASK, "Accept": "application/json"}
    assert kept.bytes == copied.bytes


def test_huge_headers_of_an_environ_kept_as_it_is_are_cut_too() -> None:
    journal = Journal(size=10)
    environ = _marked(_request(1, "x" * 400_000))
    journal.record(environ, 200)
    (entry,) = journal.entries()
    assert entry["headers"]["X-Big"].endswith("(400,000 characters, cut)")
    assert journal.bytes < 4096


def test_a_strict_refusal_is_marked_and_other_entries_are_not() -> None:
    journal = Journal(size=5)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/v1/networks/pixels"}
    journal.record(environ, 200, warning="ignored query parameter pge")
    journal.record(environ, 400, warning="ignored query parameter pge", strict=True)
    lenient, strict = journal.entries()
    assert "strict" not in lenient
    assert lenient["warning"] == "ignored query parameter pge"
    assert (strict["status"], strict["strict"]) == (400, True)


def test_numbered_entries_are_newest_first_and_keep_counting_across_clear() -> None:
    journal = Journal(size=3)
    for n in range(5):
        journal.record(_request(n), 200)
    assert [(n, e["path"]) for n, e in journal.numbered()] == [
        (5, "/p/4"),
        (4, "/p/3"),
        (3, "/p/2"),
    ]
    assert [n for n, _ in journal.numbered(after=3)] == [5, 4]
    assert [n for n, _ in journal.numbered(limit=1)] == [5]
    assert journal.numbered(after=5) == []
    assert journal.numbered_entry(4) == journal.entries()[1]
    assert journal.numbered_entry(2) is None  # dropped
    assert journal.numbered_entry(6) is None  # not yet
    assert len(journal) == 3
    journal.clear()
    assert journal.numbered() == []
    assert journal.numbered_entry(5) is None
    assert len(journal) == 0
    journal.record(_request(9), 201)
    ((number, entry),) = journal.numbered(after=5)
    assert number == 6
    assert entry["path"] == "/p/9"
    assert journal.numbered_entry(6) == entry


def test_an_entry_keeps_its_duration_and_verdict() -> None:
    journal = Journal(size=5)
    breach = Verdict(INVALID, VALID, "tiktok_pixel_required: a TikTok postback needs its pixel")
    journal.record(_request(1), 400, "createPartnerPostback", ms=1.23456, verdict=breach)
    (entry,) = journal.entries()
    assert entry["ms"] == 1.235
    assert entry["verdict"] == {
        "request": "invalid",
        "answer": "valid",
        "detail": "tiktok_pixel_required: a TikTok postback needs its pixel",
    }


def test_an_entry_no_one_judged_says_so() -> None:
    journal = Journal(size=5)
    journal.record(_request(1), 503, "getPartnerPostback")  # a queued gateway answer
    journal.record(_request(2), 404)  # a path that is no operation's
    queued, outside = journal.entries()
    assert queued["ms"] is None
    assert queued["verdict"]["request"] == queued["verdict"]["answer"] == "unchecked"
    assert outside["verdict"]["request"] == "invalid"
    assert "no operation" in outside["verdict"]["detail"]


def test_a_huge_verdict_detail_is_cut_and_counted() -> None:
    journal = Journal(size=1000, max_bytes=64 * 1024)
    huge = Verdict(INVALID, VALID, "z" * 500_000)
    journal.record(_request(1), 400, "createPartnerPostback", verdict=huge)
    (entry,) = journal.entries()
    assert entry["verdict"]["detail"].endswith("(500,000 characters, cut)")
    assert len(entry["verdict"]["detail"]) < 1100
    assert journal.bytes < 4096
    for n in range(200):
        journal.record(_request(n, "h" * 10_000), 400, "createPartnerPostback", verdict=huge)
    assert journal.bytes <= 64 * 1024
