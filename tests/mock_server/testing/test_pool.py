"""The session's pool of mocks and local servers: one per distinct settings, the least
recently used stopped past ``POOL_SIZE``."""

from __future__ import annotations

import httpx
import pytest

from mock_server.core.config import MockConfig
from mock_server.testing.pool import POOL_SIZE, MockPool

KEY = {"X-Eflow-Api-Key": "test-key"}


def _answers(url: str) -> bool:
    try:
        httpx.get(f"{url}/networks/pixels/3", headers=KEY, timeout=5)
    except httpx.ConnectError:
        return False
    return True


@pytest.mark.slow
def test_past_its_size_the_pool_stops_the_least_recently_used_servers() -> None:
    pool = MockPool()
    urls: dict[int, str] = {}

    def serve(seed: int) -> None:
        with pool.server(MockConfig(seed=seed), None) as server:
            urls[seed] = server.url

    try:
        for seed in range(POOL_SIZE):
            serve(seed)
        serve(0)  # used again: seed 1's server is now the least recently used
        serve(POOL_SIZE)
        serve(POOL_SIZE + 1)
        assert {seed for seed, url in urls.items() if not _answers(url)} == {1, 2}
    finally:
        pool.close()
    assert not any(_answers(url) for url in urls.values())
