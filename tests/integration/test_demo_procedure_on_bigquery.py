"""The demo procedure (examples/store_clusters.yaml) on the local BigQuery, over the
seeded stores, called as production calls it (typed query parameters):

* same answers: each store's cluster is the one a plain-Python k-means
  (tests/support/kmeans_reference.py) gives on the same points with the same start, and each
  buffer surrounds its store;
* few statements: the CALL job's child jobs (one per executed statement, as BigQuery
  lists them with `jobs.list?parentJobId=`) are the fixed statements plus one per
  Lloyd round, at most 15 for number_of_clusters <= 10.

Known emulator difference: ST_BUFFER's distance is planar degrees there, metres on
BigQuery, so buffers are checked by what holds under both (centred on the store,
containing it, a polygon).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.cloud import bigquery

from devstack.seed import generate_stores, seed_stores
from tests.support.kmeans_reference import kmeans
from workflows_api.domain.workflow.compiler import (
    CompiledProcedure,
    compile_procedure,
)
from workflows_api.domain.workflow.procedure_calls import (
    OUTPUT_TABLE_QUERY_PARAMETER,
    call_statement,
)
from workflows_api.domain.workflow.validation import load_workflow

pytestmark = pytest.mark.integration

DEMO = Path(__file__).resolve().parents[2] / "examples" / "store_clusters.yaml"
STORE_TYPE = "Supermarket"
# Statements run once whatever k: DECLARE, the points table, the start centres,
# the result table and the copy into output_table (the guard's IF runs no query).
FIXED_STATEMENTS = 5
MAX_EXECUTED_STATEMENTS = 15


@pytest.fixture(scope="module")
def demo(bq_client: bigquery.Client) -> Iterator[tuple[str, CompiledProcedure]]:
    """The seeded stores and the demo procedure reading them, in a dataset of their own."""
    dataset = f"t_{uuid.uuid4().hex[:12]}"
    seed_stores(bq_client, dataset=dataset, count=600)
    definition = yaml.safe_load(DEMO.read_text())
    for node in definition["nodes"]:
        if node["type"] == "read_table":
            node["settings"]["table"] = f"{dataset}.stores"
    compiled = compile_procedure(
        load_workflow(definition), project=bq_client.project, dataset=dataset, procedure="demo"
    )
    bq_client.query(compiled.sql).result()
    yield dataset, compiled
    bq_client.delete_dataset(f"{bq_client.project}.{dataset}", delete_contents=True)


def _call(
    client: bigquery.Client, compiled: CompiledProcedure, k: int, radius: float, output: str
) -> bigquery.QueryJob:
    values: dict[str, tuple[str, int | float | str]] = {
        "number_of_clusters": ("INT64", k),
        "buffer_radius": ("FLOAT64", radius),
        "store_type": ("STRING", STORE_TYPE),
    }
    parameters = [
        bigquery.ScalarQueryParameter(name, *values[name]) for name in compiled.parameter_names
    ]
    parameters.append(bigquery.ScalarQueryParameter(OUTPUT_TABLE_QUERY_PARAMETER, "STRING", output))
    job = client.query(
        call_statement(compiled.procedure_ref, compiled.parameter_names),
        job_config=bigquery.QueryJobConfig(query_parameters=parameters),
        job_id=f"test_demo_{uuid.uuid4().hex}",
        job_retry=None,
    )
    job.result()
    return job


def _rows(client: bigquery.Client, sql: str) -> list[dict[str, Any]]:
    return [dict(row) for row in client.query(sql).result()]


@pytest.mark.parametrize("k", [1, 2, 3, 5, 7, 10])
def test_demo_matches_the_reference_kmeans_in_few_statements(
    bq_client: bigquery.Client, demo: tuple[str, CompiledProcedure], k: int
) -> None:
    dataset, compiled = demo
    project = bq_client.project
    output = f"{project}.{dataset}.out_{uuid.uuid4().hex[:8]}"
    job = _call(bq_client, compiled, k, 250.0, output)

    stores = _rows(
        bq_client,
        f"SELECT id, ST_X(geom) AS x, ST_Y(geom) AS y FROM `{project}.{dataset}.stores` "
        f"WHERE store_type = '{STORE_TYPE}' ORDER BY id",
    )
    seeded = sorted(s.id for s in generate_stores(600) if s.store_type == STORE_TYPE)
    assert [s["id"] for s in stores] == seeded and len(seeded) > 100
    reference = kmeans([(s["x"], s["y"]) for s in stores], k)
    expected = {s["id"]: cluster for s, cluster in zip(stores, reference.clusters, strict=True)}

    rows = _rows(
        bq_client,
        "SELECT o.id, o.cluster, ST_CONTAINS(o.geom_buffer, s.geom) AS inside, "
        "ST_X(ST_CENTROID(o.geom_buffer)) AS cx, ST_Y(ST_CENTROID(o.geom_buffer)) AS cy, "
        "ST_X(s.geom) AS x, ST_Y(s.geom) AS y, ST_GEOMETRYTYPE(o.geom_buffer) AS shape "
        f"FROM `{output}` AS o JOIN `{project}.{dataset}.stores` AS s USING (id) ORDER BY o.id",
    )
    assert {row["id"]: row["cluster"] for row in rows} == expected
    assert len({row["cluster"] for row in rows}) == min(k, len(rows))
    for row in rows:
        assert row["inside"] is True
        assert row["shape"].upper().endswith("POLYGON")
        assert (row["cx"], row["cy"]) == (pytest.approx(row["x"]), pytest.approx(row["y"]))

    children = list(bq_client.list_jobs(parent_job=job.job_id))
    assert len(children) == FIXED_STATEMENTS + reference.rounds
    assert len(children) <= MAX_EXECUTED_STATEMENTS
    rounds = [c for c in children if c.query.startswith("SET") and "__wf_nearest" in c.query]
    assert len(rounds) == reference.rounds
