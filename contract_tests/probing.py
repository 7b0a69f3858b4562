"""``Prober``: send one probe, judge its answer, and record both in the run's report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from openapi.remote.checks import check_answer
from openapi.remote.client import ContractClient
from openapi.remote.failures import TransportFailure
from openapi.remote.findings import Finding, Report


class Prober:
    """Sends a run's probes through ``client`` and records each in ``report``: its name
    (``report.probes``), the findings of ``check_answer`` on its answer, or why there was
    none (the client's failure, by name).

    After a failure that stops the run (time used up, told to wait), later probes are
    ``not_sent`` findings, except those sent with ``must`` (a cleanup's deletes).
    """

    def __init__(self, client: ContractClient, report: Report) -> None:
        self.client = client
        self.report = report
        self.stopped: TransportFailure | None = None

    def send(
        self,
        probe: str,
        pixel_id: int | None,
        method: str,
        path: str,
        expected: int,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        with_key: bool = True,
        same_id: bool = True,
        judge: bool = True,
        must: bool = False,
        key: str | None = None,
    ) -> httpx.Response | None:
        """Send one probe expecting status ``expected``; its answer, or ``None`` when there
        is none to look at. ``judge=False`` leaves judging the answer to the caller; ``key``
        is sent instead of the client's own."""
        target = self.report.target
        self.report.probes.append(f"{probe} {pixel_id}" if pixel_id is not None else probe)
        if self.stopped is not None and not must:
            why = f"not sent: the run stopped ({self.stopped.check})"
            self.report.add([Finding(target, probe, pixel_id, "not_sent", "$", str(expected), why)])
            return None
        try:
            response = self.client.request(
                method, path, params=params, json=json, with_key=with_key, key=key
            )
        except TransportFailure as failure:
            self.report.add(
                [Finding(target, probe, pixel_id, failure.check, "$", str(expected), str(failure))]
            )
            if failure.stops_run:
                self.stopped = failure
            return None
        if judge:
            self.report.add(
                check_answer(target, probe, response, pixel_id, expected, same_id=same_id)
            )
        return response
