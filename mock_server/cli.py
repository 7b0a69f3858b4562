"""The ``everflow-mock`` command: generate postbacks, list the catalogue, serve the mock.

Only the standard library and two light modules of this package are imported at load, so
``--help`` and ``--version`` answer at once; each subcommand imports what it needs (Faker,
PyYAML, openapi-core, Flask, the server) when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mock_server.clock import ClockSetting, parse_clock
from mock_server.config import KEY_KINDS, MockConfig, RateLimit, key_kinds
from mock_server.controls import MAX_DELAY_MS
from mock_server.fire_command import ADMIN_TOKEN_ENV, add_fire_arguments, run_fire
from mock_server.serve import SERVERS, THREADS, ServerOptions, claim, run, server_name

DISTRIBUTION = "everflow-postback-kit"

# fixtures.vocabulary.DELIVERY_METHODS, written out because importing the fixtures package
# loads Faker, which alone would take --help past its budget. test_cli.py holds them equal.
DELIVERY_METHODS = ("postback", "html", "facebook", "tiktok", "snapchat", "rumble")

DEFAULTS = MockConfig()
MIB = 1024 * 1024


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

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        print(f"{parser.prog} {installed_version()}")
        parser.exit()


def installed_version() -> str:
    """The version of the installed ``everflow-postback-kit``, or a note that it is not
    installed (run from a bare checkout)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return f"(unknown: {DISTRIBUTION} is not installed)"


def _positive(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def _integer(text: str) -> int:
    # int() of a huge digit string raises ValueError past 4,300 digits; argparse turns
    # ArgumentTypeError into a usage line, and a long number is not a useful thing to echo.
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, not {text[:40]!r}") from None


def _delay(text: str) -> int:
    value = _integer(text)
    if not 0 <= value <= MAX_DELAY_MS:
        raise argparse.ArgumentTypeError(
            f"must be 0 to {MAX_DELAY_MS} milliseconds (the cap of Prefer: delay), not {text}"
        )
    return value


def _port(text: str) -> int:
    value = _integer(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, not {text}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds, not {text[:40]!r}"
        ) from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(
            f"must be more than 0 and at most 3600 seconds, not {text}"
        )
    return value


def _size(text: str) -> int:
    """Bytes: ``1048576``, ``512k`` (KiB) or ``1m`` (MiB)."""
    number, unit = text.strip(), 1
    if number[-1:].lower() in ("k", "m"):
        number, unit = number[:-1], {"k": 1024, "m": MIB}[number[-1].lower()]
    if not number.isdigit() or int(number) < 1:
        raise argparse.ArgumentTypeError(
            f"must be a positive number of bytes, like 1048576, 512k or 1m, not {text[:40]!r}"
        )
    return int(number) * unit


def _size_text(size: int) -> str:
    """``size`` as ``_size`` reads it, in the largest unit that divides it."""
    for suffix, unit in (("m", MIB), ("k", 1024)):
        if size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


def _rate_limit(text: str) -> RateLimit | None:
    try:
        return RateLimit.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _clock(text: str) -> ClockSetting:
    try:
        return parse_clock(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, not {text[:40]!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def _destination(text: str) -> str:
    from mock_server.firing import parse_destination  # only when the option is given

    try:
        parse_destination(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _token(text: str) -> str:
    if not text or not all(33 <= ord(c) <= 126 for c in text):
        # Said without the value: it is a secret.
        raise argparse.ArgumentTypeError("must be printable ASCII without spaces, and not empty")
    return text


def _generate(args: argparse.Namespace) -> int:
    import json

    from fixtures import PostbackFactory
    from mock_server.records import MAX_SERVABLE_ID

    last = args.start_id + args.count - 1
    if last > MAX_SERVABLE_ID:
        print(
            f"everflow-mock: --start-id {args.start_id} and --count {args.count} would write ids "
            f"up to {last}, past {MAX_SERVABLE_ID}, the largest id the API (and serve) takes",
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


def _list(args: argparse.Namespace) -> int:
    from mock_server.catalogue import builtin_postbacks, catalogue_rows, format_table

    print(format_table(catalogue_rows(builtin_postbacks(args.seed))))
    return 0


def _serve(args: argparse.Namespace) -> int:
    from mock_server.catalogue import builtin_catalogue
    from mock_server.datafile import load_data_file

    options = ServerOptions(
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        server=args.server,
        access_log=not args.quiet,
    )
    # The port first: a busy one is the commonest mistake, and says so before a big file loads.
    with claim(options.host, options.port) as listener:
        api_keys, admin_token = _secrets(args)
        postbacks = load_data_file(args.data, allow_drift=args.allow_drift) if args.data else None
        config = MockConfig(
            seed=args.seed,
            postbacks=postbacks,
            api_keys=api_keys,
            dynamic=args.dynamic,
            error_key=args.error_key,
            rate_limit=args.rate_limit,
            delay_ms=args.delay,
            fault_rate=args.fault_rate,
            max_body=args.max_body,
            read_timeout=args.read_timeout,
            max_keys=args.max_keys,
            journal_size=args.journal_size,
            journal_bytes=args.journal_bytes,
            admin_token=admin_token,
            clock=args.clock,
            deliver_to=tuple(args.deliver_to or ()),
        )
        source = args.data or f"built-in catalogue, seed {args.seed}"
        data = postbacks if postbacks is not None else builtin_catalogue(args.seed)
        ids = list(data.encoded)
        count = len(ids)
        # An id the data has (3, as the README's examples, when it is there).
        try_id = 3 if 3 in ids or args.dynamic or not ids else ids[0]
        limit = config.rate_limit
        limit_text = f"{limit.rate:g}/s, burst {limit.burst}" if limit else "off"
        kinds = key_kinds(config.api_keys)
        key_text = (
            "any-non-empty-key"
            if not kinds
            else "one of your network --api-key values"
            if "network" in kinds.values()
            else "a network key: yours are all partner, affiliate or advertiser keys, "
            "which every API call answers with 403 Out of realm"
        )
        admin_text = "bearer token needed" if config.admin_token else "loopback only"
        base = options.root

        def banner() -> None:
            workers = f"{args.workers} worker{'s' if args.workers > 1 else ''}"
            print(
                f"everflow-mock: Everflow partner postback mock on {base}/v1 "
                f"({server_name(args.server)}, {workers})\n"
                f"  {count} postbacks from {source}; unknown ids: "
                f"{'generated (dynamic)' if args.dynamic else '404'}; rate limit: {limit_text}\n"
                f"  try: curl -H 'X-Eflow-Api-Key: {key_text}' {base}/v1/networks/pixels/{try_id}\n"
                f"  admin: {base}/__admin/health ({admin_text})  spec: {base}/openapi.yaml"
                f"  stop: Ctrl-C",
                flush=True,
            )

        run(config, options, banner, listener)
    return 0


API_KEY_ENV = "EVERFLOW_MOCK_API_KEY"


def _secret_lines(path: str, option: str, what: str) -> list[str]:
    """The non-blank lines of ``path`` (named by ``option``), stripped; an ``OSError``
    (exit 2) naming the option if it cannot be read, starts with a byte-order mark (which
    would become part of the secret) or holds none."""
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise OSError(f"{option} {path}: {reason or error}") from None
    if text.startswith("\ufeff"):
        raise OSError(f"{option} {path}: starts with a UTF-8 byte-order mark; save it without one")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise OSError(f"{option} {path}: no {what} in the file")
    return lines


def _secrets(args: argparse.Namespace) -> tuple[tuple[str, ...], str | None]:
    """The API keys and admin token from the options, the files they name and the
    environment, which keep them out of ``ps`` (said without the values if wrong)."""
    import os

    keys = list(args.api_key or ())
    if args.api_key_file:
        keys += _secret_lines(args.api_key_file, "--api-key-file", "API key")
    if os.environ.get(API_KEY_ENV):
        keys.append(os.environ[API_KEY_ENV])
    token = args.admin_token
    if token is None and args.admin_token_file:
        (token, *more) = _secret_lines(args.admin_token_file, "--admin-token-file", "admin token")
        if more:
            raise OSError(f"{args.admin_token_file}: more than one line; an admin token is one")
    if token is None and os.environ.get(ADMIN_TOKEN_ENV):
        token = os.environ[ADMIN_TOKEN_ENV]
    for key in keys:
        kind, colon, rest = key.partition(":")
        if not key.strip() or (colon and kind in KEY_KINDS and not rest.strip()):
            raise OSError(
                "an API key (from --api-key, --api-key-file or $"
                f"{API_KEY_ENV}) is empty: no request could ever use it"
            )
    if token is not None and token is not args.admin_token:
        try:
            _token(token)
        except argparse.ArgumentTypeError as error:
            raise OSError(f"the admin token {error}") from None
    return tuple(dict.fromkeys(keys)), token


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
    generate.add_argument("--count", type=_positive, default=10, help="how many")
    generate.add_argument("--seed", type=int, default=0, help="random seed")
    generate.add_argument("--start-id", type=_positive, default=1, help="first pixel id")
    generate.add_argument(
        "--delivery-method",
        choices=DELIVERY_METHODS,
        help="only this method (default: every method, in turn with the other variants)",
    )
    generate.add_argument("--out", metavar="FILE", help="write here (default: stdout)")
    generate.set_defaults(handler=_generate)

    listing = commands.add_parser(
        "list",
        help="print which built-in id is which variant",
        description="Print which built-in pixel id is which variant.",
        formatter_class=_HelpFormatter,
    )
    listing.add_argument("--seed", type=int, default=0, help="catalogue seed")
    listing.set_defaults(handler=_list)

    fire = commands.add_parser(
        "fire",
        help="fire a conversion through a running mock and print the deliveries",
        description="Fire a conversion, event or paid click through a running mock (POST "
        "/__admin/conversions) and print every delivery it made. Exit 1 when a delivery "
        f"failed or was refused; an admin token is read from {ADMIN_TOKEN_ENV}.",
        formatter_class=_HelpFormatter,
    )
    add_fire_arguments(fire, _integer)
    fire.set_defaults(handler=run_fire)

    serve = commands.add_parser(
        "serve",
        help="run the mock server",
        description="Serve the mock until Ctrl-C or SIGTERM, one access line per request.",
        formatter_class=_HelpFormatter,
    )
    _add_serve_arguments(serve)
    serve.set_defaults(handler=_serve)

    from mock_server.proxy.command import add_commands  # argparse only until one runs

    add_commands(commands, _HelpFormatter)
    return parser


def _add_serve_arguments(serve: argparse.ArgumentParser) -> None:
    server = serve.add_argument_group("server")
    server.add_argument("--host", default="127.0.0.1", help="address to bind")
    server.add_argument("--port", type=_port, default=4010, help="port to bind")
    server.add_argument(
        "--workers", type=_positive, default=1, help="server processes (state is per worker)"
    )
    server.add_argument(
        "--threads",
        type=_positive,
        default=THREADS,
        help="Python threads per worker for the admin API and the spec under granian (API "
        "answers, delayed ones too, wait on an event loop), and for every request under "
        "waitress",
    )
    server.add_argument(
        "--server",
        choices=("auto", *SERVERS),
        default="auto",
        help="the server; auto is granian when installed, else waitress",
    )
    server.add_argument(
        "--quiet",
        action="store_true",
        help="no access log (default: one line per request: time, method, path, status, ms)",
    )

    mock = serve.add_argument_group("behaviour")
    mock.add_argument("--seed", type=int, default=DEFAULTS.seed, help="catalogue and dynamic seed")
    mock.add_argument(
        "--data",
        metavar="FILE",
        help="serve these postbacks, a JSON array or YAML list (default: the built-in catalogue)",
    )
    mock.add_argument(
        "--allow-drift",
        action="store_true",
        help="serve --data postbacks that break the spec as they are (a recording of production "
        "marks them; default: refuse the file, naming each)",
    )
    mock.add_argument(
        "--api-key",
        action="append",
        metavar="KEY",
        help="accept only this key; repeat it to accept several (default: any non-empty key); "
        "partner:KEY (or affiliate:, advertiser:) is a key of that kind: 5/s, burst 20, "
        f"and 403 Out of realm; keys also come from --api-key-file and ${API_KEY_ENV}, which "
        "stay out of ps",
    )
    mock.add_argument(
        "--api-key-file",
        metavar="FILE",
        help="accept the keys in this file too, one a line (default: none)",
    )
    mock.add_argument(
        "--dynamic",
        action="store_true",
        help="answer unknown ids with generated postbacks (default: 404)",
    )
    mock.add_argument(
        "--error-key",
        choices=("error", "Error"),
        default=DEFAULTS.error_key,
        help="the key of error bodies",
    )
    rate = DEFAULTS.rate_limit
    mock.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=f"{rate.rate:g}/{rate.burst}" if rate else "off",
        metavar="RATE/BURST|off",
        help="the network keys' token bucket, one for all of them as Everflow's is per network: "
        "RATE requests a second, BURST at once (partner, affiliate and advertiser keys have "
        "their own: 5/s, burst 20)",
    )
    mock.add_argument(
        "--delay",
        type=_delay,
        default=DEFAULTS.delay_ms,
        metavar="MS",
        help=f"latency added to every request (at most {MAX_DELAY_MS})",
    )
    mock.add_argument(
        "--fault-rate",
        type=_fraction,
        default=DEFAULTS.fault_rate,
        metavar="P",
        help="share of requests answered with a random fault (0..1)",
    )
    mock.add_argument(
        "--clock",
        type=_clock,
        metavar="now|UNIX_SECONDS",
        help="time of created and replaced postbacks: 'now' for the wall clock, or a Unix "
        "second to start a deterministic clock at (default: deterministic from "
        "2026-01-02T00:00:00Z, one second forward per write)",
    )

    mock.add_argument(
        "--deliver-to",
        action="append",
        type=_destination,
        metavar="HOST[:PORT]",
        help="also deliver fired postbacks (POST /__admin/conversions) to this host, on any "
        "port or on PORT; repeat it for more (default: loopback only; others are journaled "
        "as refused, never sent)",
    )

    limits = serve.add_argument_group(
        "limits", "What one client may cost the others; sizes take k (KiB) and m (MiB)."
    )
    limits.add_argument(
        "--max-body",
        type=_size,
        default=_size_text(DEFAULTS.max_body),
        metavar="BYTES",
        help="largest request body, API and admin (larger: 413)",
    )
    limits.add_argument(
        "--read-timeout",
        type=_seconds,
        default=f"{DEFAULTS.read_timeout:g}",
        metavar="SECONDS",
        help="longest a client may take to send a request body",
    )
    limits.add_argument(
        "--max-keys",
        type=_positive,
        default=DEFAULTS.max_keys,
        metavar="N",
        help="no longer used: rate-limit buckets are per key kind (kept so scripts still run)",
    )
    limits.add_argument(
        "--journal-size",
        type=_positive,
        default=DEFAULTS.journal_size,
        metavar="N",
        help="requests kept in the journal (GET /__admin/requests); oldest dropped first",
    )
    limits.add_argument(
        "--journal-bytes",
        type=_size,
        default=_size_text(DEFAULTS.journal_bytes),
        metavar="BYTES",
        help="bytes the journal may hold in all",
    )
    limits.add_argument(
        "--admin-token",
        type=_token,
        metavar="TOKEN",
        help="require 'Authorization: Bearer TOKEN' on every admin call, which opens the admin "
        "API to clients off loopback (default: none; the admin API answers loopback clients "
        f"only; the token also comes from --admin-token-file or ${ADMIN_TOKEN_ENV})",
    )
    limits.add_argument(
        "--admin-token-file",
        metavar="FILE",
        help="read the admin token from this file, one line (default: none)",
    )


def _known_errors() -> tuple[type[BaseException], ...]:
    """What ends a command with one line and exit 2. Looked up only once something is
    raised: the modules that define these load PyYAML and openapi-core."""
    from mock_server.datafile import DataFileError
    from mock_server.records import InvalidRecords

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


if __name__ == "__main__":
    sys.exit(main())
