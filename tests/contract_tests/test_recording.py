"""``everflow-contract --recording FILE``: the body checks on a recording, offline."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contract_tests import recording
from contract_tests.cli import main
from contract_tests.recording import recording_report
from fixtures import PostbackFactory


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No socket may be opened: the check runs without a network."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a recording is checked without a network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.delenv("EVERFLOW_API_KEY", raising=False)


def write(tmp_path: Path, records: list[Any]) -> Path:
    path = tmp_path / "production.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def postbacks() -> list[dict[str, Any]]:
    factory = PostbackFactory(seed=3)
    return [factory.build(i, delivery_method="postback") for i in (1, 2, 3)]


def test_a_recording_that_keeps_the_spec_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, postbacks())
    assert main(["--recording", str(path)]) == 0
    assert capsys.readouterr().out.startswith("everflow-contract PASS: recording production.json")


def test_a_broken_postback_fails_the_check_naming_rule_and_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = postbacks()
    records[1]["pixel_status"] = "paused"
    path = write(tmp_path, records)
    md, junit = tmp_path / "r.md", tmp_path / "j.xml"
    assert main(["--recording", str(path), "--report", str(md), "--junit", str(junit)]) == 1
    out = capsys.readouterr().out
    assert "record 1 (pixel 2): $.pixel_status:enum at $.pixel_status" in out
    assert "$.pixel_status:enum" in md.read_text()
    (failure,) = ET.parse(junit).getroot().iter("failure")
    assert "$.pixel_status:enum" in (failure.get("message") or "")


def test_two_records_of_one_id_fail_as_serve_data_refuses_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    records = postbacks()
    records.append(dict(records[0]))
    path = write(tmp_path, records)
    assert main(["--recording", str(path)]) == 1
    out = capsys.readouterr().out
    assert "record 3 (pixel 1): duplicate_id at $.network_pixel_id" in out
    assert "the id of record 0" in out
    assert "record 0 (pixel 1): duplicate_id" not in out  # the first of them is no duplicate


def test_undocumented_fields_are_drift_warnings_failing_only_strict(tmp_path: Path) -> None:
    records = postbacks()
    records[0]["brand_new_field"] = 1
    path = write(tmp_path, records)
    report = recording_report(path)
    assert [(f.check, f.path) for f in report.findings if f.severity == "warning"] == [
        ("undocumented_field", "$.brand_new_field")
    ]
    assert main(["--recording", str(path)]) == 0
    assert main(["--recording", str(path), "--strict"]) == 1


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"{}", "not a JSON array"),
        (b"[1,", "not a JSON array"),
        (b"\xff", "not a JSON array"),
        (b'{"postbacks": [], "pixels": []}', "not a JSON array"),
        (b'{"postbacks": [], "offers": {}}', "offers: not a JSON array"),
    ],
)
def test_a_file_that_is_no_recording_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, said: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert main(["--recording", str(path)]) == 2
    err = capsys.readouterr().err
    assert said in err
    assert str(path) in err


def test_a_missing_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--recording", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_without_base_url_or_recording_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "--base-url" in capsys.readouterr().err


@pytest.mark.parametrize(
    "live",
    [["--base-url", "https://api.eflow.team/v1"], ["--pixel-id", "3"], ["--allow-writes"]],
)
def test_options_of_a_live_run_are_refused_not_ignored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], live: list[str]
) -> None:
    path = write(tmp_path, postbacks())
    assert main(["--recording", str(path), *live]) == 2
    assert live[0] in capsys.readouterr().err


def test_a_recording_is_read_up_to_its_cap_even_from_a_fifo(
    fifo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.dumps(postbacks()).encode()
    assert main(["--recording", str(fifo("small.json", data))]) == 0
    monkeypatch.setattr(recording, "MAX_RECORDING_BYTES", len(data) - 1)
    large = fifo("large.json", data)
    assert main(["--recording", str(large)]) == 2
    assert f"{large}: larger than {len(data) - 1} bytes" in capsys.readouterr().err


def world_recording(tmp_path: Path, **changes: Any) -> Path:
    """A recording as ``everflow-mock record`` writes it: postbacks, offers, affiliates."""
    factory = PostbackFactory(seed=3)
    document: dict[str, Any] = {
        "postbacks": postbacks(),
        "offers": [factory.build_offer(605), factory.build_offer(606)],
        "affiliates": [factory.build_affiliate(461)],
    }
    document.update(changes)
    path = tmp_path / "production.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_a_recording_of_postbacks_offers_and_partners_that_keeps_the_spec_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = world_recording(tmp_path)
    report = recording_report(path)
    assert report.probes == [
        "record 0",
        "record 1",
        "record 2",
        "offer 0",
        "offer 1",
        "affiliate 0",
    ]
    assert main(["--recording", str(path)]) == 0
    assert capsys.readouterr().out.startswith("everflow-contract PASS")


def test_a_recorded_offer_or_partner_breaking_the_spec_fails_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    factory = PostbackFactory(seed=3)
    offer = {**factory.build_offer(605), "time_saved": "yesterday"}
    partner = {**factory.build_affiliate(461), "brand_new": 1}
    path = world_recording(tmp_path, offers=[offer, dict(offer)], affiliates=[partner])
    findings = recording_report(path).findings
    assert {(f.probe, f.check, f.path, f.severity) for f in findings} >= {
        ("offer 0", "$.time_saved:type", "$.time_saved", "error"),
        ("offer 1", "duplicate_id", "$.network_offer_id", "error"),
        ("affiliate 0", "undocumented_field", "$.brand_new", "warning"),
    }
    assert main(["--recording", str(path)]) == 1
    assert "offer 0" in capsys.readouterr().out
