"""Serve benchmarks/bare_app.py with exactly the server settings of `everflow-mock serve`."""

from __future__ import annotations

import argparse

from benchmarks.bare_app import app
from mock_server.server.serve import THREADS, ServerOptions, run_wsgi

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--access-log", action="store_true", help="log as serve does by default")
    args = parser.parse_args()
    options = ServerOptions(
        port=args.port, workers=args.workers, threads=args.threads, access_log=args.access_log
    )
    run_wsgi(app, lambda: app, options)
