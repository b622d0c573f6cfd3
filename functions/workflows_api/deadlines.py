"""How long the work in hand may still wait on backends.

An entry point sets a total deadline for its request (`within`); every backend call
made under it (adapters/retrying.py) retries and waits only until then, so a frozen
backend costs a request at most its deadline. Nested `within` blocks only shorten it.
Waiting on work a backend reports as progressing (a queued or running job, the wait a
caller asked for with `wait_seconds`) is not waiting on a frozen backend: in a
`paused` block the deadline moves out of the way, and the time spent there does not
count. A context variable, so each request thread sees its own deadline; code outside
any request (CloudEvent functions, the sweep) sees none and relies on each call's own
budget.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# A request's total budget for backend calls (the function's own timeout is longer).
REQUEST_DEADLINE_SECONDS = 10.0


@dataclass
class _Deadline:
    ends_at: float
    outer: _Deadline | None  # the enclosing deadline (ends no earlier)


_current: ContextVar[_Deadline | None] = ContextVar("backend_deadline", default=None)


def time_left() -> float | None:
    """Seconds until the current deadline (negative once passed); None without one."""
    current = _current.get()
    return None if current is None else current.ends_at - time.monotonic()


def capped(seconds: float) -> float:
    """`seconds`, or less when the current deadline comes sooner (never below 0)."""
    left = time_left()
    return max(0.0, seconds if left is None else min(seconds, left))


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Run the block under a deadline `seconds` from now, or the current one if sooner."""
    outer = _current.get()
    ends_at = time.monotonic() + seconds
    if outer is not None:
        ends_at = min(ends_at, outer.ends_at)
    token = _current.set(_Deadline(ends_at, outer))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def paused(at_most: float) -> Iterator[None]:
    """A wait on progressing work: the block may run `at_most` seconds past the current
    deadline, and every enclosing deadline is pushed back by the time it took."""
    chain = []
    deadline = _current.get()
    while deadline is not None:
        chain.append(deadline)
        deadline = deadline.outer
    started = time.monotonic()
    for each in chain:
        each.ends_at += at_most
    try:
        yield
    finally:
        spent = min(time.monotonic() - started, at_most)
        for each in chain:
            each.ends_at += spent - at_most
