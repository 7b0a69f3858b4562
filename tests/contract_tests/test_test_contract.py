"""The contract suite as pytest runs it: one failed test per finding, options as the CLI's,
and JUnit output without warnings."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

import contract_tests
from mock_server import create_app
from mock_server.testing.local_server import LocalServer

SUITE = str(Path(contract_tests.__file__).parent / "test_contract.py")


@pytest.fixture
def mock_url() -> Iterator[str]:
    with LocalServer(create_app()) as local:
        yield local.url


@pytest.mark.slow
def test_one_drift_finding_fails_one_test_under_strict(
    pytester: pytest.Pytester, mock_url: str
) -> None:
    """Pixel 54 of the built-in catalogue has a field the spec does not document: under
    --everflow-strict that fails the drift test, and only it. Pixel ids are given as the
    CLI takes them, ``3,54``."""
    result = pytester.runpytest_subprocess(
        SUITE,
        "-p",
        "no:cacheprovider",
        "-k",
        "url",
        "-rfs",
        "--everflow-contract-url",
        mock_url,
        "--everflow-pixel-id",
        "3,54",
        "--everflow-strict",
        "--everflow-rate",
        "1000",
    )
    output = result.stdout.str()
    result.assert_outcomes(passed=6, failed=1, skipped=1)
    (failed,) = [line for line in output.splitlines() if line.startswith("FAILED")]
    assert "test_no_drift" in failed
    assert "known_id (pixel 54): undocumented_field at $.undocumented_field" in output


@pytest.mark.slow
def test_pixel_ids_that_are_not_numbers_are_a_usage_error(
    pytester: pytest.Pytester, mock_url: str
) -> None:
    result = pytester.runpytest_subprocess(
        SUITE,
        "-p",
        "no:cacheprovider",
        "-k",
        "url and known_ids",
        "--everflow-contract-url",
        mock_url,
        "--everflow-pixel-id",
        "3,x",
    )
    # Refused once, when pytest starts, as the CLI refuses it: not as an error in each test.
    assert "--everflow-pixel-id: pixel ids must be integers, not '3,x'" in result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR


@pytest.mark.slow
def test_writes_are_recorded_in_junit_without_a_warning(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    result = pytester.runpytest_subprocess(
        SUITE,
        "-p",
        "no:cacheprovider",
        "-k",
        "test_writes and mock-writes",
        f"--junitxml={junit}",
        "-W",
        "error::pytest.PytestWarning",
    )
    result.assert_outcomes(passed=1)
    assert "record_property" not in result.stdout.str() + result.stderr.str()
    properties = {
        p.get("name"): p.get("value") or "" for p in ET.parse(junit).getroot().iter("property")
    }
    writes = properties["everflow_writes[mock-writes]"]
    assert "POST /v1/networks/pixels (pixel 55): 200" in writes
    assert "DELETE /v1/networks/pixels/55 (pixel 55): 200" in writes


def _reads(mock_root: str, operation: str) -> list[str]:
    """The paths of the mock's journaled requests of ``operation``."""
    import httpx

    journal = httpx.get(f"{mock_root}/__admin/requests").json()["requests"]
    return [entry["path"] for entry in journal if entry["operation"] == operation]


@pytest.mark.slow
def test_offer_and_affiliate_ids_are_the_ones_read_as_the_clis_are(
    pytester: pytest.Pytester,
) -> None:
    from mock_server.data.catalogue import builtin_world

    world = builtin_world(0)
    offer_ids = [o["network_offer_id"] for o in world["offers"][-2:]]
    affiliate_id = world["affiliates"][-1]["network_affiliate_id"]
    with LocalServer(create_app()) as local:
        args = [SUITE, "-p", "no:cacheprovider", "-k", "url and offers_and_partners", "-rfs"]
        args += ["--everflow-contract-url", local.url, "--everflow-pixel-id", "3"]
        args += ["--everflow-rate", "1000"]
        result = pytester.runpytest_subprocess(
            *args,
            "--everflow-offer-id",
            f"{offer_ids[0]},{offer_ids[1]}",
            "--everflow-affiliate-id",
            str(affiliate_id),
        )
        result.assert_outcomes(passed=1)
        reads = _reads(local.root, "getOffer")
        assert [p.rsplit("/", 1)[1] for p in reads] == [str(i) for i in offer_ids]
        assert _reads(local.root, "getAffiliate") == [f"/v1/networks/affiliates/{affiliate_id}"]
        missing = pytester.runpytest_subprocess(*args, "--everflow-offer-id", "4999999")
    missing.assert_outcomes(failed=1)
    assert "4999999" in missing.stdout.str()
