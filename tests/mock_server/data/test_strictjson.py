"""Strict JSON: plain JSON in, plain JSON out, every refusal naming the path and the problem."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mock_server.data.strictjson import MAX_DEPTH, StrictJSONError, dumps, iter_array, loads


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "b": [true, false, null, 1.5, -2, "x"], "c": {}}',
        "[]",
        '"just a string"',
        "0",
        ' \n {"emoji": "\\ud83d\\ude00", "escaped": "\\u00e9\\n"}\t',
    ],
)
def test_plain_json_reads_as_the_json_module_reads_it(text: str) -> None:
    assert loads(text) == json.loads(text)
    assert loads(text.encode()) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "path", "problem"),
    [
        ('{"a": NaN}', "$.a", "NaN is not JSON"),
        ('{"a": [1, {"b": -Infinity}]}', "$.a[1].b", "-Infinity is not JSON"),
        ("[Infinity]", "$[0]", "Infinity is not JSON"),
        ('{"x": {"y": 1e999}}', "$.x.y", "1e999 is too large for a JSON number"),
        ('{"a": 1, "b": {"c": 1, "c": 2}}', "$.b.c", "key appears twice"),
        ('["ok", "\\ud800"]', "$[1]", "lone UTF-16 surrogate"),
        ('{"\\udc00": 1}', "$.\\udc00", "lone UTF-16 surrogate"),
        ("[1, 2", "$", "not valid JSON: Expecting ',' delimiter: line 1 column 6"),
        ("[1] x", "$", "not valid JSON: Extra data"),
        ("", "$", "not valid JSON: Expecting value"),
        ("1" * 5000, "$", "a number with more digits than Python reads"),
    ],
)
def test_what_is_not_plain_json_is_refused_by_path(text: str, path: str, problem: str) -> None:
    with pytest.raises(StrictJSONError) as info:
        loads(text)
    assert info.value.path == path
    assert problem in info.value.problem
    assert str(info.value) == f"{path}: {info.value.problem}"
    assert isinstance(info.value, ValueError)


def test_bytes_must_be_utf8() -> None:
    with pytest.raises(StrictJSONError, match=r"^\$: not UTF-8 \(byte 1\)"):
        loads(b'"\xff"')


def test_a_lone_surrogate_in_text_is_refused() -> None:
    with pytest.raises(StrictJSONError, match="lone UTF-16 surrogate"):
        loads('"\ud800"')


def nested(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


def test_nesting_up_to_the_limit_is_read() -> None:
    assert loads(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))
    assert loads(nested(3), max_depth=3)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 100_000])
def test_deeper_nesting_is_refused_with_the_path_where_it_crosses(depth: int) -> None:
    with pytest.raises(StrictJSONError) as info:
        loads(nested(depth))
    assert info.value.path == "$" + ".a" * MAX_DEPTH
    assert info.value.problem == f"nested deeper than {MAX_DEPTH} levels of objects and arrays"


def test_deep_arrays_inside_an_object_name_their_indexes() -> None:
    text = '{"x": [0, 1, ' + "[" * 100_000 + "]" * 100_000 + "]}"
    with pytest.raises(StrictJSONError) as info:
        loads(text, max_depth=4)
    assert info.value.path == "$.x[2][0][0]"


def test_iter_array_reads_element_by_element_and_reports_each_bad_one() -> None:
    text = '[{"a": 1}, {"id": 7, "a": NaN}, {"b": 1, "b": 2}, []]'
    items = list(iter_array(text))
    assert [str(error) for _, error in items if error] == [
        "$.a: NaN is not JSON (plain JSON has no NaN or infinity)",
        "$.b: key appears twice",
    ]
    assert [items[0][0], items[1][0]["id"], items[3][0]] == [{"a": 1}, 7, []]


def test_iter_array_counts_the_array_as_one_level() -> None:
    (item,) = iter_array("[" + nested(MAX_DEPTH - 1) + "]")
    assert item[1] is None
    ((_, error),) = iter_array("[" + nested(MAX_DEPTH) + "]")
    assert error is not None
    assert error.path == "$" + ".a" * (MAX_DEPTH - 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", None),
        (" [ ] ", None),
        ("{}", "$: expected a JSON array, found an object"),
        ("5", "$: expected a JSON array, found a number"),
        ("x", "$: not valid JSON: Expecting value"),
        ("[1 2]", "$[0]: not valid JSON: Expecting ',' delimiter"),
        ("[1,]", "$[1]: not valid JSON: Expecting value"),
        ("[1] 2", "$: not valid JSON: Extra data"),
        ("[" * 100_000, "$" + "[0]" * MAX_DEPTH + ": nested deeper"),
    ],
)
def test_iter_array_refuses_what_it_cannot_read(text: str, message: str | None) -> None:
    if message is None:
        assert list(iter_array(text)) == []
        return
    with pytest.raises(StrictJSONError) as info:
        list(iter_array(text))
    assert str(info.value).startswith(message)


def test_dumps_is_compact_utf8() -> None:
    assert dumps({"a": [1, "é"], "b": None}) == '{"a":[1,"é"],"b":null}'.encode()


class Thing:
    pass


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": float("nan")}, "$.a: nan is not JSON"),
        ({"a": [1, {"b": float("-inf")}]}, "$.a[1].b: -inf is not JSON"),
        ({"a": [1, {"b": {1, 2}}]}, "$.a[1].b: a set is not a JSON value"),
        ({"a": Thing()}, "$.a: a Thing is not a JSON value"),
        ({"a": "\ud800"}, "$.a: not valid Unicode"),
        ({"\udc00": 1}, "$.\\udc00: key is not valid Unicode"),
        ({(1, 2): 3}, "$: a key of type tuple is not JSON"),
    ],
)
def test_dumps_refuses_what_plain_json_cannot_carry(value: Any, message: str) -> None:
    with pytest.raises(StrictJSONError) as info:
        dumps(value)
    assert str(info.value).startswith(message)


def test_dumps_explains_cycles() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(StrictJSONError, match="Circular reference"):
        dumps(cycle)
