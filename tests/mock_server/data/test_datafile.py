"""--data files: JSON or YAML, every problem named, nothing half-loaded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from fixtures import PostbackFactory
from mock_server import MockConfig, MockState
from mock_server.cli import main
from mock_server.data import datafile, records
from mock_server.data.datafile import DataFileError, load_data_file
from mock_server.data.records import MAX_ID
from mock_server.data.strictjson import dumps
from openapi import fast_validation
from openapi.record_kinds import NEIGHBOURS


def write(path: Path, records: Any) -> Path:
    path.write_text(json.dumps(records) if path.suffix == ".json" else yaml.safe_dump(records))
    return path


def test_generate_output_loads_as_is(tmp_path: Path) -> None:
    out = tmp_path / "pb.json"
    main(["generate", "--count", "12", "--seed", "3", "--out", str(out)])
    assert list(load_data_file(out)) == json.loads(out.read_text())


def test_yaml_list_loads(tmp_path: Path) -> None:
    records = PostbackFactory(1).build_batch(3)
    assert list(load_data_file(write(tmp_path / "pb.yaml", records))) == records


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
    assert "record 5:" in text  # no id to name it by
    assert "expected a JSON object, found a string" in text
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
            "expected a JSON array of postbacks, found an object",
        ),
        ("a.yml", "just text", "expected a YAML list of postbacks, found a single value"),
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


BILLION_LAUGHS = "\n".join(
    [
        '- &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"- &{name} [{','.join([f'*{prev}'] * 9)}]"
            for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
        ),
        "- network_pixel_id: 1",
        "  description: *i",
    ]
)


def yaml_record(**fields: str) -> str:
    """A valid postback as YAML, with some fields replaced by raw YAML text."""
    body = PostbackFactory().build(7, delivery_method="postback")
    for name in fields:
        body.pop(name, None)
    text = yaml.safe_dump([body], sort_keys=False)
    return text + "".join(f"  {name}: {raw}\n" for name, raw in fields.items())


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("2024-01-01", "$.time_created: an unquoted date or time is not JSON; quote it"),
        ("!!set {a, b}", "$.description: !!set is not plain JSON data"),
        ("!!binary aGVsbG8=", "$.description: !!binary is not plain JSON data"),
        ("!!python/object/apply:os.getpid []", "$.description: !!python/object/apply:os.getpid"),
        ("!custom x", "$.description: !custom is not plain JSON data"),
        (".nan", "$.delay_ms: .nan is not JSON (plain JSON has no NaN or infinity)"),
        ("-.inf", "$.delay_ms: -.inf is not JSON"),
        ("{<<: {a: 1}}", "$.description.<<: merge keys (<<) are not JSON"),
        ("{1: a}", "$.description.1: key 1 is not a string; quote it"),
        ("{a: 1, a: 2}", "$.description.a: key appears twice"),
        ("!!bool 'yes'", "$.description: 'yes' is not true or false"),
    ],
)
def test_yaml_that_is_not_plain_json_data_is_refused_by_record_and_path(
    tmp_path: Path, raw: str, problem: str
) -> None:
    name = problem.split(":", 1)[0].split(".")[1]
    path = tmp_path / "pb.yaml"
    path.write_text(yaml_record(**{name: raw}))
    with pytest.raises(DataFileError) as info:
        load_data_file(path)
    text = str(info.value)
    assert text.startswith(f"{path}: 1 of 1 records are invalid; nothing was loaded:")
    assert "record 0 (network_pixel_id 7):" in text
    assert problem in text


def test_yaml_reads_the_yaml_1_2_core_schema_only(tmp_path: Path) -> None:
    path = tmp_path / "pb.yaml"
    path.write_text(yaml_record(description="yes", network_id="017", network_offer_id="0x5"))
    (body,) = load_data_file(path)
    assert (body["description"], body["network_id"], body["network_offer_id"]) == ("yes", 17, 5)


def test_an_alias_bomb_fails_fast_naming_each_alias(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BILLION_LAUGHS)
    with pytest.raises(DataFileError) as info:
        load_data_file(path)
    text = str(info.value)
    assert "10 of 10 records are invalid" in text
    assert "record 1:\n  $[0]: an alias (*name) is not JSON" in text
    assert "record 9 (network_pixel_id 1):\n  $.description: an alias (*name)" in text


def test_the_classic_mapping_alias_bomb_is_not_a_list(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    lines = BILLION_LAUGHS.replace("- &", "").splitlines()[:9]
    path.write_text("\n".join(f"{line[0]}: &{line}" for line in lines))
    with pytest.raises(DataFileError, match="expected a YAML list of postbacks, found a mapping"):
        load_data_file(path)


def test_a_repeated_record_by_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pb.yaml"
    path.write_text(yaml_record().replace("- ", "- &first ", 1) + "- *first\n")
    with pytest.raises(DataFileError, match=r"record 1:\n  \$: an alias"):
        load_data_file(path)


def test_yaml_nesting_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(yaml_record(description="[" * 80 + "]" * 80))
    with pytest.raises(DataFileError, match=r"\$.description(\[0\]){62}: nested deeper than 64"):
        load_data_file(path)
    path.write_text("- " + "[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataFileError, match=r"(?s)not valid YAML: .*maximum nesting depth"):
        load_data_file(path)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ('"extra": NaN', "$.extra: NaN is not JSON"),
        ('"extra": [-Infinity]', "$.extra[0]: -Infinity is not JSON"),
        ('"extra": 1e999', "$.extra: 1e999 is too large for a JSON number"),
        ('"extra": "a", "extra": "b"', "$.extra: key appears twice"),
        ('"extra": "\\udc00"', "$.extra: not valid Unicode"),
    ],
)
def test_json_that_is_not_plain_json_is_refused_by_record_and_path(
    tmp_path: Path, raw: str, problem: str
) -> None:
    good = json.dumps(PostbackFactory().build(1))
    bad = json.dumps(PostbackFactory().build(2, delivery_method="html"))
    bad = bad[:-1] + ", " + raw + "}"
    path = tmp_path / "pb.json"
    path.write_text(f"[{good}, {bad}]")
    with pytest.raises(DataFileError) as info:
        load_data_file(path)
    assert f"{path}: 1 of 2 records are invalid" in str(info.value)
    assert f"record 1 (network_pixel_id 2):\n  {problem}" in str(info.value)


def test_json_nesting_is_bounded_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataFileError, match=r"\$(\[0\]){64}: nested deeper than 64"):
        load_data_file(path)


def test_an_id_the_api_can_never_serve_is_refused(tmp_path: Path) -> None:
    body = PostbackFactory().build(1)
    body["network_pixel_id"] = 2**63
    with pytest.raises(DataFileError, match=r"above 9223372036854775807, so never served"):
        load_data_file(write(tmp_path / "pb.json", [body]))


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "pb.json"
    path.write_bytes(b'["\xff"]')
    with pytest.raises(DataFileError, match=r"pb.json: not UTF-8 \(byte 2\)"):
        load_data_file(path)


def test_a_loaded_file_is_not_validated_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = load_data_file(write(tmp_path / "pb.json", PostbackFactory().build_batch(3)))

    def fail(*args: object) -> None:
        raise AssertionError("validated twice")

    monkeypatch.setattr(fast_validation, "violations", fail)
    state = MockState(MockConfig(postbacks=loaded))
    assert state.store.ids() == [1, 2, 3]
    assert state.store.get(2) == dumps(PostbackFactory().build_batch(3)[1])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bomb.yaml", BILLION_LAUGHS, "an alias (*name) is not JSON"),
        ("date.yaml", yaml_record(time_created="2024-01-01"), "an unquoted date"),
        ("set.yaml", yaml_record(description="!!set {a}"), "!!set is not plain JSON"),
        ("nan.json", '[{"network_pixel_id": 1, "delay_ms": NaN}]', "1):\n  $.delay_ms: NaN"),
        ("deep.json", "[" * 100_000, "nested deeper than 64"),
    ],
)
def test_serve_exits_2_naming_the_file_and_record_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    assert main(["serve", "--data", str(path), "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", ["pb.json", "pb.yaml"])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"\xef\xbb\xbf[]",
            "starts with a UTF-8 byte order mark (BOM); save it as UTF-8 without one",
        ),
        (b"", "the file is empty; expected a JSON array or YAML list of postbacks"),
        (b" \n\t\n", "the file is empty; expected a JSON array or YAML list of postbacks"),
    ],
    ids=["bom", "empty", "blank"],
)
def test_a_bom_or_an_empty_file_has_its_own_one_line_message(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataFileError) as info:
        load_data_file(path)
    assert str(info.value) == f"{path}: {message}"


def test_many_bad_records_report_the_first_ones_and_a_count(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text("[" + ",".join(["{}"] * 100_000) + "]")
    with pytest.raises(DataFileError) as info:
        load_data_file(path)
    lines = str(info.value).splitlines()
    assert lines[0] == f"{path}: 100000 of 100000 records are invalid; nothing was loaded:"
    assert lines[-1] == f"... and {100_000 - records.MAX_REPORTED} more invalid records"
    assert sum(line.startswith("record ") for line in lines) == records.MAX_REPORTED
    assert len(lines) < 10 * records.MAX_REPORTED


def test_allow_drift_keeps_rule_breakers_as_they_are_but_never_what_cannot_be_served(
    tmp_path: Path,
) -> None:
    factory = PostbackFactory(seed=4)
    broken = {**factory.build(1, delivery_method="postback"), "pixel_status": "paused"}
    path = write(tmp_path / "drift.json", [broken, factory.build(2)])
    with pytest.raises(DataFileError, match=r"record 0 \(network_pixel_id 1\)"):
        load_data_file(path)
    assert load_data_file(path, allow_drift=True)[0] == broken
    path = write(tmp_path / "dup.json", [broken, broken])
    with pytest.raises(DataFileError, match="duplicate id"):
        load_data_file(path, allow_drift=True)


def test_the_object_form_carries_offers_and_partners_the_mock_serves(tmp_path: Path) -> None:
    factory = PostbackFactory(4)
    postback = factory.build(10, pixel_level="specific")
    offer = factory.build_offer(777, offer_status="paused")
    partner = factory.build_affiliate(778, name="Object Form Partners")
    path = write(
        tmp_path / "world.json",
        {"postbacks": [postback], "offers": [offer], "affiliates": [partner]},
    )
    data = load_data_file(path)
    assert list(data) == [postback]
    state = MockState(MockConfig(postbacks=data))
    assert state.world.offers[777] == offer
    assert state.world.affiliates[778] == partner
    assert state.world.missing(postback) == []  # what the postback names is filled in too


def test_an_array_file_still_loads_with_its_references_filled_in(tmp_path: Path) -> None:
    postback = PostbackFactory(4).build(10, pixel_level="specific")
    state = MockState(MockConfig(postbacks=load_data_file(write(tmp_path / "a.json", [postback]))))
    offer = state.world.offers[postback["network_offer_id"]]
    assert offer["name"] == postback["relationship"]["offer"]["name"]
    assert state.world.missing(postback) == []


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"postbacks": [], "offers": [{"network_offer_id": 5, "name": 5}]},
            "offers[0] (id 5): $.name",
        ),
        ({"offers": [{"name": "x"}]}, "offers[0]: $.network_offer_id: expected a positive integer"),
        (
            {"affiliates": [{"network_affiliate_id": 2}, {"network_affiliate_id": 2}]},
            "affiliates[1] (id 2): duplicate id",
        ),
        ({"offers": {}}, "offers: expected a JSON array"),
        ({"postbacks": [], "pixels": []}, "unknown key 'pixels'"),
        ({"pixels": []}, "expected a JSON array of postbacks, found an object"),
        ({"postbacks": {}}, "postbacks: expected a JSON array of postbacks"),
    ],
)
def test_a_bad_object_form_names_the_file_list_index_and_field(
    tmp_path: Path, document: Any, message: str
) -> None:
    path = write(tmp_path / "bad.json", document)
    with pytest.raises(DataFileError) as error:
        load_data_file(path)
    assert str(path) in str(error.value)
    assert message in str(error.value)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
@pytest.mark.parametrize(("key", "id_field"), [(kind.key, kind.id_field) for kind in NEIGHBOURS])
def test_an_offer_or_partner_id_above_the_largest_id_is_refused_as_a_postbacks_is(
    tmp_path: Path, suffix: str, key: str, id_field: str
) -> None:
    # a GET for it would be a 400 (pixelId-sized ids only): loaded, it could never be read
    factory = PostbackFactory(5)
    build = factory.build_offer if key == "offers" else factory.build_affiliate
    entity = build(1)
    entity[id_field] = MAX_ID + 1
    path = write(tmp_path / f"big{suffix}", {key: [entity]})
    with pytest.raises(DataFileError) as error:
        load_data_file(path)
    assert f"{key}[0]: $.{id_field}: above {MAX_ID}, so never served" in str(error.value)
    entity[id_field] = MAX_ID  # the largest is served
    assert load_data_file(write(tmp_path / f"largest{suffix}", {key: [entity]})).neighbours


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_the_object_form_names_bad_postbacks_by_path_with_the_offers_in_one_run(
    tmp_path: Path, suffix: str
) -> None:
    document = {"postbacks": [{"pixel_status": "active"}], "offers": [{"name": "x"}]}
    path = write(tmp_path / f"both{suffix}", document)
    with pytest.raises(DataFileError) as error:
        load_data_file(path)
    text = str(error.value)
    assert "offers[0]: $.network_offer_id: expected a positive integer" in text
    assert "\npostbacks[0]:\n  $.network_pixel_id: missing" in text
    assert "None" not in text
    assert "record 0" not in text


def test_a_data_file_is_read_up_to_its_cap_even_from_a_fifo(
    fifo: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = json.dumps([PostbackFactory().build(1)]).encode()
    assert len(load_data_file(fifo("small.json", data))) == 1
    monkeypatch.setattr(datafile, "MAX_DATA_BYTES", len(data) - 1)
    large = fifo("large.json", data)
    with pytest.raises(DataFileError, match=f"larger than {len(data) - 1} bytes"):
        load_data_file(large)


def test_the_object_form_loads_from_yaml_as_from_json(tmp_path: Path) -> None:
    factory = PostbackFactory(4)
    document = {
        "postbacks": [factory.build(10, pixel_level="specific")],
        "offers": [factory.build_offer(777, offer_status="paused")],
        "affiliates": [factory.build_affiliate(778, name="Object Form Partners")],
    }
    from_yaml = load_data_file(write(tmp_path / "world.yaml", document))
    from_json = load_data_file(write(tmp_path / "world.json", document))
    assert list(from_yaml) == list(from_json) == document["postbacks"]
    assert from_yaml.neighbours == from_json.neighbours
    state = MockState(MockConfig(postbacks=from_yaml))
    assert state.world.offers[777] == document["offers"][0]
    assert state.world.affiliates[778]["name"] == "Object Form Partners"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (  # a postback breaking the spec: named by its index, id and field
            "postbacks:\n  - network_pixel_id: 3\n    pixel_status: halted\n",
            "postbacks[0] (network_pixel_id 3):",
        ),
        (  # not plain data: named by its path in the file
            "postbacks:\n  - network_pixel_id: 3\n    time_created: 2024-01-01\n",
            "$.postbacks[0].time_created: ",
        ),
        ("offers:\n  - network_offer_id: 5\n    name: 5\n", "offers[0] (id 5): $.name"),
        ("offers: {}\n", "offers: expected a YAML list"),
        ("postbacks: 3\n", "postbacks: expected a YAML list of postbacks"),
        ("postbacks: []\npixels: []\n", "unknown key 'pixels'"),
        ("network_pixel_id: 3\n", "expected a YAML list of postbacks, found a mapping"),
    ],
)
def test_a_bad_yaml_object_form_names_the_file_record_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(DataFileError) as error:
        load_data_file(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_allow_drift_keeps_offers_and_partners_that_break_only_the_spec(tmp_path: Path) -> None:
    factory = PostbackFactory(4)
    offer = {**factory.build_offer(777), "time_saved": "yesterday"}
    partner = {**factory.build_affiliate(778), "has_notifications": "often"}
    path = write(tmp_path / "drift.json", {"offers": [offer], "affiliates": [partner]})
    with pytest.raises(DataFileError, match=r"offers\[0\] \(id 777\): \$\.time_saved"):
        load_data_file(path)
    data = load_data_file(path, allow_drift=True)
    assert data.neighbours == {"offers": [offer], "affiliates": [partner]}
    twice = write(tmp_path / "twice.json", {"offers": [offer, offer]})
    with pytest.raises(DataFileError, match=r"offers\[1\] \(id 777\): duplicate id"):
        load_data_file(twice, allow_drift=True)
