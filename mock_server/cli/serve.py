"""``everflow-mock serve``: its options, and the mock started on a production server with a
banner that says where and how to call it."""

from __future__ import annotations

import argparse

from mock_server.cli.fire import ADMIN_TOKEN_ENV
from mock_server.cli.secrets import API_KEY_ENV, read_secrets
from mock_server.cli.values import (
    MIN_TOKEN_CHARS,
    Removed,
    clock,
    delay,
    destination,
    fraction,
    port,
    positive_integer,
    rate_limit,
    seconds,
    size,
    size_text,
    token,
)
from mock_server.core.config import MockConfig, key_kinds
from mock_server.core.controls import MAX_DELAY_MS
from mock_server.server.port import claim
from mock_server.server.serve import SERVERS, THREADS, ServerOptions, run, server_name

DEFAULTS = MockConfig()


def run_serve(args: argparse.Namespace) -> int:
    from mock_server.data.catalogue import builtin_catalogue
    from mock_server.data.datafile import load_data_file
    from openapi.spec import api_key_header

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
        api_keys, admin_token = read_secrets(args)
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
            journal_size=args.journal_size,
            journal_bytes=args.journal_bytes,
            admin_token=admin_token,
            clock=args.clock,
            deliver_to=tuple(args.deliver_to or ()),
            strict=args.strict,
            references=args.references,
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
                f"{'generated (dynamic)' if args.dynamic else '404'}; rate limit: {limit_text}"
                f"{'; strict: warnings are 400s' if config.strict else ''}"
                f"{'; references: loose' if config.references == 'loose' else ''}\n"
                f"  try: curl -H '{api_key_header()}: {key_text}' {base}/v1/networks/pixels/{try_id}\n"
                f"  admin: {base}/__admin/health ({admin_text})  spec: {base}/openapi.yaml"
                f"  stop: Ctrl-C",
                flush=True,
            )

        run(config, options, banner, listener)
    return 0


def add_serve_arguments(serve: argparse.ArgumentParser) -> None:
    server = serve.add_argument_group("server")
    server.add_argument("--host", default="127.0.0.1", help="address to bind")
    server.add_argument("--port", type=port, default=4010, help="port to bind")
    server.add_argument(
        "--workers", type=positive_integer, default=1, help="server processes (state is per worker)"
    )
    server.add_argument(
        "--threads",
        type=positive_integer,
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
        "--strict",
        action="store_true",
        help="answer 400 for what the mock would otherwise ignore and only name in "
        "X-Everflow-Mock-Warning (an unknown query parameter or body field, paging sent "
        "twice, a sort it cannot do), in the warning's words (default: lenient, as Everflow)",
    )
    mock.add_argument(
        "--references",
        choices=("strict", "loose"),
        default=DEFAULTS.references,
        help="strict: a create or replace naming an offer, partner or payout/revenue entry "
        "the mock does not serve is a 400 naming it, and so is a conversion fired for one; "
        "loose: accepted, named in X-Everflow-Mock-Warning (for postbacks built in isolation)",
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
        type=rate_limit,
        default=f"{rate.rate:g}/{rate.burst}" if rate else "off",
        metavar="RATE/BURST|off",
        help="the network keys' token bucket, one for all of them as Everflow's is per network: "
        "RATE requests a second, BURST at once (partner, affiliate and advertiser keys have "
        "their own: 5/s, burst 20)",
    )
    mock.add_argument(
        "--delay",
        type=delay,
        default=DEFAULTS.delay_ms,
        metavar="MS",
        help=f"latency added to every request (at most {MAX_DELAY_MS})",
    )
    mock.add_argument(
        "--fault-rate",
        type=fraction,
        default=DEFAULTS.fault_rate,
        metavar="P",
        help="share of requests answered with a random fault (0..1)",
    )
    mock.add_argument(
        "--clock",
        type=clock,
        metavar="now|UNIX_SECONDS",
        help="time of created and replaced postbacks: 'now' for the wall clock, or a Unix "
        "second to start a deterministic clock at (default: deterministic from "
        "2026-01-02T00:00:00Z, one second forward per write)",
    )

    mock.add_argument(
        "--deliver-to",
        action="append",
        type=destination,
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
        type=size,
        default=size_text(DEFAULTS.max_body),
        metavar="BYTES",
        help="largest request body, API and admin (larger: 413)",
    )
    limits.add_argument(
        "--read-timeout",
        type=seconds,
        default=f"{DEFAULTS.read_timeout:g}",
        metavar="SECONDS",
        help="longest a client may take to send a request body",
    )
    limits.add_argument("--max-keys", action=Removed, help=argparse.SUPPRESS)
    limits.add_argument(
        "--journal-size",
        type=positive_integer,
        default=DEFAULTS.journal_size,
        metavar="N",
        help=(
            "entries kept in the request journal (GET /__admin/requests) and in the "
            "deliveries journal (GET /__admin/deliveries); oldest dropped first"
        ),
    )
    limits.add_argument(
        "--journal-bytes",
        type=size,
        default=size_text(DEFAULTS.journal_bytes),
        metavar="BYTES",
        help="bytes the request journal may hold in all",
    )
    limits.add_argument(
        "--admin-token",
        type=token,
        metavar="TOKEN",
        help="require 'Authorization: Bearer TOKEN' on every admin call, which opens the admin "
        "API to clients off loopback (default: none; the admin API answers loopback clients "
        f"only; the token also comes from --admin-token-file or ${ADMIN_TOKEN_ENV}); at least "
        f"{MIN_TOKEN_CHARS} characters, long and random",
    )
    limits.add_argument(
        "--admin-token-file",
        metavar="FILE",
        help="read the admin token from this file, one line (default: none)",
    )
