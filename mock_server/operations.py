"""The operations the mock answers, by the spec's ``operationId``.

Each is a function from one admitted request (``Call``: key checked, rate limited, controls
and path parameters parsed, body read) to a ``Reply``. Everything they share (the key check,
rate limit, controls, journal, delays and faults) is the pipeline's, not theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mock_server.controls import Controls
from mock_server.exchange import Reply
from mock_server.records import InvalidRecords
from mock_server.routes import OperationSpec
from mock_server.state import MockState

if TYPE_CHECKING:
    from mock_server.pipeline import Pipeline


class SpecBreach(RuntimeError):
    """A response the mock was about to send breaks the spec."""


@dataclass(frozen=True)
class Call:
    """One admitted request to one operation."""

    pipeline: Pipeline
    operation: OperationSpec
    params: Mapping[str, Any]
    wanted: Controls
    query: Mapping[str, str]
    body: bytes | None

    @property
    def state(self) -> MockState:
        """The mock's data, shared by every operation and the admin API."""
        return self.pipeline.state

    def error(self, status: int, message: str | None = None) -> Reply:
        """Everflow's error answer for ``status``."""
        return self.pipeline.error(status, message)


Operation = Callable[[Call], Reply]


def get_partner_postback(call: Call) -> Reply:
    """``GET /networks/pixels/{pixelId}``: the stored postback, a generated one, or 404."""
    pixel_id: int = call.params["pixelId"]
    state = call.state
    data = state.store.get(pixel_id)
    if data is None:
        wanted = call.wanted
        dynamic = wanted.dynamic if wanted.dynamic is not None else state.dynamic
        if not (dynamic or wanted.code == 200):
            return call.error(404)
        seed = wanted.seed if wanted.seed is not None else state.config.seed
        try:
            data = state.generated(seed, pixel_id)
        except InvalidRecords as invalid:
            raise SpecBreach(" ".join(invalid.lines()[1:])) from None
    return Reply(200, data)


OPERATIONS: dict[str, Operation] = {
    "getPartnerPostback": get_partner_postback,
}
"""Every operation the mock answers, by the spec's operationId."""
