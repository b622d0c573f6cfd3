"""Backend calls issued at once instead of one after another, on one pool per process.

Each call runs in a copy of the caller's context, so the request's deadline
(deadlines.py) and trace (tracing.py) hold inside it as they would in the caller's own
thread. Only for calls that wait on a backend (the work is I/O): the pool is small.

A call already running on the pool never waits on the pool: what it starts runs in its
own thread, one after the other. Otherwise enough requests at once (a cache hit reading
several sources' metadata from a pool thread) would hold every worker waiting on work
queued behind them, and wait for ever.
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
_worker = threading.local()  # `on_pool` is True in the pool's own threads


def _mark_worker() -> None:
    _worker.on_pool = True


def _executor() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(
                    max_workers=_WORKERS, thread_name_prefix="wfapi-io", initializer=_mark_worker
                )
    return _pool


def start(call: Callable[[], T]) -> Future[T]:
    """Run `call` now on the pool, in a copy of this context; `.result()` to join it.
    From a pool thread, `call` runs here and now (the pool never waits on itself)."""
    if getattr(_worker, "on_pool", False):
        done: Future[T] = Future()
        try:
            done.set_result(call())
        except BaseException as error:
            done.set_exception(error)
        return done
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
