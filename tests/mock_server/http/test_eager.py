"""An eager loop runs a new task's first step at once, and the rest as asyncio always does."""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from mock_server.http.eager import make_eager

T = TypeVar("T")
seen: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="unset")


def _uvloop() -> asyncio.AbstractEventLoop:
    uvloop = pytest.importorskip("uvloop")
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


LOOPS: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": _uvloop,  # what granian's workers run where it is installed
}


@pytest.fixture(params=sorted(LOOPS))
def loop(request: pytest.FixtureRequest) -> Iterator[asyncio.AbstractEventLoop]:
    """An eager loop of each kind the front may be given, on whatever Python runs the tests."""
    loop = LOOPS[request.param]()
    make_eager(loop)
    yield loop
    loop.close()


Run = Callable[[Callable[[], Coroutine[Any, Any, T]]], T]


@pytest.fixture
def run(loop: asyncio.AbstractEventLoop) -> Run[Any]:
    """Run a scenario as granian does: its tasks are made while the loop runs."""

    def run(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
        return loop.run_until_complete(scenario())

    return run


def test_a_task_that_never_waits_is_finished_when_made(run: Run[Any]) -> None:
    steps: list[str] = []

    async def answer() -> int:
        steps.append("ran")
        return 42

    async def scenario() -> tuple[list[str], bool, int]:
        task = asyncio.ensure_future(answer())
        return list(steps), task.done(), await task

    assert run(scenario) == (["ran"], True, 42)


def test_a_task_that_fails_at_once_keeps_its_exception(run: Run[Any]) -> None:
    async def broken() -> None:
        raise ValueError("no")

    async def scenario() -> None:
        task = asyncio.ensure_future(broken())
        assert task.done()
        await task

    with pytest.raises(ValueError, match="no"):
        run(scenario)


def test_a_task_that_waits_ran_its_first_step_and_finishes_later(run: Run[Any]) -> None:
    steps: list[str] = []

    async def slow() -> str:
        steps.append("first")
        await asyncio.sleep(0.01)
        steps.append("second")
        return "done"

    async def scenario() -> tuple[list[str], bool, str, list[str]]:
        task = asyncio.ensure_future(slow())
        early, done = list(steps), task.done()
        return early, done, await task, steps

    assert run(scenario) == (["first"], False, "done", ["first", "second"])


def test_a_failure_while_waiting_reaches_the_coroutine(run: Run[Any]) -> None:
    async def recovers(failing: asyncio.Future[None]) -> str:
        try:
            await failing
        except KeyError:
            return "recovered"
        return "not reached"

    async def scenario() -> str:
        failing: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.ensure_future(recovers(failing))
        failing.set_exception(KeyError("x"))
        return await task

    assert run(scenario) == "recovered"


@pytest.mark.parametrize("end", ["cancel", "close"])
def test_ending_a_waiting_task_ends_its_coroutine(run: Run[Any], end: str) -> None:
    cleaned: list[str] = []

    async def waits() -> None:
        try:
            await asyncio.sleep(3600)
        finally:
            cleaned.append("finally")

    async def scenario() -> None:
        task = asyncio.ensure_future(waits())
        await asyncio.sleep(0)
        if end == "cancel":
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert task.cancelled()
        else:
            assert isinstance(task, asyncio.Task)
            task.get_coro().close()
            task.cancel()  # it still waits; asyncio ends any task whose coroutine was closed so
            with pytest.raises(RuntimeError, match="cannot reuse already awaited coroutine"):
                await task

    run(scenario)
    assert cleaned == ["finally"]


def test_cancelling_a_task_before_its_first_turn_still_reaches_its_coroutine(
    run: Run[Any],
) -> None:
    seen_by_coroutine: list[str] = []

    async def waits(future: asyncio.Future[None]) -> None:
        try:
            await future
        except asyncio.CancelledError:
            seen_by_coroutine.append("cancelled")
            raise

    async def scenario() -> tuple[bool, bool]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.ensure_future(waits(future))
        task.cancel()  # its first step ran eagerly; the loop has not turned since
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelled(), future.cancelled()

    assert run(scenario) == (True, True)
    assert seen_by_coroutine == ["cancelled"]


def test_a_task_keeps_its_own_context_from_its_first_step_on(run: Run[Any]) -> None:
    async def sets_then_waits() -> str:
        seen.set("task")
        await asyncio.sleep(0)
        return seen.get()

    async def scenario() -> tuple[str, str]:
        task = asyncio.ensure_future(sets_then_waits())
        outside = seen.get()
        return outside, await task

    assert run(scenario) == ("unset", "task")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="create_task takes a context from 3.11")
def test_a_task_given_a_context_runs_every_step_in_it(run: Run[Any]) -> None:
    given = contextvars.copy_context()
    given.run(seen.set, "given")

    async def reads_waits_sets() -> str:
        first = seen.get()
        await asyncio.sleep(0)
        seen.set("changed")
        return first

    async def scenario() -> str:
        loop = asyncio.get_running_loop()
        if sys.version_info >= (3, 11):  # as the mark says; mypy checks for 3.10
            return await loop.create_task(reads_waits_sets(), context=given)
        raise AssertionError("skipped before 3.11")

    assert run(scenario) == "given"
    assert given[seen] == "changed"


def test_a_task_made_before_the_loop_runs_starts_with_the_loop(
    loop: asyncio.AbstractEventLoop,
) -> None:
    steps: list[str] = []

    async def answer() -> None:
        steps.append("ran")

    task = loop.create_task(answer())
    assert steps == []
    loop.run_until_complete(task)
    assert steps == ["ran"]


def _factory(loop: asyncio.AbstractEventLoop) -> Callable[..., asyncio.Future[Any]]:
    """The task factory the front installed, to call with the keywords a loop may pass."""
    factory = loop.get_task_factory()
    assert factory is not None
    return factory


async def _answer() -> str:
    await asyncio.sleep(0)
    return "answered"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda loop: loop.create_task(_answer()), id="loop.create_task"),
        pytest.param(lambda loop: loop.create_task(_answer(), name="n"), id="named"),
        pytest.param(lambda loop: asyncio.ensure_future(_answer()), id="ensure_future"),
        pytest.param(lambda loop: asyncio.create_task(_answer()), id="create_task"),
        # What loops pass to a task factory: uvloop 0.23 on 3.13 adds eager_start=None,
        # which asyncio's own eager factory of 3.12 and 3.13 refuses.
        pytest.param(
            lambda loop: _factory(loop)(loop, _answer(), context=None, eager_start=None),
            id="factory-eager_start-None",
        ),
        pytest.param(
            lambda loop: _factory(loop)(loop, _answer(), name="n", eager_start=True),
            id="factory-eager_start-True",
        ),
    ],
)
def test_a_task_made_as_asyncio_and_uvloop_make_them_runs(
    run: Run[Any], make: Callable[[asyncio.AbstractEventLoop], asyncio.Future[str]]
) -> None:
    async def scenario() -> str:
        return await make(asyncio.get_running_loop())

    assert run(scenario) == "answered"


def test_a_task_asked_not_to_start_eagerly_waits_for_its_turn(run: Run[Any]) -> None:
    steps: list[str] = []

    async def answer() -> None:
        steps.append("ran")

    async def scenario() -> list[str]:
        loop = asyncio.get_running_loop()
        task = _factory(loop)(loop, answer(), eager_start=False)
        before = list(steps)
        await task
        return before

    assert run(scenario) == []
    assert steps == ["ran"]
