"""Where the client may send what: the API's paths, the requests a read-only client may
send (``READ_ONLY_REQUESTS``), and which base URLs are safe for a key (https, or plain http
to loopback only, never credentials in the URL)."""

from __future__ import annotations

import functools
import ipaddress
import re
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

from openapi.remote.defaults import KEY_ENV

if TYPE_CHECKING:
    import httpx

PIXELS_PATH = "/networks/pixels"
"""List (GET) and create (POST), under the base URL."""
PIXEL_PATH = PIXELS_PATH + "/{}"
"""One postback by id: read, replace, delete."""
SEARCH_PATH = "/networks/pixelstable"
"""Search (a POST that changes nothing)."""
OFFER_PATH = "/networks/offers/{}"
"""One offer by id (read-only)."""
OFFERS_TABLE_PATH = "/networks/offerstable"
"""The offers table (a POST that changes nothing)."""
AFFILIATE_PATH = "/networks/affiliates/{}"
"""One affiliate (partner) by id (read-only)."""
AFFILIATES_TABLE_PATH = "/networks/affiliatestable"
"""The affiliates table (a POST that changes nothing)."""
LOOPBACK_NAMES = frozenset({"localhost"})
BASE_URL_EXAMPLE = "https://api.eflow.team/v1"

READ_ONLY_REQUESTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("GET", re.compile(re.escape(PIXELS_PATH) + "/[0-9]+")),
    ("GET", re.compile(re.escape(PIXELS_PATH))),
    ("POST", re.compile(re.escape(SEARCH_PATH))),
    ("GET", re.compile(re.escape(OFFER_PATH.format("")) + "[0-9]+")),
    ("POST", re.compile(re.escape(OFFERS_TABLE_PATH))),
    ("GET", re.compile(re.escape(AFFILIATE_PATH.format("")) + "[0-9]+")),
    ("POST", re.compile(re.escape(AFFILIATES_TABLE_PATH))),
)
"""Everything a read-only client may send: method, and the pattern a path under the base URL
must match whole. Search and the offer and affiliate tables are POSTs only because their
query is a JSON body; they change nothing. Every other request needs ``allow_writes=True``."""

CREATE = ("POST", re.compile(re.escape(PIXELS_PATH)))
"""Create is the one request not safe to repeat: a 5xx or a lost answer may have stored the
postback, so it is retried only after a 429 (refused before any work was done)."""

PIXEL_IN_PATH = re.compile(re.escape(PIXELS_PATH) + "/([0-9]+)")

API_BASE_PATH = "/v1"
"""The path every API request stays under, on the proxy and on the upstream."""
PATH_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,=:@/]*")
"""What a normalised API path may hold: RFC 3986's path characters but ``;`` (a path
parameter some servers read as part of a dot segment, ``..;``) and ``%`` (an escape left
after decoding would be decoded again upstream)."""
DECODINGS = 4
"""Times a path is percent-decoded: ``%252e`` is ``%2e`` once decoded, ``.`` twice; an
escape still left after this many is refused (``%`` is no path character)."""


def api_path(path: str, base: str = API_BASE_PATH) -> str | None:
    """The path under ``base`` that ``path`` names once percent-decoded (``%2F`` too, and
    again while an escape is left, up to ``DECODINGS`` times), backslashes read as
    slashes, empty and ``.`` segments dropped and ``..`` ones applied: ``/`` for ``base``
    itself, a trailing slash kept. ``None`` when it is not under ``base`` (``/v1/../admin``,
    ``/v1/x/..%2F..%2Fv2``), would climb above the root, or holds a character that is not
    in ``PATH_CHARACTERS`` (a control, a space, ``;``, ``%``, anything not ASCII).

    What comes back holds no escape, dot segment or double slash, so a server that decodes
    or normalises it again, however often, finds the same path: a proxy sends it and
    nothing else."""
    decoded = path
    for _ in range(DECODINGS):
        decoded = urllib.parse.unquote(decoded, encoding="latin-1")
    decoded = decoded.replace("\\", "/")
    if not decoded.startswith("/") or not PATH_CHARACTERS.fullmatch(decoded):
        return None
    segments: list[str] = []
    for segment in decoded.split("/"):
        if segment == "..":
            if not segments:
                return None
            segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    prefix = [segment for segment in base.split("/") if segment]
    if segments[: len(prefix)] != prefix:
        return None
    inside = "/" + "/".join(segments[len(prefix) :])
    trailing = decoded.endswith(("/", "/.", "/..")) and inside != "/"
    return inside + "/" if trailing else inside


def is_read_only(method: str, path: str) -> bool:
    """Whether ``method path`` (a path under the base URL) is one of ``READ_ONLY_REQUESTS``."""
    return any(
        method == allowed and pattern.fullmatch(path) for allowed, pattern in READ_ONLY_REQUESTS
    )


class UnsafeTarget(ValueError):
    """The base URL cannot be used: it would expose the key (plain http to a host other than
    loopback, credentials in it) or is not an Everflow API base URL. The message never
    repeats credentials."""


class WriteRefused(PermissionError):
    """A request that could change the target, from a client that may not write. Raised
    before anything is sent; the suite never asks for one unless writes are allowed."""


def carriable(key: str) -> bool:
    """Whether ``key`` can travel in an HTTP header as it is: printable ASCII."""
    return key.isascii() and key.isprintable()


@functools.lru_cache(maxsize=256)
def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost``, 127.0.0.0/8, ::1, also in brackets):
    names are not resolved, so a name that merely points at loopback is not taken for it."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def in_the_clear(url: httpx.URL) -> bool:
    """Whether a secret sent to ``url`` could be read on its way: plain http to a host that
    is not loopback (``is_loopback``)."""
    return url.scheme == "http" and not is_loopback(url.host)


def check_base_url(base_url: str) -> httpx.URL:
    """The parsed base URL, or ``UnsafeTarget`` when a key sent there could be read, or when
    it is not an API base URL (``.../v1``)."""
    import httpx  # here, not at import: firing reads this module for is_loopback alone

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
    if in_the_clear(url):
        raise UnsafeTarget(
            f"refusing to send an API key over plain http to {url.host}; use https "
            "(plain http is allowed only for loopback addresses)"
        )
    if not url.path.rstrip("/").endswith("/v1"):
        raise UnsafeTarget(f"base URL must end in /v1, e.g. {BASE_URL_EXAMPLE}")
    return url


def environment_proxy(url: httpx.URL) -> str | None:
    # What httpx does by default (HTTPS_PROXY, ALL_PROXY, NO_PROXY), never for loopback.
    if is_loopback(url.host) or urllib.request.proxy_bypass(url.host):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(url.scheme) or proxies.get("all")


def touched_pixel(path: str, response: httpx.Response | None) -> int | None:
    """The postback a write touched: the path's id, or the one a create's answer names."""
    match = PIXEL_IN_PATH.fullmatch(path)
    if match:
        return int(match.group(1))
    if response is None or response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    pixel_id = body.get("network_pixel_id") if isinstance(body, dict) else None
    return pixel_id if isinstance(pixel_id, int) and not isinstance(pixel_id, bool) else None
