"""The WSGI front's body reader: a length that is not one, a body cut short or a chunked
body werkzeug cannot read are 400s answered by the pipeline and journaled, never a 500."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from werkzeug.serving import DechunkedInput
from werkzeug.test import run_wsgi_app

from mock_server.app import MockApp
from mock_server.core.config import MockConfig
from mock_server.core.errors import ApiError
from mock_server.core.messages import MOCK_MESSAGES
from mock_server.http.wsgi import BAD_LENGTH, CUT_SHORT, content_length, read_wsgi_body
from mock_server.pipeline.registry import get_state


class _Stalled(io.RawIOBase):
    """A socket's reader whose timeout passed, as a stalled client leaves it."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise TimeoutError("timed out")


def _chunked(body: bytes) -> dict[str, Any]:
    """The environ werkzeug's server makes for a chunked upload of ``body`` (its own
    de-chunking reader over the raw bytes)."""
    return {
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": DechunkedInput(io.BytesIO(body)),
    }


@pytest.mark.parametrize(
    ("sent", "length"),
    [
        ("", None),
        ("0", 0),
        ("12", 12),
        (" 2 ", 2),
        ("\t7", 7),
        ("007", 7),
        ("9" * 20, 10**20 - 1),
        ("9" * 21, 10**20),  # past any limit, never turned into an int
        ("9" * 5000, 10**20),  # past what Python turns into an int
    ],
)
def test_a_content_length_of_digits_is_read_whitespace_around_it_allowed(
    sent: str, length: int | None
) -> None:
    assert content_length({"CONTENT_LENGTH": sent}) == length


@pytest.mark.parametrize("sent", ["-5", "abc", "+2", "0x2", "\u0662", "1 2", "2.0", "1e3"])
def test_a_content_length_that_is_not_digits_is_a_400(sent: str) -> None:
    with pytest.raises(ApiError) as refused:
        content_length({"CONTENT_LENGTH": sent})
    assert (refused.value.status, refused.value.message) == (400, BAD_LENGTH)


def test_a_body_is_read_to_its_length_and_past_the_limit_is_left_unread() -> None:
    stream = io.BytesIO(b'{"a": 1}rest')
    assert read_wsgi_body({"CONTENT_LENGTH": " 8 ", "wsgi.input": stream}, 100) == b'{"a": 1}'
    unread = io.BytesIO(b"x" * 101)
    assert read_wsgi_body({"CONTENT_LENGTH": "101", "wsgi.input": unread}, 100) is None
    assert unread.tell() == 0


def test_a_body_shorter_than_its_length_is_cut_short() -> None:
    with pytest.raises(ApiError) as refused:
        read_wsgi_body({"CONTENT_LENGTH": "10", "wsgi.input": io.BytesIO(b"{}")}, 100)
    assert (refused.value.status, refused.value.message) == (400, CUT_SHORT)


def test_a_valid_chunked_body_is_read_whole() -> None:
    assert read_wsgi_body(_chunked(b"2\r\n{}\r\n3\r\n[1]\r\n0\r\n\r\n"), 100) == b"{}[1]"
    assert read_wsgi_body(_chunked(b"4\r\n1234\r\n0\r\n\r\n"), 3) is None


@pytest.mark.parametrize(
    "chunks",
    [
        b"zz\r\n",  # a size that is not hex
        b"2\r\n{}XX0\r\n\r\n",  # a chunk longer than its size
        b"2\r\n{}\r\n0\r\nX-T: 1\r\n\r\n",  # valid, but werkzeug cannot read trailers
        b"2;ext=1\r\n{}\r\n0\r\n\r\n",  # valid, but werkzeug cannot read extensions
    ],
    ids=["bad size", "overlong chunk", "trailer", "extension"],
)
def test_a_chunked_body_werkzeug_cannot_read_is_cut_short(chunks: bytes) -> None:
    with pytest.raises(ApiError) as refused:
        read_wsgi_body(_chunked(chunks), 100)
    assert (refused.value.status, refused.value.message) == (400, CUT_SHORT)


def test_a_body_still_arriving_past_the_socket_timeout_is_a_408() -> None:
    stalled = {"CONTENT_LENGTH": "10", "wsgi.input": io.BufferedReader(_Stalled())}
    with pytest.raises(ApiError) as refused:
        read_wsgi_body(stalled, 100)
    assert refused.value.status == 408


@pytest.mark.parametrize(
    ("framing", "status", "message"),
    [
        ({"CONTENT_LENGTH": "abc", "wsgi.input": io.BytesIO(b"{}")}, 400, BAD_LENGTH),
        ({"CONTENT_LENGTH": "9", "wsgi.input": io.BytesIO(b"{}")}, 400, CUT_SHORT),
        (_chunked(b"zz\r\n"), 400, CUT_SHORT),
        (
            {"CONTENT_LENGTH": "9", "wsgi.input": io.BufferedReader(_Stalled())},
            408,
            MOCK_MESSAGES[408],
        ),
    ],
    ids=["bad length", "cut short", "bad chunk", "stalled"],
)
def test_the_front_answers_a_body_it_cannot_read_in_everflows_shape_and_journals_it(
    framing: dict[str, Any], status: int, message: str
) -> None:
    app = MockApp(MockConfig())
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/v1/networks/pixels",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "CONTENT_TYPE": "application/json",
        "HTTP_X_EFLOW_API_KEY": "k",
        **framing,
    }
    answer, line, _ = run_wsgi_app(app, environ)
    assert int(line.split()[0]) == status
    assert json.loads(b"".join(answer)) == {"error": message}
    (entry,) = get_state(app).journal.entries()
    assert entry["status"] == status
