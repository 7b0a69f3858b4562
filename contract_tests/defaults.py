"""The contract run's defaults and limits, in one light module.

The CLI shows them in ``--help`` without importing httpx or the spec, and the client, the
suite and the README all name the same numbers.
"""

from __future__ import annotations

PIXEL_IDS_ENV = "EVERFLOW_PIXEL_IDS"
"""The environment variable the pixel ids (``12,34``) are read from when none are given."""

# A valid 64-bit id that no real network is expected to have.
DEFAULT_MISSING_ID = 9_223_372_036_854_775_000

PAGE_SIZE = 5
"""The ``page_size`` of the list and search probes: small, so that one page is cheap and,
on any network with more postbacks than that, full (which the paging checks need)."""

READ_REQUESTS_BEYOND_IDS = 11
"""Requests a read-only run sends besides one per pixel id: no key, unknown id, list, search,
three searches that observe what the target chose where Everflow's docs disagree (a
``paging`` object, the same against the query string, ``pixel_type: post_conversion``), and
what postbacks point at: an offer, a partner and one page of each table."""

WRITE_REQUESTS = 10
"""Requests the write probes send: create, read, replace, read, delete, read, delete again,
a rule-breaking create, a create naming an offer that does not exist, and a search for
anything the run left behind."""

CLEANUP_GRACE = 60.0
"""Seconds the deletes of a run's probe postbacks may take beyond ``--max-time``, so that a
run out of time (or interrupted) still cleans up; each delete is bounded by ``--timeout``."""

CLEANUP_PAGE_SIZE = 200
CLEANUP_LIMIT = 1000
"""``--cleanup`` searches pages of 200 and deletes at most 1000 probe postbacks a run."""
