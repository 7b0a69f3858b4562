"""The start-up baseline for bench_startup.py: a bare Flask app on granian's own CLI.

One route answering the mock's id-3 path with a fixed body; nothing of the kit imported.
"""

from __future__ import annotations

import sys

from flask import Flask, Response

app = Flask(__name__)


@app.get("/v1/networks/pixels/<int:pixel_id>")
def pixel(pixel_id: int) -> Response:
    return Response(b'{"network_pixel_id":3}', 200, content_type="application/json")


if __name__ == "__main__":
    from granian.cli import cli

    port = sys.argv[1]
    sys.argv = ["granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", port,
                "--workers", "1", "--log-level", "warning", "benchmarks.serve_bare_flask:app"]  # fmt: skip
    cli()
