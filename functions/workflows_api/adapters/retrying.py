"""The adapters' one retry policy: google-api-core's exponential backoff with jitter,
until a deadline; then BackendUnavailable, which the HTTP layer answers with 503.

The deadline is the call's own budget or the request's (deadlines.py),
whichever ends first. It is also the current deadline while the call runs, so each
attempt's timeout (`attempt_timeout`) ends by then too: a frozen backend holds the
caller for the budget, not for budget + one more attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from google.api_core.exceptions import RetryError
from google.api_core.retry import Retry

from workflows_api import deadlines, tracing
from workflows_api.service.errors import BackendUnavailable

T = TypeVar("T")

# Below this, an attempt could not even connect: give up instead.
MIN_ATTEMPT_SECONDS = 0.05


def attempt_timeout(limit: float) -> float:
    """The timeout for one attempt: `limit`, or the time left if that is shorter."""
    return deadlines.capped(limit)


def call_with_retries(
    backend: str,
    operation: str,
    call: Callable[[], T],
    *,
    is_transient: Callable[[Exception], bool],
    first_delay: float,
    max_delay: float,
    deadline: float,
) -> T:
    """`call()`, again after each transient error until `deadline` seconds have passed
    (fewer when the request's deadline comes first)."""

    failures: list[Exception] = []

    def attempt() -> T:
        if deadlines.capped(deadline) < MIN_ATTEMPT_SECONDS:
            # Out of time between retries (the backoff's jitter can end there): say what
            # kept failing, as when the retries run out.
            if failures:
                raise _kept_failing(backend, operation, failures[-1]) from failures[-1]
            raise BackendUnavailable(backend, f"{operation}: out of time")
        try:
            return call()
        except Exception as error:
            failures.append(error)
            raise

    # One span per backend call, its retries included (only when spans are exported).
    with deadlines.within(deadline), tracing.span(f"{backend}: {operation}"):
        retry = Retry(
            predicate=is_transient,
            initial=first_delay,
            maximum=max_delay,
            multiplier=2.0,
            timeout=deadlines.capped(deadline),
        )
        try:
            return retry(attempt)()
        except RetryError as exhausted:
            last = exhausted.cause or exhausted
            raise _kept_failing(backend, operation, last) from last


def _kept_failing(backend: str, operation: str, last: BaseException) -> BackendUnavailable:
    return BackendUnavailable(
        backend, f"{operation} kept failing, last: {type(last).__name__}: {last}"
    )
