"""Compiled workflows run on the BigQuery emulator and give hand-checkable rows.

The procedures are called with literal arguments here (test code only): production
passes typed query parameters, which the emulator binds only through the local shim.
Geography columns are read as text or coordinates: the emulator reports GEOGRAPHY
as BYTES and the client cannot decode them.
Known emulator difference: ST_BUFFER's distance is planar degrees there, metres on
BigQuery, so buffer tests check shape properties that hold under both.
"""

from __future__ import annotations

import copy
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.api_core.exceptions import BadRequest
from google.cloud import bigquery

from devstack.seed import generate_stores, seed_stores
from workflows_api.domain.workflow.compiler import compile_procedure, procedure_name
from workflows_api.domain.workflow.validation import load_workflow

pytestmark = pytest.mark.integration

DEMO = Path(__file__).resolve().parents[2] / "examples" / "store_clusters.yaml"

# id, kind, amount, note, longitude, latitude
PLACES = [
    (1, "shop", 10.0, "a", 0.0, 0.0),
    (2, "shop", 20.0, None, 0.001, 0.0),  # ~111 m east of (0, 0)
    (3, "cafe", 30.0, "c", 0.01, 0.0),  # ~1.1 km east
    (4, "cafe", 40.0, "d", 10.0, 10.0),
    (5, "bank", 50.0, "e", 10.001, 10.0),
    (6, "bank", 60.0, None, 10.0, 10.001),
]


def _sql_value(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value + "'"
    return repr(value)


def _load_places(client: bigquery.Client, dataset: str, name: str = "places") -> None:
    selects = [
        f"SELECT {i} AS id, {_sql_value(k)} AS kind, {a!r} AS amount, "
        f"CAST({_sql_value(n)} AS STRING) AS note, ST_GEOGPOINT({x!r}, {y!r}) AS geo"
        for i, k, a, n, x, y in PLACES
    ]
    client.query(
        f"CREATE TABLE `{client.project}.{dataset}.{name}` AS " + " UNION ALL ".join(selects)
    ).result()


def _run(
    client: bigquery.Client,
    dataset: str,
    definition: dict[str, Any],
    arguments: list[str],
    select: str = "*",
    order_by: str = "id",
) -> list[dict[str, Any]]:
    workflow = load_workflow(definition)
    compiled = compile_procedure(
        workflow,
        project=client.project,
        dataset=dataset,
        procedure=procedure_name("test", uuid.uuid4().hex),
    )
    client.query(compiled.sql).result()
    output = f"{client.project}.{dataset}.out_{uuid.uuid4().hex[:8]}"
    literal_arguments = ", ".join([*arguments, f"'{output}'"])
    client.query(f"CALL `{compiled.procedure_ref}`({literal_arguments})").result()
    rows = client.query(f"SELECT {select} FROM `{output}` ORDER BY {order_by}").result()
    return [dict(row) for row in rows]


def _workflow(
    nodes: list[dict[str, Any]], parameters: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {"parameters": parameters or [], "nodes": nodes}


def _read(dataset: str, node_id: str = "places", table: str = "places") -> dict[str, Any]:
    return {"id": node_id, "type": "read_table", "settings": {"table": f"{dataset}.{table}"}}


def _output(source: str) -> dict[str, Any]:
    return {"id": "out", "type": "output", "inputs": [source]}


@dataclass(frozen=True)
class Case:
    """A workflow over the places table (read nodes name it "{dataset}.places"), its
    arguments, and every row of its output."""

    nodes: list[dict[str, Any]]
    arguments: list[str]
    expected: list[dict[str, Any]]
    parameters: list[dict[str, Any]] | None = None
    select: str = "*"
    order_by: str = "id"


def _places(node_id: str = "places") -> dict[str, Any]:
    return _read("{dataset}", node_id)


CASES = [
    pytest.param(
        Case(
            nodes=[
                _places(),
                {
                    "id": "kept",
                    "type": "filter",
                    "inputs": ["places"],
                    "settings": {
                        "combine": "OR",
                        "conditions": [
                            {"column": "kind", "operator": "=", "value": {"param": "kind"}},
                            {
                                "column": "amount",
                                "operator": ">=",
                                "value": {"param": "min_amount"},
                            },
                        ],
                    },
                },
                {
                    "id": "with_note",
                    "type": "filter",
                    "inputs": ["kept"],
                    "settings": {
                        "conditions": [
                            {"column": "note", "operator": "is_not_null"},
                            {"column": "id", "operator": "not_in", "value": [6]},
                        ]
                    },
                },
                _output("with_note"),
            ],
            parameters=[
                {"name": "kind", "type": "STRING"},
                {"name": "min_amount", "type": "FLOAT64"},
            ],
            arguments=["'shop'", "50.0"],
            select="id",
            # kind = shop: 1, 2; amount >= 50: 5, 6; then note not null drops 2, not_in drops 6.
            expected=[{"id": 1}, {"id": 5}],
        ),
        id="read_and_filter_with_parameters",
    ),
    pytest.param(
        Case(
            nodes=[
                _places(),
                {
                    "id": "projected",
                    "type": "select",
                    "inputs": ["places"],
                    "settings": {
                        "columns": ["id", "kind"],
                        "computed": [{"name": "scaled", "expression": "amount * @factor + 1"}],
                    },
                },
                _output("projected"),
            ],
            parameters=[{"name": "factor", "type": "INT64"}],
            arguments=["3"],
            expected=[
                {"id": 1, "kind": "shop", "scaled": 31.0},
                {"id": 2, "kind": "shop", "scaled": 61.0},
                {"id": 3, "kind": "cafe", "scaled": 91.0},
                {"id": 4, "kind": "cafe", "scaled": 121.0},
                {"id": 5, "kind": "bank", "scaled": 151.0},
                {"id": 6, "kind": "bank", "scaled": 181.0},
            ],
        ),
        id="select_computes_columns_from_parameters",
    ),
    pytest.param(
        Case(
            nodes=[
                _places("first"),
                _places("second"),
                {"id": "both", "type": "union", "inputs": ["first", "second"]},
                {
                    "id": "totals",
                    "type": "aggregate",
                    "inputs": ["both"],
                    "settings": {
                        "group_by": ["kind"],
                        "aggregations": [
                            {"function": "COUNT", "alias": "n"},
                            {"function": "SUM", "column": "amount", "alias": "total"},
                            {"function": "AVG", "column": "amount", "alias": "mean"},
                            {"function": "MIN", "column": "id", "alias": "first_id"},
                            {"function": "MAX", "column": "id", "alias": "last_id"},
                        ],
                    },
                },
                _output("totals"),
            ],
            arguments=[],
            order_by="kind",
            expected=[
                {"kind": "bank", "n": 4, "total": 220.0, "mean": 55.0, "first_id": 5, "last_id": 6},
                {"kind": "cafe", "n": 4, "total": 140.0, "mean": 35.0, "first_id": 3, "last_id": 4},
                {"kind": "shop", "n": 4, "total": 60.0, "mean": 15.0, "first_id": 1, "last_id": 2},
            ],
        ),
        id="union_and_aggregate",
    ),
    pytest.param(
        Case(
            nodes=[
                _places("a_side"),
                _places("b_side"),
                {
                    "id": "custom",
                    "type": "custom_sql",
                    "inputs": ["a_side", "b_side"],
                    "settings": {
                        "sql": "SELECT x.id, x.amount + y.amount AS doubled, '$a' AS label "
                        "FROM $a AS x JOIN $b AS y ON x.id = y.id WHERE x.amount > @above"
                    },
                },
                _output("custom"),
            ],
            parameters=[{"name": "above", "type": "FLOAT64"}],
            arguments=["35.0"],
            expected=[
                {"id": 4, "doubled": 80.0, "label": "$a"},
                {"id": 5, "doubled": 100.0, "label": "$a"},
                {"id": 6, "doubled": 120.0, "label": "$a"},
            ],
        ),
        id="custom_sql_reads_both_inputs",
    ),
    # places feeds two consumers (a TEMP table); each filter is chained into the union's
    # statement; the custom query's own WITH is kept inside the chain.
    pytest.param(
        Case(
            nodes=[
                _places(),
                {
                    "id": "shops",
                    "type": "filter",
                    "inputs": ["places"],
                    "settings": {
                        "conditions": [{"column": "kind", "operator": "=", "value": "shop"}]
                    },
                },
                {
                    "id": "banks",
                    "type": "filter",
                    "inputs": ["places"],
                    "settings": {
                        "conditions": [{"column": "kind", "operator": "=", "value": "bank"}]
                    },
                },
                {"id": "both", "type": "union", "inputs": ["shops", "banks"]},
                {
                    "id": "ranked",
                    "type": "custom_sql",
                    "inputs": ["both"],
                    "settings": {
                        "sql": "WITH big AS (SELECT id, amount FROM $a WHERE amount >= @least) "
                        "SELECT id, amount * 2 AS doubled FROM big"
                    },
                },
                _output("ranked"),
            ],
            parameters=[{"name": "least", "type": "FLOAT64"}],
            arguments=["20.0"],
            expected=[
                {"id": 2, "doubled": 40.0},
                {"id": 5, "doubled": 100.0},
                {"id": 6, "doubled": 120.0},
            ],
        ),
        id="shared_nodes_and_a_custom_query_with_its_own_with",
    ),
    # The k-means rows read the script variable holding the centres: materialised as a
    # TEMP table, they are read by both sides of a join.
    pytest.param(
        Case(
            nodes=[
                _places(),
                {
                    "id": "clusters",
                    "type": "kmeans",
                    "inputs": ["places"],
                    "settings": {"geography_column": "geo", "k": 2, "max_iterations": 3},
                },
                {
                    "id": "sizes",
                    "type": "aggregate",
                    "inputs": ["clusters"],
                    "settings": {
                        "group_by": ["cluster"],
                        "aggregations": [{"function": "COUNT", "alias": "members"}],
                    },
                },
                {
                    "id": "joined",
                    "type": "join",
                    "inputs": ["clusters", "sizes"],
                    "settings": {"on": ["cluster"]},
                },
                _output("joined"),
            ],
            arguments=[],
            select="id, cluster, members",
            expected=[
                {"id": 1, "cluster": 0, "members": 3},
                {"id": 2, "cluster": 0, "members": 3},
                {"id": 3, "cluster": 0, "members": 3},
                {"id": 4, "cluster": 1, "members": 3},
                {"id": 5, "cluster": 1, "members": 3},
                {"id": 6, "cluster": 1, "members": 3},
            ],
        ),
        id="kmeans_rows_feeding_two_consumers",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_a_workflow_over_places_gives_its_rows(
    bq_client: bigquery.Client, bq_dataset: str, case: Case
) -> None:
    _load_places(bq_client, bq_dataset)
    nodes = copy.deepcopy(case.nodes)
    for node in nodes:
        if node["type"] == "read_table":
            node["settings"]["table"] = node["settings"]["table"].format(dataset=bq_dataset)
    definition = _workflow(nodes, case.parameters)
    rows = _run(bq_client, bq_dataset, definition, case.arguments, case.select, case.order_by)
    assert rows == case.expected


@pytest.mark.parametrize(
    ("join_type", "expected_ids"),
    [("inner", [2, 3]), ("left", [1, 2, 3]), ("full", [1, 2, 3, 4])],
)
def test_join(
    bq_client: bigquery.Client, bq_dataset: str, join_type: str, expected_ids: list[int]
) -> None:
    bq_client.query(
        f"CREATE TABLE `{bq_client.project}.{bq_dataset}.left_side` AS "
        "SELECT 1 AS id, 'l1' AS l UNION ALL SELECT 2, 'l2' UNION ALL SELECT 3, 'l3'"
    ).result()
    bq_client.query(
        f"CREATE TABLE `{bq_client.project}.{bq_dataset}.right_side` AS "
        "SELECT 2 AS id, 'r2' AS r UNION ALL SELECT 3, 'r3' UNION ALL SELECT 4, 'r4'"
    ).result()
    definition = _workflow(
        [
            _read(bq_dataset, "lhs", "left_side"),
            _read(bq_dataset, "rhs", "right_side"),
            {
                "id": "joined",
                "type": "join",
                "inputs": ["lhs", "rhs"],
                "settings": {"join_type": join_type, "on": ["id"]},
            },
            _output("joined"),
        ]
    )
    rows = _run(bq_client, bq_dataset, definition, [], "id, l, r")
    assert [row["id"] for row in rows] == expected_ids
    by_id = {row["id"]: (row["l"], row["r"]) for row in rows}
    assert by_id[2] == ("l2", "r2")


def test_within_distance_of_a_point(bq_client: bigquery.Client, bq_dataset: str) -> None:
    _load_places(bq_client, bq_dataset)
    definition = _workflow(
        [
            _read(bq_dataset),
            {
                "id": "near",
                "type": "within_distance",
                "inputs": ["places"],
                "settings": {
                    "geography_column": "geo",
                    "longitude": 0.0,
                    "latitude": {"param": "lat"},
                    "distance": {"param": "metres"},
                },
            },
            _output("near"),
        ],
        [{"name": "lat", "type": "FLOAT64"}, {"name": "metres", "type": "INT64"}],
    )
    assert [r["id"] for r in _run(bq_client, bq_dataset, definition, ["0.0", "200"], "id")] == [
        1,
        2,
    ]
    assert [r["id"] for r in _run(bq_client, bq_dataset, definition, ["0.0", "2000"], "id")] == [
        1,
        2,
        3,
    ]


def test_buffer_surrounds_each_point(bq_client: bigquery.Client, bq_dataset: str) -> None:
    _load_places(bq_client, bq_dataset)
    definition = _workflow(
        [
            _read(bq_dataset),
            {
                "id": "buffered",
                "type": "buffer",
                "inputs": ["places"],
                "settings": {
                    "geography_column": "geo",
                    "distance": {"param": "radius"},
                    "output_column": "area",
                },
            },
            _output("buffered"),
        ],
        [{"name": "radius", "type": "FLOAT64"}],
    )
    rows = _run(
        bq_client,
        bq_dataset,
        definition,
        ["50.0"],
        "id, ST_CONTAINS(area, geo) AS inside, ST_X(ST_CENTROID(area)) AS x, "
        "ST_Y(ST_CENTROID(area)) AS y, ST_GEOMETRYTYPE(area) AS kind",
    )
    assert len(rows) == len(PLACES)
    for row, place in zip(rows, PLACES, strict=True):
        assert row["inside"] is True
        assert row["kind"].upper().endswith("POLYGON")
        assert row["x"] == pytest.approx(place[4], abs=1e-6)
        assert row["y"] == pytest.approx(place[5], abs=1e-6)


def test_kmeans_finds_two_well_separated_groups(
    bq_client: bigquery.Client, bq_dataset: str
) -> None:
    _load_places(bq_client, bq_dataset)
    definition = _workflow(
        [
            _read(bq_dataset),
            {
                "id": "clusters",
                "type": "kmeans",
                "inputs": ["places"],
                "settings": {
                    "geography_column": "geo",
                    "k": {"param": "k"},
                    "cluster_column": "group_no",
                },
            },
            _output("clusters"),
        ],
        [{"name": "k", "type": "INT64", "minimum": 1, "maximum": 5}],
    )
    rows = _run(bq_client, bq_dataset, definition, ["2"], "id, group_no, kind")
    groups: dict[int, set[int]] = {}
    for row in rows:
        groups.setdefault(row["group_no"], set()).add(row["id"])
    assert sorted(groups.values(), key=min) == [{1, 2, 3}, {4, 5, 6}]
    assert set(groups) == {0, 1}
    assert {row["kind"] for row in rows} == {"shop", "cafe", "bank"}  # other columns kept


def test_bad_output_table_is_refused_before_anything_runs(
    bq_client: bigquery.Client, bq_dataset: str
) -> None:
    _load_places(bq_client, bq_dataset)
    compiled = compile_procedure(
        load_workflow(_workflow([_read(bq_dataset), _output("places")])),
        project=bq_client.project,
        dataset=bq_dataset,
        procedure="guarded",
    )
    bq_client.query(compiled.sql).result()
    with pytest.raises(BadRequest, match=r"output_table must be project\.dataset\.table"):
        bq_client.query(f"CALL `{compiled.procedure_ref}`('x` AS SELECT 1; --')").result()


def test_demo_workflow_runs_with_the_seed_values(
    bq_client: bigquery.Client, bq_dataset: str
) -> None:
    seed_stores(bq_client, dataset=bq_dataset, count=80)
    definition = yaml.safe_load(DEMO.read_text())
    definition = copy.deepcopy(definition)
    for node in definition["nodes"]:
        if node["type"] == "read_table":
            node["settings"]["table"] = f"{bq_dataset}.stores"
    rows = _run(
        bq_client,
        bq_dataset,
        definition,
        ["2", "500.0", "'Supermarket'"],
        "id, name, cluster, ST_X(ST_CENTROID(geom_buffer)) AS x, "
        "ST_Y(ST_CENTROID(geom_buffer)) AS y",
    )
    supermarkets = {s.id: s for s in generate_stores(80) if s.store_type == "Supermarket"}
    assert supermarkets, "the generated data must contain supermarkets"
    assert [row["id"] for row in rows] == sorted(supermarkets)
    assert set(Counter(row["cluster"] for row in rows)) == {0, 1}
    for row in rows:
        store = supermarkets[row["id"]]
        assert row["name"] == store.name
        assert row["x"] == pytest.approx(store.longitude, abs=1e-6)
        assert row["y"] == pytest.approx(store.latitude, abs=1e-6)
