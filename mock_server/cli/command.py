"""The ``everflow-mock`` command: generate postbacks, list the catalogue, serve the mock,
fire a conversion, proxy the real API and record it.

Only the standard library and two light modules of this package are imported at load, so
``--help`` and ``--version`` answer at once; each subcommand imports what it needs (Faker,
PyYAML, openapi-core, Flask, the server) when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from mock_server.cli.fire import ADMIN_TOKEN_ENV, add_fire_arguments, run_fire
from mock_server.cli.generate import DELIVERY_METHODS, run_generate, run_list
from mock_server.cli.proxy import add_proxy_arguments, run_proxy
from mock_server.cli.record import add_record_arguments, run_record
from mock_server.cli.serve import add_serve_arguments, run_serve
from mock_server.cli.values import positive_integer
from openapi.remote.defaults import KEY_ENV


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows ``(default: X)`` after every option that has a value, unless its help already
    says what happens without it (options whose default is None or off)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


class _VersionAction(argparse.Action):
    """``--version``: the installed distribution's version, looked up only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(
            option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=kwargs.get("help")
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        from openapi.installation import DISTRIBUTION

        try:
            said = version(DISTRIBUTION)
        except PackageNotFoundError:  # run from a bare checkout
            said = f"(unknown: {DISTRIBUTION} is not installed)"
        print(f"{parser.prog} {said}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``everflow-mock`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="everflow-mock",
        description="A mock of Everflow's partner postback API, and fake postbacks for tests.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, help="print the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = commands.add_parser(
        "generate",
        help="write a JSON array of fake postbacks (usable as serve --data)",
        description="Write a JSON array of fake postbacks, valid against the spec.",
        formatter_class=_HelpFormatter,
    )
    generate.add_argument("--count", type=positive_integer, default=10, help="how many")
    generate.add_argument("--seed", type=int, default=0, help="random seed")
    generate.add_argument("--start-id", type=positive_integer, default=1, help="first pixel id")
    generate.add_argument(
        "--delivery-method",
        choices=DELIVERY_METHODS,
        help="only this method (default: every method, in turn with the other variants)",
    )
    generate.add_argument("--out", metavar="FILE", help="write here (default: stdout)")
    generate.set_defaults(handler=run_generate)

    listing = commands.add_parser(
        "list",
        help="print which built-in id is which variant",
        description="Print which built-in pixel id is which variant.",
        formatter_class=_HelpFormatter,
    )
    listing.add_argument("--seed", type=int, default=0, help="catalogue seed")
    listing.set_defaults(handler=run_list)

    fire = commands.add_parser(
        "fire",
        help="fire a conversion through a running mock and print the deliveries",
        description="Fire a conversion, event or paid click through a running mock (POST "
        "/__admin/conversions) and print every delivery it made. Exit 1 when no postback "
        "applied (or not as many as --expect) or a delivery failed or was refused; 2 when "
        "the mock refused the conversion, could not be reached or redirected (never "
        f"followed). An admin token is read from {ADMIN_TOKEN_ENV}.",
        formatter_class=_HelpFormatter,
    )
    add_fire_arguments(fire)
    fire.set_defaults(handler=run_fire)

    serve = commands.add_parser(
        "serve",
        help="run the mock server",
        description="Serve the mock until Ctrl-C or SIGTERM, one access line per request.",
        formatter_class=_HelpFormatter,
    )
    add_serve_arguments(serve)
    serve.set_defaults(handler=run_serve)

    proxy = commands.add_parser(
        "proxy",
        help="forward to the real API and judge every answer by the spec",
        description="Forward API requests to the upstream, answer with its answers unchanged "
        "plus X-Everflow-Violations, journal and log every violation, and print a summary "
        "on Ctrl-C or SIGTERM. Read-only unless --allow-writes. The caller's "
        f"X-Eflow-Api-Key is passed on, or ${KEY_ENV} added. Exit 1 when an answer broke "
        "the spec or a request got no usable answer (502, 504).",
        formatter_class=_HelpFormatter,
    )
    add_proxy_arguments(proxy)
    proxy.set_defaults(handler=run_proxy)

    record = commands.add_parser(
        "record",
        help="record production's postbacks, and the offers and partners they name, as a "
        "scrubbed data file for serve --data",
        description="Read postbacks (the ids given, or every one the key can list, paged), "
        "then the offers and partners they name, and write them as a data file that "
        "serve --data loads, scrubbed of secrets and "
        "personal data, with a report next to it (FILE.scrub.json). Read-only.",
        formatter_class=_HelpFormatter,
    )
    add_record_arguments(record)
    record.set_defaults(handler=run_record)
    return parser


def _known_errors() -> tuple[type[BaseException], ...]:
    """What ends a command with one line and exit 2. Looked up only once something is
    raised: the modules that define these load PyYAML and openapi-core."""
    from mock_server.data.datafile import DataFileError
    from mock_server.data.records import InvalidRecords

    return (OSError, DataFileError, InvalidRecords)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``everflow-mock``; returns the process exit code."""
    from openapi.installation import exit_on_clash  # before anything that could be shadowed

    exit_on_clash("everflow-mock")
    args = build_parser().parse_args(argv)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        return 0
    except _known_errors() as error:
        print(f"everflow-mock: {error}", file=sys.stderr)
        return 2
    return code
