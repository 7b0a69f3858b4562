"""What ``everflow-mock proxy`` and ``record`` share: their common options, refusals, the
key, the upstream.

Standard library and the light ``openapi.remote`` defaults only: the parser imports this.
"""

from __future__ import annotations

import argparse
import os
import sys

from openapi.remote.defaults import DEFAULT_RATE, DEFAULT_TIMEOUT, KEY_ENV
from openapi.remote.values import positive

PROG = "everflow-mock"
EXIT_INTERRUPTED = 130
NO_SCRUB_ACK = "--i-know-this-keeps-secrets"
REMOTE_CLIENTS = "--allow-remote-clients"
"""The option that lets the proxy listen beyond loopback."""
RECORDING_OPTIONS = ("--out", "--record")
"""Options naming a recording, whose report is written next to it."""
UPSTREAM_HELP = "the API base URL (default: Everflow's, the spec's first server)"


def add_upstream_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``proxy`` and ``record`` share: the key's variable, the rate, the timeout,
    and ``--no-scrub`` with its confirmation."""
    parser.add_argument(
        "--api-key-env",
        metavar="VAR",
        default=KEY_ENV,
        help="environment variable holding the API key (never printed, logged or recorded)",
    )
    parser.add_argument(
        "--rate", type=positive, default=DEFAULT_RATE, metavar="PER_S", help="requests a second"
    )
    parser.add_argument(
        "--timeout",
        type=positive,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help="seconds one upstream request may take, connect to last byte",
    )
    parser.add_argument(
        "--no-scrub",
        action="store_true",
        help=f"record production's values as they are; only with {NO_SCRUB_ACK}",
    )
    parser.add_argument(NO_SCRUB_ACK, action="store_true", help="confirm --no-scrub")


class Refused(Exception):
    """A one-line reason a command cannot run (exit 2)."""


def check_scrub(args: argparse.Namespace) -> None:
    """``--no-scrub`` only with its confirmation, and the confirmation only with it."""
    if args.no_scrub and not args.i_know_this_keeps_secrets:
        raise Refused(f"--no-scrub keeps production's secrets in the file; add {NO_SCRUB_ACK}")
    if args.i_know_this_keeps_secrets and not args.no_scrub:
        raise Refused(f"{NO_SCRUB_ACK} goes only with --no-scrub")


def everflow(url: str | None) -> str:
    """``url``, or Everflow's own base URL as the spec names it."""
    from openapi.spec import everflow_base_urls

    return url or everflow_base_urls()[0]


def api_key(args: argparse.Namespace) -> str:
    """The key in the variable ``--api-key-env`` names (empty: none); ``Refused`` when a
    header could not carry it."""
    from openapi.remote.targets import carriable

    key = os.environ.get(args.api_key_env, "")
    if key and not carriable(key):
        raise Refused(f"the key in ${args.api_key_env} has characters an HTTP header cannot carry")
    return key


def check_host(args: argparse.Namespace, key: str) -> str | None:
    """``Refused`` when ``--host`` is not a loopback address and ``--allow-remote-clients``
    was not given: any client that reaches the proxy has its requests sent with the
    operator's key. With the option, the warning to print at start, naming whose key the
    proxy relays (``None`` for loopback)."""
    from openapi.remote.targets import is_loopback

    if is_loopback(args.host):
        return None
    whose = (
        f"the key in ${args.api_key_env} (the operator's) is added to every request that "
        "carries none"
        if key
        else f"no key is set (${args.api_key_env}): each client's own key is passed on"
    )
    if not args.allow_remote_clients:
        raise Refused(
            f"--host {args.host} is not a loopback address: any client that can reach it "
            f"could use the proxy, and {whose}; add {REMOTE_CLIENTS} to listen there"
        )
    return (
        f"{PROG} proxy: listening on {args.host}, beyond loopback ({REMOTE_CLIENTS}): any "
        f"client that reaches it is answered; {whose}"
    )


def fail(error: BaseException | str) -> int:
    """Say ``error`` on stderr, in one printable line; the usage error's exit code, 2."""
    from openapi.remote.masking import printable

    print(printable(f"{PROG}: {error}"), file=sys.stderr)
    return 2


def check_outputs(args: argparse.Namespace, *options: str) -> None:
    """``Refused`` when a file an option names could not be written: an empty name, a
    missing folder, or a name that holds something else than a regular file (a device
    node, a FIFO, a folder), which writing would replace (said before anything runs, not
    at the end)."""
    from openapi.files import NotRegularFile, check_output

    for option in options:
        value = getattr(args, option.lstrip("-").replace("-", "_"))
        if value is None:
            continue
        try:
            check_output(value)
        except NotRegularFile as error:
            raise Refused(f"{option} {error}") from None
        if option in RECORDING_OPTIONS:
            from mock_server.proxy.record import report_path

            try:
                check_output(report_path(value))
            except NotRegularFile as error:
                raise Refused(f"{option} {value}: its report {error}") from None
