"""The validating proxy as a WSGI app: forward, judge, count, journal, record.

Every API request (a path under ``/v1`` once decoded and normalised, by ``api_path``;
nothing else is sent) is passed on by ``Upstream`` and its answer sent back unchanged
(status, headers but those of the connection, body byte for byte), plus
``X-Everflow-Violations: N``: how many ways the answer breaks the spec of its operation,
judged by the contract suite's own checks (``openapi.remote.checks.judge_answer``). The
journal (``GET /__admin/requests``, loopback only) and the access log name each violation
(rule, JSON path, expected, actual); neither holds a header, a body or a key.

Before anything, the kit's one guard against web pages (``browser_refusal``) answers 403 or
415 for what a page may have sent (another origin, a name that is not this machine's, a body
that is not JSON): the proxy adds the operator's key, and a browser is a loopback client.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mock_server.core.callers import browser_refusal
from mock_server.core.environ import environ_key
from mock_server.core.errors import ApiError
from mock_server.core.reply import status_line
from mock_server.data.strictjson import dumps
from mock_server.http.wsgi import read_wsgi_body
from mock_server.proxy.forward import Answer, Upstream, own_answer
from mock_server.proxy.record import Recording
from mock_server.proxy.tally import Tally
from mock_server.server.access_log import AccessLines, printable
from openapi.remote.targets import API_BASE_PATH, api_path
from openapi.spec import api_key_header

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from openapi.remote.masking import Secrets

VIOLATIONS_HEADER = "X-Everflow-Violations"
MAX_BODY = 64 * 1024
"""The largest request body passed on (a search body is a few hundred bytes)."""
ADMIN_PREFIX = "/__admin"
PAGE_PREFIX = ADMIN_PREFIX + "/ui"
"""Where the admin page is (``mock_server.proxy.page``)."""
NO_OPERATION = "(no operation)"
"""How a request the spec has no operation for is counted (one name, whatever its method)."""
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
"""An HTTP header name (RFC 9110's token)."""
UNSENDABLE = re.compile("[\r\n\0]")
"""What no header value may hold: a line break would end it, NUL is refused by clients."""
MAX_NAME = 100
"""Characters of a dropped header's name the journal keeps."""
LINE_LIMIT = 1000
"""Characters of one violation's access line before it is cut."""


class ProxyApp:
    """The proxy: ``upstream`` answers, ``tally`` counts and journals, ``recording`` (if
    any) keeps the postbacks of good reads; ``write`` takes the access lines (``None``:
    none)."""

    def __init__(
        self,
        upstream: Upstream,
        tally: Tally,
        recording: Recording | None = None,
        write: Callable[[bytes], object] | None = None,
    ) -> None:
        self.upstream = upstream
        self.tally = tally
        self.recording = recording
        self._write = write
        self._lines = AccessLines(write) if write is not None else None
        self._key_environ = environ_key(api_key_header())
        self._page: WSGIApplication | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started, clock = time.time(), time.perf_counter()
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO") or "/"
        keys = self.upstream.masking(environ.get(self._key_environ) or None)
        refused = browser_refusal(environ)
        findings: list[Any] = []
        if refused is not None:
            answer = own_answer(refused.status, refused.detail, "refused")
        elif path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            answer = self._admin(environ, method, path)
        else:
            answer, findings = self._api(environ, method, path, keys)
        headers = [(k, v) for k, v in answer.headers if k.lower() != VIOLATIONS_HEADER.lower()]
        headers.append(("Content-Length", str(len(answer.body))))
        errors = [f for f in findings if f.severity == "error"]
        headers.append((VIOLATIONS_HEADER, str(len(errors))))
        start_response(status_line(answer.status), headers)
        if self._lines is not None and self._write is not None:
            from openapi.remote.masking import redact

            said = f"violations: {len(errors)}" if errors else None
            self._lines.log(method, redact(path, keys), answer.status, started, clock, said)
            for f in errors:
                line = f"  violation: {f.check} at {f.path}: expected {f.expected}, got {f.actual}"
                text = printable(redact(line, keys), LINE_LIMIT) + "\n"
                try:
                    self._write(text.encode("utf-8", "backslashreplace"))
                except OSError:
                    break
        return [answer.body]

    def _api(
        self, environ: WSGIEnvironment, method: str, path: str, keys: Secrets
    ) -> tuple[Answer, list[Any]]:
        """Forward one API request, judge its answer and journal both, masked by ``keys``."""
        from openapi.operations import find_operation
        from openapi.remote.checks import judge_answer
        from openapi.remote.masking import redact

        inside = api_path(path)
        if inside is None:
            message = (
                f"{printable(path)} is not an API path; the proxy passes on paths under "
                f"{API_BASE_PATH}/ only, judged once decoded and normalised: nothing was sent"
            )
            return own_answer(404, redact(message, keys), "not sent"), []
        path = API_BASE_PATH + inside  # journaled as it was sent: the base path with its slash
        try:
            body = read_wsgi_body(environ, MAX_BODY)
        except ApiError as failure:  # a length that is not one, a body cut short or too slow
            message = f"{failure.message or 'the request body could not be read'}; not passed on"
            return own_answer(failure.status, message, "not sent"), []
        if body is None:
            message = f"the request body is larger than {MAX_BODY} bytes; not passed on"
            return own_answer(413, message, "not sent"), []
        query = environ.get("QUERY_STRING", "")
        caller_key = environ.get(self._key_environ) or None
        answer = self.upstream.forward(method, inside, query, body, caller_key, keys)
        answer.headers, dropped = sendable(answer.headers)
        findings = []
        if answer.response is not None:
            findings = [
                f.masked(keys) for f in judge_answer(self.upstream.name, path, answer.response)
            ]
            if self.recording is not None and method == "GET" and answer.status == 200:
                with contextlib.suppress(ValueError):
                    self.recording.add_answer(path, answer.response.json())
        operation = find_operation(method, path)
        self.tally.add(
            method=method,
            path=redact(path, keys),
            query=redact(query, keys),
            operation=operation.operation_id if operation else NO_OPERATION,
            status=answer.status,
            outcome=answer.outcome,
            findings=findings,
            dropped_headers=dropped,
        )
        return answer, findings

    def _admin(self, environ: WSGIEnvironment, method: str, path: str) -> Answer:
        from mock_server.admin.guard import wants_html
        from mock_server.core.callers import is_loopback_client

        if not is_loopback_client(environ.get("REMOTE_ADDR")):
            return own_answer(403, "the proxy's admin API answers loopback clients only", "admin")
        if path == ADMIN_PREFIX + "/requests" and method == "GET":
            return _json_answer({"requests": self.tally.journal()})
        if path == ADMIN_PREFIX + "/requests" and method == "DELETE":
            self.tally.clear_journal()
            return _json_answer({"cleared": True})
        if path == ADMIN_PREFIX + "/health" and method == "GET":
            return _json_answer({"status": "ok", "upstream": self.upstream.name})
        if path.startswith(PAGE_PREFIX) or (
            method == "GET"
            and path in (ADMIN_PREFIX, ADMIN_PREFIX + "/")
            and wants_html(environ.get("HTTP_ACCEPT", ""))
        ):
            return self._page_answer(environ)
        return own_answer(404, f"no admin endpoint {method} {printable(path)}", "admin")

    def _page_answer(self, environ: WSGIEnvironment) -> Answer:
        """The admin page's answer (``mock_server.proxy.page``), its app built on first use."""
        from werkzeug.test import run_wsgi_app

        if self._page is None:
            from mock_server.proxy.page import proxy_page

            self._page = proxy_page(self.tally)
        chunks, status, headers = run_wsgi_app(self._page, environ, buffered=True)
        kept = [(k, v) for k, v in headers.items() if k.lower() != "content-length"]
        return Answer(int(status[:3]), kept, b"".join(chunks), None, "admin")


def sendable(headers: Iterable[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """The headers as the server can send them, and the names of those it cannot.

    A WSGI server sends a header's value as the Latin-1 encoding of its string, so each
    value is given as its UTF-8 bytes read as Latin-1: the client gets the bytes the
    upstream sent (``masked_response`` keeps a non-ASCII value as UTF-8), where a value
    such as ``€`` would otherwise fail the server after the journal said 200. A header
    no answer can carry (a name that is not an HTTP token, a line break or NUL in the
    value) is dropped, and its name (printable, cut) returned, to journal."""
    kept: list[tuple[str, str]] = []
    dropped: list[str] = []
    for name, value in headers:
        try:
            wire: str | None = value.encode("utf-8").decode("latin-1")
        except UnicodeError:  # a lone surrogate: no bytes to send
            wire = None
        if wire is not None and HEADER_NAME.fullmatch(name) and not UNSENDABLE.search(wire):
            kept.append((name, wire))
        else:
            dropped.append(printable(name, MAX_NAME))
    return kept, dropped


def _json_answer(value: Any) -> Answer:
    body = dumps(value)
    return Answer(200, [("Content-Type", "application/json")], body, None, "admin")
