"""The contract suite: judge the mock and the live API by the same spec.

``run_contract`` probes a target through a ``ContractClient`` (GET only, paced, retrying,
key-safe) and returns a ``Report`` of ``Finding``s; ``everflow-contract`` is its CLI, and the
pytest modules in this package run it over the mock and, with ``--everflow-live``, production.
"""

from contract_tests.client import ContractClient, TransportFailure, UnsafeTarget
from contract_tests.findings import Finding, Report, redact
from contract_tests.reporting import junit_xml, markdown, summary
from contract_tests.suite import run_contract

__all__ = [
    "ContractClient",
    "Finding",
    "Report",
    "TransportFailure",
    "UnsafeTarget",
    "junit_xml",
    "markdown",
    "redact",
    "run_contract",
    "summary",
]
