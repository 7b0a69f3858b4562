"""How far a request travels through the kit: the modules a warm request enters and the
switches between them, the measure issue 30's goals are set in.

Run: python benchmarks/walk.py [--show]

Each walk is one request through the public WSGI app (``create_app``'s ``wsgi_app``), after
one identical warm-up request, traced with ``sys.setprofile``: every Python call and return
whose code is in one of the kit's packages (``openapi``, ``fixtures``, ``mock_server``,
``contract_tests``) is counted. **Modules** is how many distinct kit modules run code;
**switches** how many calls go from one kit module into another (directly, or through a
library in between, as Flask calling a view: the nearest kit frame below the call is the
caller). Code of other libraries (Flask, werkzeug, the standard library) is not counted, nor
the walk's own harness. ``--show`` prints
each walk's switches, the most frequent first.

Walks: a GET of a stored postback, a PUT replacing it (the same body), a POST search, an
admin call (``GET /__admin/requests``), and the GET through ``everflow-mock proxy``'s app
(``ProxyApp``, read-only) in front of the mock on a loopback socket (the upstream's server
thread is not traced: only the proxy's own walk counts). Issue 30's goals: GET <= 8 modules
and <= 12 switches, PUT <= 12 modules and <= 30 switches.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from mock_server import MockConfig, create_app  # noqa: E402
from openapi.spec import api_key_header  # noqa: E402

PACKAGES = ("openapi", "fixtures", "mock_server", "contract_tests")
KEY = "walk-key"


@dataclass(frozen=True)
class Walk:
    name: str
    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def _module(filename: str) -> str | None:
    """The kit's dotted module name for a code file, or ``None`` when it is not the kit's."""
    path = Path(filename)
    try:
        relative = path.resolve().relative_to(REPO)
    except ValueError:
        return None
    if relative.parts[0] not in PACKAGES:
        return None
    return ".".join(relative.with_suffix("").parts)


def _environ(walk: Walk) -> dict[str, Any]:
    path, _, query = walk.path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": walk.method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "4010",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(walk.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "HTTP_" + api_key_header().upper().replace("-", "_"): KEY,
        "HTTP_HOST": "127.0.0.1:4010",
    }
    if walk.body:
        environ["CONTENT_LENGTH"] = str(len(walk.body))
        environ["CONTENT_TYPE"] = "application/json"
    for name, value in walk.headers:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def _call(app: Callable[..., Any], walk: Walk) -> int:
    status: list[str] = []

    def start_response(line: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
        status.append(line)

    chunks = app(_environ(walk), start_response)
    b"".join(chunks)
    close = getattr(chunks, "close", None)
    if close is not None:
        close()
    return int(status[0].split()[0])


def trace(app: Callable[..., Any], walk: Walk) -> tuple[int, list[str], list[str]]:
    """One request of ``walk``: its status, the kit modules whose code ran (one entry per
    call), and the switches (``caller -> callee.function``, one per call from one kit
    module into another)."""
    seen: list[str] = []
    crossings: list[str] = []
    names: dict[str, str | None] = {}

    def module_of(frame: FrameType) -> str | None:
        filename = frame.f_code.co_filename
        if filename not in names:
            names[filename] = _module(filename)
        return names[filename]

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        module = module_of(frame)
        if module is None:
            return
        seen.append(module)
        caller = frame.f_back
        while caller is not None and module_of(caller) is None:
            caller = caller.f_back
        if caller is not None and module_of(caller) not in (module, __name__):
            crossings.append(f"{module_of(caller)} -> {module}.{frame.f_code.co_name}")

    sys.setprofile(profile)
    try:
        status = _call(app, walk)
    finally:
        sys.setprofile(None)
    return status, seen, crossings


class Measured(NamedTuple):
    name: str
    status: int
    modules: int
    switches: int
    crossings: list[str]


def measure() -> list[Measured]:
    """Every walk, each traced once warm."""
    app = create_app(MockConfig(api_keys=(KEY,), rate_limit=None)).wsgi_app
    first = json.loads(
        b"".join(app(_environ(Walk("", "GET", "/v1/networks/pixels")), lambda *a: None))
    )
    pixel = first["pixels"][0]
    pixel_id = pixel["network_pixel_id"]
    put_body = json.dumps(
        {k: v for k, v in pixel.items() if k not in ("network_pixel_id",)}
    ).encode()
    walks = [
        Walk("GET of a stored postback", "GET", f"/v1/networks/pixels/{pixel_id}"),
        Walk("PUT replacing it", "PUT", f"/v1/networks/pixels/{pixel_id}", put_body),
        Walk(
            "POST search, one page of 5",
            "POST",
            "/v1/networks/pixelstable?page=1&page_size=5",
            b"{}",
        ),
        Walk("GET /__admin/requests", "GET", "/__admin/requests?limit=1"),
    ]
    measured = [_measure(app, walk) for walk in walks]
    with _proxy() as proxy:
        proxied = Walk("GET through the proxy", "GET", f"/v1/networks/pixels/{pixel_id}")
        measured.append(_measure(proxy, proxied))
    return measured


def _measure(app: Callable[..., Any], walk: Walk) -> Measured:
    _call(app, walk)
    status, seen, crossings = trace(app, walk)
    return Measured(walk.name, status, len(set(seen)), len(crossings), crossings)


@contextlib.contextmanager
def _proxy() -> Iterator[Callable[..., Any]]:
    """``ProxyApp`` (read-only, no recording) in front of the mock on a loopback socket."""
    from mock_server.app import MockApp
    from mock_server.proxy.forward import Upstream
    from mock_server.proxy.server import ProxyApp
    from mock_server.proxy.tally import Tally
    from mock_server.testing.local_server import LocalServer

    production = MockApp(MockConfig(api_keys=(KEY,), rate_limit=None))
    with LocalServer(production) as served:
        upstream = Upstream(served.url, KEY, rate=1000)
        yield ProxyApp(upstream, Tally(upstream.name, "read-only"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="print each walk's switches")
    args = parser.parse_args()
    print(f"{'walk':<28} {'status':>6} {'modules':>8} {'switches':>9}")
    for walk in measure():
        print(f"{walk.name:<28} {walk.status:>6} {walk.modules:>8} {walk.switches:>9}")
        if args.show:
            for crossing, times in Counter(walk.crossings).most_common():
                print(f"    {times:>3} {crossing}")


if __name__ == "__main__":
    main()
