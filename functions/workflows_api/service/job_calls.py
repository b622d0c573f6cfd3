"""An execution's job as BigQuery runs it: the CALL of its procedure with typed query
parameters, and the cap on the bytes it may bill."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.states import Execution

if TYPE_CHECKING:
    from workflows_api.domain.workflow.signature import ExecutionSignature


def call_of(execution: Execution, workflow: ExecutionSignature) -> tuple[str, list[QueryArgument]]:
    """The CALL of the execution's procedure and its typed query parameters."""
    # Imported here: reading an execution (status) never needs the compiler.
    from workflows_api.domain.workflow.compiler import OUTPUT_TABLE_QUERY_PARAMETER, call_statement
    from workflows_api.domain.workflow.parameters import (
        bigquery_parameter_types,
        validate_parameter_values,
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
