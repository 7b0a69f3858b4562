"""What the client says of a failure: the server's quoted text left out."""

from __future__ import annotations

import pytest

from openapi.remote.failures import unquoted


@pytest.mark.parametrize(
    ("message", "said"),
    [
        ("no quotes here", "no quotes here"),
        (
            "illegal status line: bytearray(b'HTTP/1.1 200 sekret')",
            "illegal status line: bytearray(b (what it quoted left out)",
        ),
        ("bad header \"x\": 'y'", "bad header (what it quoted left out)"),
        ("it said 'a' then \"b\"", "it said (what it quoted left out)"),
        ("\"at the start\" and 'later'", " (what it quoted left out)"),
        ("'at the start'", " (what it quoted left out)"),
        ("refused: 'x'", "refused (what it quoted left out)"),
        ("got X: 'y'", "got X (what it quoted left out)"),
    ],
)
def test_a_message_is_cut_before_the_first_thing_it_quotes(message: str, said: str) -> None:
    assert unquoted(message) == said


def test_a_retry_after_date_is_read_against_the_clock() -> None:
    from datetime import datetime, timedelta, timezone
    from email.utils import format_datetime

    from openapi.remote.failures import retry_after_seconds

    soon = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=30), usegmt=True)
    assert 20 < (retry_after_seconds(soon) or 0) <= 30
    # a date already past asks for no wait at all
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
