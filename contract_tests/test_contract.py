"""The contract, as pytest tests: one set per target (see conftest.py for the targets)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import pytest

from contract_tests.findings import Finding, Report, redact


def _fail_on(findings: list[Finding]) -> None:
    # pytest.fail, not assert: an assert would also print the findings' repr, unredacted.
    if findings:
        pytest.fail(_explain(findings), pytrace=False)


def _explain(findings: list[Finding]) -> str:
    return redact("\n".join(f.line() for f in findings), [os.environ.get("EVERFLOW_API_KEY", "")])


def _errors(report: Report, probe: str) -> list[Finding]:
    return [f for f in report.failures if f.probe == probe]


def test_known_ids_answer_valid_postbacks_with_their_id(contract_report: Report) -> None:
    _fail_on(_errors(contract_report, "known_id"))


def test_no_key_is_401_in_everflows_error_shape(contract_report: Report) -> None:
    _fail_on(_errors(contract_report, "no_key"))


def test_unknown_id_is_404_in_everflows_error_shape(contract_report: Report) -> None:
    _fail_on(_errors(contract_report, "unknown_id"))


def test_list_answers_a_valid_consistent_page(contract_report: Report) -> None:
    _fail_on(_errors(contract_report, "list"))


def test_search_answers_a_valid_page_within_its_filter(contract_report: Report) -> None:
    _fail_on(_errors(contract_report, "search"))


def test_writes_behave_as_state_and_leave_nothing_behind(
    contract_report: Report, record_property: Callable[[str, object], None]
) -> None:
    """Create, read, replace, delete: every answer valid and consistent with the writes
    before it, and the probe postback gone at the end. Every write made is recorded in
    the test's JUnit properties (``--junitxml``)."""
    from contract_tests.write_probes import WRITE_PROBES

    if contract_report.mode != "writes":
        pytest.skip("read-only run: writes are probed only with --everflow-allow-writes")
    record_property("everflow_writes", "; ".join(w.line() for w in contract_report.writes))
    _fail_on([f for f in contract_report.failures if f.probe in WRITE_PROBES])


class ContractDrift(UserWarning):
    """The target sends fields the spec does not document, or never sends documented ones."""


def test_no_drift(contract_report: Report) -> None:
    """Drift is a warning (shown in pytest's summary); with --everflow-strict, a failure."""
    drift = [f for f in contract_report.findings if f.severity == "warning"]
    if contract_report.strict:
        _fail_on(drift)
    for finding in drift:
        warnings.warn(_explain([finding]), ContractDrift, stacklevel=1)
