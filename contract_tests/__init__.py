"""The contract suite: judge the mock and the live API by the same spec.

``run_contract`` probes a target through a ``ContractClient`` (read-only unless allowed to
write, paced, retrying, key-safe) and returns a ``Report`` of ``Finding``s and of every
``Write`` it made; ``run_cleanup`` deletes the probe postbacks runs left behind.
``everflow-contract`` is their CLI, and the pytest modules in this package run the suite over
the mock and, with ``--everflow-live``, production.

The names below are imported on first use (PEP 562), so that the CLI and the pytest modules
load httpx and the spec only when they need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openapi.lazy import lazy_names

if TYPE_CHECKING:
    from contract_tests.cleanup import run_cleanup
    from contract_tests.suite import run_contract
    from openapi.remote.client import ContractClient
    from openapi.remote.failures import TransportFailure
    from openapi.remote.findings import Finding, Report, RunInterrupted, Write, redact
    from openapi.remote.reporting import junit_xml, markdown, summary
    from openapi.remote.targets import UnsafeTarget, WriteRefused

_HOMES = {
    "ContractClient": "openapi.remote.client",
    "Finding": "openapi.remote.findings",
    "Report": "openapi.remote.findings",
    "RunInterrupted": "openapi.remote.findings",
    "TransportFailure": "openapi.remote.failures",
    "UnsafeTarget": "openapi.remote.targets",
    "Write": "openapi.remote.findings",
    "WriteRefused": "openapi.remote.targets",
    "junit_xml": "openapi.remote.reporting",
    "markdown": "openapi.remote.reporting",
    "redact": "openapi.remote.findings",
    "run_cleanup": "contract_tests.cleanup",
    "run_contract": "contract_tests.suite",
    "summary": "openapi.remote.reporting",
}

__all__ = [
    "ContractClient",
    "Finding",
    "Report",
    "RunInterrupted",
    "TransportFailure",
    "UnsafeTarget",
    "Write",
    "WriteRefused",
    "junit_xml",
    "markdown",
    "redact",
    "run_cleanup",
    "run_contract",
    "summary",
]

__getattr__, __dir__ = lazy_names(__name__, _HOMES)
