"""``everflow-mock generate`` and ``everflow-mock list``: fake postbacks out, and which
built-in id is which variant."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# fixtures.vocabulary.DELIVERY_METHODS, written out because importing the fixtures package
# loads Faker, which alone would take --help past its budget. test_command.py holds them equal.
DELIVERY_METHODS = ("postback", "html", "facebook", "tiktok", "snapchat", "rumble")


def run_generate(args: argparse.Namespace) -> int:
    import json

    from fixtures import PostbackFactory
    from mock_server.data.records import MAX_ID

    last = args.start_id + args.count - 1
    if last > MAX_ID:
        print(
            f"everflow-mock: --start-id {args.start_id} and --count {args.count} would write ids "
            f"up to {last}, past {MAX_ID}, the largest id the API (and serve) takes",
            file=sys.stderr,
        )
        return 2
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


def run_list(args: argparse.Namespace) -> int:
    from mock_server.data.catalogue import builtin_postbacks, catalogue_rows, format_table

    print(format_table(catalogue_rows(builtin_postbacks(args.seed))))
    return 0
