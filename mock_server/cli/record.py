"""``everflow-mock record``: read postbacks (the ids given, or every page of the list)
through the safe client, then the offers and affiliates (partners) they name, and write
them as a scrubbed recording.

Light at import (the parser adds its options and names ``run_record``): httpx and the spec
load when it runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from mock_server.cli.upstream import (
    EXIT_INTERRUPTED,
    PROG,
    UPSTREAM_HELP,
    Refused,
    add_upstream_arguments,
    api_key,
    check_outputs,
    check_scrub,
    everflow,
    fail,
)
from openapi.remote.defaults import DEFAULT_MAX_TIME
from openapi.remote.values import pixel_ids, positive

PAGE_SIZE = 200
"""Postbacks a recording asks for per list page (Everflow allows up to 2,000)."""
MAX_PAGES = 1000
OFFER_RELATIONSHIPS = ("advertiser", "payout_revenue")
"""The related data an offer is read with: what the spec describes, and what a postback's
``network_offer_payout_revenue_id`` names."""
LOOPBACK_KEY = "local-record-5b1e0c7a"
"""Sent to a loopback upstream when no key is set (a mock wants one); not a secret."""


def add_record_arguments(record: argparse.ArgumentParser) -> None:
    """``everflow-mock record``'s options."""
    record.add_argument("--base-url", metavar="URL", help=UPSTREAM_HELP)
    record.add_argument("--out", required=True, metavar="FILE", help="the data file to write")
    record.add_argument(
        "--pixel-id",
        type=pixel_ids,
        action="append",
        metavar="ID",
        help="record this postback; repeatable, or 12,34 (default: every one listed)",
    )
    record.add_argument(
        "--max-time",
        type=positive,
        default=DEFAULT_MAX_TIME,
        metavar="S",
        help="seconds the whole recording may take",
    )
    add_upstream_arguments(record)


def run_record(args: argparse.Namespace) -> int:
    """Record postbacks to ``--out`` (and its report). 0 when written, 2 when the upstream
    could not be read (nothing written), 130 when interrupted (nothing written, or the
    files complete)."""
    from openapi.remote.client import ContractClient
    from openapi.remote.targets import UnsafeTarget, check_base_url, is_loopback

    started = time.monotonic()  # --max-time bounds the reads and the scrubbing after them
    try:
        check_scrub(args)
        check_outputs(args, "--out")
        key = api_key(args)
        base_url = everflow(args.base_url)
        url = check_base_url(base_url)
        if not key and not is_loopback(url.host):
            raise Refused(f"no API key in ${args.api_key_env}: set it to record {url}")
        client = ContractClient(
            base_url,
            key or LOOPBACK_KEY,
            rate=args.rate,
            timeout=args.timeout,
            max_time=args.max_time,
            started=started,
        )
    except (Refused, UnsafeTarget) as error:
        return fail(error)
    from openapi.remote.interrupts import terminate_as_interrupt

    try:
        with terminate_as_interrupt():
            return _record(args, client, key, started + args.max_time)
    except KeyboardInterrupt:
        print(f"{PROG} record: interrupted; {args.out} was not written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        client.close()


def _record(args: argparse.Namespace, client: Any, key: str, ends: float) -> int:
    from mock_server.proxy.record import Recording
    from mock_server.proxy.scrub import Deadline
    from openapi.remote.failures import TransportFailure
    from openapi.remote.masking import printable, redact
    from openapi.remote.targets import PIXEL_PATH, PIXELS_PATH
    from openapi.text import counted

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
                page_body = body if isinstance(body, dict) else {}
                items, paging = page_body.get("pixels"), page_body.get("paging")
                seen += len(items or ())
                total = paging.get("total_count") if isinstance(paging, dict) else None
                if (
                    not items
                    or len(items) < PAGE_SIZE
                    or (isinstance(total, int) and seen >= total)
                ):
                    break
        _record_neighbours(client, recording)
        deadline = Deadline(ends, f"--max-time {args.max_time:g} s")
        report = recording.write(args.out, [key], scrub=not args.no_scrub, deadline=deadline)
    except (TransportFailure, Refused) as error:
        return fail(f"record: {redact(str(error), [key])}; nothing was written")
    drift = json.loads(report.read_text(encoding="utf-8"))["drift"]
    breaks = "breaks" if len(drift) == 1 else "break"
    note = (
        f"; {counted(len(drift), 'postback')} {breaks} the spec (serve --data ... --allow-drift)"
        if drift
        else ""
    )
    print(
        printable(
            f"{PROG} record: {recording.said()} to {args.out}, "
            f"{'scrubbed' if not args.no_scrub else 'NOT scrubbed'}; report: {report}{note}"
        )
    )
    return 0


def _record_neighbours(client: Any, recording: Any) -> None:
    """Read the offers and affiliates the recorded postbacks name (by level, as the mock's
    references: an offer unless ``global``, a partner unless ``global_offer``), each once,
    into ``recording``. One production no longer has (404) is left out: the report names
    it as ``missing``, and ``serve --data`` fills it in from the postbacks."""
    from openapi.remote.targets import AFFILIATE_PATH, OFFER_PATH

    named = recording.named()
    for offer_id in sorted(named["offers"]):
        params = {"relationship": list(OFFER_RELATIONSHIPS)}
        path = OFFER_PATH.format(offer_id)
        recording.add_answer(path, _read(client, path, params, missing_ok=True))
    for affiliate_id in sorted(named["affiliates"]):
        path = AFFILIATE_PATH.format(affiliate_id)
        recording.add_answer(path, _read(client, path, {}, missing_ok=True))


def _read(client: Any, path: str, params: dict[str, Any], *, missing_ok: bool = False) -> Any:
    """The JSON body of a 200 to ``GET path``; ``Refused`` naming any other answer, but
    ``None`` for a 404 when ``missing_ok``."""
    from openapi.remote.checks import json_body
    from openapi.violations import shape

    answer = client.get(path, params=params)
    if missing_ok and answer.status_code == 404:
        return None
    body = json_body(answer)
    if answer.status_code != 200 or body is None:
        if body is None:
            detail = f"a body that is not JSON, {len(answer.content)} bytes"
        else:
            detail = shape(body.get("error", body) if isinstance(body, dict) else body)
        raise Refused(f"GET {path} answered {answer.status_code}: {detail}")
    return body
