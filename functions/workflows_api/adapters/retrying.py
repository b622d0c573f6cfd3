"""The adapters' one retry policy: google-api-core's exponential backoff with jitter,
until a deadline; then BackendUnavailable, which the HTTP layer answers with 503."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from google.api_core.exceptions import RetryError
from google.api_core.retry import Retry

from workflows_api.service.errors import BackendUnavailable

T = TypeVar("T")


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
    """`call()`, again after each transient error until `deadline` seconds have passed."""
    retry = Retry(
        predicate=is_transient,
        initial=first_delay,
        maximum=max_delay,
        multiplier=2.0,
        timeout=deadline,
    )
    try:
        return retry(call)()
    except RetryError as exhausted:
        last = exhausted.cause or exhausted
        raise BackendUnavailable(backend, f"{operation} kept failing, last: {last}") from last
