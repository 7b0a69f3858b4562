"""The ASGI front answers exactly like the WSGI one, and waits without holding anything."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from fixtures import PostbackFactory
from mock_server import MockConfig, create_app
from mock_server.asgi import asgi_front, environ_of
from mock_server.faults import InjectedFault

KEY = [(b"x-eflow-api-key", b"asgi-key")]
Message = dict[str, Any]


class Exchange:
    """One request to the ASGI app: what it sent back, message by message."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.messages[0]["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages[1:])


def scope(
    method: str, path: str, headers: list[tuple[bytes, bytes]], query: bytes = b""
) -> Message:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query,
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 4010),
        "http_version": "1.1",
        "scheme": "http",
    }


def body_receiver(*chunks: bytes, stall: bool = False) -> Callable[[], Awaitable[Message]]:
    pending = list(chunks)

    async def receive() -> Message:
        if pending:
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending) or stall}
        await asyncio.sleep(3600)  # a client that stalls
        raise AssertionError("unreachable")

    return receive


async def call(
    app: Any,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    query: bytes = b"",
    receive: Callable[[], Awaitable[Message]] | None = None,
) -> Exchange:
    exchange = Exchange()

    async def send(message: Message) -> None:
        exchange.messages.append(message)

    await app(scope(method, path, headers or [], query), receive or body_receiver(b""), send)
    return exchange


CASES = [
    ("GET", "/v1/networks/pixels/3", KEY, b""),
    ("HEAD", "/v1/networks/pixels/3", KEY, b""),
    ("GET", "/v1/networks/pixels/999999", KEY, b""),
    ("GET", "/v1/networks/pixels/abc", KEY, b""),
    ("GET", "/v1/networks/pixels/3", [], b""),
    ("GET", "/v1/networks/pixels/3", [*KEY, (b"prefer", b"code=429")], b""),
    ("GET", "/v1/networks/pixels/3", [*KEY, (b"prefer", b'example="tiktok_event_specific"')], b""),
    ("GET", "/v1/networks/pixels/424242", KEY, b"__dynamic=true&__seed=4"),
    ("GET", "/v1/networks/pixels/3", [*KEY, (b"prefer", b"code=999")], b""),
    ("PATCH", "/v1/networks/pixels/3", KEY, b""),
    ("GET", "/v1/networks/offers/1", KEY, b""),
    ("GET", "/__admin/pixels/3", [], b""),
    ("GET", "/__admin/health", [], b""),
]


@pytest.mark.parametrize(("method", "path", "headers", "query"), CASES)
def test_asgi_answers_byte_for_byte_like_the_wsgi_app(
    method: str, path: str, headers: list[tuple[bytes, bytes]], query: bytes
) -> None:
    wsgi = create_app().test_client()
    asgi = asgi_front(create_app())
    got = asyncio.run(call(asgi, method, path, headers, query))
    url = path + ("?" + query.decode() if query else "")
    want = wsgi.open(url, method=method, headers=[(k.decode(), v.decode()) for k, v in headers])
    assert got.status == want.status_code
    assert got.body == want.get_data()
    wanted_headers = {k.lower(): v for k, v in want.headers.items()}
    assert got.headers == wanted_headers


def test_delayed_answers_do_not_hold_up_others() -> None:
    app = asgi_front(create_app(MockConfig(rate_limit=None)))

    async def scenario() -> list[str]:
        finished: list[str] = []

        async def delayed(n: int) -> None:
            prefer = [(b"prefer", b"delay=300")]
            await call(app, "GET", "/v1/networks/pixels/3", [*KEY, *prefer])
            finished.append(f"delayed {n}")

        async def prompt() -> None:
            await asyncio.sleep(0.05)
            answer = await call(app, "GET", "/v1/networks/pixels/4", KEY)
            assert answer.status == 200
            finished.append("prompt")

        await asyncio.gather(*(delayed(n) for n in range(200)), prompt())
        return finished

    finished = asyncio.run(scenario())
    assert finished[0] == "prompt"
    assert len(finished) == 201


def test_a_stalled_upload_gets_408_and_costs_no_one_else() -> None:
    app = asgi_front(create_app(MockConfig(read_timeout=0.2)))
    body = json.dumps(PostbackFactory().build(700)).encode()

    async def scenario() -> tuple[Exchange, Exchange]:
        stalled = asyncio.ensure_future(
            call(
                app, "PUT", "/__admin/pixels/700", [], receive=body_receiver(body[:10], stall=True)
            )
        )
        other = await call(app, "GET", "/v1/networks/pixels/3", KEY)
        return await stalled, other

    stalled, other = asyncio.run(scenario())
    assert other.status == 200
    assert stalled.status == 408
    assert set(json.loads(stalled.body)) == {"error"}


def test_an_admin_upload_reaches_flask_in_pieces() -> None:
    app = asgi_front(create_app())
    body = json.dumps(PostbackFactory().build(701)).encode()
    receive = body_receiver(body[:100], body[100:])
    stored = asyncio.run(call(app, "PUT", "/__admin/pixels/701", [], receive=receive))
    assert stored.status == 201
    served = asyncio.run(call(app, "GET", "/v1/networks/pixels/701", KEY))
    assert json.loads(served.body) == json.loads(body)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_413_without_reading_it_all(declared: bool) -> None:
    app = asgi_front(create_app(MockConfig(max_body=1000)))
    headers = [(b"content-length", b"5000")] if declared else []
    receive = body_receiver(b"x" * 600, b"x" * 600, b"x" * 600)
    refused = asyncio.run(call(app, "PUT", "/__admin/pixels/702", headers, receive=receive))
    assert refused.status == 413
    assert set(json.loads(refused.body)) == {"error"}


def test_faults_break_the_answer_as_on_other_servers() -> None:
    app = asgi_front(create_app())
    malformed = asyncio.run(
        call(app, "GET", "/v1/networks/pixels/3", [*KEY, (b"prefer", b"fault=malformed")])
    )
    assert malformed.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(malformed.body)
    with pytest.raises(InjectedFault):
        asyncio.run(call(app, "GET", "/v1/networks/pixels/3", [*KEY, (b"prefer", b"fault=reset")]))


def test_environ_decodes_bytes_as_latin_1_and_joins_repeated_headers() -> None:
    environ = environ_of(
        scope(
            "GET",
            "/v1/x",
            [(b"x-a", b"1"), (b"x-a", b"\xff"), (b"content-length", b"3")],
            b"q=\xe9",
        )
    )
    assert environ["HTTP_X_A"] == "1,\xff"
    assert environ["CONTENT_LENGTH"] == "3"
    assert environ["QUERY_STRING"] == "q=\xe9"


def test_lifespan_is_acknowledged() -> None:
    app = asgi_front(create_app())
    sent: list[Message] = []
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app({"type": "lifespan"}, receive, send))
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
