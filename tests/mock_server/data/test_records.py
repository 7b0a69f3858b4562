"""Records are checked once, quickly, and only the bytes of good ones are kept."""

from __future__ import annotations

import json
from typing import Any

import pytest

import openapi.fast_validation
from fixtures import PostbackFactory
from mock_server.data.records import (
    MAX_ID,
    EncodedPostbacks,
    InvalidRecords,
    RecordChecker,
    RecordProblem,
    encode_records,
)
from openapi import load_spec


def check_records(records: list[Any]) -> list[RecordProblem]:
    """Every problem of every record, none left unreported."""
    checker = RecordChecker(max_reported=None)
    for record in records:
        checker.add(record)
    return checker.problems


def test_valid_records_never_reach_the_slow_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    slow = openapi.fast_validation.schema_violations

    def counted(body: Any, name: str = "PartnerPostback") -> Any:
        calls.append(body)
        return slow(body, name)

    monkeypatch.setattr(openapi.fast_validation, "schema_violations", counted)
    factory = PostbackFactory()
    assert check_records(factory.build_batch(50)) == []
    assert calls == []
    (problem,) = check_records([factory.build_invalid("html_code_required", 9)])
    assert [v.rule for v in problem.violations] == ["html_code_required"]
    assert len(calls) == 1


def test_encoded_postbacks_hold_bytes_and_read_as_postbacks() -> None:
    bodies = PostbackFactory().build_batch(3)
    encoded = encode_records(bodies)
    assert isinstance(encoded, EncodedPostbacks)
    assert len(encoded) == 3
    assert list(encoded) == bodies
    assert encoded[1] == bodies[1]
    assert encoded[-1] == bodies[2]
    assert encoded[:2] == bodies[:2]
    assert list(encoded.encoded) == [1, 2, 3]
    assert json.loads(encoded.encoded[2]) == bodies[1]
    assert repr(encoded) == "<EncodedPostbacks: 3 postbacks>"


def test_every_problem_is_reported_and_nothing_kept() -> None:
    factory = PostbackFactory()
    checker = RecordChecker()
    checker.add(factory.build(1))
    checker.add(factory.build_invalid("delay_only_for_postback", 2))
    checker.add(factory.build(3))
    checker.add(factory.build(1))
    with pytest.raises(InvalidRecords) as info:
        checker.result()
    assert [(p.index, p.pixel_id) for p in info.value.problems] == [(1, 2), (3, 1)]
    assert "duplicate id, first used by record 0" in str(info.value)


@pytest.mark.parametrize(
    ("pixel_id", "note"),
    [
        (2**63, "$.network_pixel_id: above 9223372036854775807, so never served"),
        (5.0, "$.network_pixel_id: 5.0 is not written as an integer"),
    ],
)
def test_ids_the_api_cannot_serve_are_refused(pixel_id: Any, note: str) -> None:
    body = PostbackFactory().build(1)
    body["network_pixel_id"] = pixel_id
    (problem,) = check_records([body])
    assert problem.notes == [note]


def test_huge_ids_are_shown_cut() -> None:
    body = PostbackFactory().build(1)
    body["network_pixel_id"] = 10**5000
    (problem,) = check_records([body])
    assert (
        problem.lines()[0] == "record 0 (network_pixel_id '<an integer of more than 38 digits>'):"
    )


def test_what_cannot_be_sent_as_json_is_a_problem_naming_the_path() -> None:
    body = PostbackFactory().build(1)
    body["extra"] = {"score": float("nan")}
    (problem,) = check_records([body])
    assert problem.notes == ["$.extra.score: nan is not JSON (plain JSON has no NaN or infinity)"]


def test_unreadable_records_keep_their_reason_and_id() -> None:
    checker = RecordChecker()
    problem = checker.add({"network_pixel_id": 4}, ["$.x: NaN is not JSON"])
    assert problem is not None
    assert problem.lines() == ["record 0 (network_pixel_id 4):", "  $.x: NaN is not JSON"]
    problem = checker.add(None, ["$: why"])
    assert problem is not None
    assert problem.notes == ["$: why"]
    problem = checker.add([1])
    assert problem is not None
    assert problem.notes == ["expected a JSON object, found an array"]


def test_the_largest_id_is_the_specs_pixel_id_maximum() -> None:
    (parameter,) = [
        p
        for p in load_spec()["paths"]["/networks/pixels/{pixelId}"]["get"]["parameters"]
        if p["name"] == "pixelId"
    ]
    assert parameter["schema"]["maximum"] == MAX_ID
