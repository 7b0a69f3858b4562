"""``everflow-mock fire``: fire a conversion through a running mock and print its deliveries.

Standard library only (urllib), so the command starts fast; the mock does the work.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from mock_server.firing.ids import ID_MINIMUMS, id_rule

ADMIN_TOKEN_ENV = "EVERFLOW_MOCK_ADMIN_TOKEN"
MACRO_NAMES = (
    "transaction_id",
    "offer_id",
    "affiliate_id",
    "source_id",
    "event_id",
    "event_name",
    "sale_amount",
    "payout",
    "payout_amount",
    "revenue",
    "currency",
    *(f"sub{n}" for n in range(1, 11)),
    *(f"adv{n}" for n in range(1, 11)),
)
"""``fixtures.macros.MACROS`` by name, written out because importing the fixtures package
loads Faker, which would take ``--help`` past its budget; test_fire_command.py holds them
equal."""
FAILED_STATES = ("failed", "refused", "cancelled")


def _id_type(name: str, integer: Callable[[str], int]) -> Callable[[str], int]:
    """An argparse type: ``integer`` of the text, refused below the id's minimum."""

    def parse(text: str) -> int:
        value = integer(text)
        if value < ID_MINIMUMS[name]:
            raise argparse.ArgumentTypeError(f"{id_rule(name)}, not {text}")
        return value

    return parse


def add_fire_arguments(fire: argparse.ArgumentParser, integer: Callable[[str], int]) -> None:
    """The options of ``everflow-mock fire``: the mock, the type, and one per macro; the id
    macros' values are read by ``integer`` and held to ``ID_MINIMUMS``."""
    fire.add_argument(
        "--base-url",
        default="http://127.0.0.1:4010",
        help="the running mock (its /v1 may be given or left out)",
    )
    fire.add_argument(
        "--type",
        choices=("conversion", "event", "click"),
        default="conversion",
        help="what happened: the base conversion, a post-conversion event or a paid click",
    )
    fire.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="wait this long (at most 60) for the deliveries to end before printing",
    )
    fire.add_argument(
        "--delay-scale",
        type=float,
        metavar="FACTOR",
        help="multiply every postback's delay_ms by this from now on (0: no delays; "
        "default: as the mock was started)",
    )
    fire.add_argument(
        "--json", action="store_true", help="print the mock's JSON answer (default: a table)"
    )
    macros = fire.add_argument_group(
        "macros", "Values by macro name: --transaction-id fills {transaction_id}, --sub1 {sub1}."
    )
    for name in MACRO_NAMES:
        required = name in ("offer_id", "affiliate_id")
        macros.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            type=_id_type(name, integer) if name in ID_MINIMUMS else str,
            required=required,
            metavar="ID" if name in ID_MINIMUMS else "VALUE",
            help=("required" if required else f"the value of {{{name}}}")
            + ("" if required else " (default: none, the macro renders empty)"),
        )


def run_fire(args: argparse.Namespace) -> int:
    """POST the conversion to the mock and print what it delivered: 0 when every delivery
    was delivered or kept, 1 when one failed or was refused, 2 when the mock refused the
    conversion or could not be reached."""
    body: dict[str, Any] = {"type": args.type}
    body.update(
        {name: getattr(args, name) for name in MACRO_NAMES if getattr(args, name) is not None}
    )
    if not 0 <= args.wait <= 60:
        print("everflow-mock: --wait must be from 0 to 60 seconds", file=sys.stderr)
        return 2
    query = f"wait={args.wait:g}"
    if args.delay_scale is not None:
        query += f"&delay_scale={args.delay_scale:g}"
    root = args.base_url.rstrip("/").removesuffix("/v1")
    url = f"{root}/__admin/conversions?{query}"
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    token = os.environ.get(ADMIN_TOKEN_ENV)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=args.wait + 10) as answer:
            data = json.loads(answer.read())
    except urllib.error.HTTPError as error:
        detail = _detail(error.read()) if error.code != 401 else _token_advice(token)
        print(
            f"everflow-mock: the mock at {root} refused the conversion ({error.code}): {detail}",
            file=sys.stderr,
        )
        return 2
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        print(f"everflow-mock: cannot reach the mock at {root}: {reason}", file=sys.stderr)
        return 2
    deliveries = data.get("deliveries", [])
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(format_deliveries(deliveries))
    return 1 if any(d.get("state") in FAILED_STATES for d in deliveries) else 0


def _token_advice(token: str | None) -> str:
    # The mock's own 401 detail names a header, which fire sends only from the variable.
    if token:
        return f"${ADMIN_TOKEN_ENV} is not the mock's admin token; set it to the one the mock has"
    return f"the mock wants its admin token: set ${ADMIN_TOKEN_ENV} to it"


def _detail(raw: bytes) -> str:
    try:
        return str(json.loads(raw).get("detail") or raw[:200].decode(errors="replace"))
    except (ValueError, AttributeError):
        return raw[:200].decode(errors="replace")


def format_deliveries(deliveries: list[dict[str, Any]]) -> str:
    """One line per delivery: id, pixel, method, state, status, ms, and what was rendered."""
    if not deliveries:
        return "no active postback applies to this conversion"
    lines = []
    for d in deliveries:
        what = d.get("url") or d.get("html") or json.dumps(d.get("event"), ensure_ascii=False)
        status = d.get("status") if d.get("status") is not None else "-"
        ms = f"{d['ms']:.1f} ms" if d.get("ms") is not None else "-"
        line = (
            f"#{d.get('id')} pixel {d.get('pixel_id')} {d.get('delivery_method')} "
            f"{d.get('state')} {status} {ms} {what}"
        )
        if d.get("error"):
            line += f"  ({d['error']})"
        if d.get("deactivated"):
            line += "  [postback deactivated]"
        lines.append(line)
    return "\n".join(lines)
