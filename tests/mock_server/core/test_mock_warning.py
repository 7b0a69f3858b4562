"""Every answer that ignored part of its request says what, and why, in
``X-Everflow-Mock-Warning``; the journal and the access log repeat it."""

from __future__ import annotations

import asyncio
import io
import re
from typing import Any

import pytest

from fixtures import PostbackFactory
from mock_server import MockConfig, create_app, get_state
from mock_server.core.mock_warning import HEADER, MAX_NOTES
from mock_server.server.access_log import AccessLog, RsgiAccessLog

from ..conftest import API, KEY, PIXELS, Talker

SEARCH = "/v1/networks/pixelstable"


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (
            {"query": {"filters": {"delivery_method": "tiktok"}}},
            "ignored query.filters.delivery_method (not documented; did you mean "
            "delivery_methods?)",
        ),
        (
            {"filters": {"status": "active"}},
            "ignored filters (not read here; it belongs at query.filters)",
        ),
        (
            {"search_terms": [], "paging": {"page": 1, "page_size": 100}, "sort": {"by": "x"}},
            "ignored search_terms (not read here; it belongs at query.search_terms); "
            "sort.by (not documented)",
        ),
    ],
)
def test_a_search_names_what_it_did_not_read(
    talker: Talker, body: dict[str, Any], said: str
) -> None:
    answer = talker.post(SEARCH, body)
    assert answer.status == 200
    assert answer.headers[HEADER] == said
    assert get_state(talker.app).requests[-1]["warning"] == said


def test_a_request_read_whole_has_no_warning(talker: Talker) -> None:
    search = talker.post(SEARCH + "?page=1", {"query": {"filters": {"status": "active"}}})
    fetched = talker.get(PIXELS + "3?__seed=4", KEY)
    created = talker.post(API, PostbackFactory().build(3))  # server fields are documented
    for answer in (search, fetched, created):
        assert answer.status == 200
        assert HEADER not in answer.headers
    assert all("warning" not in entry for entry in get_state(talker.app).requests)


def test_unknown_query_parameters_are_named_with_a_near_miss(talker: Talker) -> None:
    listed = talker.get(API + "?pge=2&page_size=5&zzz=1", KEY)
    assert listed.headers[HEADER] == (
        "ignored query parameter pge (not a parameter of listPartnerPostbacks; did you mean "
        "page?); query parameter zzz (not a parameter of listPartnerPostbacks)"
    )
    one = talker.get(PIXELS + "3?include=relationship", KEY)
    assert one.headers[HEADER] == (
        "ignored query parameter include (not a parameter of getPartnerPostback)"
    )


def test_unknown_write_fields_are_named_on_create_and_replace(talker: Talker) -> None:
    body = PostbackFactory().build_input(3, delivery_method="tiktok")
    body["tiktok_pixel"]["evnt_name"] = "Purchase"
    body["notes"] = "mine"
    said = (
        "ignored tiktok_pixel.evnt_name (not documented; did you mean event_name?); "
        "notes (not documented)"
    )
    created = talker.post(API, body)
    assert created.status == 200
    assert created.headers[HEADER] == said
    replaced = talker.put(PIXELS + str(created.json()["network_pixel_id"]), body)
    assert replaced.headers[HEADER] == said


def test_the_header_is_one_short_ascii_line_whatever_the_names() -> None:
    body = {f"k\n{i}\u00e9" + "x" * 500: 1 for i in range(30)}
    app = create_app(MockConfig())
    answer = app.test_client().post(SEARCH, json=body, headers=KEY)
    value = answer.headers[HEADER]
    assert value.isascii()
    assert value.isprintable()
    assert len(value) < 1200
    assert value.endswith(f"(and {30 - MAX_NOTES} more)")


def test_the_access_log_repeats_the_warning() -> None:
    written: list[bytes] = []
    app = AccessLog(create_app(MockConfig()), written.append)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/v1/networks/pixels/3",
        "QUERY_STRING": "pge=2",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "HTTP_X_EFLOW_API_KEY": "s3cr3t",
    }
    b"".join(app(environ, lambda *args: None))
    (line,) = [data.decode() for data in written]
    assert re.search(
        r" 200 \d+\.\d\d ms warning: ignored query parameter pge "
        r"\(not a parameter of getPartnerPostback\)\n$",
        line,
    )
    assert "s3cr3t" not in line


def test_the_rsgi_access_log_repeats_the_warning() -> None:
    written: list[bytes] = []

    class Protocol:
        def response_bytes(self, status: int, headers: Any, body: bytes) -> None:
            pass

    class App:
        async def __rsgi__(self, scope: Any, protocol: Any) -> None:
            protocol.response_bytes(200, [("Content-Type", "x"), (HEADER, "ignored sort")], b"")

    scope = type("Scope", (), {"method": "POST", "path": "/v1/networks/pixelstable"})()
    asyncio.run(RsgiAccessLog(App(), written.append).__rsgi__(scope, Protocol()))
    assert written[0].decode().endswith(" ms warning: ignored sort\n")
