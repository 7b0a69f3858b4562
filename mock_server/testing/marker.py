"""The ``everflow`` marker's keywords, checked and turned into a ``MockConfig``.

``@pytest.mark.everflow(...)`` takes every setting of ``everflow-mock serve`` under the
names of ``MockConfig`` (``delay`` in milliseconds, ``rate_limit`` as ``"off"`` or
``"R/B"``, ``strict`` as ``--strict``), and ``pass_through_unmatched``, which only the
respx mock has. ``data`` is a
data file, as ``--data`` takes it (a relative path is taken from the test file's
directory). A value of the wrong kind, or a keyword not listed in ``KEYWORDS``, is a
``MarkerError`` naming it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mock_server.core.config import MockConfig, RateLimit
from mock_server.core.controls import MAX_DELAY_MS
from mock_server.core.mock_warning import near

if TYPE_CHECKING:
    from mock_server.data.records import EncodedPostbacks


class MarkerError(ValueError):
    """A ``@pytest.mark.everflow`` keyword or value the mocks cannot take."""


@dataclass(frozen=True)
class MarkerSettings:
    """What a test asked for: the mock's ``config`` and whether the respx mock lets calls
    to other hosts through (``pass_through_unmatched``)."""

    config: MockConfig
    pass_through_unmatched: bool = False


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise MarkerError(f"{name} must be True or False, not {value!r}")
    return value


def _seed(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise MarkerError(f"{name} must be an integer, not {value!r}")
    return value


def _api_keys(name: str, value: object) -> tuple[str, ...]:
    keys = (value,) if isinstance(value, str) else value
    if not isinstance(keys, Iterable) or isinstance(keys, bytes | Mapping):
        raise MarkerError(f"{name} must be a key or a list of keys")
    checked = tuple(keys)
    if not checked or not all(isinstance(key, str) and key for key in checked):
        # The keys themselves are secrets: never repeated in the message.
        raise MarkerError(f"{name} must be one or more non-empty strings")
    return checked


def _error_key(name: str, value: object) -> str:
    if value not in ("error", "Error"):
        raise MarkerError(f"{name} must be 'error' or 'Error', not {value!r}")
    return str(value)


def _rate_limit(name: str, value: object) -> RateLimit | None:
    if value is None or isinstance(value, RateLimit):
        return value
    if not isinstance(value, str):
        raise MarkerError(f"{name} must look like '30/50' or 'off', not {value!r}")
    try:
        return RateLimit.parse(value)
    except ValueError as error:
        # "rate limit must look like 30/50 or off, not 'x'", said of this keyword
        raise MarkerError(str(error).replace("rate limit", name, 1)) from None


def _delay(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_DELAY_MS:
        raise MarkerError(f"{name} must be milliseconds from 0 to {MAX_DELAY_MS}, not {value!r}")
    return value


def _fraction(name: str, value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise MarkerError(f"{name} must be a number from 0 to 1, not {value!r}")
    return float(value)


def _clock(name: str, value: object) -> object:
    if value == "now" or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise MarkerError(f"{name} must be 'now' or Unix seconds (an integer >= 0), not {value!r}")


def _references(name: str, value: object) -> str:
    if value not in ("strict", "loose"):
        raise MarkerError(f"{name} must be 'strict' or 'loose', not {value!r}")
    return str(value)


@functools.lru_cache(maxsize=16)
def _loaded(path: str, mtime_ns: int, size: int) -> EncodedPostbacks:
    """A data file's postbacks, loaded once per version of the file: the same object for
    every test that names it, so those tests share one mock."""
    from mock_server.data.datafile import load_data_file

    return load_data_file(path)


def _data(name: str, value: object, *, base: Path) -> EncodedPostbacks:
    if not isinstance(value, str | os.PathLike) or not str(value):
        raise MarkerError(f"{name} must be the path of a data file, not {value!r}")
    path = base / Path(value)
    try:
        info = path.stat()
    except OSError as error:
        raise MarkerError(f"{name}: {path}: cannot read: {error.strerror or error}") from None
    from mock_server.data.datafile import DataFileError

    try:
        return _loaded(str(path), info.st_mtime_ns, info.st_size)
    except DataFileError as error:
        raise MarkerError(f"{name}: {error}") from None


# keyword -> (MockConfig field, or None for a fixture setting; checker)
_KEYWORDS: dict[str, tuple[str | None, Callable[..., Any]]] = {
    "seed": ("seed", _seed),
    "dynamic": ("dynamic", _flag),
    "api_keys": ("api_keys", _api_keys),
    "error_key": ("error_key", _error_key),
    "rate_limit": ("rate_limit", _rate_limit),
    "delay": ("delay_ms", _delay),
    "fault_rate": ("fault_rate", _fraction),
    "clock": ("clock", _clock),
    "data": ("postbacks", _data),
    "strict": ("strict", _flag),
    "references": ("references", _references),
    "pass_through_unmatched": (None, _flag),
}
KEYWORDS = tuple(_KEYWORDS)


def marker_settings(
    markers: Iterable[tuple[tuple[Any, ...], Mapping[str, Any]]],
    seed: int,
    base: Path | None = None,
    *,
    strict: bool = False,
) -> MarkerSettings:
    """The settings of a test's ``everflow`` markers, given as (args, kwargs) pairs from
    the farthest to the closest (the closest wins); ``seed`` and ``strict`` are the
    session's defaults (``--everflow-seed``, the ``everflow_mock_strict`` ini setting) and
    ``base`` the directory relative data file paths start from (the current one if not
    given)."""
    accepted = ", ".join(KEYWORDS)
    fields: dict[str, Any] = {"seed": seed, "strict": strict}
    pass_through = False
    for positional, keywords in markers:
        if positional:
            raise MarkerError(f"@pytest.mark.everflow takes keywords only ({accepted})")
        for keyword, value in keywords.items():
            if keyword not in _KEYWORDS:
                close = near(keyword, list(KEYWORDS))
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise MarkerError(
                    f"@pytest.mark.everflow: unknown keyword {keyword!r}{hint}; "
                    f"accepted: {accepted}"
                )
            field, check = _KEYWORDS[keyword]
            if keyword == "data":  # a relative path starts from ``base``
                check = functools.partial(_data, base=base or Path())
            try:
                checked = check(keyword, value)
            except MarkerError as error:
                raise MarkerError(f"@pytest.mark.everflow: {error}") from None
            if field is None:
                pass_through = checked
            else:
                fields[field] = checked
    return MarkerSettings(MockConfig(**fields), pass_through)
