"""The ``everflow-mock`` command: generate postbacks, list the catalogue, serve the mock."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from fixtures import PostbackFactory
from fixtures.vocabulary import DELIVERY_METHODS


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``everflow-mock``; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except OSError as error:
        print(f"everflow-mock: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
