"""A small Everflow partner-postback client, written twice: with httpx and with requests.

Both read, create, update (by fetch-modify-put, as Everflow's API asks: the whole postback
is sent back, fields this client does not know included) and delete partner postbacks.
"""

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


class _PostbackClient:
    """The operations, whatever HTTP library sends them (``_send``)."""

    def _send(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        raise NotImplementedError

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self._send(method, path, body)
        _raise_for(status, answer)
        return answer

    def get_postback(self, pixel_id: int) -> dict[str, Any]:
        return dict(self._call("GET", f"/networks/pixels/{pixel_id}"))

    def create_postback(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a postback from its writable fields; the stored postback comes back."""
        return dict(self._call("POST", "/networks/pixels", body))

    def update_postback(self, pixel_id: int, **changes: Any) -> dict[str, Any]:
        """Change some fields: fetch the postback, change them, put the whole of it back."""
        postback = self.get_postback(pixel_id)
        postback.update(changes)
        return dict(self._call("PUT", f"/networks/pixels/{pixel_id}", postback))

    def delete_postback(self, pixel_id: int) -> None:
        self._call("DELETE", f"/networks/pixels/{pixel_id}")


class HttpxPostbackClient(_PostbackClient):
    """Partner postbacks with httpx."""

    def __init__(self, api_key: str, base_url: str = DEFAULT_BASE_URL) -> None:
        self._client = httpx.Client(base_url=base_url, headers={"X-Eflow-Api-Key": api_key})

    def _send(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        answer = self._client.request(method, path, json=body)
        return answer.status_code, answer.json()


class RequestsPostbackClient(_PostbackClient):
    """Partner postbacks with requests."""

    def __init__(self, api_key: str, base_url: str = DEFAULT_BASE_URL) -> None:
        self._base_url = base_url.rstrip("/")
        self._session = requests.Session()
        self._session.headers["X-Eflow-Api-Key"] = api_key

    def _send(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        answer = self._session.request(method, self._base_url + path, json=body, timeout=10)
        return answer.status_code, answer.json()
