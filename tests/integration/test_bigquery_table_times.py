"""A table's lastModifiedTime moves on every DML, load, copy and overwrite on the local
BigQuery (devstack/bq_table_times.py), as on BigQuery; BigQueryWarehouse.table_metadata
reads it; and the canary of that shim on plain bqemulator."""

from __future__ import annotations

import datetime as dt
import io
import json
import time

import pytest
from google.cloud import bigquery

from devstack.bq_table_times import written_tables
from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.domain.access.connections import Connection

pytestmark = pytest.mark.integration


def _modified(client: bigquery.Client, table: str) -> dt.datetime:
    modified = client.get_table(table).modified
    assert modified is not None
    return modified


def _stores(client: bigquery.Client, dataset: str) -> str:
    table = f"{client.project}.{dataset}.stores"
    client.query(f"CREATE TABLE `{table}` AS SELECT 1 AS id, 'a' AS name").result()
    return table


def _moves(client: bigquery.Client, table: str, sql: str) -> None:
    before = _modified(client, table)
    time.sleep(0.01)
    client.query(sql).result()
    assert _modified(client, table) > before, sql


def test_dml_and_overwrites_move_last_modified_time(
    bq_client: bigquery.Client, bq_dataset: str
) -> None:
    table = _stores(bq_client, bq_dataset)
    for sql in (
        f"INSERT INTO `{table}` (id, name) VALUES (2, 'b')",
        f"UPDATE `{table}` SET name = 'c' WHERE id = 2",
        f"DELETE FROM `{table}` WHERE id = 2",
        f"CREATE OR REPLACE TABLE `{table}` AS SELECT 3 AS id, 'd' AS name",
        f"TRUNCATE TABLE `{table}`",
        # A script (as a procedure body runs): each statement that writes counts.
        f"DECLARE n INT64 DEFAULT 4; INSERT INTO `{table}` (id, name) VALUES (n, 'e');",
    ):
        _moves(bq_client, table, sql)


def test_a_read_leaves_it_and_a_load_moves_it(bq_client: bigquery.Client, bq_dataset: str) -> None:
    table = _stores(bq_client, bq_dataset)
    before = _modified(bq_client, table)
    bq_client.query(f"SELECT COUNT(*) FROM `{table}`").result()
    assert _modified(bq_client, table) == before
    rows = io.BytesIO(json.dumps({"id": 5, "name": "f"}).encode("utf-8"))
    config = bigquery.LoadJobConfig(source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON)
    time.sleep(0.01)
    bq_client.load_table_from_file(rows, table, job_config=config).result()
    assert _modified(bq_client, table) > before


def test_the_warehouse_reads_kind_and_last_change_at_once(
    warehouse: BigQueryWarehouse, bq_client: bigquery.Client, bq_dataset: str
) -> None:
    table = _stores(bq_client, bq_dataset)
    view = f"{bq_client.project}.{bq_dataset}.stores_view"
    bq_client.query(f"CREATE VIEW `{view}` AS SELECT * FROM `{table}`").result()
    connection = Connection(org="acme", id="main", project=bq_client.project, dataset=bq_dataset)
    missing = f"{bq_client.project}.{bq_dataset}.nope"
    found = warehouse.table_metadata(connection, [table, view, missing])
    assert found[table] is not None and found[table].kind == "TABLE"  # type: ignore[union-attr]
    assert found[table].last_modified == _modified(bq_client, table)  # type: ignore[union-attr]
    assert found[view] is not None and found[view].kind == "VIEW"  # type: ignore[union-attr]
    assert found[missing] is None


def test_written_tables_are_found_in_the_syntax_tree() -> None:
    assert written_tables("INSERT INTO retail.stores (id) VALUES (1)", "p") == [
        ("p", "retail", "stores")
    ]
    assert written_tables("SELECT * FROM `q.retail.stores`", "p") == []
    assert written_tables(
        "MERGE `q.d.t` t USING d.s s ON t.id = s.id WHEN MATCHED THEN DELETE", "p"
    ) == [("q", "d", "t")]


def test_bqemulator_still_keeps_last_modified_time_on_insert(
    unshimmed_bigquery: bigquery.Client,
) -> None:
    """Canary: fails once upstream moves lastModifiedTime on DML (delete the shim)."""
    client = unshimmed_bigquery
    dataset = f"{client.project}.canary_times"
    client.create_dataset(dataset, exists_ok=True)
    table = f"{dataset}.t{int(time.time() * 1000)}"
    client.query(f"CREATE TABLE `{table}` AS SELECT 1 AS id").result()
    before = _modified(client, table)
    time.sleep(0.05)
    client.query(f"INSERT INTO `{table}` (id) VALUES (2)").result()
    assert _modified(client, table) == before
