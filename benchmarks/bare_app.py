"""The baseline for bench_server.py: a bare Flask endpoint returning one fixed postback.

It returns exactly the bytes the mock serves for id 3, so both send the same body.
"""

from __future__ import annotations

from flask import Flask, Response

from mock_server.data.catalogue import builtin_postbacks
from mock_server.data.strictjson import dumps

BODY = dumps(builtin_postbacks(0)[2])

app = Flask(__name__)


@app.get("/v1/networks/pixels/<int:pixel_id>")
def pixel(pixel_id: int) -> Response:
    return Response(BODY, 200, content_type="application/json")
