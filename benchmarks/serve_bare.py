"""Serve benchmarks/bare_app.py with exactly the server settings of `everflow-mock serve`."""

from __future__ import annotations

import argparse

from benchmarks.bare_app import app
from mock_server.serve import THREADS, run_wsgi

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=THREADS)
    args = parser.parse_args()
    run_wsgi(app, lambda: app, "127.0.0.1", args.port, args.workers, threads=args.threads)
