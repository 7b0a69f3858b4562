"""``MockHandle``: what both ``everflow`` fixtures offer a test."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from mock_server.app import MockApp
from mock_server.core.answers import Answer, QueuedAnswer, answer_problems, check_answers
from mock_server.core.controls import FAULTS
from mock_server.data.records import InvalidRecords
from mock_server.pipeline.registry import get_pipeline, get_state
from mock_server.state.mock_state import MockState
from openapi.text import counted, cut

SHOWN = 200
"""How much of a request's body or query an ``assert_requested`` failure repeats."""


class InvalidPostback(InvalidRecords):
    """A postback given to ``add`` or ``add_many`` breaks the spec; nothing was added.

    The message names each bad postback by its ``network_pixel_id`` (and, from
    ``add_many``, its place in the batch) and every field and rule it breaks.
    """

    def __init__(self, invalid: InvalidRecords, batch: bool) -> None:
        self._batch = batch
        super().__init__(invalid.problems, invalid.total)

    def lines(self) -> list[str]:
        """A summary line, then each bad postback's problems."""
        if not self._batch:
            (problem,) = self.problems
            return [
                f"postback {problem.pixel_id!r} breaks the spec; it was not added:",
                *problem.lines()[1:],
            ]
        head = f"{len(self.problems)} of {self.total} postbacks break the spec; none was added:"
        body = [
            line
            for problem in self.problems
            for line in (
                f"postback {problem.pixel_id!r} (item {problem.index}):",
                *problem.lines()[1:],
            )
        ]
        return [head, *body]


def _shown(value: object) -> str:
    return cut(repr(value), SHOWN)


def _describe(number: int, entry: dict[str, Any]) -> str:
    """One line of an ``assert_requested`` failure: what one request was."""
    line = f"  {number}. {entry['operation'] or '(no operation)'} {entry['method']} {entry['path']}"
    if entry["query"]:
        line += f" query={_shown(entry['query'])}"
    if entry["json"] is not None:
        line += f" json={_shown(entry['json'])}"
    elif entry["body"]:
        line += f" body={_shown(entry['body'])}"
    status = entry["status"]
    return line + (" -> no answer (raised in the client)" if status is None else f" -> {status}")


def _same_query(found: object, wanted: object) -> bool:
    if isinstance(wanted, list | tuple):
        return isinstance(found, list) and found == [str(value) for value in wanted]
    return found == str(wanted)


def _check_entity(entity: dict[str, Any], schema: str, where: str) -> None:
    """``ValueError`` naming every way ``entity`` breaks the spec's ``schema``."""
    from openapi import schema_violations

    problems = schema_violations(entity, schema)
    if problems:
        raise ValueError(f"{where}: not a valid {schema}: " + "; ".join(map(str, problems)))


class MockHandle:
    """What both mocks offer a test: add postbacks, read them back, reset, read the journal,
    check what was requested, queue answers and fire conversions."""

    app: MockApp
    name = "everflow_mock"
    _raises_in_client = False
    """Whether queued exceptions can be raised in the client (in-process only)."""

    @property
    def state(self) -> MockState:
        """The mock's data, journal and rate limits."""
        return get_state(self.app)

    def add(self, postback: dict[str, Any]) -> dict[str, Any]:
        """Serve ``postback`` under its ``network_pixel_id`` (validated against the spec;
        ``InvalidPostback`` naming the postback and what it breaks)."""
        try:
            self.state.add(postback)
        except InvalidRecords as invalid:
            raise InvalidPostback(invalid, batch=False) from None
        return postback

    def add_many(self, postbacks: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Serve several postbacks; none are added unless all are valid (else
        ``InvalidPostback`` naming each bad one)."""
        batch = list(postbacks)
        try:
            self.state.add_many(batch)
        except InvalidRecords as invalid:
            raise InvalidPostback(invalid, batch=True) from None
        return batch

    def add_offer(self, offer: dict[str, Any] | int, **overrides: Any) -> dict[str, Any]:
        """Serve an offer beside the postbacks, so that writes and conversions may name it:
        a whole offer (``PostbackFactory.build_offer``), or an id, for the factory's offer
        of the mock's seed with that id and ``overrides``. Checked against the spec's
        ``Offer`` (``ValueError`` naming what it breaks). Returns the offer served."""
        if isinstance(offer, int):
            offer = self.state.factory.build_offer(offer, **overrides)
        _check_entity(offer, "Offer", self.name + ".add_offer")
        self.state.add_offer(offer)
        return offer

    def add_affiliate(self, affiliate: dict[str, Any] | int, **overrides: Any) -> dict[str, Any]:
        """Serve an affiliate (partner), as ``add_offer`` serves offers."""
        if isinstance(affiliate, int):
            affiliate = self.state.factory.build_affiliate(affiliate, **overrides)
        _check_entity(affiliate, "Affiliate", self.name + ".add_affiliate")
        self.state.add_affiliate(affiliate)
        return affiliate

    @property
    def offers(self) -> list[dict[str, Any]]:
        """Every offer the mock serves now, whole, by id (a fresh copy on every read)."""
        return [copy.deepcopy(offer) for _, offer in sorted(self.state.world.offers.items())]

    @property
    def affiliates(self) -> list[dict[str, Any]]:
        """Every affiliate (partner) the mock serves now, by id (a fresh copy)."""
        return [copy.deepcopy(each) for _, each in sorted(self.state.world.affiliates.items())]

    def _known(self, operation: str) -> None:
        known = get_pipeline(self.app).routes.by_id
        if operation not in known:
            raise ValueError(
                f"{self.name}: unknown operation {operation!r}; the operations are "
                + ", ".join(known)
            )

    def queue(self, operation: str, answers: QueuedAnswer | Iterable[QueuedAnswer]) -> None:
        """Answer the next requests of ``operation`` (an operationId) with ``answers``, in
        order, then serve as usual: for testing retries.

        An answer is a status the operation documents or a gateway's (502, 503, 504; 200
        is a normal answer), the name of a wire fault (``"reset"``, ``"empty"``,
        ``"malformed"``) or, in-process only, an exception (class or instance, such as
        ``httpx.ConnectTimeout``) raised in the client. An ``Answer`` is a status with
        headers or a body of its own (``Answer(429, headers={"Retry-After": 120})``),
        checked against the spec unless marked ``breach=True``. A queued status is answered
        before the key is checked, as a gateway in front of the API would. Queued answers
        end with the test.
        """
        self._known(operation)
        pipeline = get_pipeline(self.app)
        spec = pipeline.routes.by_id[operation]
        statuses = pipeline.statuses(spec)

        def judge(answer: Answer) -> list[str]:
            from openapi.fast_validation import violations
            from openapi.operations import response_headers

            return answer_problems(
                answer,
                spec.operation.response_schemas.get(answer.status),
                response_headers(operation, answer.status),
                violations,
            )

        checked = check_answers(operation, answers, statuses, FAULTS, self._raises_in_client, judge)
        self.state.answers.put(operation, checked)

    def assert_requested(
        self,
        operation: str,
        times: int | None = None,
        json: Any = None,
        query: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Assert that this test requested ``operation`` (an operationId): at least once, or
        exactly ``times`` times, counting only requests whose body equals ``json`` and whose
        query has each parameter of ``query`` with that value (others may be present; a list
        for a repeated parameter). Returns the matching requests; the failure message lists
        every request of the test instead.
        """
        __tracebackhide__ = True  # pytest shows the test's line, not this helper's
        self._known(operation)
        requests = self.requests
        matching = [
            entry
            for entry in requests
            if entry["operation"] == operation
            and (json is None or entry["json"] == json)
            and (
                query is None
                or all(_same_query(entry["query"].get(k), v) for k, v in query.items())
            )
        ]
        if (len(matching) >= 1) if times is None else (len(matching) == times):
            return matching
        wanted = operation
        if json is not None:
            wanted += f" with json={_shown(json)}"
        if query is not None:
            wanted += f" {'and' if json is not None else 'with'} query={_shown(query)}"
        expected = "at least once" if times is None else counted(times, "time")
        lines = [
            f"{self.name}: expected {wanted} {expected}, found {len(matching)}; "
            f"the {counted(len(requests), 'request')} of this test:",
            *(_describe(number, entry) for number, entry in enumerate(requests, 1)),
        ]
        if not requests:
            lines.append("  (none)")
        raise AssertionError("\n".join(lines))

    def reset(self) -> None:
        """Back to the start data and this test's settings."""
        self.state.reset()

    @property
    def postbacks(self) -> list[dict[str, Any]]:
        """Every postback the mock holds now, ordered by ``network_pixel_id``: the start
        data as the code under test left it (created, replaced and deleted postbacks
        included). A fresh copy on every read."""
        return self.state.store.postbacks()

    def fire(
        self,
        type: str = "conversion",
        *,
        wait: float = 10.0,
        delay_scale: float | None = None,
        **values: Any,
    ) -> list[dict[str, Any]]:
        """Fire a conversion (``type``: conversion, event or click; ``values`` keyed by
        macro name, ``offer_id`` and ``affiliate_id`` required) as ``POST
        /__admin/conversions`` does, and return its deliveries once they have ended (at
        most ``wait`` seconds: any still pending say so). ``delay_scale`` multiplies every
        ``delay_ms`` from now until the test ends (0: no delays). A conversion that cannot
        be fired raises ``mock_server.firing.conversion.ConversionError`` naming the field."""
        from mock_server.firing.engine import firing_of  # Faker comes in with the macros

        firing = firing_of(self.state)
        if delay_scale is not None:
            firing.delay_scale = delay_scale
        return firing.fire({"type": type, **values}, wait)

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        """Every delivery fired in this test, oldest first (``GET /__admin/deliveries``)."""
        from mock_server.firing.engine import firing_of

        return firing_of(self.state).journal.entries()

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The API requests of this test, oldest first: each with ``operation`` (the
        operationId), ``method``, ``path``, ``path_params``, ``query``, ``headers`` (keys
        masked), ``json`` (the body), ``body`` (its text) and ``status`` (``None`` when a
        queued exception was raised instead)."""
        return self.state.journal.entries()

    @property
    def dynamic(self) -> bool:
        """Whether unknown ids are generated instead of 404 (``False`` unless set)."""
        return self.state.dynamic

    @dynamic.setter
    def dynamic(self, value: bool) -> None:
        self.state.dynamic = value
