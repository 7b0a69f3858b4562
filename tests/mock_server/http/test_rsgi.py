"""The RSGI front answers exactly like the WSGI one, and waits without holding anything."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest

from fixtures import PostbackFactory
from mock_server import MockConfig, create_app
from mock_server.admin import api
from mock_server.core.config import RateLimit
from mock_server.core.faults import InjectedFault
from mock_server.core.reply import Reply
from mock_server.http import rsgi
from mock_server.http.rsgi import (
    _SHORT_SWITCH,
    CUT_SHORT,
    SWITCH_SECONDS,
    BodyBudget,
    RsgiFront,
    environ_of,
)
from mock_server.pipeline.registry import get_pipeline
from mock_server.state.journal import HEADER_BYTES
from mock_server.testing.spawn import spawn_serve

KEY = [("x-eflow-api-key", "rsgi-key")]
T = TypeVar("T")
Run = Callable[[RsgiFront, Coroutine[Any, Any, T]], T]


@pytest.fixture(params=["ordinary loop", "eager loop"])
def run(request: pytest.FixtureRequest) -> Run[Any]:
    """Run a request (or a scenario) as a task on a new loop, as granian does: on an
    ordinary loop, and on one the front made eager as granian's workers let it."""

    def run(front: RsgiFront, coro: Coroutine[Any, Any, T]) -> T:
        async def as_a_task() -> T:
            return await asyncio.ensure_future(coro)

        loop = asyncio.new_event_loop()
        try:
            if request.param == "eager loop":
                front.__rsgi_init__(loop)
            return loop.run_until_complete(as_a_task())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    return run


@dataclass
class Headers:
    pairs: list[tuple[str, str]]

    def items(self) -> list[tuple[str, str]]:
        return list(self.pairs)


@dataclass
class Scope:
    method: str
    path: str
    query_string: str = ""
    header_pairs: list[tuple[str, str]] = field(default_factory=list)
    client: str = "127.0.0.1:40000"
    server: str = "127.0.0.1:4010"
    scheme: str = "http"
    http_version: str = "1.1"

    @property
    def headers(self) -> Headers:
        return Headers(self.header_pairs)


class Stream:
    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol

    async def send_bytes(self, data: bytes) -> None:
        self.protocol.body += data


class Protocol:
    """A fake RSGI protocol: a body in chunks (or one that stalls), and what was answered."""

    def __init__(self, *chunks: bytes, stall: bool = False) -> None:
        self.chunks = list(chunks)
        self.stall = stall
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._pieces()

    async def _pieces(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.stall:
            await asyncio.sleep(3600)

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status, self.headers, self.body = status, {k.lower(): v for k, v in headers}, body

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Stream:
        self.status, self.headers = status, {k.lower(): v for k, v in headers}
        return Stream(self)


async def call(front: RsgiFront, scope: Scope, protocol: Protocol | None = None) -> Protocol:
    protocol = protocol or Protocol()
    await front.__rsgi__(scope, protocol)
    return protocol


CASES = [
    ("GET", "/v1/networks/pixels/3", KEY, ""),
    ("HEAD", "/v1/networks/pixels/3", KEY, ""),
    ("GET", "/v1/networks/pixels/999999", KEY, ""),
    ("GET", "/v1/networks/pixels/abc", KEY, ""),
    ("GET", "/v1/networks/pixels/3", [], ""),
    ("GET", "/v1/networks/pixels/3", [*KEY, ("prefer", "code=429")], ""),
    ("GET", "/v1/networks/pixels/3", [*KEY, ("prefer", 'example="tiktok_event_specific"')], ""),
    ("GET", "/v1/networks/pixels/424242", KEY, "__dynamic=true&__seed=4"),
    ("GET", "/v1/networks/pixels/3", [*KEY, ("prefer", "code=999")], ""),
    ("PATCH", "/v1/networks/pixels/3", KEY, ""),
    ("GET", "/v1/networks/offers/1", KEY, ""),
    ("GET", "/__admin/pixels/3", [], ""),
    ("GET", "/__admin/health", [], ""),
    ("HEAD", "/__admin/health", [], ""),
    ("DELETE", "/__admin/deliveries", [], ""),  # a 204
    ("POST", "/__admin/pixels", [], ""),  # Flask's 405
    ("GET", "/openapi.yaml", [], ""),
]


@pytest.mark.parametrize(("method", "path", "headers", "query"), CASES)
def test_rsgi_answers_byte_for_byte_like_the_wsgi_app(
    method: str, path: str, headers: list[tuple[str, str]], query: str, run: Run[Protocol]
) -> None:
    wsgi = create_app().test_client()
    front = RsgiFront(create_app())
    got = run(front, call(front, Scope(method, path, query, headers)))
    url = path + ("?" + query if query else "")
    want = wsgi.open(url, method=method, headers=headers)
    assert got.status == want.status_code
    assert got.body == want.get_data()
    assert got.headers == {k.lower(): v for k, v in want.headers.items()}


def test_on_a_workers_loop_a_stored_postback_is_answered_as_its_task_is_made() -> None:
    front = RsgiFront(create_app())
    loop = asyncio.new_event_loop()
    front.__rsgi_init__(loop)

    async def scenario() -> tuple[int, int]:
        protocol = Protocol()
        request = call(front, Scope("GET", "/v1/networks/pixels/3", "", KEY), protocol)
        task = asyncio.ensure_future(request)
        answered_when_made = protocol.status
        await task
        return answered_when_made, protocol.status

    try:
        assert loop.run_until_complete(scenario()) == (200, 200)
    finally:
        loop.close()


def test_delayed_answers_do_not_hold_up_others(run: Run[list[str]]) -> None:
    front = RsgiFront(create_app(MockConfig(rate_limit=None)))

    async def scenario() -> list[str]:
        finished: list[str] = []

        async def delayed(n: int) -> None:
            # 1 s against the prompt one's 50 ms: a pause of the whole process (a full GC
            # pass late in a long test run) while the 200 start must not reorder them.
            headers = [*KEY, ("prefer", "delay=1000")]
            await call(front, Scope("GET", "/v1/networks/pixels/3", "", headers))
            finished.append(f"delayed {n}")

        async def prompt() -> None:
            await asyncio.sleep(0.05)
            answer = await call(front, Scope("GET", "/v1/networks/pixels/4", "", KEY))
            assert answer.status == 200
            finished.append("prompt")

        await asyncio.gather(*(delayed(n) for n in range(200)), prompt())
        return finished

    finished = run(front, scenario())
    assert finished[0] == "prompt"
    assert len(finished) == 201


def test_an_admin_call_that_blocks_holds_a_thread_not_the_loop(
    run: Run[tuple[Protocol, Protocol]], monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def blocked(admin_call: api.AdminCall) -> Reply:
        release.wait(5)
        return api.answer({"released": release.is_set()})

    monkeypatch.setitem(api.ROUTES, ("GET", "block"), api.Route(blocked, False))
    front = RsgiFront(create_app())

    async def scenario() -> tuple[Protocol, Protocol]:
        admin = asyncio.ensure_future(call(front, Scope("GET", "/__admin/block")))
        other = await call(front, Scope("GET", "/v1/networks/pixels/3", "", KEY))
        release.set()  # only once the API's answer is in
        return await admin, other

    admin, other = run(front, scenario())
    assert other.status == 200
    assert (admin.status, json.loads(admin.body)) == (200, {"released": True})


def test_a_stalled_upload_gets_408_and_costs_no_one_else(
    run: Run[tuple[Protocol, Protocol]],
) -> None:
    front = RsgiFront(create_app(MockConfig(read_timeout=0.2)))
    body = json.dumps(PostbackFactory().build(700)).encode()

    async def scenario() -> tuple[Protocol, Protocol]:
        upload = Scope("PUT", "/__admin/pixels/700")
        stalled = asyncio.ensure_future(call(front, upload, Protocol(body[:10], stall=True)))
        other = await call(front, Scope("GET", "/v1/networks/pixels/3", "", KEY))
        return await stalled, other

    stalled, other = run(front, scenario())
    assert other.status == 200
    assert stalled.status == 408
    assert set(json.loads(stalled.body)) == {"error"}


def test_an_admin_upload_reaches_the_admin_api_in_pieces(run: Run[Protocol]) -> None:
    front = RsgiFront(create_app())
    body = json.dumps(PostbackFactory().build(701)).encode()
    chunked = [("transfer-encoding", "chunked"), ("content-type", "application/json")]
    upload = Scope("PUT", "/__admin/pixels/701", "", chunked)
    stored = run(front, call(front, upload, Protocol(body[:100], body[100:])))
    assert stored.status == 201
    served = run(front, call(front, Scope("GET", "/v1/networks/pixels/701", "", KEY)))
    assert json.loads(served.body) == json.loads(body)


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_read_to_its_end_and_dropped_then_413(
    declared: bool, run: Run[Protocol]
) -> None:
    front = RsgiFront(create_app(MockConfig(max_body=1000)))
    json_body = [("content-type", "application/json")]  # past the admin guard
    headers = [("content-length", "1800"), *json_body] if declared else json_body
    chunks = CountingProtocol(b"x" * 600, b"x" * 600, b"x" * 600)
    refused = run(front, call(front, Scope("PUT", "/__admin/pixels/702", "", headers), chunks))
    assert refused.status == 413
    assert set(json.loads(refused.body)) == {"error"}
    assert chunks.read == 3  # all of it: the client can finish sending and read the 413
    assert front.pipeline.state.store.get(702) is None


class EndlessProtocol(Protocol):
    """A body that never ends, in pieces of ``PIECE`` bytes, counting those read."""

    PIECE = 1000

    def __init__(self) -> None:
        super().__init__()
        self.read = 0

    async def _pieces(self) -> AsyncIterator[bytes]:
        while True:
            self.read += 1
            yield b"x" * self.PIECE


def test_a_body_over_the_limit_is_dropped_only_up_to_the_drain_bound(
    run: Run[Protocol], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rsgi, "DRAIN_BYTES", 20_000)
    front = RsgiFront(create_app(MockConfig(max_body=1000)))
    endless = EndlessProtocol()
    refused = run(front, call(front, Scope("PUT", "/__admin/pixels/702", "", []), endless))
    assert refused.status == 413
    assert endless.read == 21  # up to DRAIN_BYTES, and one piece past it: then no more
    declared = CountingProtocol(b"x" * 600, stall=True)  # would wait an hour if it were read
    json_body = ("content-type", "application/json")  # past the admin guard
    too_long = Scope("PUT", "/__admin/pixels/702", "", [("content-length", "20001"), json_body])
    assert run(front, call(front, too_long, declared)).status == 413
    assert declared.read == 0  # declared longer than the bound: answered at once


def test_a_body_over_the_limit_is_dropped_only_until_the_read_timeout(run: Run[Protocol]) -> None:
    front = RsgiFront(create_app(MockConfig(max_body=1000, read_timeout=0.2)))
    stalled = CountingProtocol(b"x" * 1500, stall=True)
    started = time.perf_counter()
    refused = run(front, call(front, Scope("PUT", "/__admin/pixels/702", "", []), stalled))
    assert refused.status == 413
    assert time.perf_counter() - started < 2


@pytest.mark.slow
@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_client_that_sends_all_before_reading_gets_the_413_on_a_real_socket(
    declared: bool,
) -> None:
    """granian stops reading a body nobody reads: a client that writes its whole body
    before it reads (urllib, a plain socket) hit a broken pipe instead of the 413 once the
    body passed what the sockets' buffers hold (a few MB on loopback)."""
    size = 24 * 1024 * 1024
    piece = b"x" * 65536
    with spawn_serve("--server", "granian", "--quiet", "--max-body", "1000") as mock:
        port = int(mock.root.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            framing = f"Content-Length: {size}" if declared else "Transfer-Encoding: chunked"
            sock.sendall(
                f"POST /v1/networks/pixels HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"X-Eflow-Api-Key: k\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
                .encode()
            )  # fmt: skip
            for _ in range(size // len(piece)):  # a BrokenPipeError here is the bug
                sock.sendall(piece if declared else b"10000\r\n" + piece + b"\r\n")
            if not declared:
                sock.sendall(b"0\r\n\r\n")
            answer = sock.makefile("rb")
            assert answer.readline().startswith(b"HTTP/1.1 413 ")
            headers = {}
            while (line := answer.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            assert json.loads(answer.read(int(headers["content-length"]))) == {
                "error": "The request body is too large."
            }
            # read to its end, the body leaves the connection usable: the next request is read
            sock.sendall(
                f"GET /v1/networks/pixels/3 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "X-Eflow-Api-Key: k\r\n\r\n".encode()
            )
            assert answer.readline().startswith(b"HTTP/1.1 200 ")


def test_a_body_that_ends_before_its_content_length_is_400_and_changes_nothing(
    run: Run[Protocol],
) -> None:
    front = RsgiFront(create_app())
    body = json.dumps(PostbackFactory().build(703)).encode()
    headers = [("content-type", "application/json"), ("content-length", str(len(body) + 500))]
    upload = Scope("PUT", "/__admin/pixels/703", "", headers)
    refused = run(front, call(front, upload, Protocol(body)))
    assert refused.status == 400
    assert json.loads(refused.body) == {"error": CUT_SHORT}
    served = run(front, call(front, Scope("GET", "/v1/networks/pixels/703", "", KEY)))
    assert served.status == 404


@pytest.mark.parametrize(
    ("pieces", "stored"),
    [((b"",), True), ((b"", b""), False)],
    ids=["whole: granian ends it with one empty piece", "cut: a second empty piece"],
)
def test_a_chunked_body_is_taken_only_when_granian_says_it_ended_whole(
    pieces: tuple[bytes, ...], stored: bool, run: Run[Protocol]
) -> None:
    front = RsgiFront(create_app())
    body = json.dumps(PostbackFactory().build(705)).encode()
    chunked = [("transfer-encoding", "chunked"), ("content-type", "application/json")]
    upload = Scope("PUT", "/__admin/pixels/705", "", chunked)
    answer = run(front, call(front, upload, Protocol(body[:50], body[50:], *pieces)))
    assert answer.status == (201 if stored else 400)
    served = run(front, call(front, Scope("GET", "/v1/networks/pixels/705", "", KEY)))
    assert served.status == (200 if stored else 404)


@pytest.mark.parametrize(
    ("query", "seen"),
    [
        ("wait=\xe9", "\xe9"),
        ("wait=\u20ac&y=1", "\u20ac"),
        ("wait=a b", "a b"),
        ("wait=\udcff", "%FF"),  # a byte that is no UTF-8: named percent-encoded, as Flask did
        ("y=1&wait=%41+b%2526", "A b%26"),
    ],
)
def test_the_admin_api_reads_a_query_as_sent_and_names_a_byte_that_is_no_utf8_encoded(
    query: str, seen: str, run: Run[Protocol]
) -> None:
    # Judged by what the admin API read: firing's route repeats a bad ``wait`` in its 422.
    front = RsgiFront(create_app())
    answer = run(front, call(front, Scope("POST", "/__admin/conversions", query)))
    assert answer.status == 422
    assert json.loads(answer.body)["detail"] == f"wait must be a number from 0 to 60, not {seen!r}"


class ClosedStream(Stream):
    async def send_bytes(self, data: bytes) -> None:
        raise RuntimeError("RSGI transport is closed")  # as granian's RSGIProtocolClosed


class GoneProtocol(Protocol):
    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Stream:
        super().response_stream(status, headers)
        return ClosedStream(self)


def test_a_fault_for_a_client_already_gone_is_still_just_the_injected_fault(
    run: Run[Protocol],
) -> None:
    front = RsgiFront(create_app())
    scope = Scope("GET", "/v1/networks/pixels/3", "", [*KEY, ("prefer", "fault=reset")])
    with pytest.raises(InjectedFault):
        run(front, call(front, scope, GoneProtocol()))


def test_faults_break_the_answer_as_on_other_servers(run: Run[Protocol]) -> None:
    front = RsgiFront(create_app())
    path = "/v1/networks/pixels/3"
    malformed = run(
        front, call(front, Scope("GET", path, "", [*KEY, ("prefer", "fault=malformed")]))
    )
    assert malformed.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(malformed.body)
    reset = Protocol()
    with pytest.raises(InjectedFault):
        run(front, call(front, Scope("GET", path, "", [*KEY, ("prefer", "fault=reset")]), reset))
    assert len(reset.body) == 1
    assert int(reset.headers["content-length"]) > 1


def test_environ_joins_repeated_headers_and_keeps_content_headers_unprefixed() -> None:
    scope = Scope("GET", "/v1/x", "q=\xe9", [("x-a", "1"), ("x-a", "2"), ("content-length", "3")])
    environ = environ_of(scope)
    assert environ["HTTP_X_A"] == "1,2"
    assert environ["CONTENT_LENGTH"] == "3"
    assert environ["QUERY_STRING"] == "q=\xe9"
    # what the journal, which keeps this environ as it is, counts for its headers
    held = sum(len(k) + len(v) for k, v in environ.items() if k.startswith("HTTP_"))
    assert environ[HEADER_BYTES] >= held


class CountingProtocol(Protocol):
    """A protocol that counts the body pieces the front asked for."""

    def __init__(self, *chunks: bytes, stall: bool = False) -> None:
        super().__init__(*chunks, stall=stall)
        self.read = 0

    async def _pieces(self) -> AsyncIterator[bytes]:
        async for chunk in super()._pieces():
            self.read += 1
            yield chunk


@pytest.mark.parametrize(
    ("headers", "config", "status"),
    [
        ([], MockConfig(), 401),
        ([("x-eflow-api-key", "wrong")], MockConfig(api_keys=("right",)), 401),
        (KEY, MockConfig(rate_limit=RateLimit(rate=0.001, burst=1)), 429),
    ],
    ids=["no key", "wrong key", "rate limited"],
)
def test_an_api_upload_that_may_not_go_on_is_refused_before_its_body_is_read(
    headers: list[tuple[str, str]], config: MockConfig, status: int, run: Run[Protocol]
) -> None:
    front = RsgiFront(create_app(config))
    body = json.dumps(PostbackFactory().build_input()).encode()
    create = Scope("POST", "/v1/networks/pixels", "", headers)
    if status == 429:  # the one token goes to a first request
        assert run(front, call(front, create, Protocol(body))).status == 200
    protocol = CountingProtocol(body[:10], stall=True)  # would wait an hour if it were read
    refused = run(front, call(front, create, protocol))
    assert refused.status == status
    assert protocol.read == 0
    entries = front.pipeline.state.journal.entries()
    assert entries[-1]["status"] == status  # journaled once
    assert isinstance(entries[-1]["ms"], float)  # timed from admission
    assert entries[-1]["verdict"] == {
        "request": "unchecked",
        "answer": "valid",
        "detail": f"answered {status} before the spec's checks",
    }


@pytest.mark.parametrize(
    ("config", "client", "status"),
    [
        (MockConfig(admin_token="t" * 16), "127.0.0.1:40000", 401),
        (MockConfig(), "10.0.0.5:40000", 403),
    ],
    ids=["no token", "not loopback"],
)
def test_an_admin_upload_the_guard_refuses_is_not_read(
    config: MockConfig, client: str, status: int, run: Run[Protocol]
) -> None:
    front = RsgiFront(create_app(config))
    json_body = [("content-type", "application/json"), ("content-length", "100000")]
    upload = Scope("PUT", "/__admin/pixels/703", "", json_body, client=client)
    protocol = CountingProtocol(b"{", stall=True)  # would wait an hour if it were read
    assert run(front, call(front, upload, protocol)).status == status
    assert protocol.read == 0


def test_an_admitted_upload_is_timed_and_judged_by_the_spec(run: Run[Protocol]) -> None:
    front = RsgiFront(create_app(MockConfig()))
    create = Scope("POST", "/v1/networks/pixels", "", KEY)
    answer = run(front, call(front, create, Protocol(b'{"pixel_status": "paused"}')))
    assert answer.status == 400
    (entry,) = front.pipeline.state.journal.entries()
    assert isinstance(entry["ms"], float)
    assert (entry["verdict"]["request"], entry["verdict"]["answer"]) == ("invalid", "valid")
    assert "is a required property" in entry["verdict"]["detail"]


def test_an_admitted_upload_spends_one_token_only(run: Run[Protocol]) -> None:
    front = RsgiFront(create_app(MockConfig(rate_limit=RateLimit(rate=0.001, burst=5))))
    body = json.dumps(PostbackFactory().build_input()).encode()
    created = run(front, call(front, Scope("POST", "/v1/networks/pixels", "", KEY), Protocol(body)))
    assert created.status == 200
    assert created.headers["x-ratelimit-remaining"] == "4"


@pytest.mark.slow
def test_bodies_still_arriving_hold_at_most_the_budget_in_all(run: Run[list[Protocol]]) -> None:
    front = RsgiFront(create_app(MockConfig(max_body=1000, read_timeout=0.5)))
    front.budget = BodyBudget(2500)
    piece = b"x" * 900

    async def scenario() -> list[Protocol]:
        uploads = [
            asyncio.ensure_future(
                call(
                    front, Scope("PUT", "/__admin/pixels/710", "", []), Protocol(piece, stall=True)
                )
            )
            for _ in range(3)
        ]
        answers = await asyncio.gather(*uploads)
        assert front.budget.held == 0  # all given back
        return answers

    answers = run(front, scenario())
    assert sorted(a.status for a in answers) == [408, 408, 503]
    busy = next(a for a in answers if a.status == 503)
    assert busy.headers["retry-after"] == "1"
    assert set(json.loads(busy.body)) == {"error"}


@pytest.mark.slow
def test_a_request_naming_a_seed_is_answered_off_the_loop(
    run: Run[tuple[Protocol, Protocol, float]],
) -> None:
    front = RsgiFront(create_app(MockConfig(rate_limit=None)))
    state = front.pipeline.state
    drawn = state.generated
    usual = sys.getswitchinterval()
    while_drawing: list[float] = []

    def slow_new_seed(seed: int, pixel_id: int) -> bytes:
        while_drawing.append(sys.getswitchinterval())
        time.sleep(0.6)  # what drawing a new seed's pools costs, exaggerated
        return drawn(seed, pixel_id)

    state.generated = slow_new_seed  # type: ignore[method-assign]
    seeded_scope = Scope(
        "GET", "/v1/networks/pixels/424242", "", [*KEY, ("prefer", "dynamic=true, seed=77")]
    )

    async def scenario() -> tuple[Protocol, Protocol, float]:
        started = time.perf_counter()
        seeded = asyncio.ensure_future(call(front, seeded_scope))
        await asyncio.sleep(0.05)
        other = await call(front, Scope("GET", "/v1/networks/pixels/3", "", KEY))
        other_done = time.perf_counter() - started
        return await seeded, other, other_done

    seeded, other, other_done = run(front, scenario())
    assert (seeded.status, other.status) == (200, 200)
    assert json.loads(seeded.body) == PostbackFactory(77).build(424242)
    assert other_done < 0.4  # not held up by the seed's 0.6 s
    # The short GIL switch interval only while a seed is drawn: it costs every other request.
    assert while_drawing == [pytest.approx(SWITCH_SECONDS)]
    assert sys.getswitchinterval() == usual


def test_overlapping_seeds_keep_the_switch_interval_short_until_the_last_one_ends() -> None:
    usual = sys.getswitchinterval()
    with _SHORT_SWITCH:  # one front's seed
        with _SHORT_SWITCH:  # another's, in the same process
            assert sys.getswitchinterval() == pytest.approx(SWITCH_SECONDS)
        assert sys.getswitchinterval() == pytest.approx(SWITCH_SECONDS)
    assert sys.getswitchinterval() == usual


@pytest.mark.parametrize(
    ("config", "headers", "protocol", "status"),
    [
        (MockConfig(read_timeout=0.2), [], Protocol(b'{"de', stall=True), 408),
        (MockConfig(), [("content-length", "500")], Protocol(b'{"description": "x"}'), 400),
        (MockConfig(max_body=10), [("content-length", "20")], Protocol(b"x" * 20), 413),
    ],
    ids=["stalled", "cut short", "too large"],
)
def test_what_the_front_answers_itself_is_journaled_too(
    config: MockConfig,
    headers: list[tuple[str, str]],
    protocol: Protocol,
    status: int,
    run: Run[Protocol],
) -> None:
    front = RsgiFront(create_app(config))
    upload = Scope("PUT", "/v1/networks/pixels/3", "", [*KEY, *headers])
    assert run(front, call(front, upload, protocol)).status == status
    (entry,) = front.pipeline.state.journal.entries()
    assert (entry["operation"], entry["path_params"], entry["status"]) == (
        "replacePartnerPostback",
        {"pixelId": 3},
        status,
    )
    # nothing was judged (a cut body is no breach of the spec); a body too large reaches
    # the pipeline (timed, its 413 an answer the spec documents), the rest is the front's own
    assert entry["verdict"]["request"] == "unchecked"
    if status != 413:
        assert entry["verdict"]["answer"] == "unchecked"
        assert entry["ms"] is None


@pytest.mark.parametrize("path", ["/__admin/health", "/openapi.yaml", "/v1/not-an-operation"])
def test_what_the_pipeline_does_not_answer_passes_it_once(
    path: str, run: Run[Protocol], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app()
    front = RsgiFront(app)
    pipeline = get_pipeline(app)
    handled: list[str] = []
    exchange = pipeline.exchange

    def counted(environ: Any) -> Any:
        handled.append(environ["PATH_INFO"])
        return exchange(environ)

    monkeypatch.setattr(pipeline, "exchange", counted)
    got = run(front, call(front, Scope("GET", path, "", KEY)))
    assert got.status in (200, 404)
    assert handled == [path]
