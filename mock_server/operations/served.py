"""Every operation the mock answers, by the spec's operationId: the partner postbacks'
(``table``) and those of the offers and affiliates they point at (``neighbours``)."""

from __future__ import annotations

from mock_server.operations.neighbours import NEIGHBOURS
from mock_server.operations.table import OPERATIONS as POSTBACKS
from mock_server.operations.table import Handler

OPERATIONS: dict[str, Handler] = {**POSTBACKS, **NEIGHBOURS}
"""Every operation the mock answers."""
