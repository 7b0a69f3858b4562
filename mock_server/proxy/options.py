"""What ``everflow-mock proxy`` and ``record`` share: refusals, the key, the upstream.

Standard library only: the parser imports this.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

PROG = "everflow-mock"
EXIT_INTERRUPTED = 130
NO_SCRUB_ACK = "--i-know-this-keeps-secrets"


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


def fail(error: BaseException | str) -> int:
    """Say ``error`` on stderr, in one printable line; the usage error's exit code, 2."""
    from openapi.remote.masking import printable

    print(printable(f"{PROG}: {error}"), file=sys.stderr)
    return 2


def check_outputs(args: argparse.Namespace, *options: str) -> None:
    """``Refused`` when a file an option names could not be written: its folder is
    missing (said before the proxy runs, not at its end)."""
    for option in options:
        value = getattr(args, option.lstrip("-").replace("-", "_"))
        if value is not None and not Path(value).resolve().parent.is_dir():
            raise Refused(f"{option} {value}: no folder {Path(value).resolve().parent}")
