"""Python SDK of Workflows API: `Client(url, token)` and `AsyncClient(url, token)`.

Depends only on httpx and pydantic; the response models (`workflows_api_client.models`)
are the ones the server answers with.
"""

from workflows_api_client.async_client import AsyncClient
from workflows_api_client.client import Client
from workflows_api_client.errors import (
    ApiError,
    BadRequest,
    Conflict,
    ConnectionFailed,
    Forbidden,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthorized,
    WaitTimeout,
    WorkflowsApiError,
)
from workflows_api_client.models import ApiState, Execution, ExecutionList, Results
from workflows_api_client.protocol import RetryPolicy

__all__ = [
    "ApiError",
    "ApiState",
    "AsyncClient",
    "BadRequest",
    "Client",
    "Conflict",
    "ConnectionFailed",
    "Execution",
    "ExecutionList",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "Results",
    "RetryPolicy",
    "ServiceUnavailable",
    "Unauthorized",
    "WaitTimeout",
    "WorkflowsApiError",
]
