"""BigQueryWarehouse on the BigQuery emulator: parameterised CALL jobs, each typed query
parameter arriving as the procedure declares it.

Procedures are compiled from workflows and called exactly as production calls them
(tests/support/warehouse_calls.py): `call_statement(...)` with typed query parameters
built from canonical values (`validate_parameter_values`), plus the output table as
`wfapi_output_table`. jobs.insert answers at once with the job PENDING/RUNNING
(devstack/bq_async.py), so the tests wait for DONE with get_job, as a caller would.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from google.cloud import bigquery

from tests.support.warehouse_calls import (
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
from workflows_api.domain.execution.states import job_id, new_execution_id

pytestmark = pytest.mark.integration

TRICKY_STRING = 'O\'Brien "quoted" back\\slash\nnew line, ñandú, 東京, emoji 🚀, tab\t@text'


def test_compiled_procedure_runs_with_typed_parameters(
    warehouse: BigQueryWarehouse, connection: Connection, bq_client: bigquery.Client, places: str
) -> None:
    definition = {
        "parameters": [
            {"name": "kinds", "type": "ARRAY<STRING>"},
            {"name": "min_amount", "type": "FLOAT64"},
            {"name": "since", "type": "DATE"},
            {"name": "before", "type": "TIMESTAMP"},
            {"name": "open", "type": "BOOL"},
            {"name": "factor", "type": "INT64"},
            {"name": "fee", "type": "NUMERIC"},
            {"name": "label", "type": "STRING"},
        ],
        "nodes": [
            read_node(places),
            {
                "id": "kept",
                "type": "filter",
                "inputs": ["places"],
                "settings": {
                    "conditions": [
                        {"column": "kind", "operator": "in", "value": {"param": "kinds"}},
                        {"column": "amount", "operator": ">=", "value": {"param": "min_amount"}},
                        {"column": "opened", "operator": ">=", "value": {"param": "since"}},
                        {"column": "seen", "operator": "<", "value": {"param": "before"}},
                        {"column": "is_open", "operator": "=", "value": {"param": "open"}},
                    ]
                },
            },
            {
                "id": "shaped",
                "type": "select",
                "inputs": ["kept"],
                "settings": {
                    "columns": ["id", "kind"],
                    "computed": [
                        {"name": "scaled", "expression": "id * @factor"},
                        {"name": "fee_total", "expression": "CAST(id AS NUMERIC) * @fee"},
                        {"name": "label", "expression": "@label"},
                    ],
                },
            },
            output_node("shaped"),
        ],
    }
    workflow, compiled = deploy_workflow(warehouse, connection, definition)
    output = new_output_table(connection)
    supplied = {
        "kinds": ["shop", "cafe", "bank"],
        "min_amount": 10,  # canonical: 10.0
        "since": "2024-01-01",
        "before": "2024-04-01T00:00:00Z",
        "open": True,
        "factor": 3,
        "fee": "1.25",
        "label": "it's",
    }
    execution = new_execution_id()

    status = submit_call(
        warehouse,
        connection,
        compiled,
        call_arguments(workflow, supplied, output),
        execution_id=execution,
    )

    assert_done_without_error(status, job_id(execution))
    rows = query_rows(bq_client, f"SELECT * FROM `{output}` ORDER BY id")
    assert rows == [
        {"id": 1, "kind": "shop", "scaled": 3, "fee_total": Decimal("1.25"), "label": "it's"},
        {"id": 3, "kind": "cafe", "scaled": 9, "fee_total": Decimal("3.75"), "label": "it's"},
        {"id": 6, "kind": "bank", "scaled": 18, "fee_total": Decimal("7.50"), "label": "it's"},
    ]
    assert warehouse.get_job(connection, job_id(execution)) == status


def test_string_parameter_arrives_byte_for_byte(
    warehouse: BigQueryWarehouse, connection: Connection, bq_client: bigquery.Client, places: str
) -> None:
    definition = {
        "parameters": [{"name": "text", "type": "STRING"}],
        "nodes": [
            read_node(places),
            {
                "id": "echo",
                "type": "select",
                "inputs": ["places"],
                "settings": {
                    "columns": ["id"],
                    "computed": [
                        {"name": "echoed", "expression": "@text"},
                        {"name": "echoed_length", "expression": "LENGTH(@text)"},
                    ],
                },
            },
            output_node("echo"),
        ],
    }
    workflow, compiled = deploy_workflow(warehouse, connection, definition)
    output = new_output_table(connection)

    status = submit_call(
        warehouse, connection, compiled, call_arguments(workflow, {"text": TRICKY_STRING}, output)
    )

    assert status.error is None, status.error
    rows = query_rows(bq_client, f"SELECT echoed, echoed_length FROM `{output}` WHERE id = 1")
    assert rows[0]["echoed"].encode() == TRICKY_STRING.encode()
    assert rows[0]["echoed_length"] == len(TRICKY_STRING)


@pytest.mark.parametrize(
    ("kinds", "expected_ids"),
    [(["park"], [7]), (["shop", "bank"], [1, 2, 5, 6, 8]), ([], [])],
)
def test_array_parameter(
    warehouse: BigQueryWarehouse,
    connection: Connection,
    bq_client: bigquery.Client,
    places: str,
    kinds: list[str],
    expected_ids: list[int],
) -> None:
    definition = {
        "parameters": [{"name": "kinds", "type": "ARRAY<STRING>"}],
        "nodes": [
            read_node(places),
            {
                "id": "kept",
                "type": "filter",
                "inputs": ["places"],
                "settings": {
                    "conditions": [
                        {"column": "kind", "operator": "in", "value": {"param": "kinds"}}
                    ]
                },
            },
            output_node("kept"),
        ],
    }
    workflow, compiled = deploy_workflow(warehouse, connection, definition)
    output = new_output_table(connection)

    status = submit_call(
        warehouse, connection, compiled, call_arguments(workflow, {"kinds": kinds}, output)
    )

    assert status.error is None, status.error
    rows = query_rows(bq_client, f"SELECT id FROM `{output}` ORDER BY id")
    assert [row["id"] for row in rows] == expected_ids


def test_absent_optional_parameters_arrive_as_nulls(
    warehouse: BigQueryWarehouse, connection: Connection, bq_client: bigquery.Client, places: str
) -> None:
    definition = {
        "parameters": [
            {"name": "tag", "type": "STRING", "required": False},
            {"name": "day", "type": "DATE", "required": False},
            {"name": "ids", "type": "ARRAY<INT64>", "required": False},
        ],
        "nodes": [
            read_node(places),
            {
                "id": "nulls",
                "type": "select",
                "inputs": ["places"],
                "settings": {
                    "columns": ["id"],
                    "computed": [
                        {"name": "tag", "expression": "@tag"},
                        {"name": "day", "expression": "@day"},
                        {"name": "id_count", "expression": "ARRAY_LENGTH(@ids)"},
                    ],
                },
            },
            output_node("nulls"),
        ],
    }
    workflow, compiled = deploy_workflow(warehouse, connection, definition)
    output = new_output_table(connection)

    status = submit_call(warehouse, connection, compiled, call_arguments(workflow, {}, output))

    assert status.error is None, status.error
    # A NULL array is sent as an empty one (the client library cannot send a NULL
    # ARRAY parameter). The emulator types NULL procedure arguments as INT64 whatever
    # their declared type (even literal NULLs), so column types are checked below.
    rows = query_rows(bq_client, f"SELECT tag, day, id_count FROM `{output}` WHERE id = 1")
    assert rows == [{"tag": None, "day": None, "id_count": 0}]


def test_null_arguments_are_typed(
    warehouse: BigQueryWarehouse, connection: Connection, bq_client: bigquery.Client
) -> None:
    types = {
        "s": ("STRING", "STRING"),
        "i": ("INT64", "INTEGER"),
        "f": ("FLOAT64", "FLOAT"),
        "n": ("NUMERIC", "NUMERIC"),
        "b": ("BOOL", "BOOLEAN"),
        "d": ("DATE", "DATE"),
        "t": ("TIMESTAMP", "TIMESTAMP"),
    }
    output = new_output_table(connection)
    selected = ", ".join(f"@{name} AS {name}" for name in types)

    status = warehouse.submit_query(
        connection,
        job_id=job_id(new_execution_id()),
        sql=f"CREATE TABLE `{output}` AS SELECT {selected}",
        arguments=[QueryArgument(name, kind, None) for name, (kind, _) in types.items()],
        labels={},
    )
    status = until_done(warehouse, connection, status)

    assert status.error is None, status.error
    result = bq_client.query(f"SELECT * FROM `{output}`").result()
    assert {field.name: field.field_type for field in result.schema} == {
        name: column_type for name, (_, column_type) in types.items()
    }
    assert [dict(row) for row in result] == [dict.fromkeys(types)]
