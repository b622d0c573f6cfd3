"""Issue 23, finding 1: what a fragment may call. Functions are allowlisted: built-ins by
name (unquoted, case-folded), and persistent routines only from a dataset the
connection may read; model, AI, key and remote functions never."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.apps import on_fakes
from tests.support.http_client import HttpClient
from tests.support.workflow_factory import single
from workflows_api.domain.workflow import fragments
from workflows_api.domain.workflow.fragments import FragmentRefused
from workflows_api.domain.workflow.googlesql_functions import FUNCTIONS, REFUSED
from workflows_api.domain.workflow.read_allowlist import (
    ReadAllowlist,
    ReadPolicy,
    TableName,
    routines_called,
)
from workflows_api.domain.workflow.validation import parse_workflow, validate_workflow
from workflows_api.http.tables import all_routes

ROOT = Path(__file__).resolve().parents[4]
PROJECT = "home-project"
POLICY = ReadPolicy(
    PROJECT,
    ReadAllowlist(
        (f"{PROJECT}.retail", "shared-proj.*"),
        closed=(f"{PROJECT}.wfapi_demo",),
        closed_prefixes=("workflows_temp", "wfapi_"),
    ),
)


def custom_sql(sql: str) -> dict[str, Any]:
    return single({"id": "q", "type": "custom_sql", "settings": {"sql": sql}})


def computed(expression: str) -> dict[str, Any]:
    node = {
        "id": "sel",
        "type": "select",
        "settings": {"computed": [{"name": "v", "expression": expression}]},
    }
    return single(node)


def errors(definition: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    issues = validate_workflow(parse_workflow(definition), POLICY)
    return [(i.code, i.node, i.field) for i in issues if i.severity == "error"]


# --- routines: only from datasets the connection may read -------------------------

OUTSIDE_ROUTINES = {
    "issue_fragment": "SELECT `attacker-proj.pub.leak`() AS x FROM $a",
    "dotted_path": "SELECT `attacker-proj`.pub.leak(1) AS x FROM $a",
    "default_project_other_dataset": "SELECT secret_ds.leak(id) AS x FROM $a",
    "quoted_two_parts": "SELECT `secret_ds.leak`(id) AS x FROM $a",
    "mixed_quoting": "SELECT `attacker-proj`.`pub.leak`(1) AS x FROM $a",
    "in_where": "SELECT * FROM $a WHERE secret_ds.ok(id)",
    "in_subquery": "SELECT (SELECT `attacker-proj.pub.leak`()) AS x FROM $a",
    "in_window": "SELECT x FROM $a WINDOW w AS (ORDER BY secret_ds.f(x))",
    "analytic": "SELECT secret_ds.f(x) OVER () AS y FROM $a",
    "generated_dataset_behind_wildcard": "SELECT `shared-proj.wfapi_other.f`(1) AS x FROM $a",
    "own_generated_dataset": "SELECT wfapi_demo.f(1) AS x FROM $a",
}


@pytest.mark.parametrize("sql", OUTSIDE_ROUTINES.values(), ids=OUTSIDE_ROUTINES.keys())
def test_a_routine_outside_the_read_allowlist_is_refused(sql: str) -> None:
    assert errors(custom_sql(sql)) == [("function_not_allowed", "q", "settings.sql")]


def test_a_routine_in_a_computed_expression_is_refused_naming_the_field() -> None:
    assert errors(computed("`attacker-proj.pub.leak`(id)")) == [
        ("function_not_allowed", "sel", "settings.computed.0.expression")
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT retail.normalise(name) AS n FROM $a",
        f"SELECT `{PROJECT}.retail.normalise`(name) AS n FROM $a",
        "SELECT `shared-proj`.geo.snap(x) AS n FROM $a",
    ],
)
def test_a_routine_in_an_allowed_dataset_is_accepted(sql: str) -> None:
    assert errors(custom_sql(sql)) == []


def test_routines_called_are_qualified_with_the_connections_project() -> None:
    fragment = fragments.parse_query(
        "SELECT retail.f(x), `other-proj.d.g`(x), `proj-x`.ds.h(x), retail.f(y) FROM $a"
    )
    found = routines_called(fragment, PROJECT)
    assert sorted(found, key=str) == [
        TableName(PROJECT, "retail", "f"),
        TableName("other-proj", "d", "g"),
        TableName("proj-x", "ds", "h"),
    ]


def test_tables_and_built_ins_are_not_routines() -> None:
    fragment = fragments.parse_query(
        "SELECT NET.HOST(u), SAFE.PARSE_DATE('%F', s), HLL_COUNT.MERGE(h), t.s.f AS y "
        "FROM $a AS t JOIN retail.stores USING (id)"
    )
    assert routines_called(fragment, PROJECT) == []


# --- built-ins: by name, refused families never -----------------------------------

REFUSED_CALLS = {
    "quoted_ai": "SELECT `AI.GENERATE`('x') AS y FROM $a",
    "quoted_ml": "SELECT `ML.PREDICT`(1) AS y FROM $a",
    "quoted_ml_prefix": "SELECT `ml`.predict(MODEL m, TABLE $a) AS y FROM $a",
    "lowercase_ai": "SELECT ai.generate('x') AS y FROM $a",
    "unprefixed_predict": "SELECT PREDICT(MODEL m, TABLE $a) AS y FROM $a",
    "unprefixed_generate_text": "SELECT GENERATE_TEXT(MODEL m, TABLE $a) AS y FROM $a",
    "vector_search": "SELECT * FROM VECTOR_SEARCH(TABLE $a, 'e', TABLE $a)",
    "quoted_external_query": "SELECT `external_query`('c', 'q') AS y FROM $a",
    "keys": "SELECT KEYS.NEW_KEYSET('AEAD_AES_GCM_256') AS k FROM $a",
    "keyset_chain": "SELECT KEYS.KEYSET_CHAIN('gcp-kms://x', b'k') AS k FROM $a",
    "aead": "SELECT AEAD.DECRYPT_STRING(k, c, '') AS p FROM $a",
    "object_tables": "SELECT OBJ.GET_ACCESS_URL(ref, 'r') AS u FROM $a",
    "region_stats": "SELECT ST_REGIONSTATS(g, 'ee://x') AS s FROM $a",
}


@pytest.mark.parametrize("sql", REFUSED_CALLS.values(), ids=REFUSED_CALLS.keys())
def test_model_ai_key_and_remote_functions_are_forbidden(sql: str) -> None:
    with pytest.raises(FragmentRefused) as refused:
        fragments.parse_query(sql)
    assert refused.value.code == "fragment_forbidden", refused.value


NOT_BUILT_INS = {
    "unknown_name": "SELECT leak(1) AS y FROM $a",
    "safe_routine": "SELECT SAFE.secret_ds.leak(1) AS y FROM $a",
    "safe_quoted_routine": "SELECT SAFE.`p-roj.d.f`(1) AS y FROM $a",
    "safe_unknown": "SELECT SAFE.leak(1) AS y FROM $a",
    "net_unknown": "SELECT NET.leak(1) AS y FROM $a",
    "net_known_class_elsewhere": "SELECT NET.CONCAT('a') AS y FROM $a",
    "hll_unknown": "SELECT HLL_COUNT.leak(x) AS y FROM $a",
    "call_on_a_value": "SELECT f(x).g(1) AS y FROM $a",
    "four_parts": "SELECT `a.b.c.d`(1) AS y FROM $a",
}


@pytest.mark.parametrize("sql", NOT_BUILT_INS.values(), ids=NOT_BUILT_INS.keys())
def test_a_name_that_is_neither_a_built_in_nor_a_routine_is_refused(sql: str) -> None:
    with pytest.raises(FragmentRefused) as refused:
        fragments.parse_query(sql)
    assert refused.value.code == "function_not_allowed", refused.value


@pytest.mark.parametrize(
    "expression",
    [
        "NET.HOST(url)",
        "SAFE.PARSE_DATE('%F', s)",
        "SAFE_CAST(x AS INT64)",
        "`count`(x)",
        "`Concat`('a', name)",
        "ST_DWITHIN(ST_GEOGPOINT(lon, lat), ST_GEOGPOINT(0, 0), 500)",
        "ST_ASTEXT(ST_BUFFER(geom, 10))",
        "HLL_COUNT.EXTRACT(sketch)",
        "SAFE.ST_GEOGFROMTEXT(wkt)",
        "REGEXP_CONTAINS(name, r'^a')",
        "JSON_VALUE(payload, '$.a')",
        "APPROX_QUANTILES(x, 4)[OFFSET(2)]",
        "FORMAT('%d', id)",
    ],
)
def test_built_ins_are_accepted(expression: str) -> None:
    fragments.parse_expression(expression)


def _fragments_of(definition: dict[str, Any]) -> list[str]:
    texts = []
    for node in definition.get("nodes", []):
        settings = node.get("settings") or {}
        if node["type"] == "custom_sql":
            texts.append(settings["sql"])
        texts.extend(c["expression"] for c in settings.get("computed", []) or [])
    return texts


def test_every_example_and_golden_definition_passes_the_function_allowlist() -> None:
    paths = sorted((ROOT / "examples").glob("*.yaml"))
    paths += sorted((ROOT / "tests/unit/golden").glob("*.yaml"))
    checked = 0
    for path in paths:
        definition = yaml.safe_load(path.read_text(encoding="utf-8"))
        for text in _fragments_of(definition):
            parse = (
                fragments.parse_query
                if text.lstrip().upper().startswith(("SELECT", "WITH"))
                else fragments.parse_expression
            )
            parse(text)
            checked += 1
    assert checked >= 5


def test_no_refused_name_is_also_listed_as_a_built_in() -> None:
    assert not REFUSED & FUNCTIONS
    assert not {
        name for name in FUNCTIONS if name.split(".")[0] in {"ML", "AI", "KEYS", "AEAD", "OBJ"}
    }


# --- next to it: a built-in sqlglot trips over is refused, never a 500 --------------


def test_a_fragment_sqlglot_crashes_on_is_a_400_naming_the_node() -> None:
    # sqlglot 30 raises AttributeError parsing `TRANSLATE(...)` as a bare expression.
    client = HttpClient(on_fakes(), all_routes())
    definition = computed("TRANSLATE(name, 'ab', 'xy')")
    answer = client.call("PUT", "/v1/workflows/fresh", token=client.token(), body=definition)
    assert answer.status == 400, answer.body
    assert answer.body["error"]["details"][0]["node"] == "sel"
    assert client.world.store.get_workflow("demo", "fresh") is None
