"""What the admin API's tests share: a postback that fires for one partner, to a receiver."""

from __future__ import annotations

from typing import Any

from fixtures import PostbackFactory

PARTNER = 4242
"""The partner of the postbacks the tests fire (none of the built-in catalogue's)."""


def fired_postback(receiver_url: str, pixel_id: int = 900100) -> dict[str, Any]:
    """An active global conversion postback for ``PARTNER``, delivered at once to
    ``receiver_url`` + ``/pb?tid={transaction_id}``."""
    return PostbackFactory().build(
        pixel_id,
        delivery_method="postback",
        pixel_level="global",
        pixel_type="conversion",
        pixel_status="active",
        network_affiliate_id=PARTNER,
        delay_ms=0,
        postback_url=receiver_url + "/pb?tid={transaction_id}",
    )
