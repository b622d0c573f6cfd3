"""BigQueryWarehouse.query_rows on the BigQuery emulator: a parameterised query's rows,
read from the job's result table with tabledata.list (devstack/bq_result_rows.py), and
the canary of that shim on plain bqemulator."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

from workflows_api.adapters import clients
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.results import ReadLimits
from workflows_api.service.errors import WarehouseError

pytestmark = pytest.mark.integration


@pytest.fixture
def warehouse(emulator_settings: Settings) -> BigQueryWarehouse:
    return BigQueryWarehouse(
        lambda connection: clients.bigquery_client(emulator_settings, project=connection.project)
    )


@pytest.fixture
def places(bq_client: bigquery.Client, bq_dataset: str) -> Iterator[Connection]:
    """A table of 30 places in a fresh dataset, and a connection to that dataset."""
    bq_client.query(
        f"CREATE TABLE `{bq_client.project}.{bq_dataset}.places` AS "
        "SELECT n AS id, CONCAT('place ', CAST(n AS STRING)) AS name, "
        "TIMESTAMP_ADD(TIMESTAMP '2024-01-01 00:00:00+00', INTERVAL n HOUR) AS seen "
        "FROM UNNEST(GENERATE_ARRAY(1, 30)) AS n"
    ).result()
    yield Connection(org="acme", id="main", project=bq_client.project, dataset=bq_dataset)


def test_query_rows_reads_a_parameterised_page_with_its_types(
    warehouse: BigQueryWarehouse, places: Connection
) -> None:
    table = f"`{places.project}.{places.dataset}.places`"
    rows = warehouse.query_rows(
        places,
        f"SELECT id, name, seen FROM {table} WHERE name != @skip ORDER BY id "
        "LIMIT @limit OFFSET @offset",
        [
            QueryArgument("skip", "STRING", "place 12"),
            QueryArgument("limit", "INT64", 3),
            QueryArgument("offset", "INT64", 10),
        ],
        ReadLimits(maximum_bytes_billed=10**9),
    )
    assert rows == [
        {"id": 11, "name": "place 11", "seen": dt.datetime(2024, 1, 1, 11, tzinfo=dt.UTC)},
        {"id": 13, "name": "place 13", "seen": dt.datetime(2024, 1, 1, 13, tzinfo=dt.UTC)},
        {"id": 14, "name": "place 14", "seen": dt.datetime(2024, 1, 1, 14, tzinfo=dt.UTC)},
    ]


def test_query_rows_reads_every_row_and_none(
    warehouse: BigQueryWarehouse, places: Connection
) -> None:
    table = f"`{places.project}.{places.dataset}.places`"
    every = warehouse.query_rows(places, f"SELECT id FROM {table} ORDER BY id", [], ReadLimits())
    assert [row["id"] for row in every] == list(range(1, 31))
    assert (
        warehouse.query_rows(
            places,
            f"SELECT id FROM {table} WHERE id > @n",
            [QueryArgument("n", "INT64", 99)],
            ReadLimits(),
        )
        == []
    )


def test_a_query_that_fails_is_a_warehouse_error(
    warehouse: BigQueryWarehouse, places: Connection
) -> None:
    with pytest.raises(WarehouseError):
        warehouse.query_rows(
            places,
            f"SELECT missing FROM `{places.project}.{places.dataset}.places`",
            [],
            ReadLimits(),
        )


def test_bqemulator_still_cannot_list_a_result_table(
    unshimmed_bigquery: bigquery.Client,
) -> None:
    """Fails on the day plain bqemulator serves tabledata.list of a query job's result
    table (BigQuery does). Then delete devstack/bq_result_rows.py."""
    job = unshimmed_bigquery.query("SELECT 1 AS x UNION ALL SELECT 2", job_retry=None)
    while job.state != "DONE":
        time.sleep(0.05)
        job.reload()
    assert [row["x"] for row in job.result()] in ([1, 2], [2, 1])  # the job has rows
    with pytest.raises(api_exceptions.NotFound):
        list(unshimmed_bigquery.list_rows(job.destination))
