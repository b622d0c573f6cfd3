"""BigQueryWarehouse on the BigQuery emulator: datasets, DDL, parameterised CALL jobs.

Procedures are compiled from workflows and called exactly as production calls them:
`call_statement(...)` with typed query parameters built from canonical values
(`validate_parameter_values`), plus the output table as `wfapi_output_table`.

Emulator behaviours these tests rely on or document (bqemulator 1.4.0 + devstack shim):
- jobs.insert answers at once with the job PENDING/RUNNING (devstack/bq_async.py), so
  the tests wait for DONE with get_job, as a caller would;
- a duplicate job id is refused with 409, as real BigQuery does, so a re-submission is
  the first job (submit_query's Conflict path);
- labels are kept on the job (the shim stores the request's configuration);
- procedure bodies are not checked at CREATE time (real BigQuery checks them);
- a failed statement's errorResult is {reason, message[, location]}, e.g.
  `invalidQuery` / `Query execution failed: Invalid Input Error: <ERROR() text>`.

The last tests use a scripted fake client: the emulator never answers 5xx.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

import pytest
from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

from workflows_api.adapters import clients
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.states import JobStatus, job_id, job_labels, new_execution_id
from workflows_api.domain.workflow.compiler import (
    OUTPUT_TABLE_QUERY_PARAMETER,
    call_statement,
    compile_procedure,
    procedure_name,
)
from workflows_api.domain.workflow.parameters import (
    bigquery_parameter_types,
    validate_parameter_values,
)
from workflows_api.domain.workflow.validation import load_workflow
from workflows_api.service.errors import BackendUnavailable, WarehouseError

pytestmark = pytest.mark.integration

TRICKY_STRING = 'O\'Brien "quoted" back\\slash\nnew line, ñandú, 東京, emoji 🚀, tab\t@text'

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


# --- fixtures and helpers ------------------------------------------------------------


@pytest.fixture
def warehouse(emulator_settings: Settings) -> BigQueryWarehouse:
    return BigQueryWarehouse(
        lambda connection: clients.bigquery_client(emulator_settings, project=connection.project)
    )


@pytest.fixture
def connection(bq_client: bigquery.Client, bq_dataset: str) -> Connection:
    return Connection(org="acme", id="main", project=bq_client.project, dataset=bq_dataset)


@pytest.fixture
def places(bq_client: bigquery.Client, bq_dataset: str) -> str:
    selects = [
        f"SELECT {i} AS id, '{kind}' AS kind, {amount!r} AS amount, DATE '{opened}' AS opened, "
        f"TIMESTAMP '{seen}+00' AS seen, {str(is_open).upper()} AS is_open"
        for i, kind, amount, opened, seen, is_open in PLACES
    ]
    bq_client.query(
        f"CREATE TABLE `{bq_client.project}.{bq_dataset}.places` AS " + " UNION ALL ".join(selects)
    ).result()
    return f"{bq_dataset}.places"


def _deploy(
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


def _arguments(workflow: Any, supplied: dict[str, Any], output: str) -> list[QueryArgument]:
    """Production's arguments: canonical values, BigQuery types, then the output table."""
    values = validate_parameter_values(workflow.parameters, supplied)
    types = bigquery_parameter_types(workflow.parameters)
    return [
        *(QueryArgument(name, types[name], value) for name, value in values.items()),
        QueryArgument(OUTPUT_TABLE_QUERY_PARAMETER, "STRING", output),
    ]


def _output_table(connection: Connection) -> str:
    return f"{connection.project}.{connection.dataset}.out_{uuid.uuid4().hex[:8]}"


def _submit(
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
    return _until_done(warehouse, connection, status)


def _until_done(
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


def _rows(client: bigquery.Client, sql: str) -> list[dict[str, Any]]:
    return [dict(row) for row in client.query(sql).result()]


def _read(table: str) -> dict[str, Any]:
    return {"id": "places", "type": "read_table", "settings": {"table": table}}


def _output(source: str) -> dict[str, Any]:
    return {"id": "out", "type": "output", "inputs": [source]}


def _assert_done_without_error(status: JobStatus, expected_job_id: str) -> None:
    assert status.job_id == expected_job_id
    assert status.error is None, status.error
    assert status.state == "DONE"
    assert status.started_at is not None and status.ended_at is not None
    assert status.started_at.tzinfo == dt.UTC and status.ended_at.tzinfo == dt.UTC
    assert status.started_at <= status.ended_at
    assert abs(dt.datetime.now(dt.UTC) - status.ended_at) < dt.timedelta(minutes=5)


# --- datasets and DDL ----------------------------------------------------------------


def test_ensure_dataset_creates_the_dataset_once(
    warehouse: BigQueryWarehouse, bq_client: bigquery.Client
) -> None:
    dataset = f"t_{uuid.uuid4().hex[:12]}"
    connection = Connection(org="acme", id="main", project=bq_client.project, dataset=dataset)
    reference = f"{bq_client.project}.{dataset}"
    try:
        warehouse.ensure_dataset(connection)
        assert bq_client.get_dataset(reference).location == "US"
        bq_client.query(f"CREATE TABLE `{reference}.kept` AS SELECT 1 AS x").result()

        warehouse.ensure_dataset(connection)  # exists: nothing happens

        assert _rows(bq_client, f"SELECT x FROM `{reference}.kept`") == [{"x": 1}]
    finally:
        bq_client.delete_dataset(reference, delete_contents=True, not_found_ok=True)


def test_ensure_dataset_refuses_a_dataset_in_another_location(
    warehouse: BigQueryWarehouse, bq_client: bigquery.Client
) -> None:
    existing = bigquery.Dataset(f"{bq_client.project}.t_{uuid.uuid4().hex[:12]}")
    existing.location = "EU"
    bq_client.create_dataset(existing)
    try:
        connection = Connection(
            org="acme", id="main", project=bq_client.project, dataset=existing.dataset_id
        )
        with pytest.raises(WarehouseError, match="location EU") as refused:
            warehouse.ensure_dataset(connection)
        assert refused.value.reason == "invalid"
    finally:
        bq_client.delete_dataset(existing.reference, delete_contents=True)


def test_run_ddl_with_invalid_sql_raises_warehouse_error(
    warehouse: BigQueryWarehouse, connection: Connection
) -> None:
    with pytest.raises(WarehouseError) as refused:
        warehouse.run_ddl(connection, "CREATE OR REPLACE PROCEDUR `p`() BEGIN SELECT 1; END")
    assert refused.value.reason == "invalidQuery"
    assert "PROCEDUR" in refused.value.message


def test_run_ddl_reports_a_missing_dataset(
    warehouse: BigQueryWarehouse, connection: Connection
) -> None:
    missing = f"{connection.project}.missing_{uuid.uuid4().hex[:8]}"
    with pytest.raises(WarehouseError) as refused:
        warehouse.run_ddl(connection, f"CREATE TABLE `{missing}.t` AS SELECT 1 AS x")
    # BigQuery says notFound; the emulator invalidQuery (a DuckDB "Catalog Error").
    assert refused.value.reason in ("notFound", "invalidQuery")
    assert "missing_" in refused.value.message


# --- parameterised CALLs -------------------------------------------------------------


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
            _read(places),
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
            _output("shaped"),
        ],
    }
    workflow, compiled = _deploy(warehouse, connection, definition)
    output = _output_table(connection)
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

    status = _submit(
        warehouse,
        connection,
        compiled,
        _arguments(workflow, supplied, output),
        execution_id=execution,
    )

    _assert_done_without_error(status, job_id(execution))
    rows = _rows(bq_client, f"SELECT * FROM `{output}` ORDER BY id")
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
            _read(places),
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
            _output("echo"),
        ],
    }
    workflow, compiled = _deploy(warehouse, connection, definition)
    output = _output_table(connection)

    status = _submit(
        warehouse, connection, compiled, _arguments(workflow, {"text": TRICKY_STRING}, output)
    )

    assert status.error is None, status.error
    rows = _rows(bq_client, f"SELECT echoed, echoed_length FROM `{output}` WHERE id = 1")
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
            _read(places),
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
            _output("kept"),
        ],
    }
    workflow, compiled = _deploy(warehouse, connection, definition)
    output = _output_table(connection)

    status = _submit(
        warehouse, connection, compiled, _arguments(workflow, {"kinds": kinds}, output)
    )

    assert status.error is None, status.error
    assert [row["id"] for row in _rows(bq_client, f"SELECT id FROM `{output}` ORDER BY id")] == (
        expected_ids
    )


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
            _read(places),
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
            _output("nulls"),
        ],
    }
    workflow, compiled = _deploy(warehouse, connection, definition)
    output = _output_table(connection)

    status = _submit(warehouse, connection, compiled, _arguments(workflow, {}, output))

    assert status.error is None, status.error
    # A NULL array is sent as an empty one (the client library cannot send a NULL
    # ARRAY parameter). The emulator types NULL procedure arguments as INT64 whatever
    # their declared type (even literal NULLs), so column types are checked below.
    rows = _rows(bq_client, f"SELECT tag, day, id_count FROM `{output}` WHERE id = 1")
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
    output = _output_table(connection)
    selected = ", ".join(f"@{name} AS {name}" for name in types)

    status = warehouse.submit_query(
        connection,
        job_id=job_id(new_execution_id()),
        sql=f"CREATE TABLE `{output}` AS SELECT {selected}",
        arguments=[QueryArgument(name, kind, None) for name, (kind, _) in types.items()],
        labels={},
    )
    status = _until_done(warehouse, connection, status)

    assert status.error is None, status.error
    result = bq_client.query(f"SELECT * FROM `{output}`").result()
    assert {field.name: field.field_type for field in result.schema} == {
        name: column_type for name, (_, column_type) in types.items()
    }
    assert [dict(row) for row in result] == [dict.fromkeys(types)]


def test_same_job_id_twice_is_accepted_and_gives_one_result(
    warehouse: BigQueryWarehouse, connection: Connection, bq_client: bigquery.Client, places: str
) -> None:
    definition = {"parameters": [], "nodes": [_read(places), _output("places")]}
    workflow, compiled = _deploy(warehouse, connection, definition)
    output = _output_table(connection)
    arguments = _arguments(workflow, {}, output)
    execution = new_execution_id()

    first = _submit(warehouse, connection, compiled, arguments, execution_id=execution)
    second = _submit(warehouse, connection, compiled, arguments, execution_id=execution)

    _assert_done_without_error(first, job_id(execution))
    _assert_done_without_error(second, job_id(execution))
    assert _rows(bq_client, f"SELECT COUNT(*) AS n FROM `{output}`") == [{"n": len(PLACES)}]
    status = warehouse.get_job(connection, job_id(execution))
    assert status is not None and status.state == "DONE" and status.error is None


def test_a_bad_output_table_fails_the_job_without_raising(
    warehouse: BigQueryWarehouse, connection: Connection, places: str
) -> None:
    definition = {"parameters": [], "nodes": [_read(places), _output("places")]}
    workflow, compiled = _deploy(warehouse, connection, definition)
    execution = new_execution_id()

    status = _submit(
        warehouse,
        connection,
        compiled,
        _arguments(workflow, {}, "x` AS SELECT 1; --"),
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
    status = _until_done(warehouse, connection, status)

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
    status = _until_done(warehouse, connection, status)
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
    status = _until_done(warehouse, connection, status)
    assert status.state == "DONE" and status.error is None


def test_unknown_job_is_none_and_cancelling_it_does_nothing(
    warehouse: BigQueryWarehouse, connection: Connection
) -> None:
    unknown = job_id(new_execution_id())
    assert warehouse.get_job(connection, unknown) is None
    warehouse.cancel_job(connection, unknown)


def test_cancelling_a_finished_job_leaves_it_done(
    warehouse: BigQueryWarehouse, connection: Connection
) -> None:
    finished = job_id(new_execution_id())
    submitted = warehouse.submit_query(
        connection, job_id=finished, sql="SELECT 1", arguments=[], labels={}
    )
    _until_done(warehouse, connection, submitted)
    warehouse.cancel_job(connection, finished)
    status = warehouse.get_job(connection, finished)
    assert status is not None and status.state == "DONE" and status.error is None


# --- what the emulator never does: 409s and transient failures (scripted fake) ----------


class _ScriptedClient:
    """Answers jobs.insert with the next scripted outcome; jobs.get with the job."""

    def __init__(self, insert_outcomes: list[Exception | None], job: Any) -> None:
        self.insert_outcomes = insert_outcomes
        self.job = job
        self.calls: list[str] = []

    def query(self, sql: str, **kwargs: Any) -> Any:
        self.calls.append("insert")
        outcome = self.insert_outcomes.pop(0) if self.insert_outcomes else None
        if outcome is not None:
            raise outcome
        return self.job

    def get_job(self, job: str, **kwargs: Any) -> Any:
        self.calls.append("get")
        return self.job


FAKE_CONNECTION = Connection(org="acme", id="main", project="p", location="EU", dataset="d")


def _running_job(job: str) -> SimpleNamespace:
    started = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    return SimpleNamespace(
        job_id=job, state="RUNNING", error_result=None, started=started, ended=None
    )


def _scripted(
    outcomes: list[Exception | None], deadline: float = 2.0
) -> tuple[BigQueryWarehouse, _ScriptedClient]:
    client = _ScriptedClient(outcomes, _running_job("wfapi_exec_1"))
    warehouse = BigQueryWarehouse(
        lambda _connection: cast(bigquery.Client, client),
        retry_deadline_seconds=deadline,
        first_retry_delay_seconds=0.01,
    )
    return warehouse, client


def _submit_scripted(warehouse: BigQueryWarehouse) -> JobStatus:
    return warehouse.submit_query(
        FAKE_CONNECTION, job_id="wfapi_exec_1", sql="CALL x()", arguments=[], labels={}
    )


def test_a_conflict_means_already_submitted() -> None:
    warehouse, client = _scripted([api_exceptions.Conflict("Already Exists: Job p:EU.x")])

    status = _submit_scripted(warehouse)

    assert client.calls == ["insert", "get"]
    assert status == JobStatus(
        job_id="wfapi_exec_1",
        state="RUNNING",
        started_at=dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC),
    )


def test_transient_errors_are_retried() -> None:
    rate_limited = api_exceptions.Forbidden(
        "Exceeded rate limits", errors=[{"reason": "rateLimitExceeded", "message": "slow down"}]
    )
    warehouse, client = _scripted(
        [api_exceptions.ServiceUnavailable("try later"), rate_limited, ConnectionError("reset")]
    )

    status = _submit_scripted(warehouse)

    assert client.calls == ["insert"] * 4
    assert status.state == "RUNNING"


def test_persistent_transient_errors_become_backend_unavailable() -> None:
    warehouse, client = _scripted(
        [api_exceptions.InternalServerError("boom") for _ in range(1000)], deadline=0.3
    )
    started = time.monotonic()

    with pytest.raises(BackendUnavailable) as unavailable:
        _submit_scripted(warehouse)

    assert unavailable.value.backend == "bigquery"
    assert "boom" in unavailable.value.reason
    assert 2 < len(client.calls) < 1000
    assert time.monotonic() - started < 1.0


def test_a_refused_request_raises_warehouse_error_at_once() -> None:
    refused = api_exceptions.BadRequest(
        "bad labels",
        errors=[{"reason": "invalid", "message": "Label value is invalid", "location": "x"}],
    )
    warehouse, client = _scripted([refused])

    with pytest.raises(WarehouseError) as error:
        _submit_scripted(warehouse)

    assert client.calls == ["insert"]
    assert (error.value.reason, error.value.message, error.value.location) == (
        "invalid",
        "Label value is invalid",
        "x",
    )
