"""The refusals of the workflow use cases that other use cases give too (execute, CARTO):
an impossible workflow id, an API that is disabled, or deployed for another connection."""

from __future__ import annotations

from workflows_api.domain.access.identifiers import WORKFLOW_ID_PATTERN
from workflows_api.domain.workflow.records import WorkflowRecord
from workflows_api.service.errors import ServiceError


def check_workflow_id(workflow_id: str) -> None:
    if not WORKFLOW_ID_PATTERN.fullmatch(workflow_id):
        raise ServiceError(
            "invalid",
            "invalid_workflow_id",
            "workflow_id: expected 1 to 128 letters, digits, '_' or '-', starting with a "
            f"letter or digit; got {workflow_id[:140]!r}",
            "workflow_id",
        )


def api_connection_changed(record: WorkflowRecord) -> ServiceError:
    return ServiceError(
        "conflict",
        "api_connection_changed",
        f"connection: workflow {record.id!r} now runs on connection {record.connection!r}, "
        f"but its API was deployed for {record.deployed_connection!r}; update the API "
        f"(PUT /v1/workflows/{record.id}/api) to deploy it there before executing.",
        "connection",
    )


def api_disabled(workflow_id: str) -> ServiceError:
    return ServiceError(
        "conflict",
        "api_disabled",
        f"API access to workflow {workflow_id!r} is disabled; enable it with "
        f"POST /v1/workflows/{workflow_id}/api.",
        "workflow_id",
    )
