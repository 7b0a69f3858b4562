"""``everflow-mock proxy``: serve the validating proxy on waitress until Ctrl-C or SIGTERM,
then write the summary, the reports and the recording.

Light at import (the parser adds its options and names ``run_proxy``): the server, httpx
and the spec load when it runs.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from mock_server.cli.upstream import (
    EXIT_INTERRUPTED,
    PROG,
    REMOTE_CLIENTS,
    UPSTREAM_HELP,
    Refused,
    add_upstream_arguments,
    api_key,
    check_host,
    check_outputs,
    check_scrub,
    everflow,
    fail,
)
from mock_server.cli.values import port_or_any


def add_proxy_arguments(proxy: argparse.ArgumentParser) -> None:
    """``everflow-mock proxy``'s options."""
    proxy.add_argument("--upstream", metavar="URL", help=UPSTREAM_HELP)
    proxy.add_argument(
        "--host",
        default="127.0.0.1",
        help=f"address to bind; one beyond loopback only with {REMOTE_CLIENTS}",
    )
    proxy.add_argument(
        REMOTE_CLIENTS,
        action="store_true",
        help="let --host be an address other machines reach: every client that can reach "
        "it is then answered with the proxy's key added",
    )
    proxy.add_argument("--port", type=port_or_any, default=4011, help="port to bind")
    proxy.add_argument("--allow-writes", action="store_true", help="pass writes on too")
    proxy.add_argument(
        "--record", metavar="FILE", help="record the postbacks, offers and partners read, on exit"
    )
    proxy.add_argument("--report", metavar="FILE.md", help="write a Markdown report on exit")
    proxy.add_argument("--junit", metavar="FILE", help="write JUnit XML on exit")
    proxy.add_argument("--quiet", action="store_true", help="no access lines")
    add_upstream_arguments(proxy)


def run_proxy(args: argparse.Namespace) -> int:
    """0, or 1 when an answer broke the spec or a request got no usable answer (the
    proxy's own 502 or 504), 2 on a usage error."""
    from mock_server.proxy.forward import Upstream
    from openapi.remote.masking import printable
    from openapi.remote.targets import UnsafeTarget

    try:
        check_scrub(args)
        check_outputs(args, "--record", "--report", "--junit")
        key = api_key(args)
        warning = check_host(args, key)
        upstream = Upstream(
            everflow(args.upstream),
            key,
            allow_writes=args.allow_writes,
            rate=args.rate,
            timeout=args.timeout,
        )
    except (Refused, UnsafeTarget) as error:
        return fail(error)
    if warning is not None:
        print(printable(warning), file=sys.stderr, flush=True)
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
    from mock_server.server.port import claim
    from mock_server.server.serve import ServerOptions, serve_waitress, stop_like_ctrl_c

    listener = claim(args.host, args.port)
    port = listener.getsockname()[1]
    options = ServerOptions(args.host, port, threads=8, server="waitress", access_log=False)
    tally = Tally(upstream.name, "writes" if args.allow_writes else "read-only")
    recording = Recording() if args.record else None
    app = ProxyApp(upstream, tally, recording, None if args.quiet else stdout_writer())
    mode = "writes passed on" if args.allow_writes else "read-only"
    # From the banner on, a signal stops the proxy with its summary, even before waitress
    # serves; once it stops, a second Ctrl-C or SIGTERM breaks off neither the summary nor
    # the reports, and kills nothing after them; it only stops a recording from being
    # scrubbed and written (_write_recording). This is the command's own process.
    signal.signal(signal.SIGINT, stop := stop_like_ctrl_c())
    signal.signal(signal.SIGTERM, stop)
    try:
        with listener:
            print(
                f"{PROG} proxy: {options.root}/v1 -> {upstream.name} ({mode}); "
                f"journal: {options.root}/__admin/requests  page: {options.root}/__admin/ui/  "
                "stop: Ctrl-C",
                flush=True,
            )
            serve_waitress(app, options, listener, MockConfig.read_timeout, MAX_BODY)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, SIGNALLED.note)
        signal.signal(signal.SIGTERM, SIGNALLED.note)
        code = _finish(args, upstream, tally, recording)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    return code


class _Signalled:
    """Whether Ctrl-C or SIGTERM came again once the proxy had stopped. A plain flag, no
    lock: the handler may run inside itself."""

    def __init__(self) -> None:
        self.again = False

    def note(self, signum: int, frame: object) -> None:
        self.again = True


SIGNALLED = _Signalled()


def _write_recording(args: argparse.Namespace, recording: Any, keys: list[str]) -> Any:
    """Write the recording (its path returned), stopped by Ctrl-C or SIGTERM: scrubbing
    takes time (linear in the recording, up to its 64 MiB), and a signal during it is one
    more than the signal that stopped the proxy, which asks to stop now, as does one that
    came after the stop and before the writing began. It stops with ``KeyboardInterrupt``
    and nothing written (or the file before, whole)."""
    from openapi.remote.interrupts import terminate_as_interrupt

    try:
        with terminate_as_interrupt():
            signal.signal(signal.SIGINT, signal.default_int_handler)
            if SIGNALLED.again:  # came while the summary and the reports were written
                raise KeyboardInterrupt
            return recording.write(args.record, keys, scrub=not args.no_scrub)
    finally:
        signal.signal(signal.SIGINT, SIGNALLED.note)
        signal.signal(signal.SIGTERM, SIGNALLED.note)


def _finish(args: argparse.Namespace, upstream: Any, tally: Any, recording: Any) -> int:
    from openapi.remote.masking import printable, redact
    from openapi.remote.reporting import write_reports

    keys = list(upstream.keys)
    for line in redact(tally.summary(), keys).splitlines():
        sys.stdout.write(printable(line) + "\n")
    sys.stdout.flush()  # seen before the reports and the recording, which take time
    report = tally.report(upstream.client.writes)
    try:
        write_reports(report, keys, junit_path=args.junit, markdown_path=args.report)
        if recording is not None:
            written = _write_recording(args, recording, keys)
            print(f"{PROG} proxy: recorded {recording.said()} to {args.record} ({written})")
    except OSError as error:
        return fail(redact(f"cannot write: {error}", keys))
    except KeyboardInterrupt:
        print(f"{PROG} proxy: interrupted; {args.record} was not written", file=sys.stderr)
        return EXIT_INTERRUPTED
    sys.stdout.flush()
    return 1 if tally.failed else 0
