"""``everflow-mock proxy`` and ``everflow-mock record``: their options and how they run.

Only argparse and the light ``openapi.remote.defaults`` load with the parser; httpx, the
spec and the server when a command runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openapi.remote.defaults import DEFAULT_MAX_TIME, DEFAULT_RATE, DEFAULT_TIMEOUT, KEY_ENV

UPSTREAM_HELP = "the API base URL (default: Everflow's, the spec's first server)"
PROG = "everflow-mock"
EXIT_INTERRUPTED = 130
PAGE_SIZE = 200
"""Postbacks a recording asks for per list page (Everflow allows up to 2,000)."""
MAX_PAGES = 1000
NO_SCRUB_ACK = "--i-know-this-keeps-secrets"
LOOPBACK_KEY = "local-record-5b1e0c7a"
"""Sent to a loopback upstream when no key is set (a mock wants one); not a secret."""


def _number(kind: Callable[[str], Any], low: float, what: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}") from None
        if not value >= low or value == float("inf"):
            raise argparse.ArgumentTypeError(f"must be {what}, not {text!r}")
        return value

    return parse


_positive = _number(float, 1e-9, "a number > 0")
_port = _number(int, 0, "a port number (0: any free one)")


def _pixel_ids(text: str) -> list[int]:
    try:
        ids = [int(part) for part in text.replace(",", " ").split()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"pixel ids must be integers, not {text!r}") from None
    if not ids or any(i < 1 for i in ids):
        raise argparse.ArgumentTypeError(f"pixel ids must be positive, not {text!r}")
    return ids


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-key-env",
        metavar="VAR",
        default=KEY_ENV,
        help="environment variable holding the API key (never printed, logged or recorded)",
    )
    parser.add_argument(
        "--rate", type=_positive, default=DEFAULT_RATE, metavar="PER_S", help="requests a second"
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT,
        metavar="S",
        help="seconds one upstream request may take, connect to last byte",
    )


def _scrub_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-scrub",
        action="store_true",
        help=f"record production's values as they are; only with {NO_SCRUB_ACK}",
    )
    parser.add_argument(NO_SCRUB_ACK, action="store_true", help="confirm --no-scrub")


def add_commands(commands: Any, formatter: type[argparse.HelpFormatter]) -> None:
    """Add ``proxy`` and ``record`` to ``everflow-mock``'s subcommands."""
    proxy = commands.add_parser(
        "proxy",
        help="forward to the real API and judge every answer by the spec",
        description="Forward API requests to the upstream, answer with its answers unchanged "
        "plus X-Everflow-Violations, journal and log every violation, and print a summary "
        "on Ctrl-C or SIGTERM. Read-only unless --allow-writes. The caller's "
        f"X-Eflow-Api-Key is passed on, or ${KEY_ENV} added. Exit 1 when an answer broke "
        "the spec.",
        formatter_class=formatter,
    )
    proxy.add_argument("--upstream", metavar="URL", help=UPSTREAM_HELP)
    proxy.add_argument("--host", default="127.0.0.1", help="address to bind")
    proxy.add_argument("--port", type=_port, default=4011, help="port to bind")
    proxy.add_argument("--allow-writes", action="store_true", help="pass writes on too")
    proxy.add_argument("--record", metavar="FILE", help="record the postbacks read, on exit")
    proxy.add_argument("--report", metavar="FILE.md", help="write a Markdown report on exit")
    proxy.add_argument("--junit", metavar="FILE", help="write JUnit XML on exit")
    proxy.add_argument("--quiet", action="store_true", help="no access lines")
    _common(proxy)
    _scrub_options(proxy)
    proxy.set_defaults(handler=run_proxy)

    record = commands.add_parser(
        "record",
        help="record production's postbacks as a scrubbed data file for serve --data",
        description="Read postbacks (the ids given, or every one the key can list, paged) "
        "and write them as a data file that serve --data loads, scrubbed of secrets and "
        "personal data, with a report next to it (FILE.scrub.json). Read-only.",
        formatter_class=formatter,
    )
    record.add_argument("--base-url", metavar="URL", help=UPSTREAM_HELP)
    record.add_argument("--out", required=True, metavar="FILE", help="the data file to write")
    record.add_argument(
        "--pixel-id",
        type=_pixel_ids,
        action="append",
        metavar="ID",
        help="record this postback; repeatable, or 12,34 (default: every one listed)",
    )
    record.add_argument(
        "--max-time",
        type=_positive,
        default=DEFAULT_MAX_TIME,
        metavar="S",
        help="seconds the whole recording may take",
    )
    _common(record)
    _scrub_options(record)
    record.set_defaults(handler=run_record)


class Refused(Exception):
    """A one-line reason a command cannot run (exit 2)."""


def _check_scrub(args: argparse.Namespace) -> None:
    if args.no_scrub and not args.i_know_this_keeps_secrets:
        raise Refused(f"--no-scrub keeps production's secrets in the file; add {NO_SCRUB_ACK}")
    if args.i_know_this_keeps_secrets and not args.no_scrub:
        raise Refused(f"{NO_SCRUB_ACK} goes only with --no-scrub")


def _everflow(url: str | None) -> str:
    """``url``, or Everflow's own base URL as the spec names it."""
    from openapi.spec import everflow_base_urls

    return url or everflow_base_urls()[0]


def _key(args: argparse.Namespace) -> str:
    key = os.environ.get(args.api_key_env, "")
    if key and not (key.isascii() and key.isprintable()):
        raise Refused(f"the key in ${args.api_key_env} has characters an HTTP header cannot carry")
    return key


def _fail(error: BaseException | str) -> int:
    from openapi.remote.masking import printable

    print(printable(f"{PROG}: {error}"), file=sys.stderr)
    return 2


def run_proxy(args: argparse.Namespace) -> int:
    """Serve the proxy until Ctrl-C or SIGTERM; then the summary, the reports and the
    recording. 0, or 1 when an answer broke the spec, 2 on a usage error."""
    from mock_server.proxy.forward import Upstream
    from openapi.remote.client import UnsafeTarget

    try:
        _check_scrub(args)
        upstream = Upstream(
            _everflow(args.upstream),
            _key(args),
            allow_writes=args.allow_writes,
            rate=args.rate,
            timeout=args.timeout,
        )
    except (Refused, UnsafeTarget) as error:
        return _fail(error)
    try:
        return _serve_proxy(args, upstream)
    finally:
        upstream.close()


def _serve_proxy(args: argparse.Namespace, upstream: Any) -> int:
    from mock_server.core.config import MockConfig
    from mock_server.proxy.record import Recording
    from mock_server.proxy.server import MAX_BODY, ProxyApp
    from mock_server.proxy.tally import Tally
    from mock_server.server.access_log import stdout_writer
    from mock_server.server.serve import ServerOptions, _serve_waitress, claim

    listener = claim(args.host, args.port)
    port = listener.getsockname()[1]
    options = ServerOptions(args.host, port, threads=8, server="waitress", access_log=False)
    tally = Tally(upstream.name, "writes" if args.allow_writes else "read-only")
    recording = Recording() if args.record else None
    app = ProxyApp(upstream, tally, recording, None if args.quiet else stdout_writer())
    mode = "writes passed on" if args.allow_writes else "read-only"
    print(
        f"{PROG} proxy: {options.root}/v1 -> {upstream.name} ({mode}); "
        f"journal: {options.root}/__admin/requests  stop: Ctrl-C",
        flush=True,
    )
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    try:
        with listener:
            _serve_waitress(app, options, listener, MockConfig.read_timeout, MAX_BODY)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the reports are written whole
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            code = _finish(args, upstream, tally, recording)
        finally:
            signal.signal(signal.SIGINT, handlers[0])
            signal.signal(signal.SIGTERM, handlers[1])
    return code


def _finish(args: argparse.Namespace, upstream: Any, tally: Any, recording: Any) -> int:
    from openapi.remote.masking import printable, redact
    from openapi.remote.reporting import junit_xml, markdown

    keys = list(upstream.keys)
    for line in redact(tally.summary(), keys).splitlines():
        sys.stdout.write(printable(line) + "\n")
    report = tally.report(upstream.client.writes)
    try:
        if args.report:
            Path(args.report).write_text(markdown(report, keys), encoding="utf-8")
        if args.junit:
            Path(args.junit).write_text(junit_xml(report, keys), encoding="utf-8")
        if recording is not None:
            written = recording.write(args.record, keys, scrub=not args.no_scrub)
            print(f"{PROG} proxy: recorded {len(recording)} postbacks to {args.record} ({written})")
    except OSError as error:
        return _fail(redact(f"cannot write: {error}", keys))
    sys.stdout.flush()
    return 1 if sum(tally.broken.values()) else 0


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run_record(args: argparse.Namespace) -> int:
    """Record postbacks to ``--out`` (and its report). 0 when written, 2 when the upstream
    could not be read (nothing written), 130 when interrupted (nothing written, or the
    files complete)."""
    from openapi.remote.client import ContractClient, UnsafeTarget, check_base_url, is_loopback

    try:
        _check_scrub(args)
        key = _key(args)
        base_url = _everflow(args.base_url)
        url = check_base_url(base_url)
        if not key and not is_loopback(url.host):
            raise Refused(f"no API key in ${args.api_key_env}: set it to record {url}")
        client = ContractClient(
            base_url,
            key or LOOPBACK_KEY,
            rate=args.rate,
            timeout=args.timeout,
            max_time=args.max_time,
        )
    except (Refused, UnsafeTarget) as error:
        return _fail(error)
    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        return _record(args, client, key)
    except KeyboardInterrupt:
        print(f"{PROG} record: interrupted; {args.out} was not written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
        client.close()


def _record(args: argparse.Namespace, client: Any, key: str) -> int:
    from mock_server.proxy.record import Recording
    from openapi.remote.client import PIXEL_PATH, PIXELS_PATH, TransportFailure
    from openapi.remote.masking import printable, redact

    recording = Recording()
    ids = [i for group in args.pixel_id or () for i in group]
    try:
        if ids:
            for pixel_id in ids:
                path = PIXEL_PATH.format(pixel_id)
                recording.add_answer(path, _read(client, path, {}))
        else:
            seen = 0
            for page in range(1, MAX_PAGES + 1):
                params = {"page": page, "page_size": PAGE_SIZE}
                body = _read(client, PIXELS_PATH, params)
                recording.add_answer(PIXELS_PATH, body)
                items = body.get("pixels") if isinstance(body, dict) else None
                seen += len(items or ())
                total = (body.get("paging") or {}).get("total_count")
                if (
                    not items
                    or len(items) < PAGE_SIZE
                    or (isinstance(total, int) and seen >= total)
                ):
                    break
    except (TransportFailure, Refused) as error:
        return _fail(f"record: {redact(str(error), [key])}; nothing was written")
    report = recording.write(args.out, [key], scrub=not args.no_scrub)
    import json

    drift = json.loads(report.read_text(encoding="utf-8"))["drift"]
    note = f"; {len(drift)} break the spec (serve --data ... --allow-drift)" if drift else ""
    print(
        printable(
            f"{PROG} record: {len(recording)} postbacks to {args.out}, "
            f"{'scrubbed' if not args.no_scrub else 'NOT scrubbed'}; report: {report}{note}"
        )
    )
    return 0


def _read(client: Any, path: str, params: dict[str, int]) -> Any:
    """The JSON body of a 200 to ``GET path``; ``Refused`` naming any other answer."""
    from openapi.remote.checks import json_body, shorten

    answer = client.get(path, params=params)
    body = json_body(answer)
    if answer.status_code != 200 or body is None:
        detail = shorten(body.get("error", body) if isinstance(body, dict) else answer.text)
        raise Refused(f"GET {path} answered {answer.status_code}: {detail}")
    return body
