"""Read a YAML list as plain JSON data, and refuse, by path, everything JSON does not have.

PyYAML's safe loader still builds sets, bytes and datetimes (``!!set``, ``!!binary``, an
unquoted ``2024-01-01``), reads ``yes``/``no``/``on``/``off`` as booleans and ``017`` as
octal, keeps the last of two equal keys, and expands aliases, so 451 bytes of nested
aliases ("billion laughs") never finish loading. This loader is PyYAML's own parser
(libyaml's where it is installed) with the YAML 1.2 core schema's resolvers and
constructors for JSON's types only; the tree is then walked without recursion, and every
alias, other tag, merge key, non-string or repeated key and too-deep nesting is refused
with its JSON path. Aliases are refused outright rather than counted: JSON has none, a
data file never needs one, and no limit on expansion can then be too generous.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from mock_server.data.strictjson import MAX_DEPTH
from openapi.jsonpath import json_path

_TAG = "tag:yaml.org,2002:"
MAX_PROBLEMS_PER_RECORD = 10
"""A record's problems shown before the rest are summed up as "and N more"."""


class YAMLDataError(ValueError):
    """The file is not YAML, or not a list: nothing in it can be read as records."""


_TIMESTAMP = next(
    regexp
    for tag, regexp in yaml.resolver.Resolver.yaml_implicit_resolvers["2"]
    if tag == _TAG + "timestamp"
)
_IMPLICIT = [  # the first match wins, so int before float
    ("null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
    ("bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")),
    ("int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")),
    (
        "float",
        re.compile(
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+.0123456789"),
    ),
    # Not JSON: resolved only to be refused by name, rather than read as strings.
    ("timestamp", _TIMESTAMP, list("0123456789")),
    ("merge", re.compile(r"^(?:<<)$"), ["<"]),
]

_CORE = {name: regexp for name, regexp, _ in _IMPLICIT}
"""Each YAML 1.2 core form, which a scalar must match as written: an explicit tag
(``!!int "٣"``) must not let Python's wider ``int()`` and ``float()`` read other scripts'
digits, spaces or underscores."""


class _NotJSON(ValueError):
    """A scalar whose tag or text has no plain JSON value."""


def _null(loader: yaml.SafeLoader, node: ScalarNode) -> None:
    if node.value not in ("", "~", "null", "Null", "NULL"):
        raise _NotJSON(f"{node.value!r} is not null")


def _bool(loader: yaml.SafeLoader, node: ScalarNode) -> bool:
    text: str = node.value.lower()
    if text not in ("true", "false"):
        raise _NotJSON(f"{node.value!r} is not true or false")
    return text == "true"


def _int(loader: yaml.SafeLoader, node: ScalarNode) -> int:
    text: str = node.value
    if not _CORE["int"].fullmatch(text):
        raise _NotJSON(f"{text[:40]!r} is not an integer")
    try:
        if text.startswith(("0o", "0x")):
            return int(text[2:], 8 if text[1] == "o" else 16)
        return int(text, 10)
    except ValueError:
        raise _NotJSON(f"{text[:40]!r} is not an integer") from None


def _float(loader: yaml.SafeLoader, node: ScalarNode) -> float:
    text: str = node.value
    if not _CORE["float"].fullmatch(text):
        raise _NotJSON(f"{text[:40]!r} is not a number")
    value = float(text.lower().replace(".inf", "inf").replace(".nan", "nan"))  # core: no error
    if not math.isfinite(value):
        raise _NotJSON(f"{text} is not JSON (plain JSON has no NaN or infinity)")
    return value


def _str(loader: yaml.SafeLoader, node: ScalarNode) -> str:
    value: str = node.value
    return value


_SCALARS = {"null": _null, "bool": _bool, "int": _int, "float": _float, "str": _str}


def strict_loader(base: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """``base`` (PyYAML's C or Python safe loader) resolving and constructing only what JSON
    has, by the YAML 1.2 core schema."""
    tables: dict[str, Any] = {
        "yaml_implicit_resolvers": {},
        "yaml_constructors": {},
        "yaml_multi_constructors": {},
    }
    loader = cast("type[yaml.SafeLoader]", type(f"Strict{base.__name__}", (base,), tables))
    for name, regexp, first in _IMPLICIT:
        loader.add_implicit_resolver(_TAG + name, regexp, first)
    for name, constructor in _SCALARS.items():
        loader.add_constructor(_TAG + name, constructor)
    return loader


_StrictLoader = strict_loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _tag_problem(tag: str) -> str:
    if tag == _TAG + "timestamp":
        return "an unquoted date or time is not JSON; quote it, or give Unix seconds"
    if tag == _TAG + "merge":
        return "merge keys (<<) are not JSON; write the keys out"
    shown = "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
    return f"{shown[:60]} is not plain JSON data (only null, booleans, numbers, strings, lists and mappings)"


def _scalar(loader: yaml.SafeLoader, node: ScalarNode) -> Any:
    """The node's value, or ``_NotJSON`` saying why it has none in JSON."""
    if not node.tag.startswith(_TAG) or node.tag.removeprefix(_TAG) not in _SCALARS:
        raise _NotJSON(_tag_problem(node.tag))
    return loader.construct_object(node)


def _record(loader: yaml.SafeLoader, root: Node, seen: set[int]) -> tuple[Any, list[str]]:
    """One record built from its node tree, and every problem found, each with its path.

    Iterative, so no nesting can overflow the stack; a node met twice is an alias.
    """
    problems: list[str] = []
    holder: list[Any] = [None]
    stack: list[tuple[Node, tuple[str | int, ...], Any, Any]] = [(root, (), holder, 0)]
    while stack:
        node, path, parent, slot = stack.pop()
        problem, value = None, None
        if id(node) in seen:
            problem = "an alias (*name) is not JSON; write the value out"
        elif len(path) + 2 > MAX_DEPTH and not isinstance(node, ScalarNode):
            problem = f"nested deeper than {MAX_DEPTH} levels of lists and mappings"
        elif isinstance(node, ScalarNode):
            try:
                value = _scalar(loader, node)
            except (_NotJSON, yaml.YAMLError) as error:
                problem = str(error) if isinstance(error, _NotJSON) else "not a valid value"
        elif node.tag not in (_TAG + "seq", _TAG + "map"):
            problem = _tag_problem(node.tag)
        elif isinstance(node, SequenceNode):
            value = [None] * len(node.value)
            items = reversed(list(enumerate(node.value)))  # popped in document order
            stack.extend((child, (*path, i), value, i) for i, child in items)
        elif isinstance(node, MappingNode):
            value, children, key_problems = _mapping(loader, node, path, seen)
            problems.extend(key_problems)
            stack.extend(reversed(children))
        seen.add(id(node))
        if problem:
            problems.append(f"{json_path(path)}: {problem}")
        parent[slot] = value
    return holder[0], problems


def _mapping(
    loader: yaml.SafeLoader, node: MappingNode, path: tuple[str | int, ...], seen: set[int]
) -> tuple[dict[str, Any], list[tuple[Node, tuple[str | int, ...], Any, Any]], list[str]]:
    """An empty dict with the node's keys in order, its values to build, and key problems."""
    value: dict[str, Any] = {}
    children: list[tuple[Node, tuple[str | int, ...], Any, Any]] = []
    problems: list[str] = []
    for key_node, child in node.value:
        key: Any = None
        problem: str | None = None
        if id(key_node) in seen:
            problem = "an alias (*name) is not JSON; write the key out"
        elif not isinstance(key_node, ScalarNode):
            problem = "a key must be a string, not a list or mapping"
        else:
            try:
                key = _scalar(loader, key_node)
                problem = None if isinstance(key, str) else f"key {key!r} is not a string; quote it"
            except (_NotJSON, yaml.YAMLError) as error:
                problem = str(error)
        seen.add(id(key_node))
        if problem is None and key in value:
            problem = "key appears twice"
        if problem:
            shown = "?" if not isinstance(key_node, ScalarNode) else str(key_node.value)
            problems.append(f"{json_path((*path, shown))}: {problem}")
            continue
        value[key] = None
        children.append((child, (*path, key), value, key))
    return value, children, problems


class YAMLDocument:
    """A YAML document parsed (not yet built): a list of records, or a mapping (the data
    file's object form). ``YAMLDataError`` when ``text`` is not YAML, is empty, or is a
    single value."""

    def __init__(self, text: str) -> None:
        self._loader = _StrictLoader(text)
        try:
            node = self._loader.get_single_node()
        except yaml.YAMLError as error:
            raise YAMLDataError(f"not valid YAML: {error}") from None
        except RecursionError:
            raise YAMLDataError(f"not valid YAML: nested deeper than {MAX_DEPTH} levels") from None
        finally:
            self._loader.dispose()
        if node is None:
            raise YAMLDataError("expected a YAML list of postbacks, found an empty file")
        self._node: Node = node
        self.is_mapping = isinstance(node, MappingNode) and node.tag == _TAG + "map"
        """Whether the document is a mapping (``postbacks:``, ``offers:``, ``affiliates:``)."""

    def keys(self) -> set[str]:
        """The keys of a mapping as written (plain scalars), without building its values."""
        if not isinstance(self._node, MappingNode):
            return set()
        return {key.value for key, _ in self._node.value if isinstance(key, ScalarNode)}

    def records(self) -> Iterator[tuple[Any, list[str]]]:
        """Each item of the list with its problems (empty when it is plain data), as
        ``read_records`` gives them; ``YAMLDataError`` when the document is no list."""
        document = self._node
        if not isinstance(document, SequenceNode) or document.tag != _TAG + "seq":
            found = "a mapping" if isinstance(document, MappingNode) else "a single value"
            raise YAMLDataError(f"expected a YAML list of postbacks, found {found}")
        seen: set[int] = {id(document)}
        for item in document.value:
            yield _capped(*_record(self._loader, item, seen))

    def whole(self) -> tuple[Any, list[str]]:
        """The whole document as plain data, and every problem of it by JSON path
        (``$.postbacks[3].pixel_status: ...``), at most ``MAX_PROBLEMS_PER_RECORD`` shown."""
        return _capped(*_record(self._loader, self._node, set()))


def _capped(record: Any, problems: list[str]) -> tuple[Any, list[str]]:
    if len(problems) > MAX_PROBLEMS_PER_RECORD:
        more = len(problems) - MAX_PROBLEMS_PER_RECORD
        problems = [*problems[:MAX_PROBLEMS_PER_RECORD], f"... and {more} more"]
    return record, problems
