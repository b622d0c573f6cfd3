"""How long the work in hand may still wait on backends.

An entry point sets a total deadline for its request (`within`); every backend call
made under it (adapters/retrying.py) retries and waits only until then, so a frozen
backend costs a request at most its deadline. Nested `within` blocks only shorten it;
`extended` lengthens it, for a caller who asked to wait (`?wait=`). A context
variable, so each request thread (and nothing else) sees its own deadline; code
outside any request (CloudEvent functions, the sweep) sees none and relies on each
call's own budget.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# A request's total budget for backend calls (the function's own timeout is longer).
REQUEST_DEADLINE_SECONDS = 10.0

_ends_at: ContextVar[float | None] = ContextVar("backend_deadline", default=None)


def time_left() -> float | None:
    """Seconds until the current deadline (negative once passed); None without one."""
    ends_at = _ends_at.get()
    return None if ends_at is None else ends_at - time.monotonic()


def capped(seconds: float) -> float:
    """`seconds`, or less when the current deadline comes sooner (never below 0)."""
    left = time_left()
    return max(0.0, seconds if left is None else min(seconds, left))


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Run the block under a deadline `seconds` from now, or the current one if sooner."""
    ends_at = time.monotonic() + seconds
    current = _ends_at.get()
    token = _ends_at.set(ends_at if current is None else min(current, ends_at))
    try:
        yield
    finally:
        _ends_at.reset(token)


@contextmanager
def extended(seconds: float) -> Iterator[None]:
    """Push the current deadline (if any) `seconds` later for the block."""
    current = _ends_at.get()
    token = _ends_at.set(None if current is None else current + seconds)
    try:
        yield
    finally:
        _ends_at.reset(token)
