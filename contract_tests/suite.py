"""``run_contract``: probe a target and judge every answer by the spec."""

from __future__ import annotations

from collections.abc import Sequence

from contract_tests.checks import DriftTracker, check_answer, json_body
from contract_tests.client import ContractClient, TransportFailure
from contract_tests.defaults import DEFAULT_MISSING_ID
from contract_tests.findings import Finding, Report

__all__ = ["DEFAULT_MISSING_ID", "PROBES", "run_contract"]

PROBES = ("known_id", "no_key", "unknown_id")


def run_contract(
    client: ContractClient,
    target: str,
    pixel_ids: Sequence[int],
    *,
    strict: bool = False,
    missing_id: int = DEFAULT_MISSING_ID,
) -> Report:
    """GET each of ``pixel_ids`` (expect 200 and a valid postback with that id), one without
    a key (expect 401) and ``missing_id`` (expect 404), and report every difference.

    A probe without an answer to judge is a finding named by the client's failure
    (``transport``, ``timeout`` ...); after one that stops the run (time used up, told to
    wait), the probes left are ``not_sent`` findings and nothing more is requested."""
    report = Report(target=target, strict=strict)
    drift = DriftTracker(target)
    plan: list[tuple[str, int, bool, int]] = [("known_id", i, True, 200) for i in pixel_ids]
    if pixel_ids:
        plan.append(("no_key", pixel_ids[0], False, 401))
    plan.append(("unknown_id", missing_id, True, 404))
    stopped: TransportFailure | None = None
    for probe, pixel_id, with_key, expected in plan:
        report.probes.append(f"{probe} {pixel_id}")
        if stopped is not None:
            why = f"not sent: the run stopped ({stopped.check})"
            report.add([Finding(target, probe, pixel_id, "not_sent", "$", str(expected), why)])
            continue
        try:
            response = client.get(f"/networks/pixels/{pixel_id}", with_key=with_key)
        except TransportFailure as failure:
            report.add(
                [Finding(target, probe, pixel_id, failure.check, "$", str(expected), str(failure))]
            )
            if failure.stops_run:
                stopped = failure
            continue
        report.add(check_answer(target, probe, response, pixel_id, expected))
        if probe == "known_id" and response.status_code == 200:
            report.add(drift.observe(probe, pixel_id, json_body(response)))
    report.add(drift.never_present())
    return report
