"""Findings and writes: every text field masked and mapped, none forgotten."""

from __future__ import annotations

from openapi.remote.findings import MASK, Finding, Write

KEY = "sekret-key-0123456789"


def test_a_finding_is_masked_in_every_text_field() -> None:
    finding = Finding(
        f"https://{KEY}/v1", f"probe {KEY}", 5, f"check {KEY}", f"$.{KEY}", KEY, KEY, "warning"
    )
    assert finding.masked([KEY]) == Finding(
        f"https://{MASK}/v1",
        f"probe {MASK}",
        5,
        f"check {MASK}",
        f"$.{MASK}",
        MASK,
        MASK,
        "warning",
    )


def test_a_write_is_masked_in_its_method_path_and_status() -> None:
    write = Write(f"POST{KEY}", f"/v1/networks/pixels?k={KEY}", 7, f"no answer ({KEY})")
    assert write.masked([KEY]) == Write(
        f"POST{MASK}", f"/v1/networks/pixels?k={MASK}", 7, f"no answer ({MASK})"
    )
    assert write.mapped(str.lower) == Write(
        f"post{KEY}", f"/v1/networks/pixels?k={KEY}", 7, f"no answer ({KEY})"
    )
