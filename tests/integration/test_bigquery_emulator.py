"""The ground under the BigQuery adapter: parameterised CALLs on the local emulator."""

from __future__ import annotations

import socket
import uuid

import pytest
from google.cloud import bigquery

from devstack import emulators
from devstack.bq_shim import rename_parameter_references

pytestmark = pytest.mark.integration

TRICKY_STRING = 'O\'Brien "quoted" back\\slash\nnew line, ñandú, 東京, emoji 🚀, tab\t@s'


def _create_echo_procedure(client: bigquery.Client, dataset: str) -> str:
    procedure = f"{client.project}.{dataset}.echo"
    client.query(
        f"""CREATE OR REPLACE PROCEDURE `{procedure}`(a INT64, b STRING, output_table STRING)
BEGIN
  CREATE TEMP TABLE result AS SELECT a AS a, b AS b, LENGTH(b) AS b_length;
  EXECUTE IMMEDIATE FORMAT('CREATE TABLE IF NOT EXISTS `%s` AS SELECT * FROM result', output_table);
END"""
    ).result()
    return procedure


def _call_with_parameters(client: bigquery.Client, procedure: str, output: str) -> None:
    job_config = bigquery.QueryJobConfig(
        query_parameters=[
            bigquery.ScalarQueryParameter("a", "INT64", 42),
            bigquery.ScalarQueryParameter("b", "STRING", TRICKY_STRING),
            bigquery.ScalarQueryParameter("output_table", "STRING", output),
        ]
    )
    client.query(
        f"CALL `{procedure}`(@a, @b, @output_table)",
        job_config=job_config,
        job_id=f"test_{uuid.uuid4().hex}",
        job_retry=None,
    ).result()


def test_parameterised_call_delivers_values_byte_for_byte(
    bq_client: bigquery.Client, bq_dataset: str
) -> None:
    procedure = _create_echo_procedure(bq_client, bq_dataset)
    output = f"{bq_client.project}.{bq_dataset}.out_echo"

    _call_with_parameters(bq_client, procedure, output)

    rows = list(bq_client.query(f"SELECT a, b, b_length FROM `{output}`").result())
    assert len(rows) == 1
    assert rows[0]["a"] == 42
    assert rows[0]["b"].encode() == TRICKY_STRING.encode()
    assert rows[0]["b_length"] == len(TRICKY_STRING)


def test_shim_renames_only_real_parameter_tokens() -> None:
    source = "CALL `p.d.x`(@a, '@a', @ab, @b) -- @a\n"
    renamed = rename_parameter_references(source, {"a", "b"})
    assert renamed == (
        "CALL `p.d.x`(__wfapi_query_param_a, '@a', @ab, __wfapi_query_param_b) -- @a\n"
    )


def test_bqemulator_still_ignores_script_parameters(unshimmed_bigquery: bigquery.Client) -> None:
    """Fails on the day bqemulator binds named parameters in scripts itself.

    When it does, delete devstack/bq_shim.py, start bqemulator directly in
    devstack/emulators.py, and delete this test.
    """
    client = unshimmed_bigquery
    client.create_dataset(f"{client.project}.upstream", exists_ok=True)
    procedure = _create_echo_procedure(client, "upstream")
    with pytest.raises(Exception, match="Values were not provided"):
        _call_with_parameters(client, procedure, f"{client.project}.upstream.out")


GEOGRAPHY_TABLE_SQL = (
    "CREATE OR REPLACE TABLE `{table}` AS SELECT 1 AS id, ST_GEOGPOINT(-3.7, 40.4) AS geom"
)


def test_bqemulator_still_reports_geography_as_bytes(unshimmed_bigquery: bigquery.Client) -> None:
    """Fails on the day bqemulator reports a table's GEOGRAPHY column as GEOGRAPHY/WKT.

    Then delete `_report_geometry_as_geography` from devstack/bq_shim.py and this test.
    """
    client = unshimmed_bigquery
    client.create_dataset(f"{client.project}.geo", exists_ok=True)
    table = f"{client.project}.geo.points"
    client.query(GEOGRAPHY_TABLE_SQL.format(table=table)).result()
    dry_run = bigquery.QueryJobConfig(dry_run=True)
    job = client.query(f"SELECT geom FROM `{table}`", job_config=dry_run)
    assert [field.field_type for field in job.schema or []] == ["BYTES"]


def test_shim_reports_geography_as_wkt(bq_client: bigquery.Client, bq_dataset: str) -> None:
    table = f"{bq_client.project}.{bq_dataset}.points"
    bq_client.query(GEOGRAPHY_TABLE_SQL.format(table=table)).result()
    rows = bq_client.query(f"SELECT geom FROM `{table}`").result()
    assert [field.field_type for field in rows.schema] == ["GEOGRAPHY"]
    assert next(iter(rows))["geom"].replace(" (", "(") == "POINT(-3.7 40.4)"


def test_free_port_is_bindable() -> None:
    port = emulators.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
