"""What the SDK raises: one class per kind of refusal, carrying the API's error body."""

from __future__ import annotations

from typing import Any

from workflows_api_client.models import Execution


class WorkflowsApiError(Exception):
    """Base of every error the SDK raises."""


class ApiError(WorkflowsApiError):
    """The API refused a request: HTTP status, stable `code`, `message`, the `field` at fault
    and `details` (every problem, e.g. each bad parameter)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        details: list[dict[str, Any]] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = details or []
        self.retry_after = retry_after


class BadRequest(ApiError):
    """400, 413, 415 or 422: the request itself is wrong (see `field` and `details`)."""


class Unauthorized(ApiError):
    """401: no token, or an unknown, expired or revoked one."""


class Forbidden(ApiError):
    """403: the token lacks the grant or the workflow."""


class NotFound(ApiError):
    """404: no such workflow or execution in the token's org."""


class Conflict(ApiError):
    """409: e.g. the API is disabled, or the execution already ended."""


class RateLimited(ApiError):
    """429 after every retry."""


class ServiceUnavailable(ApiError):
    """503 (or another 5xx) after every retry."""


ERROR_CLASS_OF_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: BadRequest,
    415: BadRequest,
    422: BadRequest,
    429: RateLimited,
}


def error_class(status: int) -> type[ApiError]:
    if status in ERROR_CLASS_OF_STATUS:
        return ERROR_CLASS_OF_STATUS[status]
    return ServiceUnavailable if status >= 500 else ApiError


class ConnectionFailed(WorkflowsApiError):
    """The API could not be reached (after retries, where a retry was safe)."""


class WaitTimeout(WorkflowsApiError, TimeoutError):
    """The execution did not end within the timeout; `execution` is its last known state."""

    def __init__(self, execution: Execution, timeout: float) -> None:
        super().__init__(f"execution {execution.id} still {execution.state} after {timeout:g} s")
        self.execution = execution
        self.timeout = timeout
