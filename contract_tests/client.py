"""``ContractClient``: GET-only, paced, retrying, and careful with the API key."""

from __future__ import annotations

import ipaddress
import random
import time
from collections.abc import Callable

import httpx

from contract_tests.defaults import KEY_ENV
from contract_tests.masking import MIN_PIECE, redact, redact_body

KEY_HEADER = "X-Eflow-Api-Key"
LOOPBACK_NAMES = frozenset({"localhost"})
BASE_URL_EXAMPLE = "https://api.eflow.team/v1"


class UnsafeTarget(ValueError):
    """The base URL cannot be used: it would expose the key (plain http to a host other than
    loopback, credentials in it) or is not an Everflow API base URL. The message never
    repeats credentials."""


class TransportFailure(RuntimeError):
    """The target could not be reached; the message never contains the key."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (localhost, 127.0.0.0/8, ::1)."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> httpx.URL:
    """The parsed base URL, or ``UnsafeTarget`` when a key sent there could be read, or when
    it is not an API base URL (``.../v1``)."""
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        raise UnsafeTarget(f"base URL is not a valid URL; use e.g. {BASE_URL_EXAMPLE}") from None
    if url.userinfo:
        raise UnsafeTarget(
            "credentials in the base URL are refused: remove user:password@ and put the API "
            f"key in ${KEY_ENV} (or the variable --api-key-env names)"
        )
    if url.scheme not in ("http", "https") or not url.host:
        raise UnsafeTarget(f"base URL must be http(s)://host/v1, not {base_url!r}")
    if url.query or url.fragment:
        raise UnsafeTarget(f"base URL must not have a query or fragment, e.g. {BASE_URL_EXAMPLE}")
    if url.scheme == "http" and not is_loopback(url.host):
        raise UnsafeTarget(
            f"refusing to send an API key over plain http to {url.host}; use https "
            "(plain http is allowed only for loopback addresses)"
        )
    if not url.path.rstrip("/").endswith("/v1"):
        raise UnsafeTarget(f"base URL must end in /v1, e.g. {BASE_URL_EXAMPLE}")
    return url


class ContractClient:
    """Sends the suite's GETs: at most ``rate`` a second, retrying 429 and 5xx answers with
    exponential backoff and jitter (``retries`` times at most), never following redirects,
    so the key never travels to another host. Every answer is returned with the key masked
    out of its headers and body."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        rate: float = 5.0,
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self._key = api_key
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep
        self._clock = clock
        self._next_slot = 0.0
        self._jitter = random.Random()
        self._http = httpx.Client(
            base_url=str(self.base_url).rstrip("/"),
            follow_redirects=False,
            timeout=timeout,
            transport=transport,
        )
        self.sent = 0

    def _pace(self) -> None:
        now = self._clock()
        if now < self._next_slot:
            self._sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + self._interval

    def get(self, path: str, *, with_key: bool = True) -> httpx.Response:
        """GET ``path`` (relative to the base URL), retried on 429 and 5xx."""
        headers = {"Accept": "application/json"}
        if with_key:
            headers[KEY_HEADER] = self._key
        for attempt in range(self._retries + 1):
            self._pace()
            try:
                response = self._http.get(path, headers=headers)
                response.read()
            except httpx.HTTPError as error:
                message = f"{type(error).__name__} for GET {path}: {error}"
                raise TransportFailure(redact(message, [self._key])) from None
            finally:
                self.sent += 1
            response = self._masked(response, response.content)
            retryable = response.status_code == 429 or response.status_code >= 500
            if not retryable or attempt == self._retries:
                return response
            self._sleep(self._delay(attempt, response))
        raise AssertionError("unreachable")  # pragma: no cover

    def _masked(self, response: httpx.Response, content: bytes) -> httpx.Response:
        """The answer, decoded, with the key masked out of headers and body (a key shorter
        than ``MIN_PIECE`` is no real key; masking it would mangle answers)."""
        secrets = [self._key] if len(self._key) >= MIN_PIECE else []
        headers = [
            (redact(name, secrets), redact(value, secrets))
            for name, value in response.headers.multi_items()
            if name.lower() != "content-encoding"
        ]
        sent = response.request
        request = httpx.Request(
            sent.method,
            sent.url,
            headers=[
                (k, v) for k, v in sent.headers.multi_items() if k.lower() != "x-eflow-api-key"
            ],
        )
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=redact_body(content, secrets),
            request=request,
        )

    def _delay(self, attempt: int, response: httpx.Response) -> float:
        wait = self._backoff * 2.0**attempt + self._jitter.uniform(0, self._backoff)
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            wait = max(wait, min(float(retry_after), 60.0))
        return wait

    def close(self) -> None:
        """Release connections."""
        self._http.close()
