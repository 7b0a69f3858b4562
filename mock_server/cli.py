"""The ``everflow-mock`` command: generate postbacks, list the catalogue, serve the mock."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from fixtures import PostbackFactory
from fixtures.vocabulary import DELIVERY_METHODS
from mock_server.catalogue import builtin_postbacks, catalogue_rows, format_table
from mock_server.config import MockConfig, RateLimit
from mock_server.datafile import DataFileError, load_data_file
from mock_server.records import InvalidRecords


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def _generate(args: argparse.Namespace) -> int:
    factory = PostbackFactory(seed=args.seed)
    overrides = {"delivery_method": args.delivery_method} if args.delivery_method else {}
    postbacks = [factory.build(args.start_id + i, **overrides) for i in range(args.count)]
    text = json.dumps(postbacks, indent=2, ensure_ascii=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.count} postbacks to {args.out}", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    print(format_table(catalogue_rows(builtin_postbacks(args.seed))))
    return 0


def _rate_limit(text: str) -> RateLimit | None:
    try:
        return RateLimit.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def _serve(args: argparse.Namespace) -> int:
    from mock_server.serve import run, server_name

    postbacks = load_data_file(args.data) if args.data else None
    config = MockConfig(
        seed=args.seed,
        postbacks=postbacks,
        api_keys=tuple(args.api_key or ()),
        dynamic=args.dynamic,
        error_key=args.error_key,
        rate_limit=args.rate_limit,
        delay_ms=args.delay,
        fault_rate=args.fault_rate,
    )
    base = f"http://{args.host}:{args.port}"
    source = args.data or f"built-in catalogue, seed {args.seed}"
    count = len(postbacks) if postbacks is not None else len(builtin_postbacks(args.seed))
    limit = config.rate_limit
    limit_text = f"{limit.rate:g}/s, burst {limit.burst}" if limit else "off"
    key_text = "one of your --api-key values" if config.api_keys else "any-non-empty-key"

    def banner() -> None:
        print(
            f"everflow-mock: Everflow partner postback mock on {base}/v1 ({server_name(args.server)}, "
            f"{args.workers} worker{'s' if args.workers > 1 else ''})\n"
            f"  {count} postbacks from {source}; unknown ids: "
            f"{'generated (dynamic)' if args.dynamic else '404'}; rate limit: {limit_text}\n"
            f"  try: curl -H 'X-Eflow-Api-Key: {key_text}' {base}/v1/networks/pixels/3\n"
            f"  admin: {base}/__admin/health  spec: {base}/openapi.yaml  stop: Ctrl-C",
            flush=True,
        )

    run(config, args.host, args.port, args.workers, banner, args.server)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``everflow-mock`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="everflow-mock",
        description="A mock of Everflow's partner postback API, and fake postbacks for tests.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = commands.add_parser(
        "generate", help="write a JSON array of fake postbacks (usable as serve --data)"
    )
    generate.add_argument("--count", type=_positive, default=10, help="how many (default 10)")
    generate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    generate.add_argument(
        "--start-id", type=_positive, default=1, help="first pixel id (default 1)"
    )
    generate.add_argument("--delivery-method", choices=DELIVERY_METHODS, help="only this method")
    generate.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    generate.set_defaults(handler=_generate)

    listing = commands.add_parser("list", help="print which built-in id is which variant")
    listing.add_argument("--seed", type=int, default=0, help="catalogue seed (default 0)")
    listing.set_defaults(handler=_list)

    serve = commands.add_parser("serve", help="run the mock server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=4010, help="port (default 4010)")
    serve.add_argument("--seed", type=int, default=0, help="catalogue and dynamic seed")
    serve.add_argument(
        "--data", metavar="FILE", help="serve these postbacks (JSON array or YAML list)"
    )
    serve.add_argument(
        "--api-key",
        action="append",
        metavar="KEY",
        help="accept only these keys (repeatable); without it any non-empty key is accepted",
    )
    serve.add_argument("--dynamic", action="store_true", help="answer unknown ids with fakes")
    serve.add_argument("--error-key", choices=("error", "Error"), default="error")
    serve.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=RateLimit(),
        metavar="RATE/BURST|off",
        help="token bucket per key (default 30/50)",
    )
    serve.add_argument(
        "--delay", type=int, default=0, metavar="MS", help="latency for every request"
    )
    serve.add_argument(
        "--fault-rate",
        type=_fraction,
        default=0.0,
        metavar="P",
        help="share of requests answered with a random fault (0..1)",
    )
    serve.add_argument(
        "--workers", type=_positive, default=1, help="server processes (state is per worker)"
    )
    serve.add_argument(
        "--server",
        choices=("auto", "granian", "waitress"),
        default="auto",
        help="WSGI server (default: granian when installed, else waitress)",
    )
    serve.set_defaults(handler=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``everflow-mock``; returns the process exit code."""
    from openapi.installation import exit_on_clash  # before anything that could be shadowed

    exit_on_clash("everflow-mock")
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except (OSError, DataFileError, InvalidRecords) as error:
        print(f"everflow-mock: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
