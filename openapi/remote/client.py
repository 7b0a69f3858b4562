"""``ContractClient``: read-only unless told otherwise, paced, retrying, bounded in time, and
careful with the key."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from openapi.remote.deadline import DeadlineBackend, deadline_transport
from openapi.remote.decoding import ACCEPT_ENCODING, read_bounded, single_encoding
from openapi.remote.defaults import (
    DEFAULT_BACKOFF,
    DEFAULT_MAX_TIME,
    DEFAULT_RATE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    MAX_JSON_DEPTH,
    RETRY_AFTER_CAP,
)
from openapi.remote.failures import (
    OutOfTime,
    RequestTimeout,
    RetryRefused,
    TooDeep,
    TransportFailure,
    json_depth,
    retry_after_seconds,
    unquoted,
)
from openapi.remote.findings import Write
from openapi.remote.masking import masked_response, redact
from openapi.remote.targets import (
    CREATE,
    WriteRefused,
    check_base_url,
    environment_proxy,
    is_read_only,
    touched_pixel,
)
from openapi.spec import api_key_header


class ContractClient:
    """Sends the suite's requests: at most ``rate`` a second (0: unpaced, for in-process
    targets), retrying 429 and 5xx answers with exponential backoff and jitter (``retries``
    times at most; a create only after a 429), never following redirects, so the key never
    travels to another host.

    Read-only unless ``allow_writes``: only ``READ_ONLY_REQUESTS`` are sent, anything else
    raises ``WriteRefused`` before it leaves. Every other request sent (each attempt) is
    recorded in ``writes``, with the postback id it touched and the answer's status.

    Time is bounded twice: each request, connect to last byte, by ``timeout`` seconds, and
    everything the client does, waits included, by ``max_time`` seconds from ``started``
    (on ``clock``; by default its creation, a CLI passes the moment it started)
    (``grant_grace`` lets a cleanup run past it, bounded too). A ``Retry-After`` longer than
    ``RETRY_AFTER_CAP`` or than the time left is not waited for. Every answer is returned
    with the key masked out of its headers and body.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        rate: float = DEFAULT_RATE,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        timeout: float = DEFAULT_TIMEOUT,
        max_time: float = DEFAULT_MAX_TIME,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        allow_writes: bool = False,
        started: float | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.allow_writes = allow_writes
        self.writes: list[Write] = []
        self._key = api_key
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._retries = retries
        self._backoff = backoff
        self._timeout = timeout
        self._max_time = max_time
        self._sleep = sleep
        self._clock = clock
        self._ends = (clock() if started is None else started) + max_time
        self._next_slot = 0.0
        self._jitter = random.Random()
        self._deadline: DeadlineBackend | None = None
        if transport is None:
            transport, self._deadline = deadline_transport(environment_proxy(self.base_url))
        self._http = httpx.Client(
            base_url=str(self.base_url).rstrip("/"),
            follow_redirects=False,
            timeout=timeout,
            transport=transport,
        )
        self.sent = 0

    def _left(self) -> float:
        return self._ends - self._clock()

    def grant_grace(self, seconds: float) -> None:
        """Let the client go on for ``seconds`` more, even past ``max_time``: the time a
        cleanup gets to delete what the run created after the budget ran out."""
        self._ends = max(self._ends, self._clock() + seconds)

    def _out_of_time(self, doing: str) -> OutOfTime:
        return OutOfTime(f"--max-time {self._max_time:g} s used up {doing}")

    def _pace(self, what: str) -> None:
        now = self._clock()
        if now < self._next_slot:
            if self._next_slot - now >= self._left():
                raise self._out_of_time(f"before {what}")
            self._sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + self._interval

    def get(
        self, path: str, *, with_key: bool = True, params: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        """GET ``path`` (relative to the base URL), retried on 429 and 5xx."""
        return self.request("GET", path, with_key=with_key, params=params)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        with_key: bool = True,
        content: bytes | None = None,
        key: str | None = None,
    ) -> httpx.Response:
        """Send ``method path`` (relative to the base URL) with an optional JSON body
        (``json``, or ``content``: JSON already encoded, sent as it is), as the class says.
        ``key`` is sent (and masked) instead of the client's own: a proxy passes on the key
        its caller sent."""
        method = method.upper()
        read_only = is_read_only(method, path)
        if not (read_only or self.allow_writes):
            raise WriteRefused(
                f"{method} {path} would write; the contract suite writes only with --allow-writes"
            )
        once = method == CREATE[0] and CREATE[1].fullmatch(path) is not None
        key = self._key if key is None else key
        headers = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
        if with_key:
            headers[api_key_header()] = key
        body: Any = json
        if content is not None:
            headers["Content-Type"] = "application/json"
            body = content
        what = f"{method} {path}"
        for attempt in range(self._retries + 1):
            self._pace(what)
            response = self._fetch(method, path, headers, params, body, record=not read_only)
            status = response.status_code
            retryable = status == 429 or (status >= 500 and not once)
            if not retryable or attempt == self._retries:
                return response
            self._sleep(self._delay(attempt, response, what))
        raise AssertionError("unreachable")  # pragma: no cover

    def _fetch(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        params: Mapping[str, Any] | None,
        body: Any,
        *,
        record: bool,
    ) -> httpx.Response:
        """One attempt; a write sent is recorded whatever happens, even an interrupt.
        ``body`` is a JSON value, or bytes of JSON already encoded."""
        if self._left() <= 0:
            raise self._out_of_time(f"before {method} {path}")
        outcome, response = "no answer", None
        try:
            response = self._exchange(method, path, headers, params, body)
            outcome = str(response.status_code)
            return response
        except TransportFailure as failure:
            outcome = f"no answer ({failure.check})"
            raise
        except BaseException as error:
            outcome = f"no answer ({type(error).__name__})"
            raise
        finally:
            if record:
                full = self.base_url.path.rstrip("/") + path
                self.writes.append(Write(method, full, touched_pixel(path, response), outcome))

    def _exchange(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        params: Mapping[str, Any] | None,
        body: Any,
    ) -> httpx.Response:
        what = f"{method} {path}"
        key = headers.get(api_key_header(), self._key)
        limit = min(self._timeout, self._left())
        budget_bound = limit < self._timeout
        deadline = time.monotonic() + limit
        if self._deadline is not None:
            self._deadline.deadline = deadline
        self.sent += 1
        try:
            # bytes: a body already encoded (a proxy's caller's), sent as it is
            payload = {"content": body} if isinstance(body, bytes) else {"json": body}
            request = self._http.build_request(
                method, path, headers=headers, params=params, timeout=limit, **payload
            )
            response = self._http.send(request, stream=True)
            try:
                content = self._read(response, deadline, limit)
            finally:
                response.close()
            if json_depth(content) > MAX_JSON_DEPTH:
                raise TooDeep(
                    f"the answer to {what} nests JSON more than {MAX_JSON_DEPTH} levels deep; "
                    "not parsed"
                )
        except httpx.TimeoutException:
            if budget_bound:
                raise self._out_of_time(f"during {what}") from None
            raise RequestTimeout(
                f"no complete answer to {what} within {self._timeout:g} s (--timeout)"
            ) from None
        except httpx.HTTPError as error:
            message = f"{type(error).__name__} for {what}: {unquoted(str(error))}"
            raise TransportFailure(redact(message, [key])) from None
        finally:
            if self._deadline is not None:
                self._deadline.deadline = None
        return masked_response(response, content, key)

    def _read(self, response: httpx.Response, deadline: float, limit: float) -> bytes:
        """The body, as ``read_bounded`` decodes it, within ``deadline``."""

        def check_time() -> None:
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(f"no complete answer within {limit:g} s")

        request = response.request
        what = f"{request.method} {request.url.path}"
        coding = single_encoding(response.headers.get("Content-Encoding", ""), what)
        if response.is_stream_consumed:  # an answer made in memory (a mock transport's)
            return read_bounded([response.content], None, what, check_time)
        return read_bounded(response.iter_raw(), coding, what, check_time)

    def _delay(self, attempt: int, response: httpx.Response, what: str) -> float:
        """How long to wait before retrying ``response``, or why the run will not."""
        wait = self._backoff * 2.0**attempt + self._jitter.uniform(0, self._backoff)
        asked = retry_after_seconds(response.headers.get("Retry-After", ""))
        status = response.status_code
        if asked is not None:
            if asked > RETRY_AFTER_CAP:
                raise RetryRefused(
                    f"{what} answered {status} with Retry-After {asked:g} s, longer than "
                    f"the {RETRY_AFTER_CAP:g} s the suite waits; not retried, no further "
                    "requests sent"
                )
            wait = max(wait, asked)
        left = self._left()
        if wait >= left:
            if asked is not None and asked >= left:
                raise RetryRefused(
                    f"{what} answered {status} with Retry-After {asked:g} s, more than "
                    f"the {max(left, 0):.1f} s left of --max-time {self._max_time:g} s; "
                    "not retried"
                )
            raise self._out_of_time(f"waiting to retry {what} after a {status}")
        return wait

    def close(self) -> None:
        self._http.close()
