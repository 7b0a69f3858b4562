"""Answers a test queues for an operation (``everflow_mock.queue(...)``), and gateway answers.

A test of retry logic needs "fail twice, then answer": ``AnswerQueue`` holds, per
operationId, the next answers in order (a status, a wire fault's name, or, in-process only,
an exception for the client to raise); once they are used up the mock serves as usual. The
queue is emptied by every reset, so before every test.

502, 503 and 504 are what a gateway or load balancer in front of Everflow sends when the API
behind it fails or is slow. Everflow documents none of them, so they are the mock's own:
a short HTML page, as such gateways send, never Everflow's error shape.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Collection, Iterable

GATEWAY_STATUSES = (502, 503, 504)
GATEWAY_REASONS = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
MAX_QUEUED = 1000
"""The most answers one operation may have queued at a time."""

QueuedAnswer = int | str | BaseException | type[BaseException]
"""A status, a wire fault's name (``reset``, ``empty``, ``malformed``) or an exception."""


def gateway_body(status: int) -> bytes:
    """What a gateway answers with ``status``: a small HTML page (nginx's wording)."""
    title = f"{status} {GATEWAY_REASONS[status]}"
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
) -> list[QueuedAnswer]:
    """``answers`` as a list, or ``ValueError`` naming the first one the mock cannot give.

    ``statuses`` and ``faults`` are what the operation can answer with; ``exceptions`` says
    whether the mock raises in the client (only in-process can it).
    """
    if isinstance(answers, str | int | BaseException | type):
        answers = [answers]
    checked: list[QueuedAnswer] = list(answers)
    if len(checked) > MAX_QUEUED:
        raise ValueError(f"at most {MAX_QUEUED} answers can be queued for {operation_id}")
    codes = ", ".join(map(str, sorted(statuses)))
    for index, answer in enumerate(checked):
        if is_exception(answer):
            if exceptions:
                continue
            raise ValueError(
                f"answer {index} for {operation_id}: {answer!r} is an exception, which only "
                "everflow_mock (in-process) can raise in the client; on a socket queue a wire "
                f"fault instead ({', '.join(faults)})"
            )
        if isinstance(answer, bool) or not isinstance(answer, int | str):
            raise ValueError(
                f"answer {index} for {operation_id}: {answer!r} is not a status, a fault name "
                "or an exception"
            )
        if isinstance(answer, int) and answer not in statuses:
            raise ValueError(
                f"answer {index} for {operation_id}: status {answer} is not one of {codes}"
            )
        if isinstance(answer, str) and answer not in faults:
            raise ValueError(
                f"answer {index} for {operation_id}: fault {answer!r} is not one of "
                + ", ".join(faults)
            )
    return checked


class AnswerQueue:
    """The queued answers of each operation, taken oldest first; thread-safe."""

    def __init__(self) -> None:
        self._queues: dict[str, deque[QueuedAnswer]] = {}
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return bool(self._queues)

    def put(self, operation_id: str, answers: Iterable[QueuedAnswer]) -> None:
        """Queue ``answers`` (already checked) after those already queued for the operation."""
        added = list(answers)
        with self._lock:
            queue = self._queues.get(operation_id, deque())
            if len(queue) + len(added) > MAX_QUEUED:
                raise ValueError(f"at most {MAX_QUEUED} answers can be queued for {operation_id}")
            queue.extend(added)
            if queue:
                self._queues[operation_id] = queue

    def take(self, operation_id: str, exception: bool = False) -> QueuedAnswer | None:
        """The next queued answer of the operation, or ``None``. With ``exception``, only an
        exception is taken (anything else stays queued, for the mock to answer with)."""
        with self._lock:
            queue = self._queues.get(operation_id)
            if not queue or (exception and not is_exception(queue[0])):
                return None
            answer = queue.popleft()
            if not queue:
                del self._queues[operation_id]
            return answer

    def pending(self, operation_id: str) -> int:
        """How many answers are still queued for the operation."""
        with self._lock:
            return len(self._queues.get(operation_id, ()))

    def clear(self) -> None:
        """Forget every queued answer."""
        with self._lock:
            self._queues.clear()
