"""``everflow-contract``'s options: the parser, and the values it reads (pixel ids, numbers
with bounds). Standard library and the light defaults modules only, so ``--help`` is quick."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from contract_tests.defaults import (
    DEFAULT_MISSING_ID,
    PIXEL_IDS_ENV,
)
from openapi.remote.defaults import (
    DEFAULT_BACKOFF,
    DEFAULT_MAX_TIME,
    DEFAULT_RATE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    KEY_ENV,
)
from openapi.remote.values import number, pixel_ids, positive

PROG = "everflow-contract"
DISTRIBUTION = "everflow-postback-kit"


class UsageError(Exception):
    """A one-line reason the run cannot start (exit 2)."""


def missing_key(name: str, option: str) -> UsageError:
    """Why a run told to require its key (``option``: ``--require-key``, or the pytest form's
    ``--everflow-require-key``) cannot start: ``$name`` is unset or empty. One rule for both
    forms, so that a secret gone missing in CI fails the job instead of skipping the check.
    Names the variable, never a value."""
    return UsageError(f"no API key in ${name} ({option}): set it, or drop the option")


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, not argparse's usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


_non_negative = number(float, 0.0, inclusive=True)
_count = number(int, 0, inclusive=True)
_id = number(int, 1, inclusive=True)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed)"


class _VersionAction(argparse.Action):
    """``--version``, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> NoReturn:
        sys.stdout.write(f"{parser.prog} {_version()} ({DISTRIBUTION})\n")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``everflow-contract``."""
    parser = _Parser(
        prog=PROG,
        description="Check an Everflow API (or a mock of it) against the partner postback spec. "
        "Read-only unless --allow-writes (search is a POST, and changes nothing); the key is "
        "read from an environment variable and never printed. "
        "Exit 0: the contract holds (or skipped: no key for a remote target, reports "
        "saying so); 1: a violation; "
        "2: a usage error, or probes left unanswered (unreachable, --timeout, --max-time, "
        "a Retry-After the run will not wait for); 130: interrupted (after deleting the "
        "run's probe postbacks).",
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument(
        "--base-url",
        help="the API base URL, ending in /v1, e.g. https://api.eflow.team/v1; plain http "
        "only to loopback, no credentials in it (default: none; required unless --recording)",
    )
    parser.add_argument(
        "--recording",
        metavar="FILE",
        help="check no API: run the body checks on a recording of production's answers "
        "(everflow-mock record), offline and without a key (default: none)",
    )
    parser.add_argument(
        "--pixel-id",
        type=pixel_ids,
        action="append",
        metavar="ID",
        help=f"a pixel id that exists; repeatable, or 12,34 (default: ${PIXEL_IDS_ENV})",
    )
    parser.add_argument(
        "--api-key-env",
        metavar="VAR",
        help=f"environment variable holding the key (default: {KEY_ENV}; unset or empty "
        "there: a remote target is skipped; a variable named here must be set)",
    )
    parser.add_argument(
        "--require-key",
        action="store_true",
        help="a missing (unset or empty) key is a usage error (exit 2), never a skip; for CI, "
        "where a secret that is gone must not turn the check green (default: off)",
    )
    parser.add_argument("--junit", metavar="FILE", help="write JUnit XML here (default: none)")
    parser.add_argument(
        "--report", metavar="FILE.md", help="write a Markdown report here (default: none)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="drift warnings fail the run (default: off)"
    )
    parser.add_argument(
        "--rate",
        type=positive,
        default=DEFAULT_RATE,
        metavar="PER_S",
        help="requests per second, > 0 (default: %(default)g)",
    )
    parser.add_argument(
        "--retries",
        type=_count,
        default=DEFAULT_RETRIES,
        metavar="N",
        help="retries of a 429 or 5xx answer, >= 0 (default: %(default)d)",
    )
    parser.add_argument(
        "--backoff",
        type=_non_negative,
        default=DEFAULT_BACKOFF,
        metavar="S",
        help="first retry delay in seconds, doubled each retry (default: %(default)g)",
    )
    parser.add_argument(
        "--timeout",
        type=positive,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help="seconds one request may take, connect to last byte (default: %(default)g)",
    )
    parser.add_argument(
        "--max-time",
        type=positive,
        default=DEFAULT_MAX_TIME,
        metavar="S",
        help="seconds the whole run may take, retries and waits included (default: %(default)g)",
    )
    parser.add_argument(
        "--allow-writes",
        action="store_true",
        help="also create, read, replace and delete one inactive probe postback (and try one "
        "rule-breaking create), deleting whatever the run created in any case, even on "
        "Ctrl-C (default: off, read-only)",
    )
    parser.add_argument(
        "--cleanup",
        action="store_true",
        help="run no probes: delete the probe postbacks earlier runs left behind (found by a "
        "description search; only descriptions starting 'everflow-contract probe ') "
        "(default: off)",
    )
    parser.add_argument(
        "--missing-id",
        type=_id,
        default=DEFAULT_MISSING_ID,
        metavar="ID",
        help="an id expected to be 404 (default: %(default)d)",
    )
    for kind, noun in (("offer", "an offer"), ("affiliate", "a partner (affiliate)")):
        parser.add_argument(
            f"--{kind}-id",
            type=ids_of(f"{kind} ids"),
            action="append",
            metavar="ID",
            help=f"{noun} to read (read-only); repeatable, or 12,34 (default: the first one "
            "a postback read names)",
        )
    return parser


def ids_of(noun: str) -> Callable[[str], list[int]]:
    """``pixel_ids`` for other ids: the same forms, its message naming ``noun``."""

    def parse(text: str) -> list[int]:
        try:
            return pixel_ids(text)
        except argparse.ArgumentTypeError as error:
            raise argparse.ArgumentTypeError(str(error).replace("pixel ids", noun)) from None

    return parse
