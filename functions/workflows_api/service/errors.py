"""What a use case can refuse, independent of HTTP (the HTTP layer maps kinds to statuses)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal[
    "invalid",  # the request is wrong: 400
    "unauthenticated",  # no valid token: 401
    "forbidden",  # the token lacks a grant: 403
    "not_found",  # missing, or another org's: 404
    "conflict",  # the resource's state forbids it: 409
    "too_large",  # over a size cap: 413
    "unprocessable",  # well-formed but unusable (an idempotency key reused): 422
    "too_many",  # over a bound that time lifts (an org's queue is full): 429, Retry-After
    "unavailable",  # a backend failed transiently after retries: 503
]


@dataclass
class ServiceError(Exception):
    kind: Kind
    code: str
    message: str
    field: str | None = None
    details: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class BackendUnavailable(Exception):
    """A store or the warehouse failed transiently and retrying did not help."""

    def __init__(self, backend: str, reason: str) -> None:
        self.backend = backend
        self.reason = reason
        super().__init__(f"{backend} is unavailable: {reason}")


class WarehouseError(Exception):
    """BigQuery refused a statement the service built (not transient)."""

    def __init__(self, reason: str, message: str, location: str | None = None) -> None:
        self.reason = reason
        self.message = message
        self.location = location
        super().__init__(f"{reason}: {message}")


def not_found(kind: str, identifier: str) -> ServiceError:
    return ServiceError(
        "not_found", f"{kind}_not_found", f"No {kind.replace('_', ' ')} {identifier!r}."
    )


class InvalidIdToken(Exception):
    """An OIDC ID token that is malformed, badly signed, expired or for someone else."""


class WebhookSendError(Exception):
    """No HTTP answer came (connection refused, timeout...)."""


class SchedulerRefused(Exception):
    """Cloud Scheduler refused a job the service built (not transient)."""
