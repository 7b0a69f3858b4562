"""Eager tasks for the RSGI front's event loop: a new task's first step runs at once.

granian hands every request to the event loop as a new asyncio task. A stored postback is
answered without ever waiting, so running a task's first step when it is created, instead
of on the loop's next turn, saves the loop a turn per request (the README's Speed section
has what that is worth). A task that does wait (a delay, a body still arriving, Flask's
thread pool) goes on as an ordinary task from its first wait.

From Python 3.12 this is asyncio's own eager start (``Task(..., eager_start=True)``, what
``asyncio.eager_task_factory`` makes), behind a factory that takes whatever keywords the loop's
``create_task`` passes on that version; before 3.12 :func:`eager_task_factory` does the same for
coroutines, with two differences: a task that finishes in its first step
is a finished ``Future`` rather than a ``Task``, and ``asyncio.current_task()`` is not that
task during its first step (it is whatever was current where the task was created), so
``asyncio.timeout()`` must not be entered before a task's first wait (the RSGI front uses
``asyncio.wait_for``).
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from collections.abc import Coroutine, Generator
from typing import Any, TypeVar, cast

__all__ = ["eager_task_factory", "make_eager"]

T = TypeVar("T")


def eager_task_factory(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, T] | Generator[Any, None, T],
    /,
    *,
    eager_start: bool | None = None,
    **kwargs: Any,
) -> asyncio.Future[T]:
    """A task factory that runs ``coro``'s first step now, in the task's own context, when
    ``loop`` is running (as in Python 3.12: a task made before then starts with the loop).

    Every keyword a loop's ``create_task`` may pass on is taken: ``name`` and ``context``
    from asyncio, and ``eager_start`` from loops that pass it whatever the Python (uvloop
    0.23 sends ``eager_start=None`` on 3.13, whose own eager factory refuses it). Only
    ``eager_start=False`` makes an ordinary task; ``None`` means this loop's default, eager.
    """
    if eager_start is False or not loop.is_running():
        return asyncio.Task(coro, loop=loop, **kwargs)
    if sys.version_info >= (3, 12):
        return asyncio.Task(coro, loop=loop, eager_start=True, **kwargs)
    context: contextvars.Context | None = kwargs.pop("context", None)
    if context is None:
        context = contextvars.copy_context()
    try:
        awaited = context.run(coro.send, None)
    except StopIteration as stop:
        return _finished(loop, result=stop.value)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # the outcome, kept as a Task keeps it
        return _finished(loop, exception=exc)
    rest = cast("Coroutine[Any, Any, T]", _Resumed(coro, awaited))
    if sys.version_info >= (3, 11):
        return asyncio.Task(rest, loop=loop, context=context, **kwargs)
    # Python 3.10's Task copies the context it is made in: the one the first step ran in.
    return context.run(lambda: asyncio.Task(rest, loop=loop, **kwargs))


def make_eager(loop: asyncio.AbstractEventLoop) -> None:
    """Make ``loop``'s new tasks eager (``eager_task_factory``)."""
    loop.set_task_factory(eager_task_factory)


def _finished(
    loop: asyncio.AbstractEventLoop, result: Any = None, exception: BaseException | None = None
) -> asyncio.Future[Any]:
    future: asyncio.Future[Any] = loop.create_future()
    if isinstance(exception, asyncio.CancelledError):
        future.cancel()
    elif exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
    return future


class _Resumed:
    """The rest of a coroutine whose first step ran already, for its task to drive: the
    first ``send`` gives the task what that step waits on; everything after, and any
    exception thrown in (a cancel, even before the task's first turn), goes to the coroutine.
    """

    __slots__ = ("_awaited", "_coro")

    def __init__(
        self, coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any], awaited: Any
    ) -> None:
        self._coro = coro
        self._awaited = awaited

    def send(self, value: Any) -> Any:
        awaited, self._awaited = self._awaited, _HANDED_OVER
        if awaited is not _HANDED_OVER:
            return awaited
        return self._coro.send(value)

    def throw(self, *exception: Any) -> Any:
        awaited, self._awaited = self._awaited, _HANDED_OVER
        if asyncio.isfuture(awaited):
            awaited.cancel()  # a task cancelled before its first turn: as Task.cancel does
        return self._coro.throw(*exception)

    def close(self) -> None:
        self._awaited = _HANDED_OVER
        self._coro.close()

    @property
    def __name__(self) -> str:
        """The coroutine's name, for the task's repr (what asyncio's debug output shows)."""
        return str(getattr(self._coro, "__qualname__", type(self._coro).__name__))


_HANDED_OVER = object()
Coroutine.register(_Resumed)  # what asyncio.Task checks before it drives one
