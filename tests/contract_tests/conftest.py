"""Deliberately broken Everflow servers: the real mock with one thing planted wrong."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from flask import Flask

from contract_tests.cleanup import description_search
from contract_tests.probe_postback import PROBE_MARKER
from mock_server import create_app
from mock_server.testing.local_server import LocalServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Answer = tuple[int, dict[str, str], bytes]
Mutation = Callable[["WSGIEnvironment", Answer], Answer]
Inner = Callable[["WSGIEnvironment"], Answer]
Planted = Callable[["WSGIEnvironment", Inner], "Answer | None"]
"""Answer a request instead of the mock (which it may call, ``Inner``), or ``None``."""

ONE_PIXEL = re.compile(r"/v1/networks/pixels/[0-9]+")
JSON = {"Content-Type": "application/json"}


def _request(environ: WSGIEnvironment) -> tuple[str, str]:
    return environ["REQUEST_METHOD"], environ["PATH_INFO"]


def _json(mutate: Callable[[dict[str, Any]], None]) -> Mutation:
    """Change the body of every 200 to a GET of one postback."""

    def apply(environ: WSGIEnvironment, answer: Answer) -> Answer:
        status, headers, body = answer
        method, path = _request(environ)
        if status != 200 or method != "GET" or not ONE_PIXEL.fullmatch(path):
            return answer
        data = json.loads(body)
        mutate(data)
        return status, headers, json.dumps(data).encode()

    return apply


def _page(mutate: Callable[[dict[str, Any]], None]) -> Mutation:
    """Change the body of every 200 to a list (``GET /networks/pixels``)."""

    def apply(environ: WSGIEnvironment, answer: Answer) -> Answer:
        status, headers, body = answer
        if status != 200 or _request(environ) != ("GET", "/v1/networks/pixels"):
            return answer
        data = json.loads(body)
        mutate(data)
        return status, headers, json.dumps(data).encode()

    return apply


def _body(environ: WSGIEnvironment) -> bytes:
    return environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))


def _with(environ: WSGIEnvironment, **changes: Any) -> WSGIEnvironment:
    """A copy of ``environ`` for another method, query or body."""
    copy = dict(environ)
    if "body" in changes:
        body: bytes = changes.pop("body")
        copy["wsgi.input"], copy["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
    copy.update(changes)
    return copy  # type: ignore[return-value]


def ignore_put(environ: WSGIEnvironment, inner: Inner) -> Answer | None:
    """A PUT answers the postback as it was, and changes nothing."""
    if environ["REQUEST_METHOD"] != "PUT":
        return None
    _body(environ)
    return inner(_with(environ, REQUEST_METHOD="GET", body=b""))


def echo_put(environ: WSGIEnvironment, inner: Inner) -> Answer | None:
    """A PUT answers what it was sent, as if stored, and stores nothing."""
    if environ["REQUEST_METHOD"] != "PUT":
        return None
    return 200, dict(JSON), _body(environ)


def keep_deleted(environ: WSGIEnvironment, inner: Inner) -> Answer | None:
    """A DELETE answers ``{"result": true}`` and deletes nothing."""
    if environ["REQUEST_METHOD"] != "DELETE":
        return None
    return 200, dict(JSON), b'{"result": true}'


def accept_broken_create(environ: WSGIEnvironment, inner: Inner) -> Answer | None:
    """A create that breaks a rule is stored anyway (with the rule mended)."""
    if _request(environ) != ("POST", "/v1/networks/pixels"):
        return None
    sent = _body(environ)
    answer = inner(_with(environ, body=sent))
    if answer[0] != 400:
        return answer
    mended = {**json.loads(sent), "postback_url": "https://example.invalid/mended"}
    return inner(_with(environ, body=json.dumps(mended).encode()))


def ignore_page_size(environ: WSGIEnvironment, inner: Inner) -> Answer | None:
    """A list answers twice the page size asked for, and says it answered the size asked."""
    if _request(environ) != ("GET", "/v1/networks/pixels"):
        return None
    query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    asked = int(query.get("page_size", 50))
    status, headers, body = inner(
        _with(environ, QUERY_STRING=urlencode({**query, "page_size": asked * 2}))
    )
    data = json.loads(body)
    data["paging"]["page_size"] = asked
    return status, headers, json.dumps(data).encode()


def ignore_filters(environ: WSGIEnvironment, inner: Inner) -> Answer | None:
    """A search answers every postback, whatever it asked for."""
    if _request(environ) != ("POST", "/v1/networks/pixelstable"):
        return None
    _body(environ)
    return inner(_with(environ, body=b"{}"))


def _status(old: int, new: int, content_type: str, body: bytes) -> Mutation:
    def apply(environ: WSGIEnvironment, answer: Answer) -> Answer:
        status, headers, _ = answer
        if status != old:
            return answer
        return new, {**headers, "Content-Type": content_type}, body

    return apply


def _as_tiktok(data: dict[str, Any]) -> None:
    data["delivery_method"] = "tiktok"
    data["delay_ms"] = 0
    data.pop("postback_url", None)


def _unchanged(environ: WSGIEnvironment, answer: Answer) -> Answer:
    return answer


@dataclass(frozen=True)
class Breakage:
    """One planted fault and the check the suite must name for it: ``mutation`` changes the
    mock's answers, ``planted`` answers some requests itself; ``writes`` says the fault
    shows only to a run that may write."""

    name: str
    mutation: Mutation
    probe: str
    check: str
    strict: bool = False
    key_free: bool = False  # answer requests without a key as if they had one
    planted: Planted | None = None
    writes: bool = False


BREAKAGES = [
    Breakage(
        "wrong_enum",
        _json(lambda d: d.update(pixel_status="paused")),
        "known_id",
        "$.pixel_status:enum",
    ),
    Breakage(
        "delay_too_long",
        _json(lambda d: d.update(delay_ms=400000)),
        "known_id",
        "$.delay_ms:maximum",
    ),
    Breakage("tiktok_without_pixel", _json(_as_tiktok), "known_id", "tiktok_pixel_required"),
    Breakage(
        "global_with_offer",
        _json(lambda d: d.update(network_offer_id=77)),
        "known_id",
        "global_has_no_offer",
    ),
    Breakage(
        "wrong_pixel_id",
        _json(lambda d: d.update(network_pixel_id=d["network_pixel_id"] + 1)),
        "known_id",
        "pixel_id",
    ),
    Breakage("ok_without_key", lambda e, a: a, "no_key", "status", key_free=True),
    Breakage(
        "500_for_unknown_id",
        _status(404, 500, "application/json", b'{"error": "Internal error"}'),
        "unknown_id",
        "status",
    ),
    Breakage(
        "html_error_page",
        _status(404, 404, "text/html", b"<html><body><h1>Not Found</h1></body></html>"),
        "unknown_id",
        "content_type",
    ),
    Breakage(
        "undocumented_field",
        _json(lambda d: d.update(brand_new_field={"added": True})),
        "known_id",
        "undocumented_field",
        strict=True,
    ),
    Breakage(
        "wrong_total_count",
        _page(lambda d: d["paging"].update(total_count=1)),
        "list",
        "total_count",
    ),
    Breakage(
        "unordered_page",
        _page(lambda d: d["pixels"].reverse()),
        "list",
        "ordered_by_id",
    ),
    Breakage(
        "page_size_not_honoured",
        _unchanged,
        "list",
        "page_size_honoured",
        planted=ignore_page_size,
    ),
    Breakage(
        "search_ignores_filters",
        _unchanged,
        "search",
        "search_filter",
        planted=ignore_filters,
    ),
    Breakage(
        "put_ignored", _unchanged, "replace", "replace_stored", planted=ignore_put, writes=True
    ),
    Breakage(
        "put_not_stored",
        _unchanged,
        "read_after_replace",
        "read_after_replace",
        planted=echo_put,
        writes=True,
    ),
    Breakage(
        "deleted_kept", _unchanged, "read_after_delete", "status", planted=keep_deleted, writes=True
    ),
    Breakage(
        "broken_create_accepted",
        _unchanged,
        "create_invalid",
        "status",
        planted=accept_broken_create,
        writes=True,
    ),
]

# Pixel 1 of the built-in catalogue: a global postback-delivery conversion.
PIXEL = 1


def broken_app(breakage: Breakage, app: WSGIApplication | None = None) -> WSGIApplication:
    """The mock (``app``, or a new one), with ``breakage`` applied to its answers."""
    mock: WSGIApplication = app if app is not None else create_app()

    def inner(environ: WSGIEnvironment) -> Answer:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: Any, exc_info: Any = None) -> Any:
            captured.update(status=int(status[:3]), headers=dict(headers))
            return lambda data: None

        body = b"".join(mock(environ, capture))
        return captured["status"], captured["headers"], body

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if breakage.key_free:
            environ.setdefault("HTTP_X_EFLOW_API_KEY", "planted")
        answer = breakage.planted(environ, inner) if breakage.planted is not None else None
        status, headers, body = breakage.mutation(environ, answer or inner(environ))
        headers["Content-Length"] = str(len(body))
        start_response(f"{status} X", list(headers.items()))
        return [body]

    return wsgi


@dataclass(frozen=True)
class BrokenServer:
    """A breakage on a socket, and the mock behind it (to see what the suite left there)."""

    url: str
    mock: Flask


@pytest.fixture(scope="session")
def broken_servers() -> Iterator[dict[str, BrokenServer]]:
    """Every breakage on its own socket: name -> server."""
    servers = {}
    for breakage in BREAKAGES:
        mock = create_app()
        holder = Flask(breakage.name)
        holder.wsgi_app = broken_app(breakage, mock)  # type: ignore[method-assign]
        servers[breakage.name] = (LocalServer(holder).start(), mock)
    yield {name: BrokenServer(local.url, mock) for name, (local, mock) in servers.items()}
    for local, _ in servers.values():
        local.stop()


def probes_left(app: Flask) -> list[int]:
    """The probe postbacks the mock still holds."""
    with httpx.Client(
        transport=httpx.WSGITransport(app=app),
        base_url="http://127.0.0.1/v1",
        headers={"X-Eflow-Api-Key": "inspector"},
    ) as inspector:
        answer = inspector.post(
            "/networks/pixelstable",
            params={"page_size": 100},
            json=description_search(PROBE_MARKER),
        )
    assert answer.status_code == 200, answer.text
    return [pixel["network_pixel_id"] for pixel in answer.json()["pixels"]]
