"""The contract, as pytest tests: one set per target (see conftest.py for the targets)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import pytest

from openapi.remote.findings import DRIFT_CHECKS, Finding, Report, redact
from openapi.remote.masking import printable


def _fail_on(findings: list[Finding]) -> None:
    # pytest.fail, not assert: an assert would also print the findings' repr, unredacted.
    if findings:
        pytest.fail(_explain(findings), pytrace=False)


def _explain(findings: list[Finding]) -> str:
    secrets = [os.environ.get("EVERFLOW_API_KEY", "")]
    return redact("\n".join(printable(f.masked(secrets).line()) for f in findings), secrets)


def _errors(report: Report, probe: str) -> list[Finding]:
    """The failures of ``probe`` but drift, which ``test_no_drift`` alone judges (one
    finding, one failed test)."""
    return [f for f in report.failures if f.probe == probe and f.check not in DRIFT_CHECKS]


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


def test_offers_and_partners_agree_with_the_postbacks(contract_report: Report) -> None:
    """The offer and partner a postback names, read by id, and both tables: valid, the ones
    asked for, with the postbacks' names and payout/revenue entries."""
    from contract_tests.neighbour_probes import NEIGHBOUR_PROBES

    _fail_on([f for p in NEIGHBOUR_PROBES for f in _errors(contract_report, p)])


def test_writes_behave_as_state_and_leave_nothing_behind(
    contract_report: Report, record_testsuite_property: Callable[[str, object], None]
) -> None:
    """Create, read, replace, delete: every answer valid and consistent with the writes
    before it, and the probe postback gone at the end. Every write made is recorded in
    the JUnit file's (``--junitxml``) test suite properties, as ``everflow_writes[target]``
    (test suite properties, unlike ``record_property``, suit every ``junit_family``)."""
    from contract_tests.write_probes import WRITE_PROBES

    if contract_report.mode != "writes":
        pytest.skip("read-only run: writes are probed only with --everflow-allow-writes")
    writes = "; ".join(printable(w.line()) for w in contract_report.writes)
    record_testsuite_property(f"everflow_writes[{contract_report.target}]", writes)
    _fail_on([f for f in contract_report.failures if f.probe in WRITE_PROBES])


class ContractDrift(UserWarning):
    """The target sends fields the spec does not document, or never sends documented ones."""


def test_no_drift(contract_report: Report) -> None:
    """Drift is a warning (shown in pytest's summary, with the other warnings); with
    --everflow-strict, a failure of this test alone."""
    if contract_report.strict:
        _fail_on([f for f in contract_report.findings if f.check in DRIFT_CHECKS])
    warned = [f for f in contract_report.findings if f.severity == "warning"]
    for finding in [] if contract_report.strict else warned:
        warnings.warn(_explain([finding]), ContractDrift, stacklevel=1)
