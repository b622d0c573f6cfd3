"""Canaries: three places where bqemulator 1.4.0 translates valid BigQuery wrongly inside
scripts, which the compiler's k-means SQL steps around with equally valid BigQuery
(docs/local-stack.md, "Other emulator facts"). Each fails on the day upstream fixes its gap; the SQL
may then use the plainer form again."""

from __future__ import annotations

import uuid

import pytest
from google.api_core.exceptions import BadRequest
from google.cloud import bigquery

pytestmark = pytest.mark.integration

STATE = (
    "DECLARE s STRUCT<n INT64, centres ARRAY<STRUCT<cluster INT64, x FLOAT64>>>;\n"
    "SET s = (SELECT AS STRUCT 0 AS n, [STRUCT(1 AS cluster, 2.0 AS x)] AS centres);\n"
)


def _script_value(client: bigquery.Client, script: str) -> object:
    job = client.query(script, job_id=f"gap_{uuid.uuid4().hex}", job_retry=None)
    [row] = list(job.result(timeout=60))
    return row[0]


def test_div_with_a_product_divisor_loses_its_parentheses(bq_client: bigquery.Client) -> None:
    # BigQuery: DIV(12, 2 * 3) = 2. The emulator runs 12 // 2 * 3 = 18.
    assert _script_value(bq_client, "SELECT DIV(12, 2 * 3);") == 18
    assert _script_value(bq_client, "SELECT DIV(12, six) FROM (SELECT 6 AS six);") == 2


def test_struct_fields_are_not_named_after_their_columns(bq_client: bigquery.Client) -> None:
    # BigQuery names the fields after the columns (cluster, x); the emulator fails.
    unnamed = "ARRAY_AGG(STRUCT(t.cluster, t.x))"
    named = "ARRAY_AGG(STRUCT(t.cluster AS cluster, t.x AS x))"
    template = (
        STATE + "SET s = (SELECT AS STRUCT 1 AS n, {} AS centres "
        "FROM (SELECT 7 AS cluster, 2.0 AS x) AS t);\nSELECT s.centres[OFFSET(0)].cluster;"
    )
    with pytest.raises(BadRequest, match="duplicate field names"):
        _script_value(bq_client, template.format(unnamed))
    assert _script_value(bq_client, template.format(named)) == 7


def test_join_using_a_field_of_unnested_structs_fails(bq_client: bigquery.Client) -> None:
    template = (
        STATE + "SET s = (SELECT AS STRUCT COUNT(*) AS n, s.centres AS centres "
        "FROM (SELECT 1 AS cluster) AS m JOIN UNNEST(s.centres) AS c {});\nSELECT s.n;"
    )
    with pytest.raises(BadRequest, match="does not exist on right side of join"):
        _script_value(bq_client, template.format("USING (cluster)"))
    assert _script_value(bq_client, template.format("ON c.cluster = m.cluster")) == 1
