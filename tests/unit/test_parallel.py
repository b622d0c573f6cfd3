"""The one pool of backend calls (workflows_api/parallel.py)."""

from __future__ import annotations

import contextvars
import threading
import time
from concurrent.futures import wait

import pytest

from workflows_api import parallel

REQUEST = contextvars.ContextVar("request", default="none")


def test_a_call_on_the_pool_sees_the_callers_context() -> None:
    REQUEST.set("r-1")
    assert parallel.start(REQUEST.get).result(timeout=5) == "r-1"


def test_all_of_answers_in_order_and_raises_the_first_failure() -> None:
    assert parallel.all_of([lambda: 1, lambda: 2, lambda: 3]) == [1, 2, 3]

    def fails() -> int:
        raise KeyError("second")

    with pytest.raises(KeyError, match="second"):
        parallel.all_of([lambda: 1, fails, lambda: 3])


def test_calls_on_the_pool_that_start_more_never_wait_on_the_pool() -> None:
    # More callers on the pool than it has workers, each fanning out again (a cache
    # hit reading several sources' metadata from a pool thread): all of them end.
    def fan_out() -> set[str]:
        def one() -> str:
            time.sleep(0.01)
            return threading.current_thread().name

        return set(parallel.all_of([one, one, one]))

    callers = [parallel.start(fan_out) for _ in range(parallel._WORKERS * 2)]
    done, waiting = wait(callers, timeout=20)
    assert not waiting, f"{len(waiting)} pool callers still waiting on the pool"
    # What a pool call started ran in its own thread.
    assert all(len(caller.result()) == 1 for caller in done)


def test_a_failure_started_from_the_pool_is_raised_by_result() -> None:
    def fails() -> None:
        raise ValueError("inside")

    outer = parallel.start(lambda: parallel.start(fails))
    with pytest.raises(ValueError, match="inside"):
        outer.result(timeout=5).result(timeout=5)
