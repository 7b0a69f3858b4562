"""``everflow-mock proxy`` and ``everflow-mock record``: their options (each runs from its
own module, ``proxy_command`` and ``record_command``).

Only argparse and the light ``openapi.remote.defaults`` load with the parser; httpx, the
spec and the server when a command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from mock_server.proxy.options import NO_SCRUB_ACK, REMOTE_CLIENTS
from mock_server.proxy.proxy_command import run_proxy
from mock_server.proxy.record_command import run_record
from openapi.remote.defaults import DEFAULT_MAX_TIME, DEFAULT_RATE, DEFAULT_TIMEOUT, KEY_ENV

UPSTREAM_HELP = "the API base URL (default: Everflow's, the spec's first server)"


def _number(kind: Callable[[str], Any], low: float, what: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}") from None
        if not value >= low or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}")
        return value

    return parse


_positive = _number(float, 1e-9, "a number > 0")
_port = _number(int, 0, "a port number (0: any free one)")


_positive = _number(float, 1e-9, "a number > 0")
_port = _number(int, 0, "a port number (0: any free one)")


def _pixel_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"pixel ids must be integers, not {text!r}") from None
    if not ids or any(i < 1 for i in ids):
        raise argparse.ArgumentTypeError(f"pixel ids must be positive, not {text!r}")
    return ids


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-key-env",
        metavar="VAR",
        default=KEY_ENV,
        help="environment variable holding the API key (never printed, logged or recorded)",
    )
    parser.add_argument(
        "--rate", type=_positive, default=DEFAULT_RATE, metavar="PER_S", help="requests a second"
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help="seconds one upstream request may take, connect to last byte",
    )


def _scrub_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-scrub",
        action="store_true",
        help=f"record production's values as they are; only with {NO_SCRUB_ACK}",
    )
    parser.add_argument(NO_SCRUB_ACK, action="store_true", help="confirm --no-scrub")


def add_commands(commands: Any, formatter: type[argparse.HelpFormatter]) -> None:
    """Add ``proxy`` and ``record`` to ``everflow-mock``'s subcommands."""
    proxy = commands.add_parser(
        "proxy",
        help="forward to the real API and judge every answer by the spec",
        description="Forward API requests to the upstream, answer with its answers unchanged "
        "plus X-Everflow-Violations, journal and log every violation, and print a summary "
        "on Ctrl-C or SIGTERM. Read-only unless --allow-writes. The caller's "
        f"X-Eflow-Api-Key is passed on, or ${KEY_ENV} added. Exit 1 when an answer broke "
        "the spec or a request got no usable answer (502, 504).",
        formatter_class=formatter,
    )
    proxy.add_argument("--upstream", metavar="URL", help=UPSTREAM_HELP)
    proxy.add_argument(
        "--host",
        default="127.0.0.1",
        help=f"address to bind; one beyond loopback only with {REMOTE_CLIENTS}",
    )
    proxy.add_argument(
        REMOTE_CLIENTS,
        action="store_true",
        help="let --host be an address other machines reach: every client that can reach "
        "it is then answered with the proxy's key added",
    )
    proxy.add_argument("--port", type=_port, default=4011, help="port to bind")
    proxy.add_argument("--allow-writes", action="store_true", help="pass writes on too")
    proxy.add_argument(
        "--record", metavar="FILE", help="record the postbacks, offers and partners read, on exit"
    )
    proxy.add_argument("--report", metavar="FILE.md", help="write a Markdown report on exit")
    proxy.add_argument("--junit", metavar="FILE", help="write JUnit XML on exit")
    proxy.add_argument("--quiet", action="store_true", help="no access lines")
    _common(proxy)
    _scrub_options(proxy)
    proxy.set_defaults(handler=run_proxy)

    record = commands.add_parser(
        "record",
        help="record production's postbacks, and the offers and partners they name, as a "
        "scrubbed data file for serve --data",
        description="Read postbacks (the ids given, or every one the key can list, paged), "
        "then the offers and partners they name, and write them as a data file that "
        "serve --data loads, scrubbed of secrets and "
        "personal data, with a report next to it (FILE.scrub.json). Read-only.",
        formatter_class=formatter,
    )
    record.add_argument("--base-url", metavar="URL", help=UPSTREAM_HELP)
    record.add_argument("--out", required=True, metavar="FILE", help="the data file to write")
    record.add_argument(
        "--pixel-id",
        type=_pixel_ids,
        action="append",
        metavar="ID",
        help="record this postback; repeatable, or 12,34 (default: every one listed)",
    )
    record.add_argument(
        "--max-time",
        type=_positive,
        default=DEFAULT_MAX_TIME,
        metavar="S",
        help="seconds the whole recording may take",
    )
    _common(record)
    _scrub_options(record)
    record.set_defaults(handler=run_record)
