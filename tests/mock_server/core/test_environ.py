"""Request headers by their WSGI environ names."""

from __future__ import annotations

import pytest

from mock_server.core.environ import environ_key, header_name


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("X-Eflow-Api-Key", "HTTP_X_EFLOW_API_KEY"),
        ("x-eflow-api-key", "HTTP_X_EFLOW_API_KEY"),
        ("Prefer", "HTTP_PREFER"),
        ("content-type", "CONTENT_TYPE"),
        ("Content-Length", "CONTENT_LENGTH"),
    ],
)
def test_a_header_s_environ_key_follows_cgi(header: str, key: str) -> None:
    assert environ_key(header) == key


def test_an_http_key_reads_back_as_its_header() -> None:
    assert header_name("HTTP_X_EFLOW_API_KEY") == "X-Eflow-Api-Key"
    assert header_name(environ_key("user-agent")) == "User-Agent"
