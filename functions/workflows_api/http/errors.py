"""Refusals: every error a handler raises becomes one ApiError, here.

The body it is answered with (the envelope) is the route's choice: the native error
shape, or CARTO's job shape (`Route.refusal`).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from workflows_api import logs
from workflows_api.service.errors import BackendUnavailable, ServiceError

logger = logging.getLogger(__name__)

# How long a caller should wait before retrying after a backend was unavailable.
RETRY_AFTER_SECONDS = "5"

# HTTP status of each kind of service refusal.
STATUS_OF_KIND = {
    "invalid": 400,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "unprocessable": 422,
    "unavailable": 503,
}


@dataclass
class ApiError(Exception):
    """An error answered to the caller: HTTP status, stable code, human message.

    `field` names the request field or parameter at fault; `details` lists every
    problem when there is more than one (for example each bad parameter).
    """

    status: int
    code: str
    message: str
    field: str | None = None
    details: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def to_body(self) -> dict[str, Any]:
        """The native error body (native `models.ErrorBody`), without the fields that are empty."""
        return {"error": self.detail()}

    def detail(self) -> dict[str, Any]:
        """`models.ErrorDetail`: code and message; field and details when there are any."""
        detail: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            detail["field"] = self.field
        if self.details:
            detail["details"] = self.details
        return detail


def api_error(error: ServiceError) -> ApiError:
    headers = {"WWW-Authenticate": "Bearer"} if error.kind == "unauthenticated" else {}
    return ApiError(
        STATUS_OF_KIND[error.kind], error.code, error.message, error.field, error.details, headers
    )


def as_api_error(error: ApiError | ServiceError | BackendUnavailable) -> ApiError:
    """The one mapping of what handlers and services raise to an HTTP refusal."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, ServiceError):
        return api_error(error)
    # Why the backend failed (`reason`) may quote a client library's exception (an
    # endpoint's host and port, internal messages): the log keeps it, the answer does not.
    logs.log(
        logger,
        logging.WARNING,
        "backend unavailable",
        backend=error.backend,
        reason=error.reason,
    )
    return ApiError(
        503,
        "backend_unavailable",
        f"{error.backend} is unavailable; retry after {RETRY_AFTER_SECONDS} seconds.",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )
