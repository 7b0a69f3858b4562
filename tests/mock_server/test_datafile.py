"""--data files: JSON or YAML, every problem named, nothing half-loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures import PostbackFactory
from mock_server.cli import main
from mock_server.datafile import DataFileError, load_data_file


def write(path: Path, records: Any) -> Path:
    path.write_text(json.dumps(records) if path.suffix == ".json" else yaml.safe_dump(records))
    return path


def test_generate_output_loads_as_is(tmp_path: Path) -> None:
    out = tmp_path / "pb.json"
    main(["generate", "--count", "12", "--seed", "3", "--out", str(out)])
    assert load_data_file(out) == json.loads(out.read_text())


def test_yaml_list_loads(tmp_path: Path) -> None:
    records = PostbackFactory(1).build_batch(3)
    assert load_data_file(write(tmp_path / "pb.yaml", records)) == records


def test_every_problem_of_every_record_is_named(tmp_path: Path) -> None:
    factory = PostbackFactory()
    good = factory.build(1)
    twice = factory.build(2)
    broken = factory.build_invalid("tiktok_pixel_required", 3)
    broken["delay_ms"] = 999999
    enum = factory.build(4, pixel_status="active")
    enum["pixel_status"] = "paused"
    path = write(
        tmp_path / "bad.json", [good, twice, broken, enum, twice, "oops", {"description": "x"}]
    )
    with pytest.raises(DataFileError) as info:
        load_data_file(path)
    text = str(info.value)
    assert text.startswith(f"{path}: 5 of 7 records are invalid; nothing was loaded:")
    assert "record 2 (network_pixel_id 3):" in text
    assert "$.tiktok_pixel" in text
    assert "(rule tiktok_pixel_required)" in text
    assert "$.delay_ms: 999999 is greater than the maximum of 300000 (maximum)" in text
    assert "record 3 (network_pixel_id 4):" in text
    assert "$.pixel_status" in text
    assert "record 4 (network_pixel_id 2):" in text
    assert "duplicate id, first used by record 1" in text
    assert "record 5 (network_pixel_id None):" in text
    assert "expected a JSON object, found str" in text
    assert "record 6" in text
    assert "$.network_pixel_id: missing" in text
    assert "record 0 " not in text
    assert "record 1 " not in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.json", "[1, 2", "not valid JSON"),
        ("a.yaml", "- a: [", "not valid YAML"),
        (
            "a.json",
            '{"network_pixel_id": 1}',
            "expected a JSON array or YAML list of postbacks, found dict",
        ),
        ("a.yml", "just text", "found str"),
    ],
)
def test_unparseable_or_wrong_shape_files(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(DataFileError, match=message) as info:
        load_data_file(path)
    assert str(info.value).startswith(str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="cannot read: No such file"):
        load_data_file(tmp_path / "nope.json")


def test_serve_with_a_bad_file_stops_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "bad.json", [PostbackFactory().build_invalid("html_code_required", 8)])
    assert main(["serve", "--data", str(path), "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert "record 0 (network_pixel_id 8)" in err
    assert "html_code_required" in err
    assert "Traceback" not in err
