"""The safe client's defaults and limits, in one light module (standard library only).

The CLIs show them in ``--help`` without importing httpx or the spec; the client, the
contract suite, the proxy and the recorder all name the same numbers.
"""

from __future__ import annotations

KEY_ENV = "EVERFLOW_API_KEY"
"""The environment variable the key is read from unless ``--api-key-env`` names another."""

# Partner keys get 5 requests/s (burst 20); network keys more. Stay under the smaller.
DEFAULT_RATE = 5.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5

DEFAULT_TIMEOUT = 30.0
"""Seconds one request may take, from connecting to the last byte of the body."""

DEFAULT_MAX_TIME = 300.0
"""Seconds a whole run may take. Five minutes: a few hundred pixel ids at 5/s with retries
fit easily, and a stalled or throttling server fails a CI step in minutes, not at the CI's
job timeout (the example workflow's is 15 minutes)."""

RETRY_AFTER_CAP = 10.0
"""The longest ``Retry-After`` the client waits for; a server asking for more is not retried
(the run gives up on it rather than calling again sooner than asked)."""

MAX_ANSWER_BYTES = 1 << 20
"""The largest answer body read (1 MiB); a postback is a few kilobytes."""

MAX_JSON_DEPTH = 64
"""The deepest nesting of JSON arrays and objects the client parses; a postback nests four
levels deep, and parsing (or judging) a body 100,000 levels deep would exhaust the stack."""
