"""Workflows compiled, deployed and called on the BigQuery emulator as production calls
them, for the BigQueryWarehouse integration tests (tests/integration/test_bigquery_*.py;
their fixtures `warehouse`, `connection` and `places` are in tests/integration/conftest.py).

`call_statement(...)` with typed query parameters built from canonical values
(`validate_parameter_values`), plus the output table as `wfapi_output_table`; jobs run in
the background, so `until_done` polls get_job as a caller would.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from google.cloud import bigquery

from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.states import JobStatus, job_id, job_labels, new_execution_id
from workflows_api.domain.workflow.compiler import (
    compile_procedure,
    procedure_name,
)
from workflows_api.domain.workflow.parameters import (
    bigquery_parameter_types,
    validate_parameter_values,
)
from workflows_api.domain.workflow.procedure_calls import (
    OUTPUT_TABLE_QUERY_PARAMETER,
    call_statement,
)
from workflows_api.domain.workflow.validation import load_workflow

# id, kind, amount, opened, seen (UTC), is_open
PLACES = [
    (1, "shop", 10.0, "2024-01-10", "2024-03-01 10:00:00", True),
    (2, "shop", 20.0, "2023-06-01", "2024-03-01 10:00:00", True),  # opened too early
    (3, "cafe", 30.0, "2024-02-01", "2024-03-02 10:00:00", True),
    (4, "cafe", 40.0, "2024-02-01", "2024-05-01 00:00:00", True),  # seen too late
    (5, "bank", 50.0, "2024-02-01", "2024-03-01 00:00:00", False),  # closed
    (6, "bank", 60.0, "2024-02-01", "2024-03-01 00:00:00", True),
    (7, "park", 70.0, "2024-02-01", "2024-03-01 00:00:00", True),  # kind not asked for
    (8, "shop", 5.0, "2024-02-01", "2024-03-01 00:00:00", True),  # amount too small
]


def deploy_workflow(
    warehouse: BigQueryWarehouse, connection: Connection, definition: dict[str, Any]
) -> tuple[Any, Any]:
    """Compile the workflow and create its procedure with run_ddl: (workflow, compiled)."""
    workflow = load_workflow(definition)
    compiled = compile_procedure(
        workflow,
        project=connection.project,
        dataset=connection.dataset,
        procedure=procedure_name(connection.org, f"wf-{uuid.uuid4().hex[:8]}"),
    )
    warehouse.run_ddl(connection, compiled.sql)
    return workflow, compiled


def call_arguments(workflow: Any, supplied: dict[str, Any], output: str) -> list[QueryArgument]:
    """Production's arguments: canonical values, BigQuery types, then the output table."""
    values = validate_parameter_values(workflow.parameters, supplied)
    types = bigquery_parameter_types(workflow.parameters)
    return [
        *(QueryArgument(name, types[name], value) for name, value in values.items()),
        QueryArgument(OUTPUT_TABLE_QUERY_PARAMETER, "STRING", output),
    ]


def new_output_table(connection: Connection) -> str:
    return f"{connection.project}.{connection.dataset}.out_{uuid.uuid4().hex[:8]}"


def submit_call(
    warehouse: BigQueryWarehouse,
    connection: Connection,
    compiled: Any,
    arguments: list[QueryArgument],
    *,
    execution_id: str | None = None,
) -> JobStatus:
    execution = execution_id or new_execution_id()
    status = warehouse.submit_query(
        connection,
        job_id=job_id(execution),
        sql=call_statement(compiled.procedure_ref, compiled.parameter_names),
        arguments=arguments,
        labels=job_labels(connection.org, "wf", execution),
    )
    return until_done(warehouse, connection, status)


def until_done(
    warehouse: BigQueryWarehouse, connection: Connection, status: JobStatus
) -> JobStatus:
    """Poll the submitted job until it is DONE (jobs run in the background)."""
    deadline = time.monotonic() + 120
    while status.state != "DONE" and time.monotonic() < deadline:
        time.sleep(0.05)
        found = warehouse.get_job(connection, status.job_id)
        assert found is not None
        status = found
    return status


def query_rows(client: bigquery.Client, sql: str) -> list[dict[str, Any]]:
    return [dict(row) for row in client.query(sql).result()]


def read_node(table: str) -> dict[str, Any]:
    return {"id": "places", "type": "read_table", "settings": {"table": table}}


def output_node(source: str) -> dict[str, Any]:
    return {"id": "out", "type": "output", "inputs": [source]}


def assert_done_without_error(status: JobStatus, expected_job_id: str) -> None:
    assert status.job_id == expected_job_id
    assert status.error is None, status.error
    assert status.state == "DONE"
    assert status.started_at is not None and status.ended_at is not None
    assert status.started_at.tzinfo == dt.UTC and status.ended_at.tzinfo == dt.UTC
    assert status.started_at <= status.ended_at
    assert abs(dt.datetime.now(dt.UTC) - status.ended_at) < dt.timedelta(minutes=5)
