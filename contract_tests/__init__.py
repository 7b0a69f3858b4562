"""The contract suite: judge the mock and the live API by the same spec.

``run_contract`` probes a target through a ``ContractClient`` (GET only, paced, retrying,
key-safe) and returns a ``Report`` of ``Finding``s; ``everflow-contract`` is its CLI, and the
pytest modules in this package run it over the mock and, with ``--everflow-live``, production.

The names below are imported on first use (PEP 562), so that the CLI and the pytest modules
load httpx and the spec only when they need them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contract_tests.client import ContractClient, TransportFailure, UnsafeTarget
    from contract_tests.findings import Finding, Report, redact
    from contract_tests.reporting import junit_xml, markdown, summary
    from contract_tests.suite import run_contract

_HOMES = {
    "ContractClient": "contract_tests.client",
    "Finding": "contract_tests.findings",
    "Report": "contract_tests.findings",
    "TransportFailure": "contract_tests.client",
    "UnsafeTarget": "contract_tests.client",
    "junit_xml": "contract_tests.reporting",
    "markdown": "contract_tests.reporting",
    "redact": "contract_tests.findings",
    "run_contract": "contract_tests.suite",
    "summary": "contract_tests.reporting",
}

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


def __getattr__(name: str) -> object:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
