"""contract_tests' public face: every name it lists resolves, to the object of the module the
code imports it from."""

from __future__ import annotations

import subprocess
import sys

import pytest

import contract_tests


@pytest.mark.slow
def test_every_public_name_resolves_in_a_fresh_interpreter() -> None:
    code = (
        "import contract_tests\n"
        "for name in contract_tests.__all__:\n"
        "    value = getattr(contract_tests, name)\n"
        "    assert value.__name__ == name, (name, value)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_errors_are_those_the_client_and_targets_raise() -> None:
    from openapi.remote import failures, targets

    assert contract_tests.UnsafeTarget is targets.UnsafeTarget
    assert contract_tests.WriteRefused is targets.WriteRefused
    assert contract_tests.TransportFailure is failures.TransportFailure
