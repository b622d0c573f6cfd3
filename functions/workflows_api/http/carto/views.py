"""CARTO's job shapes: a job, its status, and every refusal in the same shape.

CARTO's callers read `status.state` and `status.errorResult` (BigQuery's errorResult);
a refusal therefore answers a finished job with an errorResult too, plus this API's
stable `error.code`. The token is never part of any answer (CARTO's repeats it).
"""

from __future__ import annotations

from typing import Any, Literal

from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.calls import format_call
from workflows_api.domain.execution.states import CANCELLED_ERROR, Execution, State
from workflows_api.domain.timestamps import iso_utc
from workflows_api.http.errors import ApiError

JOB_PREFIX = "job_"
CANCELLED_MESSAGE = CANCELLED_ERROR.message

# Errors about the query or its parameters read like BigQuery's query errors.
_QUERY_ERROR_CODES = frozenset(
    {"invalid_query", "call_parameters_mismatch", "query_parameters_mismatch", "invalid_parameters"}
)
# BigQuery's errorResult reasons for the HTTP statuses a refusal can have.
_REASON_OF_STATUS = {
    401: "unauthorized",
    403: "accessDenied",
    404: "notFound",
    503: "backendError",
}

_STATE_OF_EXECUTION: dict[State, Literal["PENDING", "RUNNING", "DONE"]] = {
    State.CREATED: "PENDING",
    State.RUNNING: "RUNNING",
    State.SUCCEEDED: "DONE",
    State.FAILED: "DONE",
    State.CANCELLED: "DONE",
}


def external_id(execution_id: str) -> str:
    return f"{JOB_PREFIX}{execution_id}"


def execution_id_of(external: str) -> str | None:
    """The execution id inside a `job_<id>` externalId; None for any other form."""
    if not external.startswith(JOB_PREFIX) or len(external) == len(JOB_PREFIX):
        return None
    return external[len(JOB_PREFIX) :]


def job_view(
    execution: Execution, connection: Connection, user_id: str, query: str
) -> dict[str, Any]:
    """`user_id` is the calling token's public id, never its secret."""
    return {  # models.CartoJob
        "externalId": external_id(execution.id),
        "accountId": execution.org,
        "userId": user_id,
        "connectionId": connection.id,
        "metadata": {},
        "createdAt": iso_utc(execution.created_at, milliseconds=True),
        "query": query,
        "jobMetadata": {
            "location": connection.location,
            "workflowOutputTableName": execution.output_table,
        },
        "status": status_view(execution),
    }


def job_list_view(
    jobs: list[tuple[Execution, Connection]], user_id: str, next_page_token: str | None
) -> dict[str, Any]:
    """Each job as GET .../job/{externalId} answers it."""
    return {
        "jobs": [stored_job_view(e, c, user_id) for e, c in jobs],
        "next_page_token": next_page_token,
    }


def stored_job_view(execution: Execution, connection: Connection, user_id: str) -> dict[str, Any]:
    """The job of a stored execution, its query as CARTO's UI writes it."""
    return job_view(execution, connection, user_id, stored_query(execution))


def stored_query(execution: Execution) -> str:
    """The query as CARTO's UI writes it: the declared parameters, in order."""
    return format_call(execution.procedure, list(execution.parameters))


def status_view(execution: Execution) -> dict[str, Any]:
    """`errorResult` only when there is one (CARTO's successful status has none)."""
    status: dict[str, Any] = {"state": _STATE_OF_EXECUTION[execution.state]}
    error = execution.job_error  # BigQuery's, unchanged, or `stopped`
    if error is not None:
        status["errorResult"] = error.to_dict()
    return status


def error_body(error: ApiError, query: str | None) -> dict[str, Any]:
    """A refusal as a finished job: errorResult for CARTO's callers, `error` for ours."""
    is_query_error = error.code in _QUERY_ERROR_CODES
    reason = "invalidQuery" if is_query_error else _REASON_OF_STATUS.get(error.status, "invalid")
    message = (
        parameter_error_message(error.details)
        if error.code == "invalid_parameters" and error.details
        else error.message
    )
    error_result = {
        "reason": reason,
        "location": "query" if is_query_error else None,
        "message": message,
    }
    return {  # models.CartoRefusal
        "status": {"state": "DONE", "errorResult": error_result},
        "query": query,
        "error": error.detail(),
    }


def parameter_error_message(details: list[dict[str, Any]]) -> str:
    """BigQuery's wording for bad query parameters, from the service's details
    (each with `parameter`, `expected` and a `name: what is wrong` message)."""
    return "; ".join(_parameter_error(detail) for detail in details)


def _parameter_error(detail: dict[str, Any]) -> str:
    name = str(detail.get("parameter", ""))
    expected = detail.get("expected")
    problem = str(detail.get("message", ""))
    problem = problem.removeprefix(f"{name}: ")
    if detail.get("code") == "invalid_type" and expected:
        problem = problem.removeprefix(f"expected {expected}, ")
        return f"Query error: Cannot coerce expression @{name} to type {expected}: {problem}"
    of_type = f" of type {expected}" if expected else ""
    return f"Query error: Invalid value for @{name}{of_type}: {problem}"
