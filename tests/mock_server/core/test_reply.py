"""``mock_server.core.reply``: status lines from the standard library's one table."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from mock_server.core.answers import gateway_body
from mock_server.core.reply import Reply, status_line


@pytest.mark.parametrize("status", [200, 201, 400, 401, 403, 404, 413, 422, 429, 500, 502, 504])
def test_a_status_line_is_the_status_and_its_phrase(status: int) -> None:
    assert status_line(status) == f"{status} {HTTPStatus(status).phrase}"
    assert Reply(status, b"").status_line() == status_line(status)


def test_a_status_http_does_not_name_still_gets_a_line() -> None:
    assert status_line(599) == "599 Status"


def test_a_gateways_page_is_titled_by_its_status_line() -> None:
    assert b"<title>503 Service Unavailable</title>" in gateway_body(503)
