"""DeadlineBackend: every socket operation of a request gets at most the time left."""

from __future__ import annotations

import time

import httpcore
import httpx
import pytest

from mock_server import create_app
from mock_server.testing.local_server import LocalServer
from openapi.remote.deadline import DeadlineBackend, deadline_transport


def test_the_transport_runs_its_connections_under_the_deadline() -> None:
    # httpx has no public hook for this; an httpx release that moves the pool fails here.
    transport, backend = deadline_transport()
    assert transport._pool._network_backend is backend


def test_timeouts_are_cut_to_the_time_left_and_refused_after_it() -> None:
    backend = DeadlineBackend(httpcore.SyncBackend())
    assert backend.bound(30.0, httpcore.ReadTimeout) == 30.0
    backend.deadline = time.monotonic() + 2
    assert 1 < (backend.bound(30.0, httpcore.ReadTimeout) or 0) <= 2
    assert (backend.bound(None, httpcore.ReadTimeout) or 0) <= 2
    assert backend.bound(0.5, httpcore.ReadTimeout) == 0.5
    backend.deadline = time.monotonic() - 1
    with pytest.raises(httpcore.ConnectTimeout):
        backend.bound(30.0, httpcore.ConnectTimeout)


def test_requests_within_the_deadline_work() -> None:
    transport, backend = deadline_transport()
    with LocalServer(create_app()) as local, httpx.Client(transport=transport) as client:
        backend.deadline = time.monotonic() + 10
        response = client.get(f"{local.url}/networks/pixels/1", headers={"X-Eflow-Api-Key": "k"})
        assert response.status_code == 200
        backend.deadline = time.monotonic() - 1
        with pytest.raises(httpx.TimeoutException):
            client.get(f"{local.url}/networks/pixels/1", headers={"X-Eflow-Api-Key": "k"})
