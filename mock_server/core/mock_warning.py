"""What a request sent that the mock did not read, said back in ``X-Everflow-Mock-Warning``.

The mock is lenient where Everflow is (unknown query parameters, undocumented body fields
and search filters are accepted), but a client that misplaces or misspells a filter would
otherwise get the whole catalogue and no hint. Every answer that ignored part of its request
names what, and why, in one header; the journal and the access log repeat it. Only names are
repeated, never values, cut and escaped so that a header stays one short ASCII line.
"""

from __future__ import annotations

from collections.abc import Iterable

from openapi.remote.masking import printable as escaped
from openapi.text import cut, listed

HEADER = "X-Everflow-Mock-Warning"
MAX_NOTES = 8
"""How many ignored things one header names (the rest are counted)."""
MAX_NAME = 64
"""How much of one ignored name is repeated."""


def unknown_parameters(names: Iterable[str], known: Iterable[str], operation_id: str) -> list[str]:
    """A note for every query parameter that is neither the operation's nor a mock control
    (``__code`` and the like)."""
    documented = set(known)
    notes = []
    for name in sorted(set(names)):
        if name in documented or name.startswith("__"):
            continue
        close = near(name, sorted(documented))
        hint = f"; did you mean {close[0]}?" if close else ""
        notes.append(f"query parameter {shown(name)} (not a parameter of {operation_id}{hint})")
    return notes


def near(name: str, known: list[str]) -> list[str]:
    """The known name ``name`` is most likely a misspelling of, if any (for every "did you
    mean" of the kit: the mock's warnings, the ``everflow`` marker's keywords)."""
    import difflib

    return difflib.get_close_matches(name, known, n=1, cutoff=0.75)


def header_value(notes: list[str]) -> str:
    """The header's value: ``ignored <note>; <note>...``, at most ``MAX_NOTES`` of them."""
    return "ignored " + listed(notes, MAX_NOTES)


def shown(name: str) -> str:
    """``name`` cut and made printable ASCII (a header value cannot carry the rest)."""
    text = escaped(cut(name, MAX_NAME))
    return text.encode("ascii", "backslashreplace").decode("ascii")


def warning_of(headers: Iterable[tuple[str, str]]) -> str | None:
    """The warning among a reply's headers, if there is one."""
    for name, value in headers:
        if name == HEADER:
            return value
    return None
