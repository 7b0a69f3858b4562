"""``everflow-contract``: judge a running API (the real one, or a mock) by the spec.

Only the standard library and the two light defaults modules (``contract_tests.defaults``,
``openapi.remote.defaults``) load for ``--help`` and
``--version``; httpx, openapi-core and the suite are imported when a run starts.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

from contract_tests.defaults import (
    DEFAULT_MISSING_ID,
    PIXEL_IDS_ENV,
    READ_REQUESTS_BEYOND_IDS,
    WRITE_REQUESTS,
)
from openapi.remote.defaults import (
    DEFAULT_BACKOFF,
    DEFAULT_MAX_TIME,
    DEFAULT_RATE,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    KEY_ENV,
)

if TYPE_CHECKING:
    from openapi.remote.findings import Report

PROG = "everflow-contract"
DISTRIBUTION = "everflow-postback-kit"
# Sent to loopback targets when no key is set. Not a secret, and random enough that masking
# it (the client masks its key in every answer) never touches real data.
LOOPBACK_PLACEHOLDER_KEY = "local-7c2f9d41e8b3"
EXIT_INTERRUPTED = 130
WRITING_REPORTS = f"{PROG}: interrupted; writing the reports first\n"

Number = TypeVar("Number", int, float)


class UsageError(Exception):
    """A one-line reason the run cannot start (exit 2)."""


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, not argparse's usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def pixel_ids(text: str) -> list[int]:
    """``12``, ``12,34`` or ``12 34`` as pixel ids (positive integers); an argparse type, and
    how ``--everflow-pixel-id`` reads its value too."""
    try:
        ids = [int(part) for part in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"pixel ids must be integers, not {text!r}") from None
    if any(i < 1 for i in ids):
        raise argparse.ArgumentTypeError(f"pixel ids must be positive, not {text!r}")
    return ids


def _number(
    kind: Callable[[str], Number], minimum: Number, inclusive: bool
) -> Callable[[str], Number]:
    """An argparse type: a finite number above (or from) ``minimum``."""
    bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"

    def parse(text: str) -> Number:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number {bound}, not {text!r}") from None
        if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
            raise argparse.ArgumentTypeError(f"must be a number {bound}, not {text!r}")
        return value

    return parse


_positive = _number(float, 0.0, inclusive=False)
_non_negative = _number(float, 0.0, inclusive=True)
_count = _number(int, 0, inclusive=True)
_id = _number(int, 1, inclusive=True)


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
        type=_positive,
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
        type=_positive,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help="seconds one request may take, connect to last byte (default: %(default)g)",
    )
    parser.add_argument(
        "--max-time",
        type=_positive,
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
    return parser


def _ids(args: argparse.Namespace) -> list[int]:
    ids = [i for group in args.pixel_id or [] for i in group]
    if not ids and os.environ.get(PIXEL_IDS_ENV):
        try:
            ids = pixel_ids(os.environ[PIXEL_IDS_ENV])
        except argparse.ArgumentTypeError as error:
            raise UsageError(f"{PIXEL_IDS_ENV}: {error}") from None
    if not ids:
        raise UsageError(f"give at least one --pixel-id (or set {PIXEL_IDS_ENV})")
    return ids


def _key(args: argparse.Namespace, remote: bool) -> str | None:
    """The key; ``None`` when the default variable is unset for a remote target (skip)."""
    name: str = args.api_key_env or KEY_ENV
    key = os.environ.get(name, "")
    if not key:
        if args.api_key_env is not None:
            raise UsageError(f"${name} is not set: put the API key there (--api-key-env {name})")
        if args.require_key:
            raise UsageError(f"no API key in ${name} (--require-key): set it, or drop the option")
        return None if remote else ""
    if not (key.isascii() and key.isprintable()):
        raise UsageError(f"the key in ${name} has characters an HTTP header cannot carry")
    return key


def _check_budget(args: argparse.Namespace, requests: int) -> None:
    needed = (requests - 1) / args.rate
    if needed >= args.max_time:
        raise UsageError(
            f"{requests} requests at --rate {args.rate:g}/s need {needed:g} s, more than "
            f"--max-time {args.max_time:g} s; raise --max-time or --rate"
        )


def _write(report: Report, args: argparse.Namespace, secrets: list[str]) -> None:
    from openapi.remote.reporting import junit_xml, markdown, summary

    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")  # a server's text on an ASCII terminal
    sys.stdout.write(summary(report, secrets))
    if args.junit:
        Path(args.junit).write_text(junit_xml(report, secrets), encoding="utf-8")
    if args.report:
        Path(args.report).write_text(markdown(report, secrets), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``everflow-contract``: 0 when all holds, 1 on a violation, 2 on a usage error or
    when probes were left unanswered (unreachable, timed out, out of time, told to wait),
    130 when interrupted (Ctrl-C or SIGTERM), the reports written in every case but a usage
    error. A missing key (default variable) for a remote target skips the run (0), its
    reports saying why, unless ``--require-key``.

    ``--max-time`` counts from here, imports and the spec's loading included."""
    started = time.monotonic()
    try:
        return _main(argv, started)
    except KeyboardInterrupt:  # before the run began, or between its end and the reports
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _main(argv: Sequence[str] | None, started: float) -> int:
    from openapi.installation import exit_on_clash  # before anything that could be shadowed

    exit_on_clash("everflow-contract")
    args = build_parser().parse_args(argv)
    if args.recording is not None:
        live = [o for o, v in _LIVE_ONLY.items() if getattr(args, v)]
        if live:
            print(
                f"{PROG}: error: --recording checks no API; drop {', '.join(live)}", file=sys.stderr
            )
            return 2
        return _check_recording(args)
    if args.base_url is None:
        print(f"{PROG}: error: give --base-url (or --recording FILE) (see --help)", file=sys.stderr)
        return 2
    from contract_tests.interrupts import interrupts_held_back, terminate_as_interrupt
    from openapi.remote.client import UnsafeTarget, check_base_url, is_loopback
    from openapi.remote.findings import Mode, Report, RunInterrupted, interrupted
    from openapi.remote.masking import printable, redact

    try:
        ids = [] if args.cleanup else _ids(args)
        url = check_base_url(args.base_url)
        key = _key(args, remote=not is_loopback(url.host))
        if not args.cleanup:
            writes = WRITE_REQUESTS if args.allow_writes else 0
            _check_budget(args, len(ids) + READ_REQUESTS_BEYOND_IDS + writes)
    except (UsageError, UnsafeTarget) as error:
        print(printable(f"{PROG}: {error}"), file=sys.stderr)
        return 2
    secrets = [key] if key else []
    mode: Mode = "cleanup" if args.cleanup else "writes" if args.allow_writes else "read-only"
    with terminate_as_interrupt():
        if key is None:
            report, code = Report(args.base_url, mode=mode, skipped=f"no API key in ${KEY_ENV}"), 0
        else:
            try:
                report = _run(args, key or LOOPBACK_PLACEHOLDER_KEY, ids, started)
                code = 2 if report.unfinished else 0 if report.passed else 1
            except RunInterrupted as stop:
                report, code = stop.report, EXIT_INTERRUPTED
            except KeyboardInterrupt:  # while the run was being set up
                report, code = (
                    interrupted(Report(args.base_url, mode=mode)).report,
                    EXIT_INTERRUPTED,
                )
        try:
            with interrupts_held_back(WRITING_REPORTS):
                _write(report, args, secrets)
        except KeyboardInterrupt:
            code = EXIT_INTERRUPTED
        except OSError as error:
            message = printable(redact(f"{PROG}: cannot write report: {error}", secrets))
            print(message, file=sys.stderr)
            return 2
    if code == EXIT_INTERRUPTED:
        print(f"{PROG}: interrupted", file=sys.stderr)
    return code


_LIVE_ONLY = {
    "--base-url": "base_url",
    "--pixel-id": "pixel_id",
    "--allow-writes": "allow_writes",
    "--cleanup": "cleanup",
    "--require-key": "require_key",
    "--api-key-env": "api_key_env",
}
"""Options of a run against an API, refused with ``--recording`` rather than ignored."""


def _check_recording(args: argparse.Namespace) -> int:
    """``--recording FILE``: the body checks offline; 0 when every postback holds, 1 on a
    violation, 2 when the file is no recording or a report cannot be written."""
    from contract_tests.recording import RecordingError, recording_report
    from openapi.remote.masking import printable

    try:
        report = recording_report(args.recording, strict=args.strict)
        _write(report, args, [])
    except (RecordingError, OSError) as error:
        print(printable(f"{PROG}: {error}"), file=sys.stderr)
        return 2
    return 0 if report.passed else 1


def _run(args: argparse.Namespace, key: str, ids: list[int], started: float) -> Report:
    from contract_tests.cleanup import run_cleanup
    from contract_tests.suite import run_contract
    from openapi.remote.client import ContractClient

    client = ContractClient(
        args.base_url,
        key,
        rate=args.rate,
        retries=args.retries,
        backoff=args.backoff,
        timeout=args.timeout,
        max_time=args.max_time,
        allow_writes=args.allow_writes or args.cleanup,
        started=started,
    )
    try:
        if args.cleanup:
            return run_cleanup(client, args.base_url)
        return run_contract(
            client, args.base_url, ids, strict=args.strict, missing_id=args.missing_id
        )
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
