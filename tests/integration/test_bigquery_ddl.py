"""BigQueryWarehouse on the BigQuery emulator: datasets (ensure_dataset) and DDL (run_ddl).

The emulator's errorResult for a failed statement is {reason, message[, location]}; a
missing dataset is BigQuery's notFound but the emulator's invalidQuery.
"""

from __future__ import annotations

import uuid

import pytest
from google.cloud import bigquery

from tests.support.warehouse_calls import (
    query_rows,
)
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.domain.access.connections import Connection
from workflows_api.service.errors import WarehouseError

pytestmark = pytest.mark.integration


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

        assert query_rows(bq_client, f"SELECT x FROM `{reference}.kept`") == [{"x": 1}]
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
