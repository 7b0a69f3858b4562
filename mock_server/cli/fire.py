"""``everflow-mock fire``: fire a conversion through a running mock and print its deliveries.

The request goes as the contract client sends its own (``openapi.remote``): redirects never
followed (the admin token stays with the mock it was meant for), no proxy from the
environment for a loopback mock (``environment_proxy``'s rule; ``trust_env`` off, so no
``.netrc`` either), the admin token never over plain http to a host that is not loopback
(``in_the_clear``), and the answer read as the client reads one (``read_bounded``: one
encoding at most, never past ``MAX_FIRE_ANSWER_BYTES``, within the time allowed). httpx is
imported only when the command runs, so ``--help`` stays light.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mock_server.cli.values import integer
from mock_server.firing.ids import ID_MINIMUMS, id_rule

if TYPE_CHECKING:
    import httpx

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
MAX_FIRE_ANSWER_BYTES = 64 * 1024 * 1024
"""The largest answer ``fire`` reads: a thousand deliveries (the journal's default size) of
16,384 characters each, four times over."""
FAILED_STATES = ("failed", "refused", "cancelled")
NONE_APPLIES = "no active postback applies to this conversion"


def _id_type(name: str) -> Callable[[str], int]:
    """An argparse type: an integer, refused below the id's minimum."""

    def parse(text: str) -> int:
        value = integer(text)
        if value < ID_MINIMUMS[name]:
            raise argparse.ArgumentTypeError(f"{id_rule(name)}, not {text}")
        return value

    return parse


def add_fire_arguments(fire: argparse.ArgumentParser) -> None:
    """The options of ``everflow-mock fire``: the mock, the type, and one per macro; the id
    macros' values are held to ``ID_MINIMUMS``."""
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
        "--expect",
        type=_count,
        metavar="N",
        help="exit 1 unless exactly N postbacks apply (default: at least one); --expect 0 "
        "checks that none fires",
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
            type=_id_type(name) if name in ID_MINIMUMS else str,
            required=required,
            metavar="ID" if name in ID_MINIMUMS else "VALUE",
            help=("required" if required else f"the value of {{{name}}}")
            + ("" if required else " (default: none, the macro renders empty)"),
        )


def _count(text: str) -> int:
    """An argparse type: a whole number >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"a whole number of postbacks (0 or more), not {text}")
    return value


def run_fire(args: argparse.Namespace) -> int:
    """POST the conversion to the mock and print what it delivered, and when not as many
    applied as expected, the postbacks that did not fire and why. The exit codes are those
    ``fire --help`` says; 2 also for an answer ``read_bounded`` refuses and, before anything
    is sent, when the admin token would go over plain http to a host that is not loopback."""
    import httpx  # here, not at import: ``--help`` loads no HTTP client

    from openapi.remote.decoding import ACCEPT_ENCODING, read_bounded, single_encoding
    from openapi.remote.defaults import MAX_JSON_DEPTH
    from openapi.remote.failures import TransportFailure, json_depth
    from openapi.remote.targets import environment_proxy, in_the_clear

    body: dict[str, Any] = {"type": args.type}
    body.update(
        {name: getattr(args, name) for name in MACRO_NAMES if getattr(args, name) is not None}
    )
    if not 0 <= args.wait <= 60:
        print("everflow-mock: --wait must be from 0 to 60 seconds", file=sys.stderr)
        return 2
    query = f"wait={args.wait:g}&explain=true"
    if args.delay_scale is not None:
        query += f"&delay_scale={args.delay_scale:g}"
    root = args.base_url.rstrip("/").removesuffix("/v1")
    headers = {"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING}
    token = os.environ.get(ADMIN_TOKEN_ENV)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    seconds = args.wait + 10
    ends = time.monotonic() + seconds

    def check_time() -> None:
        if time.monotonic() > ends:
            raise TransportFailure(f"no complete answer within {seconds:g} s")

    try:
        url = httpx.URL(f"{root}/__admin/conversions?{query}")
        if token and in_the_clear(url):
            print(
                f"everflow-mock: refusing to send the admin token (${ADMIN_TOKEN_ENV}) over "
                f"plain http to {url.host}; give the mock's https address as --base-url (plain "
                "http only to a loopback address)",
                file=sys.stderr,
            )
            return 2
        transport = httpx.HTTPTransport(proxy=environment_proxy(url))
        with httpx.Client(
            transport=transport, follow_redirects=False, trust_env=False, timeout=seconds
        ) as client:
            request = client.build_request("POST", url, json=body, headers=headers)
            answer = client.send(request, stream=True)
            try:
                if answer.is_redirect:
                    print(f"everflow-mock: {_redirect(root, answer)}", file=sys.stderr)
                    return 2
                what = f"POST {url.path}"
                coding = single_encoding(answer.headers.get("Content-Encoding", ""), what)
                content = read_bounded(
                    answer.iter_raw(), coding, what, check_time, MAX_FIRE_ANSWER_BYTES
                )
            finally:
                answer.close()
        if answer.status_code != 200:
            code = answer.status_code
            detail = _detail(content) if code != 401 else _token_advice(token)
            print(
                f"everflow-mock: the mock at {root} refused the conversion ({code}): {detail}",
                file=sys.stderr,
            )
            return 2
    except TransportFailure as failure:
        print(f"everflow-mock: the mock at {root} answered: {failure}", file=sys.stderr)
        return 2
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as error:
        reason = error if str(error) else type(error).__name__
        print(f"everflow-mock: cannot reach the mock at {root}: {reason}", file=sys.stderr)
        return 2
    try:
        if json_depth(content) > MAX_JSON_DEPTH:
            raise ValueError("nested too deep to be the mock's")
        data = json.loads(content)
        deliveries = list(data["deliveries"])
    except (ValueError, KeyError, TypeError):
        print(
            f"everflow-mock: what answered at {root} is not the mock: its answer "
            f"({len(content):,} bytes) has no deliveries",
            file=sys.stderr,
        )
        return 2
    if args.json:
        print(json.dumps(data, indent=2))
    applied = len(deliveries)
    wrong_count = applied != args.expect if args.expect is not None else not applied
    if not args.json:
        print(format_deliveries(deliveries))
        if wrong_count:
            missed, total = data.get("not_applied"), data.get("not_applied_total")
            print(format_not_applied(missed, total, applied))
    if wrong_count:
        if args.expect is None:
            verdict = f"{NONE_APPLIES} (--expect 0 if none should)"
        else:
            verdict = f"{applied} postback{'s' * (applied != 1)} applied, --expect {args.expect}"
        print(f"everflow-mock: {verdict}", file=sys.stderr)
        return 1
    return 1 if any(d.get("state") in FAILED_STATES for d in deliveries) else 0


def _redirect(root: str, answer: httpx.Response) -> str:
    """Why a redirect ends the command: where it pointed (scheme, host and port only)."""
    where = urlsplit(answer.headers.get("location", ""))
    try:
        to = f" to {where.scheme}://{where.hostname}:{where.port}" if where.hostname else ""
    except ValueError:
        to = ""
    return (
        f"the mock at {root} answered {answer.status_code}, a redirect{to}; fire follows no "
        "redirects, so that the admin token goes nowhere else: give the mock's own address "
        "as --base-url"
    )


def _token_advice(token: str | None) -> str:
    # The mock's own 401 detail names a header, which fire sends only from the variable.
    if token:
        return f"${ADMIN_TOKEN_ENV} is not the mock's admin token; set it to the one the mock has"
    return f"the mock wants its admin token: set ${ADMIN_TOKEN_ENV} to it"


def _detail(raw: bytes) -> str:
    """What a refusal said (its problem's ``detail``, else its first bytes), cut and escaped:
    the server's text may not drive the terminal."""
    from openapi.remote.masking import printable
    from openapi.text import cut

    try:
        said = str(json.loads(raw).get("detail") or "")
    except (ValueError, AttributeError):
        said = ""
    return printable(cut(said or raw[:200].decode(errors="replace"), 200))


def format_deliveries(deliveries: list[dict[str, Any]]) -> str:
    """One line per delivery: id, pixel, method, state, status, ms, and what was rendered."""
    if not deliveries:
        return NONE_APPLIES
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


def format_not_applied(missed: Any, total: Any, applied: int = 0) -> str:
    """The postbacks for the conversion's partner or offer that did not fire, one line each
    with why (the mock's ``not_applied``), or that there are none (besides the ``applied``)."""
    if not isinstance(missed, list) or not isinstance(total, int):
        return "(this mock does not say which postbacks it considered)"
    if not total:
        other = " other" if applied else ""
        return f"no{other} postback is stored for this partner or offer"
    lines = [f"{total} postback{'s' * (total != 1)} for this partner or offer did not fire:"]
    lines += [f"  pixel {m.get('pixel_id')}: {m.get('reason')}" for m in missed]
    if total > len(missed):
        lines.append(f"  ... and {total - len(missed)} more")
    return "\n".join(lines)
