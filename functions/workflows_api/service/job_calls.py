"""An execution's job as BigQuery runs it: the CALL of its procedure with typed query
parameters, the cap on the bytes it may bill, and its insert."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from workflows_api import logs
from workflows_api.domain.execution.states import Execution, JobError, JobStatus
from workflows_api.service.errors import BackendUnavailable, WarehouseError

if TYPE_CHECKING:
    from workflows_api.domain.access.connections import Connection
    from workflows_api.domain.execution.records import QueryArgument
    from workflows_api.domain.workflow.signature import ExecutionSignature
    from workflows_api.service.ports import Warehouse

logger = logging.getLogger(__name__)


def insert_job(
    warehouse: Warehouse,
    execution: Execution,
    connection: Connection,
    workflow: ExecutionSignature,
) -> JobStatus | None:
    """BigQuery's report of the execution's job, accepted or refused (idempotent: the job
    id is the execution's); None when it did not answer (the execution stays recorded: a
    status read, or the sweep, as no job report confirmed it, submits it again)."""
    sql, arguments = call_of(execution, workflow)
    try:
        status = warehouse.submit_query(
            connection,
            job_id=execution.bigquery_job_id,
            sql=sql,
            arguments=arguments,
            labels=execution.labels,
            maximum_bytes_billed=bytes_billed_cap(
                workflow.settings.maximum_bytes_billed, connection.maximum_bytes_billed
            ),
        )
    except BackendUnavailable as unavailable:
        log_unavailable(execution, unavailable)
        return None
    except WarehouseError as refused:
        # BigQuery refused the job itself (no job exists): that is this run's outcome.
        error = JobError(refused.reason, refused.message, refused.location)
        return JobStatus(execution.bigquery_job_id, "DONE", error)
    logs.log(
        logger,
        logging.INFO,
        "execution submitted",
        execution_id=execution.id,
        workflow_id=execution.workflow_id,
        job_id=execution.bigquery_job_id,
    )
    return status


def log_unavailable(execution: Execution, unavailable: BackendUnavailable) -> None:
    logs.log(
        logger,
        logging.WARNING,
        "BigQuery unavailable; the execution stays recorded and is retried on status reads",
        execution_id=execution.id,
        reason=unavailable.reason,
    )


def call_of(execution: Execution, workflow: ExecutionSignature) -> tuple[str, list[QueryArgument]]:
    """The CALL of the execution's procedure and its typed query parameters."""
    # Imported here: reading an execution (status) or a cache hit never needs the compiler.
    from workflows_api.domain.execution.records import QueryArgument
    from workflows_api.domain.workflow.parameters import (
        bigquery_parameter_types,
        validate_parameter_values,
    )
    from workflows_api.domain.workflow.procedure_calls import (
        OUTPUT_TABLE_QUERY_PARAMETER,
        call_statement,
    )

    types = bigquery_parameter_types(workflow.parameters)
    typed = validate_parameter_values(workflow.parameters, execution.parameters)
    arguments = [QueryArgument(name, types[name], value) for name, value in typed.items()]
    arguments.append(QueryArgument(OUTPUT_TABLE_QUERY_PARAMETER, "STRING", execution.output_table))
    return call_statement(execution.procedure, list(typed)), arguments


def bytes_billed_cap(workflow_cap: int | None, connection_cap: int | None) -> int | None:
    """The cap a run is submitted with: the lower of the workflow's and the connection's."""
    caps = [cap for cap in (workflow_cap, connection_cap) if cap is not None]
    return min(caps) if caps else None
