"""The write probes: create a probe postback, read it, replace it, delete it, and judge every
answer by the spec and by what the writes before it did; then make sure it is gone.

Whatever happens (a failed check, an exception, Ctrl-C, SIGTERM, the run's time used up)
every postback the run created is deleted before ``run_write_probes`` returns or raises:
``finally`` deletes each id a create answered, and, when a create's outcome is unknown (no
answer, or one without an id), whatever a search for the run's id finds. That cleanup may
run ``CLEANUP_GRACE`` seconds past ``--max-time``, and holds Ctrl-C back until it is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from contract_tests import observations
from contract_tests.cleanup import delete_probe, find_probes
from contract_tests.defaults import CLEANUP_GRACE
from contract_tests.probe_postback import (
    BROKEN_FIELD,
    BROKEN_RULE,
    PROBE_URL,
    WRITABLE_FIELDS,
    broken_body,
    probe_body,
    probe_description,
    unknown_reference_body,
)
from contract_tests.probing import Prober
from contract_tests.state_checks import (
    check_created,
    check_deleted,
    check_error_names,
    check_replaced,
    check_same,
)
from openapi.remote.checks import as_int, json_body
from openapi.remote.findings import Finding
from openapi.remote.interrupts import interrupts_held_back, terminate_as_interrupt
from openapi.remote.targets import PIXEL_PATH, PIXELS_PATH

WRITE_PROBES = (
    "create",
    "read_after_create",
    "replace",
    "read_after_replace",
    "delete",
    "read_after_delete",
    "delete_again",
    "create_invalid",
    "create_unknown_reference",
    "left_behind",
    "cleanup_search",
    "cleanup",
)
"""The probe names of the write mode, in the order they are sent."""


def _created_id(response: httpx.Response | None) -> int | None:
    body = json_body(response) if response is not None and response.status_code == 200 else None
    pixel_id = as_int(body.get("network_pixel_id")) if isinstance(body, dict) else None
    return pixel_id if pixel_id is not None and pixel_id >= 1 else None


class WriteProbes:
    """One run's write probes; ``created`` and ``gone`` are what it knows of its postbacks."""

    def __init__(self, prober: Prober, run_id: str) -> None:
        self.prober = prober
        self.run_id = run_id
        self.target = prober.report.target
        self.created: list[int] = []
        self.gone: set[int] = set()
        self.unknown = 0  # creates that may have stored a postback whose id is unknown

    def run(self, template: Mapping[str, Any]) -> None:
        """Probe the writes, then delete everything the run created, whatever happened."""
        try:
            with terminate_as_interrupt():
                self._probe(template)
        finally:
            with interrupts_held_back():
                self._clean_up()

    def _create(
        self, probe: str, body: Mapping[str, Any], expected: int
    ) -> tuple[httpx.Response | None, int | None]:
        """Send a create: its answer and the id it stored. Until the answer says what it
        stored, its outcome is unknown."""
        self.unknown += 1
        response = self.prober.send(
            probe, None, "POST", PIXELS_PATH, expected, json=body, same_id=False
        )
        pixel_id = _created_id(response)
        if pixel_id is not None:
            self.created.append(pixel_id)
        if response is not None and (pixel_id is not None or 400 <= response.status_code < 500):
            self.unknown -= 1
        return response, pixel_id

    def _probe(self, template: Mapping[str, Any]) -> None:
        sent = probe_body(template, self.run_id)
        response, pixel_id = self._create("create", sent, 200)
        if response is not None and pixel_id is not None:
            created = json_body(response)
            self.prober.report.add(check_created(self.target, "create", None, sent, created))
            self._cycle(pixel_id, created)
        response, stored = self._create("create_invalid", broken_body(template, self.run_id), 400)
        if stored is not None and delete_probe(self.prober, stored):
            self.gone.add(stored)  # stored when it should have been refused: not left for later
        if response is not None and response.status_code == 400:
            self.prober.report.add(
                check_error_names(
                    self.target,
                    "create_invalid",
                    None,
                    json_body(response),
                    (BROKEN_RULE, BROKEN_FIELD),
                )
            )
        self._unknown_reference(template)
        self._left_behind()

    def _unknown_reference(self, template: Mapping[str, Any]) -> None:
        """A create naming an offer (or partner) that does not exist: Everflow's answer is
        undocumented, so it is not judged but reported (``observed_unknown_reference``);
        the kit's spec and mock expect a 400 naming the field. Stored anyway: deleted."""
        field, body = unknown_reference_body(template, self.run_id)
        self.unknown += 1
        response = self.prober.send(
            "create_unknown_reference", None, "POST", PIXELS_PATH, 400,
            json=body, same_id=False, judge=False,
        )  # fmt: skip
        stored = _created_id(response)
        if stored is not None:
            self.created.append(stored)
            if delete_probe(self.prober, stored):
                self.gone.add(stored)
        if response is not None and (stored is not None or 400 <= response.status_code < 500):
            self.unknown -= 1
        self.prober.report.add(observations.unknown_reference(self.target, field, response))

    def _read(self, probe: str, pixel_id: int, after: Any) -> Any:
        """GET the postback; expect it as the last write answered it (``after``)."""
        response = self.prober.send(probe, pixel_id, "GET", PIXEL_PATH.format(pixel_id), 200)
        if response is None or response.status_code != 200:
            return None
        read = json_body(response)
        self.prober.report.add(check_same(self.target, probe, pixel_id, probe, after, read))
        return read

    def _cycle(self, pixel_id: int, created: Any) -> None:
        send, report, path = self.prober.send, self.prober.report, PIXEL_PATH.format(pixel_id)
        fetched = self._read("read_after_create", pixel_id, created)
        before = fetched if isinstance(fetched, dict) else created
        changed = {
            **before,
            "description": probe_description(self.run_id, "replaced"),
            "postback_url": PROBE_URL + "&replaced=1",
        }
        response = send("replace", pixel_id, "PUT", path, 200, json=changed)
        if response is not None and response.status_code == 200:
            replaced = json_body(response)
            report.add(
                check_replaced(
                    self.target, "replace", pixel_id, before, changed, replaced, WRITABLE_FIELDS
                )
            )
            self._read("read_after_replace", pixel_id, replaced)
        response = send("delete", pixel_id, "DELETE", path, 200, same_id=False)
        if response is not None and response.status_code == 200:
            self.gone.add(pixel_id)
            report.add(check_deleted(self.target, "delete", pixel_id, json_body(response)))
        send("read_after_delete", pixel_id, "GET", path, 404)
        response = send("delete_again", pixel_id, "DELETE", path, 404, same_id=False)
        if response is not None and response.status_code == 404:
            self.gone.add(pixel_id)

    def _left_behind(self) -> None:
        """Search for the run's postbacks: after its deletes, none may be found."""
        found = find_probes(self.prober, "left_behind", self.run_id)
        if found is None:
            return
        self.unknown = 0
        if found:
            self.prober.report.add(
                [
                    Finding(
                        self.target,
                        "left_behind",
                        pixel_id,
                        "left_behind",
                        "$.pixels",
                        "no postback of this run after its deletes",
                        f"search finds probe postback {pixel_id}",
                    )
                    for pixel_id in found
                ]
            )
        for pixel_id in found:
            self.gone.discard(pixel_id)
            if pixel_id not in self.created:
                self.created.append(pixel_id)

    def _clean_up(self) -> None:
        if not (self.unknown or set(self.created) - self.gone):
            return
        self.prober.client.grant_grace(CLEANUP_GRACE)
        if self.unknown:
            found = find_probes(self.prober, "cleanup_search", self.run_id, must=True)
            self.created += [i for i in found or () if i not in self.created]
        for pixel_id in self.created:
            if pixel_id not in self.gone and delete_probe(self.prober, pixel_id):
                self.gone.add(pixel_id)


def run_write_probes(prober: Prober, template: Mapping[str, Any], run_id: str) -> None:
    """The write probes of run ``run_id``, on a postback like ``template`` (see
    ``probe_body``), recorded in the prober's report; every postback created is deleted."""
    WriteProbes(prober, run_id).run(template)
