"""The local server of the pytest fixtures: request threads reused, never a bottleneck."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from mock_server.app import MockApp
from mock_server.testing.local_server import LocalServer

KEY = {"X-Eflow-Api-Key": "k"}


def _request_threads(local: LocalServer) -> int:
    name = f"everflow-local-request :{local.port}"
    return sum(t.name == name and t.is_alive() for t in threading.enumerate())


def _wait_until_idle(local: LocalServer) -> None:
    """Until every request thread waits for a connection: a client may get its answer
    before the thread that wrote it is back, and then the next connection needs another."""
    deadline = time.monotonic() + 5
    while local._server._idle < _request_threads(local) and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.001)


def test_one_request_after_another_reuses_its_threads() -> None:
    with LocalServer(MockApp()) as local, httpx.Client(base_url=local.url) as client:
        for _ in range(20):  # werkzeug closes every connection: 20 connections
            assert client.get("/networks/pixels/3", headers=KEY).status_code == 200
            _wait_until_idle(local)
        assert _request_threads(local) == 1


def test_requests_at_once_are_answered_at_once() -> None:
    with LocalServer(MockApp()) as local:
        headers = {**KEY, "Prefer": "delay=400"}

        def get(_: int) -> int:
            return httpx.get(local.url + "/networks/pixels/3", headers=headers).status_code

        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(get, range(8)))
        took = time.monotonic() - started
    assert statuses == [200] * 8
    assert took < 2.4  # one after another would take 3.2 s


def test_stop_ends_the_waiting_threads() -> None:
    with LocalServer(MockApp()) as local:
        assert httpx.get(local.url + "/networks/pixels/3", headers=KEY).status_code == 200
        assert _request_threads(local) == 1
    deadline = time.monotonic() + 5
    while _request_threads(local) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _request_threads(local) == 0
