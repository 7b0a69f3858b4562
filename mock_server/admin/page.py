"""The admin page: what the admin API knows, as HTML for a person, under ``/__admin/ui/``.

Flask's part of a mock: a blueprint nested in the admin blueprint (``admin_blueprint``), so
the admin guard (``mock_server.admin.guard``: loopback only, or the admin token) applies to
every page and static file, as to the admin API on the request core. Pages are rendered by
Jinja2 with autoescape on and sent with a Content-Security-Policy that allows no inline
script and nothing from elsewhere: stored postbacks, journaled paths and rendered deliveries
are data, never markup. The one script (``static/admin.js``) follows the request journal and
the deliveries, fires conversions and resets through the admin API's own JSON endpoints,
building what it shows with ``textContent``; the page adds no call that changes the mock.
Under ``--admin-token`` a browser signs in once (``sign_in_page``, ``session``) for a session
cookie (``Sessions``) and signs out by deleting it. The proxy serves the same page with a
view of its own (``mock_server.proxy.page``).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response as BaseResponse

from mock_server.admin.api import ID, NO_SUCH_ID, ROUTES, AdminCall, answer, invalid_parameter
from mock_server.admin.guard import AdminGuard, Sessions, token_required, wants_html
from mock_server.core.controls import MAX_DIGITS
from mock_server.core.reply import Reply
from mock_server.firing.conversion import CONVERSION_TYPES
from mock_server.firing.engine import firing_of
from mock_server.operations.selection import list_conditions
from mock_server.pipeline.pipeline import Pipeline
from mock_server.state.index import ID_FIELD, Condition, Contains, Equals
from mock_server.state.mock_state import MockState
from openapi.spec import load_spec, resolved
from openapi.text import cut

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; "
    "object-src 'none'"
)
"""Nothing inline, nothing from elsewhere, never framed."""
PAGE_SIZE = 50
"""Postbacks per page: the page is one slice of the store's index, never the whole store."""
JOURNAL_ROWS = 200
"""The most journal rows one page or one poll carries (the newest)."""
TEXT_LIMIT = 200
"""How much of a long value (a URL, a path) a table cell shows; the entry's page has it all."""

POSTBACK_FILTERS = ("pixel_level", "delivery_method", "pixel_status")
"""The postback columns filtered by choosing one of the spec's values."""
NUMBER_FILTERS = {"id": ID_FIELD, "offer": "network_offer_id", "partner": "network_affiliate_id"}
"""The postback columns filtered by an exact number, by query parameter name."""
MAX_NUMBER = 2**63 - 1


STATIC = "everflow_admin.page.static"
"""The endpoint of the page's script and stylesheet: package files, no data, served to a
browser that has not signed in yet (the sign-in page needs them)."""
MOCK_VIEWS = (
    ("requests", "everflow_admin.page.requests_view", "Requests"),
    ("postbacks", "everflow_admin.page.postbacks_view", "Postbacks"),
    ("deliveries", "everflow_admin.page.deliveries_view", "Deliveries"),
    ("settings", "everflow_admin.page.settings_view", "Settings"),
)
"""The mock's views: name, endpoint and label."""


def page_blueprint(views: tuple[tuple[str, str, str], ...]) -> Blueprint:
    """The page's blueprint, without views: templates, script and stylesheet, the headers
    every page and file is sent with, the navigation between ``views``. The mock and the
    proxy each add their views, and nest it in their admin blueprint under ``/ui``."""
    page = Blueprint(
        "page",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )

    page.after_request(hardened)

    @page.context_processor
    def navigation() -> dict[str, Any]:
        return {"nav": [(name, url_for(endpoint), label) for name, endpoint, label in views]}

    return page


def hardened(response: Response) -> Response:
    """``response`` with the headers every page and file is sent with: the CSP, no
    sniffing, no referrer, no caching."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def add_home(admin: Blueprint, home: str) -> None:
    """Send a browser that opens ``admin``'s prefix itself to ``home`` (an endpoint); any
    other client of the prefix, whatever its method, keeps the 404 it got before."""

    @admin.route("/", strict_slashes=False, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def root() -> BaseResponse:
        if request.method == "GET" and wants_html(request.headers.get("Accept", "")):
            return redirect(url_for(home), 303)
        abort(404)


def sign_in_page() -> Response:
    """The page a browser gets under ``--admin-token`` before it has signed in (401): a
    field for the token, which the script sends once as ``Authorization: Bearer`` to
    ``/__admin/ui/session`` for the page's session cookie; no data of the mock. Sent
    without the script, the form posts the token in a body the session refuses (401),
    never in a URL a history would keep."""
    html = render_template("everflow_admin/token.html", view=None, nav=[], sign_out=None)
    return hardened(Response(html, 401, content_type="text/html; charset=utf-8"))


class AsciiId(IntegerConverter):
    """An id in ASCII digits, as the API takes them: Werkzeug's ``int`` also matches other
    scripts' digits (``/__admin/ui/postbacks/٣`` would be postback 3)."""

    regex = r"[0-9]+"


def admin_blueprint(pipeline: Pipeline, guard: AdminGuard) -> Blueprint:
    """What Flask serves under ``/__admin``: the page, behind the admin guard. The admin
    API is answered on the request core (``mock_server.admin.api``); its routes are here as
    rules all the same, so that Flask answers a method they lack 405 (naming those they
    have), a browser that has not signed in the page's sign-in, and what the core left to
    it by the same handler (``answered_by``)."""
    admin = Blueprint("everflow_admin", __name__, url_prefix="/__admin")

    @admin.record_once
    def ascii_ids(setup: BlueprintSetupState) -> None:
        setup.app.url_map.converters["id"] = AsciiId

    @admin.before_request
    def guarded() -> Response | None:
        if guard.admits(request.environ) or request.endpoint == STATIC:
            return None
        if request.method == "GET" and wants_html(request.headers.get("Accept", "")):
            return sign_in_page()
        raise token_required()

    methods: dict[str, list[str]] = {}
    for method, path in ROUTES:
        methods.setdefault(path, []).append(method)
    for path, named in methods.items():
        rule = "/" + path.replace(ID, "<id:ident>")
        endpoint = path.replace(f"/{ID}", "_id")  # url_for("everflow_admin.pixels_id", ...)
        admin.add_url_rule(rule, endpoint, answered_by(pipeline, path), methods=named)
    add_admin_page(admin, pipeline.state, guard.sessions)
    return admin


def answered_by(pipeline: Pipeline, path: str) -> Callable[..., BaseResponse]:
    """The view of an admin API path, for what the core left to Flask (a signed-in
    browser's navigation; a method or path Flask's router reads more loosely, ``get`` or
    ``//__admin/...``): the core's handler answers, after Flask's guard."""

    def view(ident: int = 0) -> BaseResponse:
        method = "GET" if request.method == "HEAD" else request.method
        route = ROUTES[(method, path)] if ident < 10**MAX_DIGITS else NO_SUCH_ID
        body = request.get_data(cache=False) if route.reads_body else None
        return flask_response(route.handler(AdminCall(pipeline, request.environ, ident, body)))

    return view


def flask_response(reply: Reply) -> Response:
    return Response(reply.body, reply.status, reply.header_list())


def add_admin_page(admin: Blueprint, state: MockState, sessions: Sessions | None) -> None:
    """Serve the mock's page under ``admin``'s prefix (``/ui/``), and send a browser that
    opens the prefix itself there; ``sessions`` signs browsers in under ``--admin-token``."""
    add_home(admin, "everflow_admin.page.requests_view")
    page = page_blueprint(MOCK_VIEWS)

    @page.context_processor
    def sign_out_button() -> dict[str, Any]:
        return {"sign_out": url_for(".session") if sessions is not None else None}

    @page.route("/session", methods=["POST", "DELETE"])
    def session() -> Response:
        """Sign the browser in (POST: the admin guard has checked the token this request
        sent) or out (DELETE); without an admin token there is no session to keep."""
        answer = Response(status=204)
        if sessions is not None:
            (sessions.sign_in if request.method == "POST" else sessions.sign_out)(
                answer, request.environ
            )
        return answer

    @page.get("/")
    def requests_view() -> str:
        rows = [_request_row(n, e) for n, e in state.journal.numbered(limit=JOURNAL_ROWS)]
        last = rows[0]["n"] if rows else _last_number(state)
        return render_template(
            "everflow_admin/requests.html",
            view="requests",
            rows=rows,
            last=last,
            limit=JOURNAL_ROWS,
        )

    @page.get("/requests.json")
    def requests_since() -> Response:
        after = _number_arg("after", 0)
        if after is None:
            raise invalid_parameter("after", "a whole number")
        numbered = state.journal.numbered(after=after, limit=JOURNAL_ROWS)
        last = numbered[0][0] if numbered else max(after, _last_number(state))
        return flask_response(answer({"last": last, "rows": [_request_row(*n) for n in numbered]}))

    @page.get("/requests/<id:number>")
    def request_view(number: int) -> str | tuple[str, int]:
        entry = state.journal.numbered_entry(number)
        if entry is None:
            return _missing(f"request {number} is no longer in the journal")
        return _entry("requests", f"Request {number}", entry)

    @page.get("/postbacks")
    def postbacks_view() -> tuple[str, int]:
        chosen = {name: request.args.get(name, "") for name in (*POSTBACK_FILTERS, *NUMBER_FILTERS)}
        chosen["url"] = request.args.get("url", "")
        problems: list[str] = []
        conditions = _postback_conditions(chosen, problems)
        page_number = _number_arg("page", 1)
        if page_number is None or page_number < 1:
            problems.append("page must be a whole number from 1")
            page_number = 1
        rows: list[dict[str, Any]] = []
        total = 0
        if not problems:
            answer = json.loads(state.store.page(conditions, page_number, PAGE_SIZE))
            rows = [_postback_row(p) for p in answer["pixels"]]
            total = answer["paging"]["total_count"]
        pages = max(1, -(-total // PAGE_SIZE))
        links = {
            "previous": _page_link(chosen, page_number - 1) if page_number > 1 else None,
            "next": _page_link(chosen, page_number + 1) if page_number < pages else None,
        }
        html = render_template(
            "everflow_admin/postbacks.html",
            view="postbacks",
            rows=rows,
            total=total,
            page=page_number,
            pages=pages,
            links=links,
            chosen=chosen,
            choices=_choices(),
            problems=problems,
        )
        return html, 400 if problems else 200

    @page.get("/postbacks/<id:pixel_id>")
    def postback_view(pixel_id: int) -> str | tuple[str, int]:
        data = state.store.get(pixel_id)
        if data is None:
            return _missing(f"no postback has id {pixel_id}")
        raw_url = url_for("everflow_admin.pixels_id", ident=pixel_id)
        return _entry("postbacks", f"Postback {pixel_id}", json.loads(data), raw_url)

    @page.get("/deliveries")
    def deliveries_view() -> str:
        return render_template(
            "everflow_admin/deliveries.html",
            view="deliveries",
            rows=_delivery_rows(state),
            types=tuple(CONVERSION_TYPES),
        )

    @page.get("/deliveries.json")
    def deliveries_now() -> Response:
        return flask_response(answer({"rows": _delivery_rows(state)}))

    @page.get("/settings")
    def settings_view() -> str:
        return render_template(
            "everflow_admin/settings.html", view="settings", settings=_settings(state)
        )

    admin.register_blueprint(page, url_prefix="/ui")


def _missing(detail: str) -> tuple[str, int]:
    return render_template("everflow_admin/missing.html", view=None, detail=detail), 404


def _number_arg(name: str, default: int) -> int | None:
    """A query parameter as a whole number (ASCII digits), ``None`` when it is not one."""
    text = request.args.get(name, "")
    if not text:
        return default
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else None


def _last_number(state: MockState) -> int:
    newest = state.journal.numbered(limit=1)
    return newest[0][0] if newest else 0


def _short(value: Any) -> str:
    """``value`` as text fit for a table cell: long values are cut, with a note."""
    return cut("" if value is None else str(value), TEXT_LIMIT, noted=True)


def _entry(view: str, title: str, value: Any, raw_url: str | None = None) -> str:
    """A journal entry or a postback, whole, as indented JSON."""
    body = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return render_template(
        "everflow_admin/entry.html", view=view, title=title, body=body, raw_url=raw_url
    )


def _request_row(number: int, entry: Mapping[str, Any]) -> dict[str, Any]:
    """A journal entry as a table row (the JSON a poll sends; the script shows it as text)."""
    query = "&".join(
        f"{name}={v}"
        for name, value in entry["query"].items()
        for v in (value if isinstance(value, list) else [value])
    )
    return {
        "n": number,
        "time": time.strftime("%H:%M:%S", time.localtime(entry["time"])),
        "method": entry["method"],
        "path": _short(entry["path"] + (f"?{query}" if query else "")),
        "status": "" if entry["status"] is None else str(entry["status"]),
        "operation": entry["operation"] or "",
        "ms": "" if entry["ms"] is None else f"{entry['ms']:.1f}",
        "verdict": _verdict(entry["verdict"]),
        "warning": _short(entry.get("warning", "")),
        "fault": entry.get("fault", ""),
    }


def _verdict(verdict: Mapping[str, str]) -> str:
    """What the spec said of a request and its answer, in a few words, then why."""
    said = f"request {verdict['request']}, answer {verdict['answer']}"
    return _short(f"{said}: {verdict['detail']}" if verdict["detail"] else said)


def _postback_row(postback: Mapping[str, Any]) -> dict[str, str]:
    target = postback.get("postback_url") or postback.get("html_code") or ""
    return {
        "id": str(postback["network_pixel_id"]),
        "level": str(postback.get("pixel_level", "")),
        "type": str(postback.get("pixel_type", "")),
        "method": str(postback.get("delivery_method", "")),
        "status": str(postback.get("pixel_status", "")),
        "offer": str(postback.get("network_offer_id", "")),
        "partner": str(postback.get("network_affiliate_id", "")),
        "url": _short(target),
        "description": _short(postback.get("description", "")),
    }


def _delivery_rows(state: MockState) -> list[dict[str, str]]:
    """The journal's deliveries as table rows, newest first."""
    return [_delivery_row(d) for d in reversed(firing_of(state).journal.entries())]


def _delivery_row(delivery: Mapping[str, Any]) -> dict[str, str]:
    rendered = (
        delivery["url"]
        or delivery["html"]
        or (json.dumps(delivery["event"]) if delivery["event"] else "")
    )
    return {
        "id": str(delivery["id"]),
        "pixel": str(delivery["pixel_id"]),
        "target": f"{delivery['delivery_method']} ({delivery['type']})",
        "rendered": _short(rendered),
        "state": delivery["state"],
        "status": "" if delivery["status"] is None else str(delivery["status"]),
        "ms": "" if delivery["ms"] is None else f"{delivery['ms']:.0f}",
        "failure": _short(delivery["error"] or ""),
        "deactivated": "deactivated" if delivery["deactivated"] else "",
    }


@functools.cache
def _choices() -> dict[str, tuple[str, ...]]:
    """Each choice filter's values, as the spec lists them."""
    properties = resolved(load_spec()["components"]["schemas"]["PartnerPostback"])["properties"]
    return {name: tuple(resolved(properties[name])["enum"]) for name in POSTBACK_FILTERS}


def _postback_conditions(chosen: Mapping[str, str], problems: list[str]) -> list[Condition]:
    """The index conditions of the filters chosen; a bad value is added to ``problems``."""
    filters = []
    for name in POSTBACK_FILTERS:
        value = chosen[name]
        if not value:
            continue
        if value not in _choices()[name]:
            problems.append(f"{name} must be one of {', '.join(_choices()[name])}")
        else:
            filters.append(f"{name}={value}")
    conditions = list_conditions(filters)
    for parameter, field in NUMBER_FILTERS.items():
        text = chosen[parameter].strip()
        if not text:
            continue
        digits = text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS
        if not digits or int(text) > MAX_NUMBER:
            problems.append(f"{parameter} must be a whole number, not {text[:40]!r}")
            continue
        conditions.append(Equals(field, frozenset((int(text),))))
    url = chosen["url"]
    if url:
        conditions.append(Contains(("postback_url",), url.casefold()))
    return conditions


def _page_link(chosen: Mapping[str, str], page: int) -> str:
    kept: dict[str, Any] = {name: value for name, value in chosen.items() if value}
    return url_for(".postbacks_view", **kept, page=page)


def _settings(state: MockState) -> list[tuple[str, str]]:
    """The mock's settings at a glance; secrets (API keys, the admin token) only as counts."""
    config = state.config
    limit = config.rate_limit
    return [
        ("postbacks stored", str(len(state.store))),
        ("requests journaled", f"{len(state.journal)} (at most {config.journal_size})"),
        ("seed", str(config.seed)),
        ("dynamic ids", "on" if state.dynamic else "off"),
        ("rate limit", "off" if limit is None else f"{limit.rate:g}/s, burst {limit.burst}"),
        ("api keys accepted", "any" if not config.api_keys else f"{len(config.api_keys)} set"),
        ("admin token", "set" if config.admin_token else "none (loopback clients only)"),
        ("error key", config.error_key),
        ("answer delay", f"{config.delay_ms} ms"),
        ("fault rate", f"{config.fault_rate:g}"),
        ("max body", f"{config.max_body} bytes"),
        ("read timeout", f"{config.read_timeout:g} s"),
        ("clock", "real" if config.clock is None else str(config.clock)),
        ("deliveries allowed to", ", ".join(config.deliver_to) or "loopback only"),
        ("delivery timeout", f"{config.delivery_timeout:g} s"),
        ("delivery delay scale", f"{config.delivery_delay_scale:g}"),
    ]
