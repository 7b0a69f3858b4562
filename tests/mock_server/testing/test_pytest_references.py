"""The fixtures and the world: references hold by default, ``references="loose"`` names
them instead, ``add_offer``/``add_affiliate`` put ids in the world, and ``assert_requested``
knows the offer and affiliate operations."""

from __future__ import annotations

import httpx
import pytest

from fixtures import PostbackFactory
from mock_server.testing.mocks import EverflowMock, EverflowServer

UNKNOWN = 4_999_999
KEY = {"X-Eflow-Api-Key": "k"}


@pytest.fixture(params=["everflow_mock", "everflow_server"])
def mock(request: pytest.FixtureRequest) -> EverflowMock | EverflowServer:
    value: EverflowMock | EverflowServer = request.getfixturevalue(request.param)
    return value


def base(mock: EverflowMock | EverflowServer) -> str:
    return mock.url if isinstance(mock, EverflowServer) else "https://api.eflow.team/v1"


def body() -> dict[str, object]:
    made = PostbackFactory(0).build_input(1, pixel_level="specific", pixel_type="conversion")
    return {**made, "network_offer_id": UNKNOWN}


def test_a_write_naming_an_unknown_offer_is_refused(mock: EverflowMock | EverflowServer) -> None:
    answer = httpx.post(f"{base(mock)}/networks/pixels", json=body(), headers=KEY)
    assert answer.status_code == 400
    assert f"network_offer_id: there is no offer {UNKNOWN}" in answer.json()["error"]


@pytest.mark.everflow(references="loose")
def test_the_loose_marker_accepts_it_and_names_it(mock: EverflowMock | EverflowServer) -> None:
    answer = httpx.post(f"{base(mock)}/networks/pixels", json=body(), headers=KEY)
    assert answer.status_code == 200
    assert str(UNKNOWN) in answer.headers["X-Everflow-Mock-Warning"]


def test_add_offer_puts_it_in_the_world(mock: EverflowMock | EverflowServer) -> None:
    offer = mock.add_offer(UNKNOWN, offer_status="paused")
    assert offer["offer_status"] == "paused"
    assert httpx.post(f"{base(mock)}/networks/pixels", json=body(), headers=KEY).status_code == 200
    read = httpx.get(f"{base(mock)}/networks/offers/{UNKNOWN}", headers=KEY).json()
    assert read["name"] == offer["name"]
    assert UNKNOWN in [o["network_offer_id"] for o in mock.offers]
    mock.assert_requested("getOffer", times=1)


def test_add_affiliate_and_search_it(mock: EverflowMock | EverflowServer) -> None:
    mock.add_affiliate(UNKNOWN, name="Zebra Quartz Partners", account_status="suspended")
    search = {"search_terms": [{"search_type": "name", "value": "zebra quartz"}]}
    found = httpx.post(f"{base(mock)}/networks/affiliatestable", json=search, headers=KEY).json()
    assert [a["network_affiliate_id"] for a in found["affiliates"]] == [UNKNOWN]
    mock.assert_requested("searchAffiliates", json=search)


def test_an_invalid_offer_is_refused_naming_what_it_breaks(
    mock: EverflowMock | EverflowServer,
) -> None:
    with pytest.raises(ValueError, match="add_offer: not a valid Offer"):
        mock.add_offer({"network_offer_id": UNKNOWN, "name": 5})
    assert UNKNOWN not in [o["network_offer_id"] for o in mock.offers]


def test_an_invalid_affiliate_is_refused_naming_every_problem(
    mock: EverflowMock | EverflowServer,
) -> None:
    with pytest.raises(ValueError, match="not a valid Affiliate") as refused:
        mock.add_affiliate({"network_affiliate_id": UNKNOWN, "name": 5, "account_status": 7})
    assert str(refused.value) == (
        f"{mock.name}.add_affiliate: not a valid Affiliate: "
        "$.account_status: 7 is not of type 'string' (type); "
        "$.name: 5 is not of type 'string' (type)"
    )
    assert UNKNOWN not in [a["network_affiliate_id"] for a in mock.affiliates]
