"""The local BigQuery reports what a query costs and enforces maximumBytesBilled as
BigQuery does (devstack/bq_costs.py), through the real google-cloud-bigquery client;
and the canaries that fail on the day upstream bqemulator does either itself."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

from workflows_api.adapters import clients
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.states import JobStatistics, JobStatus

pytestmark = pytest.mark.integration

MB = 1024 * 1024
ROWS = 1000
# Per row: id INT64 (8) + name STRING "store-NNNN" (2 + 10 bytes) + open BOOL (1).
TABLE_BYTES = ROWS * (8 + 12 + 1)


@pytest.fixture
def stores(bq_client: bigquery.Client, bq_dataset: str) -> Iterator[str]:
    table = f"{bq_client.project}.{bq_dataset}.stores"
    bq_client.query(
        f"CREATE TABLE `{table}` AS SELECT id, FORMAT('store-%04d', id) AS name, "
        f"MOD(id, 2) = 0 AS open FROM UNNEST(GENERATE_ARRAY(1, {ROWS})) AS id",
        job_retry=None,
    ).result()
    yield table


def _run(client: bigquery.Client, sql: str, limit: int | None = None) -> bigquery.QueryJob:
    config = bigquery.QueryJobConfig()
    if limit is not None:
        config.maximum_bytes_billed = limit
    job = client.query(sql, job_config=config, job_id=f"test_{uuid.uuid4().hex}", job_retry=None)
    job.result()
    done = client.get_job(job.job_id)
    assert isinstance(done, bigquery.QueryJob)
    return done


def test_a_query_reports_the_bytes_of_the_table_it_reads_and_bills_at_least_10_mb(
    bq_client: bigquery.Client, stores: str
) -> None:
    job = _run(bq_client, f"SELECT COUNT(*) AS n FROM `{stores}`")
    assert job.total_bytes_processed == TABLE_BYTES
    assert job.total_bytes_billed == 10 * MB  # BigQuery's minimum per table read
    assert job.slot_millis is not None and job.slot_millis >= 0


def test_a_query_reading_no_table_costs_nothing(bq_client: bigquery.Client) -> None:
    job = _run(bq_client, "SELECT 1 AS x")
    assert (job.total_bytes_processed, job.total_bytes_billed) == (0, 0)


def test_a_script_sums_its_statements_costs_and_counts_its_child_jobs(
    bq_client: bigquery.Client, stores: str
) -> None:
    job = _run(
        bq_client,
        f"DECLARE n INT64 DEFAULT 0;\nSET n = (SELECT COUNT(*) FROM `{stores}`);\n"
        f"SELECT n + (SELECT COUNT(*) FROM `{stores}` WHERE open) AS total;",
    )
    assert job.num_child_jobs == 3
    assert job.total_bytes_processed == 2 * TABLE_BYTES
    assert job.total_bytes_billed == 2 * 10 * MB


def test_a_query_over_maximum_bytes_billed_fails_with_bigquerys_error_and_runs_nothing(
    bq_client: bigquery.Client, stores: str
) -> None:
    with pytest.raises(api_exceptions.GoogleAPICallError) as raised:
        _run(bq_client, f"DELETE FROM `{stores}` WHERE TRUE", limit=MB)
    assert raised.value.errors[0]["reason"] == "bytesBilledLimitExceeded"
    assert raised.value.errors[0]["message"] == (
        f"Query exceeded limit for bytes billed: {MB}. {10 * MB} or higher required."
    )
    assert next(iter(bq_client.query(f"SELECT COUNT(*) FROM `{stores}`").result()))[0] == ROWS


def test_a_script_statement_over_the_cap_stops_the_script(
    bq_client: bigquery.Client, stores: str
) -> None:
    script = (
        f"CREATE TEMP TABLE marker AS SELECT 1 AS x;\n"
        f"DELETE FROM `{stores}` WHERE id > 10;\nSELECT 1 AS after;"
    )
    with pytest.raises(api_exceptions.GoogleAPICallError) as raised:
        _run(bq_client, script, limit=5 * MB)
    assert raised.value.errors[0]["reason"] == "bytesBilledLimitExceeded"
    assert next(iter(bq_client.query(f"SELECT COUNT(*) FROM `{stores}`").result()))[0] == ROWS


def test_a_query_within_the_cap_runs(bq_client: bigquery.Client, stores: str) -> None:
    job = _run(bq_client, f"SELECT COUNT(*) AS n FROM `{stores}`", limit=10 * MB)
    assert job.error_result is None and job.total_bytes_billed == 10 * MB


def test_the_warehouse_passes_the_cap_and_reads_back_the_cost(
    emulator_settings: Settings, bq_client: bigquery.Client, bq_dataset: str, stores: str
) -> None:
    warehouse = BigQueryWarehouse(
        lambda connection: clients.bigquery_client(emulator_settings, project=connection.project)
    )
    connection = Connection("acme", "main", bq_client.project, dataset=bq_dataset)
    script = f"DECLARE n INT64;\nSET n = (SELECT COUNT(*) FROM `{stores}`);\nSELECT n;"

    def run(cap: int | None) -> JobStatus:
        job_id = f"test_{uuid.uuid4().hex}"
        warehouse.submit_query(
            connection, job_id=job_id, sql=script, arguments=[], labels={}, maximum_bytes_billed=cap
        )
        deadline = time.monotonic() + 60
        while (status := warehouse.get_job(connection, job_id)) is None or status.state != "DONE":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        return status

    done = run(None)
    assert done.error is None and done.statistics is not None
    assert done.statistics == JobStatistics(TABLE_BYTES, 10 * MB, done.statistics.slot_ms, 3)
    stopped = run(MB)
    assert stopped.error is not None and stopped.error.reason == "bytesBilledLimitExceeded"


def test_a_dry_run_estimates_the_bytes_of_a_query_and_of_a_procedures_body(
    emulator_settings: Settings, bq_client: bigquery.Client, bq_dataset: str, stores: str
) -> None:
    procedure = f"{bq_client.project}.{bq_dataset}.count_stores"
    bq_client.query(
        f"CREATE PROCEDURE `{procedure}`(limit_id INT64)\nBEGIN\n"
        f"  DECLARE n INT64 DEFAULT (SELECT COUNT(*) FROM `{stores}`);\n"
        f"  IF n > 0 THEN\n    SELECT * FROM `{stores}` WHERE id < limit_id;\n  END IF;\nEND",
        job_retry=None,
    ).result()
    warehouse = BigQueryWarehouse(
        lambda connection: clients.bigquery_client(emulator_settings, project=connection.project)
    )
    connection = Connection("acme", "main", bq_client.project, dataset=bq_dataset)
    limit = QueryArgument("limit_id", "INT64", 10)

    select = f"SELECT name FROM `{stores}` WHERE id < @limit_id"
    assert warehouse.estimate_query(connection, sql=select, arguments=[limit]) == TABLE_BYTES
    call = f"CALL `{procedure}`(@limit_id)"
    assert warehouse.estimate_query(connection, sql=call, arguments=[limit]) == 2 * TABLE_BYTES


# --- canaries: plain bqemulator still has the gaps the shim closes ---------------------


def test_bqemulator_still_reports_no_bytes(unshimmed_bigquery: bigquery.Client) -> None:
    """Fails on the day bqemulator reports what a query reads or bills.

    Then check whether devstack/bq_costs.py's estimate is still needed.
    """
    dataset = f"{unshimmed_bigquery.project}.c_{uuid.uuid4().hex[:8]}"
    unshimmed_bigquery.create_dataset(dataset)
    unshimmed_bigquery.query(
        f"CREATE TABLE `{dataset}.t` AS SELECT id FROM UNNEST(GENERATE_ARRAY(1, 100)) AS id"
    ).result()
    job = _run(unshimmed_bigquery, f"SELECT SUM(id) AS s FROM `{dataset}.t`")
    assert job.total_bytes_processed in (None, 0)
    assert job.total_bytes_billed in (None, 0)


def test_bqemulator_still_ignores_maximum_bytes_billed(
    unshimmed_bigquery: bigquery.Client,
) -> None:
    """Fails on the day bqemulator refuses a query billed over maximumBytesBilled.

    Then delete devstack/bq_costs.check_limit and its calls.
    """
    dataset = f"{unshimmed_bigquery.project}.c_{uuid.uuid4().hex[:8]}"
    unshimmed_bigquery.create_dataset(dataset)
    unshimmed_bigquery.query(
        f"CREATE TABLE `{dataset}.t` AS SELECT id FROM UNNEST(GENERATE_ARRAY(1, 100)) AS id"
    ).result()
    job = _run(unshimmed_bigquery, f"SELECT SUM(id) AS s FROM `{dataset}.t`", limit=1)
    assert job.error_result is None


def test_bqemulator_still_estimates_no_bytes_in_a_dry_run(
    unshimmed_bigquery: bigquery.Client,
) -> None:
    """Fails on the day bqemulator's dry runs estimate the bytes a query would read.

    Then delete devstack/bq_costs.with_dry_run_estimate and its call.
    """
    dataset = f"{unshimmed_bigquery.project}.c_{uuid.uuid4().hex[:8]}"
    unshimmed_bigquery.create_dataset(dataset)
    unshimmed_bigquery.query(
        f"CREATE TABLE `{dataset}.t` AS SELECT id FROM UNNEST(GENERATE_ARRAY(1, 100)) AS id"
    ).result()
    config = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False)
    job = unshimmed_bigquery.query(f"SELECT SUM(id) AS s FROM `{dataset}.t`", job_config=config)
    assert job.total_bytes_processed in (None, 0)
