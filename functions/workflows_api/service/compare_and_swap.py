"""The one retry loop of the services: re-read a record after losing a compare-and-swap.

The adapters retry transient backend errors themselves (api-core Retry); this loop only
re-reads what a concurrent writer stored and tries again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from workflows_api.service.errors import ServiceError

CAS_ATTEMPTS = 5
T = TypeVar("T")


@dataclass(frozen=True)
class Settled(Generic[T]):
    """A compare-and-swap attempt's final answer (None from an attempt: lost the race)."""

    value: T


def until_settled(
    attempt: Callable[[], Settled[T] | None],
    code: str = "busy",
    message: str = "The execution keeps changing; retry.",
) -> T:
    """Run `attempt` until it settles: each attempt re-reads what a concurrent writer
    stored and tries its compare-and-swap again; 503 `code` after CAS_ATTEMPTS."""
    for _ in range(CAS_ATTEMPTS):
        settled = attempt()
        if settled is not None:
            return settled.value
    raise ServiceError("unavailable", code, message)
