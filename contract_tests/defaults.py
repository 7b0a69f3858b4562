"""The contract run's defaults and limits, in one light module.

The CLI shows them in ``--help`` without importing httpx or the spec, and the client, the
suite and the README all name the same numbers.
"""

from __future__ import annotations

KEY_ENV = "EVERFLOW_API_KEY"
"""The environment variable the key is read from unless ``--api-key-env`` names another."""

PIXEL_IDS_ENV = "EVERFLOW_PIXEL_IDS"
"""The environment variable the pixel ids (``12,34``) are read from when none are given."""

# A valid 64-bit id that no real network is expected to have.
DEFAULT_MISSING_ID = 9_223_372_036_854_775_000

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

PAGE_SIZE = 5
"""The ``page_size`` of the list and search probes: small, so that one page is cheap and,
on any network with more postbacks than that, full (which the paging checks need)."""

READ_REQUESTS_BEYOND_IDS = 7
"""Requests a read-only run sends besides one per pixel id: no key, unknown id, list, search,
and three searches that observe what the target chose where Everflow's docs disagree (a
``paging`` object, the same against the query string, ``pixel_type: post_conversion``)."""

WRITE_REQUESTS = 9
"""Requests the write probes send: create, read, replace, read, delete, read, delete again,
a rule-breaking create, and a search for anything the run left behind."""

CLEANUP_GRACE = 60.0
"""Seconds the deletes of a run's probe postbacks may take beyond ``--max-time``, so that a
run out of time (or interrupted) still cleans up; each delete is bounded by ``--timeout``."""

CLEANUP_PAGE_SIZE = 200
CLEANUP_LIMIT = 1000
"""``--cleanup`` searches pages of 200 and deletes at most 1000 probe postbacks a run."""
