"""Pass one request on to the upstream through the contract suite's safe client.

``Upstream`` sends through ``openapi.remote.client.ContractClient``, the client the
contract suite uses: the same allow-list of read-only requests (a write is refused before
anything leaves, unless ``allow_writes``), pacing under Everflow's rate limit, a hard
deadline per request, bounded answers, https only (plain http to loopback), no redirects,
and the key masked out of every answer. Requests go one at a time (the client paces them
anyway, and its deadline is one per client), and retries are left to the caller: a 429
comes back as it came.

When there is no answer the proxy answers itself, in Everflow's error shape
(``{"error": "..."}``), naming the upstream and never the key: 403 for a write (naming
``--allow-writes``), 504 when the upstream is too slow, 502 when it cannot be reached or
its answer cannot be used (too large, nested too deep).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mock_server.core.answers import is_hop_by_hop
from mock_server.data.strictjson import dumps

if TYPE_CHECKING:
    import httpx

    from openapi.remote.masking import Secrets

MAX_KEY_CHARS = 256
"""The longest key a caller may send (no Everflow key comes near it): a longer one is
refused with 400 before anything is sent or remembered, so that masking a request costs
the same whatever keys earlier callers sent."""
MAX_WRITES = 1000
"""Writes (with ``--allow-writes``) the reports list; the oldest are dropped first."""

RECOUNTED = frozenset({"content-length", "content-encoding"})
"""Headers of the upstream's answer that the proxy does not pass on besides the hop-by-hop
ones (``is_hop_by_hop``): the length is counted again, and a compressed body arrives
decoded."""

WRITE_REFUSED = (
    "{method} {path} is not one of the read-only requests (read a postback, list, search; "
    "read an offer or a partner, search them), and this proxy is read-only: nothing was sent; restart it with --allow-writes to pass "
    "it on"
)
"""The 403's message. Everflow's own wording for a refused write is unknown; this names
the option that allows it."""
BAD_KEY = "the {header} header has characters an HTTP header cannot carry; nothing was sent"
LONG_KEY = (
    "the {header} header is longer than {most} characters, which no API key is; nothing was sent"
)


@dataclass
class Answer:
    """What the proxy sends back: the upstream's answer (``response`` is it, masked), or
    the proxy's own (``response`` is ``None``; ``outcome`` says why)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    response: httpx.Response | None = None
    outcome: str = "answered"


def own_answer(status: int, message: str, outcome: str) -> Answer:
    """An answer of the proxy's own, in Everflow's error shape."""
    body = dumps({"error": message})
    return Answer(status, [("Content-Type", "application/json")], body, None, outcome)


@dataclass
class Upstream:
    """The API the proxy forwards to, and the key it adds when a caller sends none."""

    base_url: str
    key: str = ""
    allow_writes: bool = False
    rate: float = 5.0
    timeout: float = 30.0
    keys: Secrets = field(init=False)
    """The key masked out of everything written: the proxy's own, made ready once. A
    caller's key masks what its own request writes only (``masking``): masked everywhere, a
    caller's "key" such as ``/v1/networks/pixels/`` would hide every later path from
    everyone."""

    def __post_init__(self) -> None:
        from openapi.remote.client import ContractClient
        from openapi.remote.masking import Secrets

        self.client = ContractClient(
            self.base_url,
            self.key,
            rate=self.rate,
            retries=0,
            timeout=self.timeout,
            max_time=math.inf,
            allow_writes=self.allow_writes,
        )
        self.name = str(self.client.base_url)
        self._lock = threading.Lock()
        self.keys = Secrets([self.key])

    def masking(self, caller_key: str | None) -> Secrets:
        """What a request with ``caller_key`` is masked with: the proxy's key and the
        caller's, made ready for this request only (at most ``MAX_KEY_CHARS``: a request
        costs the same whatever keys others sent). A longer key is not made ready at all
        (that would cost in proportion to it): everything the request's entry holds is
        masked whole."""
        from openapi.remote.masking import Secrets

        if not caller_key or caller_key in self.keys:
            return self.keys
        if len(caller_key) > MAX_KEY_CHARS:
            return Secrets(whole=True)
        return Secrets([caller_key], below=self.keys)

    def forward(
        self,
        method: str,
        path: str,
        query: str,
        body: bytes,
        caller_key: str | None,
        keys: Secrets | None = None,
    ) -> Answer:
        """Send ``method path?query`` (``path`` under the base URL) with ``body``, with the
        caller's key, or the proxy's own when the caller sent none; what it writes (its own
        answers, the writes it lists) masked with ``keys`` (``masking(caller_key)`` when not
        given). ``path`` must be normalised already (``openapi.remote.targets.api_path``):
        any other is answered 404 and not sent, so nothing reaches the upstream outside its
        base path."""
        import httpx

        from openapi.remote.failures import RequestTimeout, TransportFailure
        from openapi.remote.masking import redact
        from openapi.remote.targets import API_BASE_PATH, WriteRefused, api_path, carriable
        from openapi.spec import api_key_header

        if caller_key is not None and len(caller_key) > MAX_KEY_CHARS:
            message = LONG_KEY.format(header=api_key_header(), most=MAX_KEY_CHARS)
            return own_answer(400, message, "not sent")
        key = caller_key or self.key
        keys = self.masking(caller_key) if keys is None else keys
        if api_path(API_BASE_PATH + path) != path:
            message = (
                f"{method} {path} is not a normalised path under the base URL; nothing was sent"
            )
            return own_answer(404, redact(message, keys), "not sent")
        if not carriable(key):
            return own_answer(400, BAD_KEY.format(header=api_key_header()), "not sent")
        with self._lock:
            listed = len(self.client.writes)
            try:
                response = self.client.request(
                    method,
                    path,
                    params=httpx.QueryParams(query),
                    content=body if body or method in ("POST", "PUT") else None,
                    with_key=bool(key),
                    key=key,
                )
            except WriteRefused:
                message = WRITE_REFUSED.format(method=method, path=path)
                return own_answer(403, redact(message, keys), "refused")
            except RequestTimeout:
                message = f"the upstream {self.name} sent no complete answer within {self.timeout:g} s (--timeout)"
                return own_answer(504, message, "timeout")
            except TransportFailure as failure:
                message = f"no usable answer from the upstream {self.name}: {failure}"
                return own_answer(502, redact(message, keys), "unreachable")
            except (httpx.InvalidURL, UnicodeError, ValueError) as error:  # a path httpx refuses
                message = f"{method} {path} could not be sent to {self.name}: {error}"
                return own_answer(400, redact(message, keys), "not sent")
            finally:
                writes = self.client.writes
                writes[listed:] = [write.masked(keys) for write in writes[listed:]]
                del writes[:-MAX_WRITES]
        headers = [
            (name, value)
            for name, value in response.headers.multi_items()
            if not is_hop_by_hop(name) and name.lower() not in RECOUNTED
        ]
        return Answer(response.status_code, headers, response.content, response)

    def close(self) -> None:
        """Release the upstream's connections."""
        self.client.close()
