"""``everflow-contract``: judge a running API (the real one, or a mock) by the spec.

Only the standard library and the two light defaults modules (``contract_tests.defaults``,
``openapi.remote.defaults``) load for ``--help`` and
``--version``; httpx, openapi-core and the suite are imported when a run starts.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from contract_tests.defaults import (
    PIXEL_IDS_ENV,
    READ_REQUESTS_BEYOND_IDS,
    WRITE_REQUESTS,
)
from contract_tests.options import PROG, UsageError, build_parser, missing_key
from openapi.remote.defaults import (
    KEY_ENV,
)
from openapi.remote.values import pixel_ids

if TYPE_CHECKING:
    from openapi.remote.findings import Report

# Sent to loopback targets when no key is set. Not a secret, and random enough that masking
# it (the client masks its key in every answer) never touches real data.
LOOPBACK_PLACEHOLDER_KEY = "local-7c2f9d41e8b3"
EXIT_INTERRUPTED = 130
WRITING_REPORTS = f"{PROG}: interrupted; writing the reports first\n"


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
            raise missing_key(name, "--require-key")
        return None if remote else ""
    from openapi.remote.targets import carriable

    if not carriable(key):
        raise UsageError(f"the key in ${name} has characters an HTTP header cannot carry")
    return key


def _check_budget(args: argparse.Namespace, requests: int) -> None:
    needed = (requests - 1) / args.rate
    if needed >= args.max_time:
        raise UsageError(
            f"{requests} requests at --rate {args.rate:g}/s need {needed:g} s, more than "
            f"--max-time {args.max_time:g} s; raise --max-time or --rate"
        )


def _check_outputs(args: argparse.Namespace) -> None:
    """``UsageError`` when ``--junit`` or ``--report`` names what no report may be written
    over (a device, a FIFO, a folder, an empty name, a missing folder): said before the
    run, not after it."""
    from openapi.files import NotRegularFile, check_output

    for option, value in (("--junit", args.junit), ("--report", args.report)):
        if value is not None:
            try:
                check_output(value)
            except NotRegularFile as error:
                raise UsageError(f"{option} {error}") from None


def _write(report: Report, args: argparse.Namespace, secrets: list[str]) -> None:
    from openapi.remote.reporting import summary, write_reports

    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")  # a server's text on an ASCII terminal
    sys.stdout.write(summary(report, secrets))
    write_reports(report, secrets, junit_path=args.junit, markdown_path=args.report)


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
    try:
        _check_outputs(args)
    except UsageError as error:
        from openapi.remote.masking import printable

        print(printable(f"{PROG}: error: {error}"), file=sys.stderr)
        return 2
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
    from openapi.remote.findings import Mode, Report, RunInterrupted, interrupted
    from openapi.remote.interrupts import interrupts_held_back, terminate_as_interrupt
    from openapi.remote.masking import printable, redact
    from openapi.remote.targets import UnsafeTarget, check_base_url, is_loopback

    try:
        ids = [] if args.cleanup else _ids(args)
        url = check_base_url(args.base_url)
        key = _key(args, remote=not is_loopback(url.host))
        if not args.cleanup:
            writes = WRITE_REQUESTS if args.allow_writes else 0
            # READ_REQUESTS_BEYOND_IDS counts one offer and one partner read
            extra = sum(
                max(0, len(_flat(getattr(args, f"{k}_id"))) - 1) for k in ("offer", "affiliate")
            )
            _check_budget(args, len(ids) + READ_REQUESTS_BEYOND_IDS + writes + extra)
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
            client,
            args.base_url,
            ids,
            strict=args.strict,
            missing_id=args.missing_id,
            offer_ids=_flat(args.offer_id),
            affiliate_ids=_flat(args.affiliate_id),
        )
    finally:
        client.close()


def _flat(given: list[list[int]] | None) -> list[int]:
    """The ids of a repeatable id option (each value a list), in order."""
    return [entity_id for ids in given or () for entity_id in ids]


if __name__ == "__main__":
    sys.exit(main())
