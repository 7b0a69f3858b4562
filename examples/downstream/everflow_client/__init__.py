"""A small Everflow partner-postback client, written twice: with httpx and with requests."""

from __future__ import annotations

from typing import Any

import httpx
import requests

DEFAULT_BASE_URL = "https://api.eflow.team/v1"


class EverflowError(Exception):
    """Everflow answered with an error; ``status`` and Everflow's message are kept."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Everflow answered {status}: {message}")
        self.status = status
        self.message = message


class PostbackNotFound(EverflowError):
    """No partner postback has that id."""


def _raise_for(status: int, body: Any) -> None:
    if status == 200:
        return
    message = ""
    if isinstance(body, dict):
        message = str(body.get("error") or body.get("Error") or "")
    raise (PostbackNotFound if status == 404 else EverflowError)(status, message)


class HttpxPostbackClient:
    """Reads partner postbacks with httpx."""

    def __init__(self, api_key: str, base_url: str = DEFAULT_BASE_URL) -> None:
        self._client = httpx.Client(base_url=base_url, headers={"X-Eflow-Api-Key": api_key})

    def get_postback(self, pixel_id: int) -> dict[str, Any]:
        answer = self._client.get(f"/networks/pixels/{pixel_id}")
        body = answer.json()
        _raise_for(answer.status_code, body)
        return dict(body)


class RequestsPostbackClient:
    """Reads partner postbacks with requests."""

    def __init__(self, api_key: str, base_url: str = DEFAULT_BASE_URL) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = requests.Session()
        self._session.headers["X-Eflow-Api-Key"] = api_key

    def get_postback(self, pixel_id: int) -> dict[str, Any]:
        answer = self._session.get(f"{self._base_url}/networks/pixels/{pixel_id}", timeout=10)
        body = answer.json()
        _raise_for(answer.status_code, body)
        return dict(body)
