"""The admin page as ``everflow-mock proxy`` serves it: violations and drift by operation,
and the latest requests, as the proxy's summary and journal give them, updating by itself
while open (``/__admin/ui/proxy.json``, polled by the page's script).

The mock's page (``mock_server.admin.page``) with one view of the proxy's own: the same
templates, script, stylesheet and headers (no inline script, nothing from elsewhere), in a
Flask app built on the first request for it. ``ProxyApp`` hands it ``/__admin/ui/...`` and a
browser's navigation to ``/__admin/`` after its own guard (the web-page guard, loopback
clients only); the data is ``Tally``'s counts and journal, which hold no header value, no
body and no key.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from openapi.text import counted

if TYPE_CHECKING:
    from flask import Flask

    from mock_server.proxy.tally import Tally

JOURNAL_ROWS = 200
"""The most journal rows the view shows (the newest)."""
PROXY_VIEWS = (("proxy", "everflow_admin.page.proxy_view", "Proxy"),)


def proxy_page(tally: Tally) -> Flask:
    """A WSGI app serving the proxy's page for ``tally`` under ``/__admin/ui/``."""
    from flask import Blueprint, Flask, Response, render_template

    from mock_server.admin.api import answer
    from mock_server.admin.page import add_home, flask_response, page_blueprint

    app = Flask(__name__)
    admin = Blueprint("everflow_admin", __name__, url_prefix="/__admin")
    add_home(admin, "everflow_admin.page.proxy_view")
    page = page_blueprint(PROXY_VIEWS)

    @page.get("/")
    def proxy_view() -> str:
        return render_template(
            "everflow_admin/proxy.html", view="proxy", limit=JOURNAL_ROWS, **_now(tally)
        )

    @page.get("/proxy.json")
    def proxy_now() -> Response:
        return flask_response(answer(_now(tally)))

    admin.register_blueprint(page, url_prefix="/ui")
    app.register_blueprint(admin)
    return app


def _now(tally: Tally) -> dict[str, Any]:
    """The view's data: the run by operation, and the newest journal rows first."""
    requests = tally.journal()[-JOURNAL_ROWS:]
    requests.reverse()
    run = tally.by_operation()
    said = (
        f"{counted(run['requests'], 'request')} for {run['target']} ({run['mode']}); "
        f"{counted(run['broken'], 'answer')} broke the spec; {run['unsent']} not sent; "
        f"{run['unanswered']} got no usable answer (502, 504)."
    )
    return {"run": run, "said": said, "rows": [_row(entry) for entry in requests]}


def _row(entry: dict[str, Any]) -> dict[str, str]:
    """A journal entry of the proxy as a table row."""
    query, named = entry["query"], entry["violations"]
    more = entry["violation_count"] - len(named)
    return {
        "time": time.strftime("%H:%M:%S", time.localtime(entry["time"])),
        "method": entry["method"],
        "path": entry["path"] + (f"?{query}" if query else ""),
        "status": str(entry["status"]),
        "operation": entry["operation"],
        "upstream": entry["upstream"],
        "violations": "; ".join(
            f"{v['rule']} at {v['path']}: expected {v['expected']}, got {v['actual']}"
            for v in named
        )
        + (f" (and {more} more)" if more > 0 else ""),
        "drift": ", ".join(entry["undocumented_fields"]),
    }
