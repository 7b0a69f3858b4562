"""The session's pool of mocks: what one test changes never reaches the next."""

from __future__ import annotations

import httpx
import pytest
import respx

from mock_server.config import MockConfig
from mock_server.pytest_mocks import MockPool

URL = "https://api.eflow.team/v1/networks/pixels/3"
OTHER = "https://partner.example/hook"
KEY = {"X-Eflow-Api-Key": "k"}


@pytest.fixture
def pool() -> MockPool:
    return MockPool()


def test_the_router_is_kept_but_each_test_starts_from_the_kits_routes(pool: MockPool) -> None:
    config = MockConfig()
    with pool.mock(config, pass_through_unmatched=False) as first:
        first.router.get(OTHER).respond(418)
        assert httpx.get(OTHER).status_code == 418
        assert httpx.get(URL, headers=KEY).status_code == 200
        assert first.router.calls.call_count == 2
        first.state.store.delete(4)
    with pool.mock(config, pass_through_unmatched=False) as second:
        assert second.router is first.router  # kept: a new router costs every test
        assert second.router.calls.call_count == 0
        with pytest.raises(respx.models.AllMockedAssertionError):
            httpx.get(OTHER)  # the first test's route went with it
        assert httpx.get(URL, headers=KEY).status_code == 200
        assert httpx.get(URL.replace("/3", "/4"), headers=KEY).status_code == 200
        assert len(second.requests) == 2  # the journal starts empty too
    with pool.mock(config, pass_through_unmatched=True) as other:
        assert other.router is not first.router  # another route set, another router


def test_unmatched_hosts_still_fail_on_a_kept_router(pool: MockPool) -> None:
    config = MockConfig()
    for _ in range(2):
        with (
            pool.mock(config, pass_through_unmatched=False),
            pytest.raises(respx.models.AllMockedAssertionError),
        ):
            httpx.get("https://example.com/")


def test_both_regions_are_answered(pool: MockPool) -> None:
    with pool.mock(MockConfig(), pass_through_unmatched=False) as mock:
        for base in mock.base_urls:
            answer = httpx.get(base + "/networks/pixels/3", headers=KEY)
            assert answer.json()["network_pixel_id"] == 3
