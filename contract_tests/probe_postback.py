"""The postback the write probes create: inactive, marked as a probe, and easy to find again.

Its description starts with ``PROBE_MARKER`` and names the run, so that a run can find
what it created (by the run id) and ``--cleanup`` can find what any run left behind (by the
marker), and a person reading the network's postbacks sees what it is.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from openapi.remote.checks import as_int

PROBE_MARKER = "everflow-contract probe"
"""The start of every probe postback's description; nothing else is ever deleted."""

PROBE_URL = "https://example.invalid/everflow-contract-probe?transaction_id={transaction_id}"
"""Where the probe would deliver, were it ever active: ``.invalid`` never resolves."""

WRITABLE_FIELDS = (
    "network_affiliate_id",
    "network_offer_id",
    "network_offer_payout_revenue_id",
    "delivery_method",
    "pixel_level",
    "pixel_status",
    "pixel_type",
    "postback_url",
    "html_code",
    "description",
    "delay_ms",
)
"""The writable fields a probe sends (its delivery is ``postback``: no platform object)."""

SERVER_FIELDS = ("network_pixel_id", "network_id", "time_created", "time_saved", "relationship")
"""The fields the server fills in on a create."""


def new_run_id() -> str:
    """A run id: the UTC time and a random part, e.g. ``20250101T120000Z-3fa9c1``."""
    now = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{secrets.token_hex(3)}"


def probe_description(run_id: str, note: str = "") -> str:
    """The description of a probe of run ``run_id``; ``note`` tells its versions apart."""
    middle = f" {note}" if note else ""
    return f"{PROBE_MARKER} {run_id}{middle} - safe to delete"


def is_probe(description: Any, run_id: str | None = None) -> bool:
    """Whether ``description`` is a probe's (of run ``run_id``, when given)."""
    if not isinstance(description, str) or not description.startswith(PROBE_MARKER + " "):
        return False
    return run_id is None or description.startswith(f"{PROBE_MARKER} {run_id} ")


def probe_body(template: Mapping[str, Any], run_id: str) -> dict[str, Any]:
    """A create body for an inactive postback-delivery conversion postback, at the level and
    for the partner and offer of ``template`` (a postback that exists on the target, so that
    the ids are real there)."""
    level = template.get("pixel_level")
    return {
        "network_affiliate_id": 0 if level == "global_offer" else template["network_affiliate_id"],
        "network_offer_id": 0 if level == "global" else template["network_offer_id"],
        "network_offer_payout_revenue_id": 0,
        "delivery_method": "postback",
        "pixel_level": level,
        "pixel_status": "inactive",
        "pixel_type": "conversion",
        "postback_url": PROBE_URL,
        "html_code": "",
        "description": probe_description(run_id),
        "delay_ms": 0,
    }


def usable_template(body: Any) -> bool:
    """Whether ``body`` (an answered postback) has the ids and level a probe copies."""
    if not isinstance(body, dict):
        return False
    ids = (body.get("network_affiliate_id"), body.get("network_offer_id"))
    return body.get("pixel_level") in ("global", "specific", "global_offer") and all(
        (value := as_int(i)) is not None and value >= 0 for i in ids
    )


def broken_body(template: Mapping[str, Any], run_id: str) -> dict[str, Any]:
    """A probe body that breaks exactly one documented rule, ``postback_url_required``
    (postback delivery without a URL): a create of it must be refused with a 400."""
    return {
        **probe_body(template, run_id),
        "postback_url": "",
        "description": probe_description(run_id, "invalid"),
    }


MISSING_REFERENCE = 9_223_372_036_854_775_000
"""An offer or partner id no network has (the largest 64-bit ids are never given out)."""


def unknown_reference_body(template: Mapping[str, Any], run_id: str) -> tuple[str, dict[str, Any]]:
    """A valid probe body whose offer (or, at ``global`` level, partner) does not exist:
    the field it names, and the body. Everflow's answer to it is undocumented."""
    field = (
        "network_affiliate_id" if template.get("pixel_level") == "global" else "network_offer_id"
    )
    body = {**probe_body(template, run_id), field: MISSING_REFERENCE}
    return field, {**body, "description": probe_description(run_id, "unknown reference")}


BROKEN_RULE = "postback_url_required"
BROKEN_FIELD = "postback_url"
"""The rule ``broken_body`` breaks, and the field a 400's message should name."""
