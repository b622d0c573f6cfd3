"""Python SDK of Workflows API: `Client(url, token)` and `AsyncClient(url, token)`.

Depends only on httpx and pydantic; the response models (`workflows_api_client.models`)
are the ones the server answers with. Names are imported on first use, so the server,
which imports only `workflows_api_client.models`, never loads httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


_WHERE = {
    "ApiError": "workflows_api_client.errors",
    "ApiState": "workflows_api_client.models",
    "AsyncClient": "workflows_api_client.async_client",
    "BadRequest": "workflows_api_client.errors",
    "Client": "workflows_api_client.client",
    "Conflict": "workflows_api_client.errors",
    "ConnectionFailed": "workflows_api_client.errors",
    "Execution": "workflows_api_client.models",
    "ExecutionList": "workflows_api_client.models",
    "Forbidden": "workflows_api_client.errors",
    "NotFound": "workflows_api_client.errors",
    "RateLimited": "workflows_api_client.errors",
    "Results": "workflows_api_client.models",
    "RetryPolicy": "workflows_api_client.protocol",
    "ServiceUnavailable": "workflows_api_client.errors",
    "Unauthorized": "workflows_api_client.errors",
    "WaitTimeout": "workflows_api_client.errors",
    "WorkflowsApiError": "workflows_api_client.errors",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name]), name)


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
