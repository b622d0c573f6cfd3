"""BigQueryWarehouse on the BigQuery emulator: submitting, reading and cancelling jobs.

Emulator behaviours these tests rely on or document (bqemulator 1.4.0 + devstack shim):
- jobs.insert answers at once with the job PENDING/RUNNING (devstack/bq_async.py), so
  the tests wait for DONE with get_job, as a caller would;
- a duplicate job id is refused with 409, as real BigQuery does, so a re-submission is
  the first job (submit_query's Conflict path);
- labels are kept on the job (the shim stores the request's configuration);
- procedure bodies are not checked at CREATE time (real BigQuery checks them);
- a failed statement's errorResult is {reason, message[, location]}, e.g.
  `invalidQuery` / `Query execution failed: Invalid Input Error: <ERROR() text>`.
"""

from __future__ import annotations

import pytest
from google.cloud import bigquery

from tests.support.warehouse_calls import (
    PLACES,
    assert_done_without_error,
    call_arguments,
    deploy_workflow,
    new_output_table,
    output_node,
    query_rows,
    read_node,
    submit_call,
    until_done,
)
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.states import job_id, job_labels, new_execution_id
from workflows_api.domain.workflow.procedure_calls import (
    OUTPUT_TABLE_QUERY_PARAMETER,
    call_statement,
)

pytestmark = pytest.mark.integration


def test_same_job_id_twice_is_accepted_and_gives_one_result(
    warehouse: BigQueryWarehouse, connection: Connection, bq_client: bigquery.Client, places: str
) -> None:
    definition = {"parameters": [], "nodes": [read_node(places), output_node("places")]}
    workflow, compiled = deploy_workflow(warehouse, connection, definition)
    output = new_output_table(connection)
    arguments = call_arguments(workflow, {}, output)
    execution = new_execution_id()

    first = submit_call(warehouse, connection, compiled, arguments, execution_id=execution)
    second = submit_call(warehouse, connection, compiled, arguments, execution_id=execution)

    assert_done_without_error(first, job_id(execution))
    assert_done_without_error(second, job_id(execution))
    assert query_rows(bq_client, f"SELECT COUNT(*) AS n FROM `{output}`") == [{"n": len(PLACES)}]
    status = warehouse.get_job(connection, job_id(execution))
    assert status is not None and status.state == "DONE" and status.error is None


def test_a_bad_output_table_fails_the_job_without_raising(
    warehouse: BigQueryWarehouse, connection: Connection, places: str
) -> None:
    definition = {"parameters": [], "nodes": [read_node(places), output_node("places")]}
    workflow, compiled = deploy_workflow(warehouse, connection, definition)
    execution = new_execution_id()

    status = submit_call(
        warehouse,
        connection,
        compiled,
        call_arguments(workflow, {}, "x` AS SELECT 1; --"),
        execution_id=execution,
    )

    assert status.state == "DONE"
    assert status.error is not None
    assert status.error.reason == "invalidQuery"
    assert "output_table must be project.dataset.table" in status.error.message
    assert status.ended_at is not None
    assert warehouse.get_job(connection, job_id(execution)) == status


def test_a_procedure_raising_an_error_fails_the_job_without_raising(
    warehouse: BigQueryWarehouse, connection: Connection
) -> None:
    procedure = f"{connection.project}.{connection.dataset}.fails"
    warehouse.run_ddl(
        connection,
        f"CREATE OR REPLACE PROCEDURE `{procedure}`(wfapi_output_table STRING)\n"
        "BEGIN\n  SELECT ERROR(CONCAT('refused: ', wfapi_output_table));\nEND",
    )

    status = warehouse.submit_query(
        connection,
        job_id=job_id(new_execution_id()),
        sql=call_statement(procedure, []),
        arguments=[QueryArgument(OUTPUT_TABLE_QUERY_PARAMETER, "STRING", "p.d.t")],
        labels={},
    )
    status = until_done(warehouse, connection, status)

    assert status.state == "DONE"
    assert status.error is not None
    assert status.error.reason
    assert "refused: p.d.t" in status.error.message


@pytest.mark.parametrize(
    ("sql", "reason"),
    [("CALL `{dataset}.no_such_procedure`()", "notFound"), ("CALL nonsense(", "invalidQuery")],
)
def test_a_failing_statement_is_done_with_its_error(
    warehouse: BigQueryWarehouse, connection: Connection, sql: str, reason: str
) -> None:
    status = warehouse.submit_query(
        connection,
        job_id=job_id(new_execution_id()),
        sql=sql.format(dataset=f"{connection.project}.{connection.dataset}"),
        arguments=[],
        labels={},
    )
    status = until_done(warehouse, connection, status)
    assert status.state == "DONE"
    assert status.error is not None
    assert status.error.reason == reason
    assert status.error.message


def test_labels_do_not_break_submission(
    warehouse: BigQueryWarehouse, connection: Connection
) -> None:
    # Only acceptance is checked here (label values are the domain's unit tests' concern).
    labels = job_labels("Acme Corp", "My Workflow!", new_execution_id())
    status = warehouse.submit_query(
        connection, job_id=job_id(new_execution_id()), sql="SELECT 1", arguments=[], labels=labels
    )
    status = until_done(warehouse, connection, status)
    assert status.state == "DONE" and status.error is None


# Unknown jobs, and cancelling a running, finished or unknown one: the warehouse contract
# (tests/contract/warehouse_contract.py, run here by test_bigquery_warehouse_contract.py).
