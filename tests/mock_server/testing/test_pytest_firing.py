"""``everflow_mock.fire``, ``everflow_server.fire`` and ``postback_receiver``: a test fires
a conversion and asserts what its receiver got."""

from __future__ import annotations

import httpx
import pytest

from fixtures import PostbackFactory, build_conversion
from mock_server.firing.conversion import ConversionError
from mock_server.firing.engine import firing_of
from mock_server.testing.mocks import EverflowMock, EverflowServer
from mock_server.testing.receiver import PostbackReceiver


@pytest.fixture(params=["everflow_mock", "everflow_server"])
def mock(request: pytest.FixtureRequest) -> EverflowMock | EverflowServer:
    value: EverflowMock | EverflowServer = request.getfixturevalue(request.param)
    return value


def create(mock: EverflowMock | EverflowServer, body: dict[str, object]) -> dict[str, object]:
    """Create a postback through the API, as the code under test would."""
    base = mock.url if isinstance(mock, EverflowServer) else "https://api.eflow.team/v1"
    answer = httpx.post(f"{base}/networks/pixels", json=body, headers={"X-Eflow-Api-Key": "k"})
    assert answer.status_code == 200, answer.text
    created: dict[str, object] = answer.json()
    return created


def test_fire_delivers_to_the_receiver(
    mock: EverflowMock | EverflowServer, postback_receiver: PostbackReceiver
) -> None:
    mock.add_affiliate(7)  # ids of this test's own: the world gets them first
    mock.add_offer(12)
    created = create(
        mock,
        {
            "network_affiliate_id": 7,
            "delivery_method": "postback",
            "postback_url": postback_receiver.url + "/pb?tid={transaction_id}&s={sub1}",
            "pixel_level": "global",
            "pixel_type": "conversion",
            "pixel_status": "active",
        },
    )

    deliveries = mock.fire(offer_id=12, affiliate_id=7, transaction_id="abc", sub1="x y")

    assert [d["pixel_id"] for d in deliveries] == [created["network_pixel_id"]]
    assert deliveries[0]["state"] == "delivered"
    assert postback_receiver.urls == [postback_receiver.url + "/pb?tid=abc&s=x%20y"]
    assert mock.deliveries == deliveries


def test_a_failing_receiver_deactivates_through_the_api(
    mock: EverflowMock | EverflowServer, postback_receiver: PostbackReceiver
) -> None:
    postback_receiver.status = 500
    mock.add_affiliate(7)
    mock.add_offer(1)
    created = create(
        mock,
        {
            "network_affiliate_id": 7,
            "delivery_method": "postback",
            "postback_url": postback_receiver.url + "/pb",
            "pixel_level": "global",
            "pixel_type": "conversion",
            "pixel_status": "active",
        },
    )
    for _ in range(10):
        (last,) = mock.fire(offer_id=1, affiliate_id=7)
    assert last["deactivated"] is True
    stored = next(p for p in mock.postbacks if p["network_pixel_id"] == created["network_pixel_id"])
    assert stored["pixel_status"] == "inactive"


def test_build_conversion_fires_its_postback(
    mock: EverflowMock | EverflowServer, postback_receiver: PostbackReceiver
) -> None:
    postback = PostbackFactory(seed=2).build(
        900,
        delivery_method="postback",
        pixel_level="specific",
        pixel_type="event",
        network_offer_payout_revenue_id=31,
        postback_url=postback_receiver.url + "/e?id={event_id}&tid={transaction_id}",
        delay_ms=60_000,
        pixel_status="active",
    )
    mock.add(postback)
    conversion = build_conversion(postback)

    (delivery,) = mock.fire(**conversion, delay_scale=0)

    assert delivery["pixel_id"] == 900
    assert delivery["delay_ms"] == 60_000
    assert postback_receiver.urls == [
        f"{postback_receiver.url}/e?id=31&tid={conversion['transaction_id']}"
    ]


def test_a_bad_conversion_names_the_field(mock: EverflowMock | EverflowServer) -> None:
    with pytest.raises(ConversionError, match="affiliate_id"):
        mock.fire(offer_id=1)


def test_each_test_starts_with_no_deliveries(mock: EverflowMock | EverflowServer) -> None:
    assert mock.deliveries == []
    assert firing_of(mock.state).delay_scale == 1.0
