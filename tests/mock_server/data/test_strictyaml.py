"""YAML read as plain JSON data, with libyaml's parser and with PyYAML's own alike."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from mock_server.data import strictyaml
from mock_server.data.strictyaml import MAX_PROBLEMS_PER_RECORD, YAMLDataError, YAMLDocument

LOADERS = [yaml.SafeLoader, *([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])]


@pytest.fixture(params=LOADERS, ids=lambda base: base.__name__)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(strictyaml, "_StrictLoader", strictyaml.strict_loader(request.param))


def records(text: str) -> list[tuple[Any, list[str]]]:
    return list(YAMLDocument(text).records())


@pytest.mark.usefixtures("loader")
def test_plain_values_by_the_yaml_1_2_core_schema() -> None:
    text = "- {a: ~, b: null, c: true, d: False, e: -12, f: 0o17, g: 0x1f, h: 017, i: 1.5e3}\n"
    text += "- [yes, no, on, off, 1_000, '2024-01-01', 1:30, =, '']\n"
    assert records(text) == [
        (
            {
                "a": None,
                "b": None,
                "c": True,
                "d": False,
                "e": -12,
                "f": 15,
                "g": 31,
                "h": 17,
                "i": 1500.0,
            },
            [],
        ),
        (["yes", "no", "on", "off", "1_000", "2024-01-01", "1:30", "=", ""], []),
    ]


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize(
    "scalar",
    [
        '!!int "\u0663"',  # an Arabic-Indic three
        '!!int " 1_0 "',
        '!!int "0x\u0661\u0662"',
        '!!int "1_000"',
        '!!int "10\n"',
        '!!float "1_0.5"',
        '!!float " 2.5"',
        '!!float "\u0661.5"',
        '!!float "infinity"',
    ],
)
def test_explicitly_tagged_numbers_are_yaml_1_2_core_or_refused(scalar: str) -> None:
    ((record, problems),) = records(f"- {{n: {scalar}}}\n")
    assert len(problems) == 1, (record, problems)
    assert problems[0].startswith("$.n: ")
    assert "not an integer" in problems[0] or "not a number" in problems[0]


@pytest.mark.usefixtures("loader")
def test_explicitly_tagged_core_numbers_are_read() -> None:
    text = '- [!!int "-12", !!int "0x1f", !!int "0o17", !!float "1.5e3", !!float "7"]\n'
    assert records(text) == [([-12, 31, 15, 1500.0, 7.0], [])]


@pytest.mark.usefixtures("loader")
def test_keys_keep_their_order_and_problems_come_in_document_order() -> None:
    ((record, problems),) = records("- {z: 1, a: .nan, m: [1, !!set {x}], b: 2001-02-03}\n")
    assert list(record) == ["z", "a", "m", "b"]
    assert [p.split(":")[0] for p in problems] == ["$.a", "$.m[1]", "$.b"]


@pytest.mark.usefixtures("loader")
def test_aliases_are_refused_wherever_they_are() -> None:
    text = "- &r {a: &k key, b: &v [1]}\n- {*k : 1, c: *v}\n- *r\n"
    problems = [problems for _, problems in records(text)]
    assert problems[0] == []
    assert problems[1] == [
        "$.key: an alias (*name) is not JSON; write the key out",
        "$.c: an alias (*name) is not JSON; write the value out",
    ]
    assert problems[2] == ["$: an alias (*name) is not JSON; write the value out"]


@pytest.mark.usefixtures("loader")
def test_a_record_shows_its_first_problems_and_counts_the_rest() -> None:
    text = "- [" + ", ".join(["!!binary aGk="] * 25) + "]\n"
    ((_, problems),) = records(text)
    assert len(problems) == MAX_PROBLEMS_PER_RECORD + 1
    assert problems[-1] == f"... and {25 - MAX_PROBLEMS_PER_RECORD} more"


@pytest.mark.usefixtures("loader")
def test_complex_and_explicitly_tagged_keys() -> None:
    ((record, problems),) = records("- {? [a] : 1, !!int '5': 2, !!str 6: 3}\n")
    assert record == {"6": 3}
    assert problems == [
        "$.?: a key must be a string, not a list or mapping",
        "$.5: key 5 is not a string; quote it",
    ]


@pytest.mark.usefixtures("loader")
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "found an empty file"),
        ("a: 1\n", "found a mapping"),
        ("just text\n", "found a single value"),
        ("!!set {a}\n", "found a mapping"),
        ("- 1\n---\n- 2\n", "not valid YAML: expected a single document"),
        ("- [\n", "not valid YAML"),
        ("- " + "[" * 5000 + "]" * 5000 + "\n", "not valid YAML"),
    ],
)
def test_what_is_not_a_yaml_list(text: str, message: str) -> None:
    with pytest.raises(YAMLDataError, match=message):
        records(text)


@pytest.mark.usefixtures("loader")
def test_a_mapping_is_read_whole_by_the_same_rules_its_problems_by_path() -> None:
    document = strictyaml.YAMLDocument("postbacks:\n  - {a: &x [1], b: *x, c: on}\noffers: []\n")
    assert document.is_mapping
    assert document.keys() == {"postbacks", "offers"}
    whole, problems = document.whole()
    assert whole == {"postbacks": [{"a": [1], "b": None, "c": "on"}], "offers": []}
    assert problems == ["$.postbacks[0].b: an alias (*name) is not JSON; write the value out"]
    with pytest.raises(YAMLDataError, match="found a mapping"):
        list(document.records())


@pytest.mark.usefixtures("loader")
def test_a_list_is_no_mapping() -> None:
    document = strictyaml.YAMLDocument("- {a: 1}\n")
    assert (document.is_mapping, document.keys()) == (False, set())
    assert list(document.records()) == [({"a": 1}, [])]
