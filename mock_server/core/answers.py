"""Answers a test queues for an operation (``everflow_mock.queue(...)``), and gateway answers.

A test of retry logic needs "fail twice, then answer": ``AnswerQueue`` holds, per
operationId, the next answers in order (``QueuedAnswer``); once they are used up the mock
serves as usual. The queue is emptied by every reset, so before every test.

502, 503 and 504 are what a gateway or load balancer in front of Everflow sends when the API
behind it fails or is slow. Everflow documents none of them, so they are the mock's own:
a short HTML page, as such gateways send, never Everflow's error shape.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from mock_server.core.reply import JSON, Reply, status_line
from mock_server.data.strictjson import dumps_ascii

GATEWAY_STATUSES = (502, 503, 504)
MAX_QUEUED = 1000
"""The most answers one operation may have queued at a time."""

MAX_HEADER = 8 * 1024
"""The longest name or value of a queued answer's header, in characters."""
MAX_HEADERS = 100
"""The most headers one queued answer may carry."""
MAX_BODY = 1024 * 1024
"""The largest body of a queued answer, in bytes (encoded)."""
_SET_BY_THE_MOCK = frozenset({"content-type", "content-length"})
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "trailers"}
)
"""Headers about the connection, not the answer (RFC 9110 7.6.1), with every ``Proxy-*``
(``is_hop_by_hop``): the server that sends the answer sets them, and a second copy would
contradict it."""


def is_hop_by_hop(name: str) -> bool:
    """Whether the header ``name`` describes one connection rather than the answer."""
    lower = name.lower()
    return lower in HOP_BY_HOP or lower.startswith("proxy-")


_DELTA_SECONDS = re.compile(r"[0-9]+")

HeaderValue = str | int | datetime
"""A queued header's value: text, an integer (``Retry-After: 120``) or a time (an HTTP
date; a naive one is UTC)."""


def header_text(value: HeaderValue) -> str:
    """``value`` as the header's text: an integer in decimal, a time as an HTTP date."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return format_datetime(moment.astimezone(timezone.utc), usegmt=True)
    return str(value)


@dataclass(frozen=True)
class Answer:
    """A queued answer with headers or a body of its own, for ``queue(operation, ...)``.

    ``status`` is one the operation documents or a gateway's (502, 503, 504). ``headers``
    replace the mock's of the same name (``Retry-After`` as seconds, ``120``, or an HTTP
    date, a ``datetime``); ``json`` or ``body`` (text or bytes) replace its body, with
    ``content_type`` (JSON by default for ``json`` and for a status the spec gives a JSON
    body, HTML for a gateway's). What the spec documents for the status (its body's schema,
    its headers' types) is checked when the answer is queued, unless ``breach`` is set: a
    deliberate breach, for testing a client against a server that breaks its contract.
    """

    status: int
    headers: Mapping[str, HeaderValue] = field(default_factory=dict)
    json: Any = None
    body: str | bytes | None = None
    content_type: str | None = None
    breach: bool = False

    def header_list(self) -> list[tuple[str, str]]:
        """The headers as sent."""
        return [(name, header_text(value)) for name, value in self.headers.items()]

    def encoded(self) -> bytes | None:
        """The body as sent; ``None`` for the mock's own."""
        if self.json is not None:
            return dumps_ascii(self.json)
        if isinstance(self.body, str):
            return self.body.encode()
        return self.body

    def applied(self, reply: Reply) -> Reply:
        """``reply`` (the mock's answer with this status) with this answer's own headers
        and body instead of its."""
        body = self.encoded()
        if body is not None:
            reply.body = body
        default = JSON if self.json is not None else reply.content_type
        reply.content_type = self.content_type or default
        own = self.header_list()
        names = {name.lower() for name, _ in own}
        reply.headers = [(n, v) for n, v in reply.headers if n.lower() not in names] + own
        return reply


QueuedAnswer = int | str | BaseException | type[BaseException] | Answer
"""A status, a wire fault's name (``reset``, ``empty``, ``malformed``), an exception (raised
in the client: in-process only), or an ``Answer`` (a status with headers or a body of its
own)."""


def _text_problem(what: str, text: str) -> str | None:
    """Why ``text`` cannot be a header's value, if it cannot."""
    if len(text) > MAX_HEADER:
        return f"{what} is longer than {MAX_HEADER} characters"
    control = next((ch for ch in text if ch != "\t" and (ch < " " or ch == "\x7f")), None)
    if control is not None:
        return (
            f"{what} holds the control character U+{ord(control):04X}: an HTTP header carries "
            "none but tab (no line break, NUL or DEL)"
        )
    if any(ord(ch) > 255 for ch in text):
        return f"{what} holds characters HTTP headers cannot carry (only Latin-1)"
    return None


def _header_problems(answer: Answer) -> list[str]:
    """What makes a header of ``answer`` impossible to send (whatever ``breach`` says)."""
    problems = []
    if not isinstance(answer.headers, Mapping):
        return ["headers must be a mapping of names to values"]
    if len(answer.headers) > MAX_HEADERS:
        return [f"at most {MAX_HEADERS} headers"]
    if answer.content_type is not None:
        if not isinstance(answer.content_type, str) or not answer.content_type:
            return ["content_type must be a media type (text)"]
        problem = _text_problem("content_type", answer.content_type)
        if problem is not None:
            problems.append(problem)
    for name, value in answer.headers.items():
        if not isinstance(name, str) or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", name):
            problems.append(f"header name {name!r} is not a token")
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | datetime):
            problems.append(f"header {name}: {value!r} is not text, an integer or a datetime")
            continue
        problem = _text_problem(f"header {name[:MAX_HEADER]}", name + ": " + header_text(value))
        if problem is not None:
            problems.append(problem)
        elif name.lower() in _SET_BY_THE_MOCK:
            problems.append(
                f"header {name} is set by the mock (use content_type for the media type)"
            )
        elif is_hop_by_hop(name):
            problems.append(
                f"header {name} is hop-by-hop: it describes the connection, which the server "
                "that sends the answer manages, so a queued answer cannot set it"
            )
    return problems


def answer_problems(
    answer: Answer,
    body_schema: Mapping[str, Any] | None,
    header_schemas: Mapping[str, Mapping[str, Any]],
    spec_violations: Callable[[Any, str], Sequence[object]],
) -> list[str]:
    """What ``answer`` breaks: of HTTP always, of the spec (``body_schema``, the status's
    JSON body schema, and ``header_schemas``, its documented headers' schemas by lower-case
    name) unless it is a deliberate breach. ``spec_violations(body, schema_name)`` judges a
    body by a component schema."""
    problems = _header_problems(answer)
    if answer.json is not None and answer.body is not None:
        problems.append("give json or body, not both")
    if answer.body is not None and not isinstance(answer.body, str | bytes):
        problems.append(f"body must be text or bytes, not {type(answer.body).__name__}")
    if problems:
        return problems
    try:
        encoded = answer.encoded()
    except (TypeError, ValueError) as error:
        return [f"json is not JSON data: {error}"]
    if encoded is not None and len(encoded) > MAX_BODY:
        return [f"the body is larger than {MAX_BODY} bytes"]
    if answer.status == 200 and encoded is None:
        return ["a 200 needs a body of its own (queue 200 alone for the mock's usual answer)"]
    if answer.breach:
        return problems
    for name, value in answer.header_list():
        if name.lower() == "retry-after" and not _DELTA_SECONDS.fullmatch(value):
            try:
                parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                problems.append(
                    f"Retry-After {value!r} is neither seconds nor an HTTP date "
                    "(such as 'Wed, 21 Oct 2026 07:28:00 GMT')"
                )
                continue
        schema = header_schemas.get(name.lower())
        if schema is not None and schema.get("type") == "integer":
            minimum = schema.get("minimum")
            if not _DELTA_SECONDS.fullmatch(value) or (
                minimum is not None and int(value) < minimum
            ):
                problems.append(
                    f"the spec documents {name} on a {answer.status} as an integer"
                    + (f" >= {minimum}" if minimum is not None else "")
                    + f", not {value!r} (set breach=True to send it anyway)"
                )
    if encoded is not None and body_schema is not None:
        if (answer.content_type or JSON) != JSON:
            problems.append(
                f"the spec documents a JSON body on a {answer.status}, not {answer.content_type}"
            )
            return problems
        try:
            value = json.loads(encoded)
        except ValueError:
            problems.append(
                f"the spec documents a JSON body on a {answer.status}; the body is not JSON"
            )
            return problems
        name = str(body_schema.get("$ref", "")).rsplit("/", 1)[-1]
        found = spec_violations(value, name)
        if found:
            problems.append(
                f"the body breaks the spec's {name}: "
                + "; ".join(map(str, found))
                + " (set breach=True to send it anyway)"
            )
    return problems


def gateway_body(status: int) -> bytes:
    """What a gateway answers with ``status``: a small HTML page (nginx's wording)."""
    title = status_line(status)
    return (
        f"<html><head><title>{title}</title></head>"
        f"<body><center><h1>{title}</h1></center></body></html>\n"
    ).encode()


def is_exception(answer: object) -> bool:
    """Whether a queued answer is an exception (an instance or a class) to raise."""
    return isinstance(answer, BaseException) or (
        isinstance(answer, type) and issubclass(answer, BaseException)
    )


def check_answers(
    operation_id: str,
    answers: QueuedAnswer | Iterable[QueuedAnswer],
    statuses: Collection[int],
    faults: Collection[str],
    exceptions: bool,
    judge: Callable[[Answer], list[str]] | None = None,
) -> list[QueuedAnswer]:
    """``answers`` as a list, or ``ValueError`` naming the first one the mock cannot give.

    ``statuses`` and ``faults`` are what the operation can answer with; ``exceptions`` says
    whether the mock raises in the client (only in-process can it); ``judge`` names what an
    ``Answer`` breaks (``answer_problems`` for the operation).
    """
    if isinstance(answers, str | int | BaseException | type | Answer):
        answers = [answers]
    checked: list[QueuedAnswer] = list(answers)
    if len(checked) > MAX_QUEUED:
        raise ValueError(f"at most {MAX_QUEUED} answers can be queued for {operation_id}")
    codes = ", ".join(map(str, sorted(statuses)))
    for index, answer in enumerate(checked):
        where = f"answer {index} for {operation_id}"
        if is_exception(answer):
            if exceptions:
                continue
            raise ValueError(
                f"{where}: {answer!r} is an exception, which only everflow_mock (in-process) "
                "can raise in the client; on a socket queue a wire fault instead "
                f"({', '.join(faults)})"
            )
        if isinstance(answer, bool) or not isinstance(answer, int | str | Answer):
            raise ValueError(f"{where}: {answer!r} is not a status, a fault name or an exception")
        if isinstance(answer, str):
            if answer not in faults:
                raise ValueError(f"{where}: fault {answer!r} is not one of " + ", ".join(faults))
            continue
        status = answer.status if isinstance(answer, Answer) else answer
        if status not in statuses:
            raise ValueError(f"{where}: status {status} is not one of {codes}")
        problems = judge(answer) if judge is not None and isinstance(answer, Answer) else []
        if problems:
            raise ValueError(f"{where}: " + "; ".join(problems))
    return checked


class AnswerQueue:
    """The queued answers of each operation, taken oldest first; thread-safe."""

    def __init__(self) -> None:
        self.queues: dict[str, deque[QueuedAnswer]] = {}
        """The operations with answers queued (read it, never change it: every request
        looks here, without the lock, before it takes the lock to take one)."""
        self._lock = threading.Lock()

    def put(self, operation_id: str, answers: Iterable[QueuedAnswer]) -> None:
        """Queue ``answers`` (already checked) after those already queued for the operation."""
        added = list(answers)
        with self._lock:
            queue = self.queues.get(operation_id, deque())
            if len(queue) + len(added) > MAX_QUEUED:
                raise ValueError(f"at most {MAX_QUEUED} answers can be queued for {operation_id}")
            queue.extend(added)
            if queue:
                self.queues[operation_id] = queue

    def take(self, operation_id: str, exception: bool = False) -> QueuedAnswer | None:
        """The next queued answer of the operation, or ``None``. With ``exception``, only an
        exception is taken (anything else stays queued, for the mock to answer with)."""
        with self._lock:
            queue = self.queues.get(operation_id)
            if not queue or (exception and not is_exception(queue[0])):
                return None
            answer = queue.popleft()
            if not queue:
                del self.queues[operation_id]
            return answer

    def pending(self, operation_id: str) -> int:
        """How many answers are still queued for the operation."""
        with self._lock:
            return len(self.queues.get(operation_id, ()))

    def clear(self) -> None:
        """Forget every queued answer."""
        with self._lock:
            self.queues.clear()
