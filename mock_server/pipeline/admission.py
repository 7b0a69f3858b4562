"""What the pipeline's first step decides of a request: its admission (operation, key kind,
rate-limit headers, a queued wire fault), or the answer a test queued for it."""

from __future__ import annotations

from typing import NamedTuple, TypeAlias

from mock_server.core.reply import Reply
from mock_server.core.routes import OperationSpec

ADMITTED = "everflow.admitted"
"""The environ key under which ``Pipeline.admit`` leaves what it found for ``handle``."""


class Admission(NamedTuple):
    """What an admitted request goes on with."""

    operation: OperationSpec
    headers: list[tuple[str, str]]
    """The rate-limit headers of the token it spent."""
    queued_fault: str | None
    """The wire fault queued for its operation, if any."""
    kind: str
    """Its key's kind (``network``, ``partner``, ...)."""


Admitted: TypeAlias = "Reply | Admission"
"""The answer a test queued for the request, or its admission."""
