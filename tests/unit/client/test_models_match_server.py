"""The SDK's response models are the server's: same fields, same types, same schema.

Once workflows_api.http.native.models imports them from workflows_api_client.models (one
definition), this holds by construction; until then it catches drift.
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from workflows_api.domain.execution.states import JobError
from workflows_api.http.native import models as server_models
from workflows_api_client import models

SHARED = [
    "ErrorDetail",
    "ErrorBody",
    "WorkflowResource",
    "SavedWorkflow",
    "WorkflowList",
    "Argument",
    "CompiledSql",
    "ApiParameter",
    "ApiState",
    "JobErrorResult",
    "ExecutionLinks",
    "Delivery",
    "Execution",
    "ExecutionList",
    "ResultColumn",
    "Results",
]


@pytest.mark.parametrize("name", SHARED)
def test_the_sdk_model_is_the_servers(name: str) -> None:
    client_model: type[BaseModel] = getattr(models, name)
    server_model: type[BaseModel] = getattr(server_models, name)
    for mode in ("validation", "serialization"):
        assert client_model.model_json_schema(mode=mode) == server_model.model_json_schema(
            mode=mode
        )
    assert client_model.model_config.get("extra") == server_model.model_config.get("extra")


def test_job_error_result_is_built_from_the_domains_error() -> None:
    error = JobError(reason="invalidQuery", location="q", message="bad")
    assert (
        models.JobErrorResult.of(error).model_dump()
        == server_models.JobErrorResult.of(error).model_dump()
    )
