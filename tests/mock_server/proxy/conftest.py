"""A fake production for the proxy and the recorder: the kit's own mock, served with a data
file holding planted secrets, personal data and one rule-breaking postback (loaded with
``allow_drift``, as production would send it), behind the one key it accepts."""

from __future__ import annotations

import copy
import io
import json
import wsgiref.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_server import MockConfig, builtin_postbacks
from mock_server.app import MockApp
from mock_server.data.datafile import load_data_file
from mock_server.proxy.forward import Upstream
from mock_server.proxy.record import Recording
from mock_server.proxy.server import ProxyApp
from mock_server.proxy.tally import Tally
from mock_server.testing.local_server import LocalServer

KEY = "prodKEY-7f3a9c2e51b84d06aa19"
"""The production key: long, so that every 8 characters of it are searched for."""

PLANTED = {
    "token": "tok-PLANTED-91x7",
    "password": "pw-PLANTED-55",
    "host": "conv.planted-partner.io",
    "email": "jane.planted@partner-mail.com",
    "phone": "+44 20 7946 0958",
    "person": "Janet Plantedsdottir",
    "company": "Planted Widgets Ltd",
    "notes": "PLANTED internal note",
    "user": "planted-fb-user@example.org",
    "html_host": "px.planted-pixels.net",
    "description": "Planted Widgets offer for Janet",
}
"""Every secret or personal value the fake production holds."""

DRIFT_ID = 9
"""The postback production sends broken: a ``pixel_status`` the spec does not know."""
BYTE_EQUAL_ID = 5
"""A postback with nothing in it that the proxy would mask: served byte for byte."""


def pieces(secret: str, size: int = 8) -> set[str]:
    """Every ``size`` characters of ``secret``."""
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


def leaks(text: str) -> list[str]:
    """Any planted value, or any 8 characters of the key, found in ``text``."""
    found = [value for value in PLANTED.values() if value in text]
    return found + sorted(piece for piece in pieces(KEY) if piece in text)


def _postback(base: dict[str, Any], pixel_id: int, **changes: Any) -> dict[str, Any]:
    postback = copy.deepcopy(base)
    postback.update(network_pixel_id=pixel_id, **changes)
    return postback


def planted_postbacks() -> list[dict[str, Any]]:
    """Production's postbacks: two of one offer and one partner (ids 1, 2), others with
    secrets in their URLs and HTML, one clean (``BYTE_EQUAL_ID``), one broken (``DRIFT_ID``)."""
    catalogue = builtin_postbacks(0)
    postback = next(
        p
        for p in catalogue
        if p["delivery_method"] == "postback"
        and p["pixel_level"] == "specific"
        and p["relationship"].get("affiliate")
    )
    html = next(p for p in catalogue if p["delivery_method"] == "html")
    relationship = copy.deepcopy(postback["relationship"])
    relationship["offer"]["name"] = PLANTED["company"] + " - CPA"
    relationship["affiliate"]["name"] = PLANTED["person"]
    relationship["affiliate"]["internal_notes"] = PLANTED["notes"]
    url = (
        f"https://admin:{PLANTED['password']}@{PLANTED['host']}/cb?click={{transaction_id}}"
        f"&token={PLANTED['token']}&api_key={KEY}&amount={{sale_amount}}"
    )
    first = _postback(
        postback,
        1,
        postback_url=url,
        description=PLANTED["description"],
        relationship=relationship,
        brand_new_field={"contact_email": PLANTED["email"]},
    )
    second = _postback(
        postback,
        2,
        postback_url=f"https://{PLANTED['host']}/other?sig={PLANTED['token']}&tid={{sub1}}",
        description=PLANTED["description"],
        relationship=copy.deepcopy(relationship),
    )
    third = _postback(
        html,
        3,
        html_code=(
            f'<img src="https://{PLANTED["html_host"]}/p?key={KEY}&amp;c={{transaction_id}}">'
            f"<!-- call {PLANTED['phone']} or mail {PLANTED['email']} -->"
        ),
    )
    clean = _postback(postback, BYTE_EQUAL_ID, postback_url="https://example.com/ok?c={sub1}")
    broken = _postback(postback, DRIFT_ID, pixel_status="halted", postback_url=url)
    return [first, second, third, clean, broken]


@pytest.fixture(scope="session")
def production_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake production's data file."""
    path = tmp_path_factory.mktemp("production") / "production.json"
    path.write_text(json.dumps(planted_postbacks()), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def production(production_file: Path) -> Iterator[LocalServer]:
    """The fake production on a loopback socket, accepting ``KEY`` only."""
    postbacks = load_data_file(production_file, allow_drift=True)
    app = MockApp(MockConfig(postbacks=postbacks, api_keys=(KEY,), rate_limit=None))
    with LocalServer(app) as live:
        yield live


class Proxy:
    """A ``ProxyApp`` in front of an upstream, called in-process through httpx; its access
    lines collected in ``lines``."""

    def __init__(self, upstream_url: str, key: str = KEY, **options: Any) -> None:
        record = options.pop("record", False)
        options.setdefault("rate", 1000)
        self.upstream = Upstream(upstream_url, key, **options)
        self.tally = Tally(self.upstream.name, "read-only")
        self.recording = Recording() if record else None
        self.lines: list[bytes] = []
        self.app = ProxyApp(self.upstream, self.tally, self.recording, self.lines.append)
        self.http = httpx.Client(
            transport=httpx.WSGITransport(app=self.app), base_url="http://127.0.0.1"
        )

    def call(
        self, method: str, path_info: str, body: bytes = b"", **environ_extra: str
    ) -> tuple[int, list[tuple[str, str]], Any]:
        """Call the app with ``PATH_INFO`` exactly as given, as a server hands it on once
        it has percent-decoded the request's path (``%2F`` included): an httpx client
        would remove dot segments before sending. ``body`` is the request's stream and
        ``environ_extra`` sets environ keys as sent (``CONTENT_LENGTH`` included). Returns
        the status, the headers as the app gave them to the server, and the JSON body."""
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path_info,
            "wsgi.input": io.BytesIO(body),
            **environ_extra,
        }
        wsgiref.util.setup_testing_defaults(environ)
        started: list[tuple[str, list[tuple[str, str]]]] = []
        body = b"".join(
            self.app(environ, lambda status, headers: started.append((status, headers)))
        )
        status, headers = started[0]
        return int(status.split()[0]), headers, json.loads(body)

    @property
    def log(self) -> str:
        """Every access line so far."""
        return b"".join(self.lines).decode()

    def close(self) -> None:
        self.http.close()
        self.upstream.close()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@pytest.fixture
def proxy(production: LocalServer) -> Iterator[Proxy]:
    """A proxy in front of the fake production, with the key in its environment."""
    made = Proxy(production.url, record=True)
    yield made
    made.close()
