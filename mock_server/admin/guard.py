"""Who may use a mock's admin API and page: ``AdminGuard``, and the page's sign-in
(``Sessions``).

The admin API can read the journal, replace the data and reset the mock, so it answers
loopback clients only, unless the mock was given an admin token: then it answers any client
that sends ``Authorization: Bearer <token>`` (or the page's session cookie, which a browser
gets for sending the token once), and no other; wrong tokens are throttled
(``WRONG_TOKENS``). Before either, the kit's one guard against web pages
(``mock_server.core.callers.browser_refusal``) refuses what a page may have sent: another
origin, a name that is not this machine's (unless there is a token), a body that is not
JSON. It reads a WSGI-style environ, so the API on the request core and the page on Flask
share one guard, one session key and one throttle.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mock_server.core.callers import browser_refusal, is_loopback_client
from mock_server.core.config import RateLimit
from mock_server.core.errors import Problem
from mock_server.core.ratelimit import TokenBuckets

if TYPE_CHECKING:
    from werkzeug.wrappers import Response

WRONG_TOKENS = RateLimit(rate=1 / 3, burst=20)
"""How many wrong admin tokens a mock checks: 20, then one every 3 seconds (a bucket of
failures, one for the mock, whoever sent them). Past it a request sending a token is
answered 429 unchecked, so a web page guessing the token (the Host check is off under
``--admin-token``) gets some 1,200 tries an hour rather than hundreds a second. A session
cookie is checked still: it is a MAC no one guesses."""
ADVICE = {
    "cross-site": " (it could reset the mock or fire conversions from a developer's "
    "browser); open /__admin/ itself",
    "host": "; start the mock with --admin-token to use another name",
}
"""What the admin API adds to a refusal of ``browser_refusal``."""
MAX_ACCEPT = 512
"""The longest ``Accept`` read as a browser's (theirs are some 150 characters): a longer one
costs the event loop no parsing and is not taken for a navigation."""
SESSION_COOKIE = "everflow_admin_session"
"""The page's session cookie under ``--admin-token``, by name: the port the browser
addressed follows (``everflow_admin_session_4010``), since cookies do not tell ports apart
and a mock must not replace another's (see ``Sessions``)."""


class AdminGuard:
    """The admin API's and page's guard for one mock (see the module's docstring)."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.sessions = None if token is None else Sessions(token)
        self._wrong_tokens = TokenBuckets(WRONG_TOKENS, max_keys=1)

    def admits(self, environ: Mapping[str, Any]) -> bool:
        """Whether the request may go on: ``False`` when it has neither the admin token nor
        a session (the caller answers ``token_required()`` or the page's sign-in);
        ``Problem`` for what is refused whatever it sends (a web page's request, a client
        not on this machine when there is no token, too many wrong tokens)."""
        refused = browser_refusal(environ, check_host=self.token is None)
        if refused is not None:
            raise Problem(
                refused.status,
                f"admin-{refused.reason}",
                f"Admin API: {refused.title}",
                refused.detail + ADVICE.get(refused.reason, ""),
            )
        if self.sessions is None:
            if not is_loopback_client(environ.get("REMOTE_ADDR")):
                raise Problem(
                    403,
                    "admin-loopback-only",
                    "Admin API is for loopback clients",
                    "the admin API answers only clients on this machine; start the mock with "
                    "--admin-token to open it to others",
                )
            return True
        return self.sessions.signed_in(environ) or self._token_sent(environ)

    def signs_in_first(self, environ: Mapping[str, Any]) -> bool:
        """Whether the request may be a browser's navigation, which the page's sign-in
        answers unless it carries the session cookie: under an admin token, a GET without
        the token that would rather have HTML. Asked on a front's event loop, so it reads no
        cookie and at most ``MAX_ACCEPT`` characters of ``Accept``; Flask, which takes the
        request then, checks the rest and answers signed-in browsers as the core would."""
        if self.sessions is None or environ.get("REQUEST_METHOD") != "GET":
            return False
        accept = environ.get("HTTP_ACCEPT", "")
        return (
            "HTTP_AUTHORIZATION" not in environ
            and len(accept) <= MAX_ACCEPT
            and "html" in accept
            and wants_html(accept)
        )

    def _token_sent(self, environ: Mapping[str, Any]) -> bool:
        """Whether the request's ``Authorization`` is the admin token; 429 without
        looking while too many wrong ones came (``WRONG_TOKENS``)."""
        sent = environ.get("HTTP_AUTHORIZATION")
        if sent is None:
            return False
        if self._wrong_tokens.peek("") < 1:
            tried = Problem(
                429,
                "admin-token-throttled",
                "Too many wrong admin tokens",
                "too many wrong admin tokens were sent; the token is not checked until "
                "the time Retry-After says has passed",
            )
            tried.headers = [("Retry-After", str(self._wrong_tokens.retry_after()))]
            raise tried
        if hmac.compare_digest(
            sent.encode("utf-8", "surrogateescape"), f"Bearer {self.token}".encode()
        ):
            return True
        self._wrong_tokens.take("")
        return False


def token_required() -> Problem:
    """The 401 of a request the guard did not admit."""
    return Problem(
        401,
        "admin-token",
        "Admin token required",
        "send the mock's admin token as 'Authorization: Bearer <token>'",
    )


def wants_html(accept: str) -> bool:
    """Whether a client sending this ``Accept`` would rather have HTML than JSON (a
    browser's navigation)."""
    from werkzeug.datastructures import MIMEAccept
    from werkzeug.http import parse_accept_header

    accepted = parse_accept_header(accept, MIMEAccept)
    return accepted.quality("text/html") > accepted.quality("application/json")


class Sessions:
    """The page's sign-in under ``--admin-token``: a session cookie holding a MAC of the
    token under a key drawn when the mock's app is built. So it is never the token (it
    cannot be sent as the token to another tool), it ends when the mock stops, and it is
    good on no other mock with the same token; named by port (``cookie_name``), it
    neither replaces nor is sent as another mock's."""

    def __init__(self, token: str) -> None:
        key = secrets.token_bytes(32)
        self._value = hmac.new(key, token.encode(), hashlib.sha256).hexdigest().encode()

    def signed_in(self, environ: Mapping[str, Any]) -> bool:
        from werkzeug.sansio.http import parse_cookie  # Flask's reading of a Cookie header

        # As sent: the cookie is ASCII, whatever bytes others beside it hold.
        sent = parse_cookie(environ.get("HTTP_COOKIE", "")).get(cookie_name(environ), "")
        return hmac.compare_digest(sent.encode(), self._value)

    def sign_in(self, answer: Response, environ: Mapping[str, Any]) -> None:
        """Set the session cookie on ``answer``: for this browser session only, never sent
        to another site or outside ``/__admin``, out of the script's reach."""
        answer.set_cookie(
            cookie_name(environ),
            self._value.decode(),
            path="/__admin",
            httponly=True,
            samesite="Strict",
        )

    def sign_out(self, answer: Response, environ: Mapping[str, Any]) -> None:
        answer.delete_cookie(
            cookie_name(environ), path="/__admin", httponly=True, samesite="Strict"
        )


def cookie_name(environ: Mapping[str, Any]) -> str:
    """The session cookie's name for this request: ``SESSION_COOKIE`` and the port its
    ``Host`` names (the scheme's when it names none or a bad one)."""
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}"
    )
    try:
        port = urlsplit(f"//{host}").port
    except ValueError:  # a port out of range or not a number
        port = None
    secure = environ.get("wsgi.url_scheme") == "https"
    return f"{SESSION_COOKIE}_{port or (443 if secure else 80)}"
