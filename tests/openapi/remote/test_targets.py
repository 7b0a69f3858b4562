"""Where the client may send what: API paths judged once decoded and normalised."""

from __future__ import annotations

import posixpath
import urllib.parse

import pytest

from openapi.remote.targets import api_path


@pytest.mark.parametrize(
    ("path", "inside"),
    [
        ("/v1", "/"),
        ("/v1/", "/"),
        ("/v1/networks/pixels", "/networks/pixels"),
        ("/v1/networks/pixels/", "/networks/pixels/"),
        ("/v1/networks/pixels/12", "/networks/pixels/12"),
        ("//v1//networks///pixels", "/networks/pixels"),
        ("/v1/networks/./pixels/.", "/networks/pixels/"),
        ("/v1/networks/x/../pixels", "/networks/pixels"),
        ("/v1/networks/pixels/..", "/networks/"),
        ("/v1/networks%2Fpixels", "/networks/pixels"),
        ("/v1/x/%2e%2e/networks\\pixels", "/networks/pixels"),
        ("/v1/../v1/networks/pixels", "/networks/pixels"),
    ],
)
def test_a_path_under_v1_is_decoded_and_normalised(path: str, inside: str) -> None:
    assert api_path(path) == inside


@pytest.mark.parametrize(
    "path",
    [
        "/v1/../admin",
        "/v1/networks/pixels/..%2F..%2F..%2Fv2%2Fsecret",
        "/v1%2F..%2Fadmin",
        "/v1/networks/%2e%2e/%2E%2E/admin",
        "/v1/networks/%252e%252e/%252e%252e/admin",
        "/v1/x/%25252525252e%25252525252e/%25252525252e%25252525252e/admin",
        "/v1/a\\..\\..\\admin",
        "/v1/a%5C..%5C..%5Cadmin",
        "/v1/..;/admin",
        "/v1/networks/pixels/..%00/x",
        "/v1/networks/pixels/1 2",
        "/v1/caf\xe9",
        "/v1/%E2%80%AE",
        "/../v1/networks",
        "/v10/networks",
        "/v1x",
        "v1/networks",
        "",
    ],
)
def test_a_path_that_leaves_v1_or_cannot_be_normalised_is_none(path: str) -> None:
    assert api_path(path) is None


def test_what_comes_back_names_the_same_path_however_often_it_is_decoded_again() -> None:
    inside = api_path("/v1/networks/%2e/x/..%2F/pixels/7")
    assert inside == "/networks/pixels/7"
    assert urllib.parse.unquote(inside) == posixpath.normpath(inside) == inside


def test_a_base_path_of_its_own() -> None:
    assert api_path("/api/v1/networks", "/api/v1") == "/networks"
    assert api_path("/api/v1/../networks", "/api/v1") is None


def test_a_key_carriable_in_a_header_is_printable_ascii_only() -> None:
    from openapi.remote.targets import carriable

    assert carriable("abc-123_XYZ ~!")
    assert not carriable("clé-secrète")  # printable, not ASCII
    assert not carriable("abc\n123")  # ASCII, not printable


@pytest.mark.parametrize(
    ("body", "touched"),
    [
        ({"network_pixel_id": 55}, 55),
        ({"network_pixel_id": "55"}, None),
        ({"network_pixel_id": True}, None),
        ([{"network_pixel_id": 55}], None),
        ({}, None),
    ],
)
def test_a_create_touched_the_integer_id_its_answer_names(
    body: object, touched: int | None
) -> None:
    import httpx

    from openapi.remote.targets import touched_pixel

    assert touched_pixel("/networks/pixels", httpx.Response(200, json=body)) == touched
    assert touched_pixel("/networks/pixels", httpx.Response(404, json=body)) is None
