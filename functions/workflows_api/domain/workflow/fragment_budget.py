"""A time budget for checking one definition's SQL fragments (issue 23, finding 3).

Within the byte caps (`fragment_limits`), one validation of a definition may spend at
most PARSE_BUDGET_SECONDS on its fragments: once spent, each step left (a parse, a
trial rendering) is refused unrun (400 `fragments_too_complex`, naming its node), so no
input holds the parser thread longer than the budget and one step.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

PARSE_BUDGET_SECONDS = 10.0

_DEADLINE: ContextVar[float | None] = ContextVar("fragment_parse_deadline", default=None)


@contextmanager
def parse_budget(seconds: float | None = None) -> Iterator[None]:
    """Fragments checked inside share one deadline (an enclosing budget's, if sooner)."""
    deadline = time.monotonic() + (PARSE_BUDGET_SECONDS if seconds is None else seconds)
    outer = _DEADLINE.get()
    token = _DEADLINE.set(deadline if outer is None else min(outer, deadline))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def budget_spent() -> bool:
    deadline = _DEADLINE.get()
    return deadline is not None and time.monotonic() > deadline
