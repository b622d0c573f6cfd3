"""Backend calls issued at once instead of one after another, on one pool per process.

Each call runs in a copy of the caller's context, so the request's deadline
(deadlines.py) and trace (tracing.py) hold inside it as they would in the caller's own
thread. Only for calls that wait on a backend (the work is I/O): the pool is small.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_WORKERS = 16
_pool: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="wfapi-io")
    return _pool


def start(call: Callable[[], T]) -> Future[T]:
    """Run `call` now on the pool, in a copy of this context; `.result()` to join it."""
    context = contextvars.copy_context()
    return _executor().submit(context.run, call)


def all_of(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Every call's result, in order; the first call runs on this thread. The first
    exception raised (in order) is raised once all have ended."""
    if not calls:
        return []
    others = [start(call) for call in calls[1:]]
    results: list[T] = []
    failure: BaseException | None = None
    try:
        results.append(calls[0]())
    except BaseException as error:
        failure = error
    for future in others:
        try:
            results.append(future.result())
        except BaseException as error:
            failure = failure or error
    if failure is not None:
        raise failure
    return results
