"""``everflow-contract``: judge a running API (the real one, or a mock) by the spec."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from contract_tests.client import ContractClient, UnsafeTarget, check_base_url, is_loopback
from contract_tests.findings import redact
from contract_tests.reporting import junit_xml, markdown, summary
from contract_tests.suite import DEFAULT_MISSING_ID, run_contract

PIXEL_IDS_ENV = "EVERFLOW_PIXEL_IDS"
# Sent to loopback targets when no key is set. Not a secret, and random enough that masking
# it (the client masks its key in every answer) never touches real data.
LOOPBACK_PLACEHOLDER_KEY = "local-7c2f9d41e8b3"


def _pixel_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"pixel ids must be integers, not {text!r}") from None
    if any(i < 1 for i in ids):
        raise argparse.ArgumentTypeError(f"pixel ids must be positive, not {text!r}")
    return ids


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``everflow-contract``."""
    parser = argparse.ArgumentParser(
        prog="everflow-contract",
        description="Check an Everflow API (or a mock of it) against the partner postback spec. "
        "GET only; the key is read from an environment variable and never printed.",
    )
    parser.add_argument("--base-url", required=True, help="e.g. https://api.eflow.team/v1")
    parser.add_argument(
        "--pixel-id",
        type=_pixel_ids,
        action="append",
        metavar="ID",
        help=f"a pixel id that exists (repeatable; or {PIXEL_IDS_ENV}=12,34)",
    )
    parser.add_argument(
        "--api-key-env",
        default="EVERFLOW_API_KEY",
        metavar="VAR",
        help="environment variable holding the key (default EVERFLOW_API_KEY)",
    )
    parser.add_argument("--junit", metavar="FILE", help="write JUnit XML here")
    parser.add_argument("--report", metavar="FILE.md", help="write a Markdown report here")
    parser.add_argument("--strict", action="store_true", help="drift warnings fail the run")
    parser.add_argument("--rate", type=float, default=5.0, help="requests per second (default 5)")
    parser.add_argument("--retries", type=int, default=3, help="retries of 429/5xx (default 3)")
    parser.add_argument("--backoff", type=float, default=0.5, help="first retry delay, seconds")
    parser.add_argument(
        "--missing-id", type=int, default=DEFAULT_MISSING_ID, help="an id expected to be 404"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``everflow-contract``: 0 when all holds, 1 on a violation, 2 on a usage error or
    when probes were left unanswered (unreachable, timed out, out of time, told to wait). A missing key skips the run (0) with the reason."""
    parser = build_parser()
    args = parser.parse_args(argv)
    ids = [i for group in args.pixel_id or [] for i in group]
    if not ids and os.environ.get(PIXEL_IDS_ENV):
        try:
            ids = _pixel_ids(os.environ[PIXEL_IDS_ENV])
        except argparse.ArgumentTypeError as error:
            parser.error(str(error))
    if not ids:
        parser.error(f"give at least one --pixel-id (or set {PIXEL_IDS_ENV})")
    try:
        url = check_base_url(args.base_url)
    except UnsafeTarget as error:
        print(f"everflow-contract: {error}", file=sys.stderr)
        return 2
    key = os.environ.get(args.api_key_env, "")
    secrets = [key] if key else []  # the placeholder is no secret: masking it would mangle text
    if not key:
        if not is_loopback(url.host):
            print(f"everflow-contract: skipped: no API key in ${args.api_key_env}")
            return 0
        key = LOOPBACK_PLACEHOLDER_KEY
    client = ContractClient(
        args.base_url, key, rate=args.rate, retries=args.retries, backoff=args.backoff
    )
    try:
        report = run_contract(
            client, args.base_url, ids, strict=args.strict, missing_id=args.missing_id
        )
    finally:
        client.close()
    sys.stdout.write(summary(report, secrets))
    try:
        if args.junit:
            Path(args.junit).write_text(junit_xml(report, secrets), encoding="utf-8")
        if args.report:
            Path(args.report).write_text(markdown(report, secrets), encoding="utf-8")
    except OSError as error:
        print(redact(f"everflow-contract: cannot write report: {error}", secrets), file=sys.stderr)
        return 2
    if report.unfinished:
        return 2
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
