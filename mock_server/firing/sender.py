"""The sender: postback GETs made on an event loop of their own, bounded.

The sender runs one asyncio loop in a thread of its own (started on the first postback
delivery), so a GET waits on a socket, never on a thread, and the admin API answers at
once. HTTP/1.1 is framed by h11 (what httpx's own transport uses) on a bare asyncio protocol:
a GET with ``Connection: close``, the status line and headers read back, redirects never
followed. It does not go through httpx, so a test's respx mock (``everflow_mock``) cannot
intercept deliveries to a local receiver, and a delivery costs no client object.

Everything is bounded, each by a constant below: deliveries waiting or in flight and their
URLs, all together and per receiver (past a bound refused and journaled, never queued);
connections at once, all together and per receiver (a slow or hanging receiver holds only
its own share, the others go on at full speed); each delivery's time (the deadline covers
connect, send and the answer's head); what is read back.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import h11

from mock_server.firing.journal import CANCELLED, DELIVERED, FAILED, Delivery

MAX_PENDING = 10_000
"""Postback deliveries waiting (their delay) or in flight at once; past it, refused."""
PENDING_BYTES = 128 * 1024 * 1024
"""What the URLs of those may take together, in characters (each is held twice: as
journaled and as the request target); past it, refused. One receiver's share
(``PENDING_PER_RECEIVER`` URLs of at most ``TEXT_BYTES`` characters, twice) is a quarter."""
PENDING_PER_RECEIVER = 1_000
"""Of those, the most for one receiver (host and port); past it, refused for that one
only. A receiver that hangs holds at most these, the rest stay free for the others."""
CONCURRENCY = 256
"""Connections open at once, all receivers together."""
PER_HOST = 32
"""Connections open at once to one receiver (host and port)."""
HEAD_BYTES = 16 * 1024
"""The most of an answer's status line and headers read; the body is never read."""
USER_AGENT = "everflow-postback-kit-mock"


@dataclass(frozen=True)
class Target:
    """Where a postback GET goes: the connection, and the request's ``Host`` and target."""

    host: str
    port: int
    tls: bool
    host_header: str
    request_target: str


_Result = tuple[str, int | None, float, str | None]
Outcome = Callable[[Delivery, str, int | None, float, str | None], None]
"""Called on the sender's thread when a delivery ends: delivery, state, status, ms, error."""


class _Get(asyncio.Protocol):
    """One GET on one connection, framed by h11: the request goes out when connected;
    ``answer`` gets the status once the answer's head (status line and headers) is in, and
    the connection is closed then (the body is never read)."""

    def __init__(self, request: h11.Request, answer: asyncio.Future[int]) -> None:
        self.answer = answer
        self.transport: asyncio.BaseTransport | None = None
        self._http = h11.Connection(h11.CLIENT, max_incomplete_event_size=HEAD_BYTES)
        self._request = request
        self._received = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        request = self._http.send(self._request) or b""
        ended = self._http.send(h11.EndOfMessage()) or b""
        transport.write(request + ended)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self._received = True
        if not self.answer.done():
            self._read(data)

    def eof_received(self) -> bool | None:
        self.connection_lost(None)
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._received and not self.answer.done():
            self._read(b"")  # h11 judges what came: an answer cut short is not an answer
        if not self.answer.done():
            self.answer.set_exception(
                exc or ConnectionResetError("the receiver closed the connection without an answer")
            )

    def _read(self, data: bytes) -> None:
        """Feed h11; once the answer's head is in (or is no HTTP answer), settle ``answer``
        and close the connection."""
        try:
            self._http.receive_data(data)
            while not isinstance(event := self._http.next_event(), h11.Response):
                if event is h11.NEED_DATA or isinstance(event, h11.ConnectionClosed):
                    return
            self.answer.set_result(event.status_code)
        except h11.RemoteProtocolError as error:
            self.answer.set_exception(ValueError(f"not an HTTP answer: {error}"))
        if self.transport is not None:
            self.transport.close()


class Sender:
    """Sends postback GETs from an asyncio loop on a thread of its own (see the module);
    ``outcome`` hears how each delivery ended."""

    def __init__(self, timeout: float, outcome: Outcome) -> None:
        self.timeout = timeout
        self._outcome = outcome
        self._lock = threading.Lock()
        self.pending = 0
        """Deliveries waiting or in flight now."""
        self.pending_bytes = 0
        """What their URLs take now, as counted against ``PENDING_BYTES``."""
        self._per_receiver: dict[tuple[str, int], int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[_Result]] = set()
        self._all: asyncio.Semaphore | None = None
        self._hosts: dict[tuple[str, int], asyncio.Semaphore] = {}
        self._tls: ssl.SSLContext | None = None

    def deliver(self, batch: list[tuple[Delivery, Target, float]]) -> list[tuple[Delivery, str]]:
        """Send each delivery to its target after its delay (seconds), in one hand-over to
        the loop; returns those refused, each with why: ``MAX_PENDING`` were pending
        already, their URLs would pass ``PENDING_BYTES``, or ``PENDING_PER_RECEIVER`` were
        pending for its receiver."""
        taken: list[tuple[Delivery, Target, float]] = []
        refused: list[tuple[Delivery, str]] = []
        with self._lock:
            for delivery, target, delay in batch:
                key = (target.host, target.port)
                held = self._per_receiver.get(key, 0)
                if self.pending >= MAX_PENDING:
                    why = f"too many deliveries pending ({MAX_PENDING:,}); not sent"
                elif self.pending_bytes + _size(delivery, target) > PENDING_BYTES:
                    why = f"the pending deliveries' URLs take {PENDING_BYTES:,} bytes; not sent"
                elif held >= PENDING_PER_RECEIVER:
                    host = f"[{target.host}]" if ":" in target.host else target.host
                    why = (
                        f"too many deliveries pending for {host}:{target.port} "
                        f"({PENDING_PER_RECEIVER:,}); not sent"
                    )
                else:
                    self._per_receiver[key] = held + 1
                    self.pending += 1
                    self.pending_bytes += _size(delivery, target)
                    taken.append((delivery, target, delay))
                    continue
                refused.append((delivery, why))
            loop = self._loop or self._start()
        if taken:
            loop.call_soon_threadsafe(self._spawn, taken)
        return refused

    def cancel(self) -> None:
        """Cancel every delivery that has not ended (their outcome: ``cancelled``)."""
        with self._lock:
            loop = self._loop
        if loop is not None:
            done = threading.Event()

            def cancel_all() -> None:
                for task in list(self._tasks):
                    task.cancel()
                done.set()

            loop.call_soon_threadsafe(cancel_all)
            done.wait(5)

    def _start(self) -> asyncio.AbstractEventLoop:
        """The loop (uvloop's where installed), on its own daemon thread; the lock is held."""
        try:
            import uvloop

            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        except ImportError:
            loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            self._all = asyncio.Semaphore(CONCURRENCY)
            ready.set()
            loop.run_forever()

        threading.Thread(target=run, name="everflow-mock-deliveries", daemon=True).start()
        ready.wait()
        self._loop = loop
        return loop

    def _spawn(self, batch: list[tuple[Delivery, Target, float]]) -> None:
        for delivery, target, delay in batch:
            task = asyncio.ensure_future(self._run(target, delay))
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._ended, delivery, target))

    def _ended(self, delivery: Delivery, target: Target, task: asyncio.Task[_Result]) -> None:
        """A delivery's task is over (also when cancelled before its first step)."""
        self._tasks.discard(task)
        key = (target.host, target.port)
        with self._lock:
            self.pending -= 1
            self.pending_bytes -= _size(delivery, target)
            self._per_receiver[key] -= 1
            if not self._per_receiver[key]:
                del self._per_receiver[key]
                self._hosts.pop(key, None)  # no task of this receiver's left to hold it
        if task.cancelled():
            self._outcome(delivery, CANCELLED, None, 0.0, "cancelled by a reset before it ended")
        else:
            self._outcome(delivery, *task.result())

    async def _run(self, target: Target, delay: float) -> _Result:
        """Wait ``delay`` seconds, then GET under the per-receiver and overall limits (a
        receiver's semaphore goes with its last pending delivery, in ``_ended``): the state,
        status, ms and error it ends with."""
        if delay > 0:
            await asyncio.sleep(delay)
        semaphore = self._hosts.setdefault((target.host, target.port), asyncio.Semaphore(PER_HOST))
        assert self._all is not None
        start = time.perf_counter()
        state, status, error = FAILED, None, None
        try:
            async with semaphore, self._all:
                status = await self._get(target)
            if 200 <= status < 300:
                state = DELIVERED
            else:
                error = f"the receiver answered {status}"
        except TimeoutError:
            error = f"no answer within {self.timeout:g} s"
        except (OSError, ValueError, ssl.SSLError) as problem:
            error = f"{type(problem).__name__}: {problem}"[:300]
        return state, status, round((time.perf_counter() - start) * 1000, 3), error

    async def _get(self, target: Target) -> int:
        """One GET within the deadline (connect, send, the answer's head); its status."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[int] = loop.create_future()
        request = h11.Request(
            method="GET",
            target=target.request_target,
            headers=[
                ("Host", target.host_header),
                ("User-Agent", USER_AGENT),
                ("Accept", "*/*"),
                ("Connection", "close"),
            ],
        )
        protocol = _Get(request, answer)
        context = None
        if target.tls:
            context = self._tls = self._tls or ssl.create_default_context()
        # The deadline: one timer cancels this task wherever it waits (connecting or for the
        # answer), and that is turned into TimeoutError; no extra task, so cheaper than
        # asyncio.wait_for before Python 3.12.
        task = asyncio.current_task()
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        timer = loop.call_later(self.timeout, expire)
        try:
            await loop.create_connection(lambda: protocol, target.host, target.port, ssl=context)
            return await answer
        except asyncio.CancelledError:
            if expired:
                raise TimeoutError from None
            raise
        finally:
            timer.cancel()
            transport = protocol.transport
            if isinstance(transport, asyncio.Transport) and not answer.done():
                transport.abort()
            elif transport is not None:
                transport.close()


def _size(delivery: Delivery, target: Target) -> int:
    """What a pending delivery's URL takes, counted against ``PENDING_BYTES``."""
    return len(delivery.url or "") + len(target.request_target)
