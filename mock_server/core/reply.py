"""``Reply``: what the mock answers one API request with, ready to send by any front."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, NamedTuple

from mock_server.core.faults import fault_reply

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

JSON = "application/json"

STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}
"""Every status line HTTP names, from the standard library's table (``"404 Not Found"``)."""


def status_line(status: int) -> str:
    """``"404 Not Found"`` and the like; a status HTTP does not name reads ``"599 Status"``."""
    return STATUS_LINES.get(status) or f"{status} Status"


VALID = "valid"
INVALID = "invalid"
UNCHECKED = "unchecked"


class Verdict(NamedTuple):
    """What the spec said of one exchange, as the mock judged it on the way: the request's
    verdict and the answer's, each ``valid``, ``invalid`` (``detail`` says why) or
    ``unchecked`` (answered before that check, or not Everflow's to judge)."""

    request: str
    answer: str
    detail: str = ""


@dataclass
class Reply:
    """A status, headers and body; ``delay_ms`` holds it back, ``fault`` breaks it on purpose."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: list[tuple[str, str]] = field(default_factory=list)
    fault: str | None = None
    delay_ms: int = 0
    strict_refusal: bool = False
    """A strict-mode 400 for what lenient mode would only warn of (the journal marks it)."""
    verdict: Verdict | None = None
    """What the spec said of the request and this answer (journaled); ``None``: an answer
    given before any check (queued, ``Prefer: code=``)."""

    def header_list(self) -> list[tuple[str, str]]:
        """Every header to send: media type, length, then the reply's own (a 204's own
        only: it has no content to type or measure)."""
        if self.status == 204:
            return list(self.headers)
        return [
            ("Content-Type", self.content_type),
            ("Content-Length", str(len(self.body))),
            *self.headers,
        ]

    def status_line(self) -> str:
        """``"404 Not Found"`` and the like."""
        return status_line(self.status)

    def send(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Send as WSGI (the body left out for HEAD)."""
        if self.fault is not None:
            return fault_reply(self.fault, environ, self.body, start_response)
        start_response(self.status_line(), self.header_list())
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [self.body]
