"""The baseline for bench_scale.py: the mock as it was served before the RSGI front.

The same ``create_app`` app, answered through its WSGI front on granian with 16 Python
threads per worker (the settings of `everflow-mock serve` before issue 11).
"""

from __future__ import annotations

import argparse

from mock_server.app import create_app
from mock_server.core.config import MockConfig, RateLimit
from mock_server.server.serve import ServerOptions, run_wsgi

WSGI_THREADS = 16

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dynamic", action="store_true")
    parser.add_argument("--rate-limit", default="off")
    parser.add_argument("--threads", type=int, default=WSGI_THREADS)
    args = parser.parse_args()
    app = create_app(MockConfig(dynamic=args.dynamic, rate_limit=RateLimit.parse(args.rate_limit)))
    options = ServerOptions(port=args.port, threads=args.threads, access_log=False)
    run_wsgi(app, lambda: app, options)
