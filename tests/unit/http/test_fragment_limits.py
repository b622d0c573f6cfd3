"""Issue 23, finding 3: one org cannot tie up `api_access` with CPU. Fragment bytes are
capped per definition before any is parsed, checking them has a time budget, and
GET .../sql of a deployed version answers the SQL kept with the API state instead of
compiling it again."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from tests.support.apps import DEMO, on_fakes, with_demo_workflow
from tests.support.http_client import HttpClient
from tests.support.workflow_factory import definition, output, read
from workflows_api.domain.workflow import (
    compiler,
    fragment_budget,
    fragment_limits,
    fragment_parsing,
    fragments,
)
from workflows_api.domain.workflow.validation import parse_workflow, validate_workflow
from workflows_api.http.tables import all_routes

KIB = 1024


def fragment_of(size: int, column: str = "x") -> str:
    """A valid SELECT of about `size` bytes (a long string literal)."""
    head = f"SELECT {column}, '"
    tail = "' AS pad FROM $a"
    return head + "p" * (size - len(head) - len(tail)) + tail


def with_fragments(*texts: str) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [read()]
    source = "src"
    for i, text in enumerate(texts):
        nodes.append(
            {"id": f"q{i}", "type": "custom_sql", "inputs": [source], "settings": {"sql": text}}
        )
        source = f"q{i}"
    return definition([*nodes, output(source)])


def refuse_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a fragment was parsed")

    monkeypatch.setattr(fragment_parsing, "parse_query", refused)
    monkeypatch.setattr(fragment_parsing, "parse_expression", refused)


# --- bytes per definition ------------------------------------------------------------


def test_fragments_over_the_definition_cap_are_refused_unparsed_naming_the_node(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = HttpClient(on_fakes(), all_routes())
    refuse_parsing(monkeypatch)
    body = with_fragments(*(fragment_of(50 * KIB) for _ in range(3)))  # each under 64 KiB
    started = time.monotonic()
    answer = client.call("PUT", "/v1/workflows/heavy", token=client.token(), body=body)
    assert time.monotonic() - started < 1
    assert answer.status == 413, answer.body
    error = answer.body["error"]
    assert error["code"] == "fragments_too_large"
    assert error["details"][0]["node"] == "q2" and error["details"][0]["field"] == "settings.sql"
    assert "node q2" in error["message"] and "128 KiB" in error["message"]
    assert client.world.store.get_workflow("demo", "heavy") is None


def test_computed_expressions_count_towards_the_cap() -> None:
    big = "'" + "p" * (70 * KIB) + "'"
    select = {
        "id": "sel",
        "type": "select",
        "inputs": ["q0"],
        "settings": {"computed": [{"name": "a", "expression": big[: 60 * KIB] + "'"}]},
    }
    body = with_fragments(fragment_of(60 * KIB), fragment_of(10 * KIB))
    body["nodes"].insert(2, select)
    issues = fragment_limits.fragment_size_issues(parse_workflow(body))
    assert [(i.code, i.node, i.field) for i in issues] == [
        ("fragments_too_large", "q1", "settings.sql")
    ]


def test_one_fragment_over_its_own_cap_is_refused_naming_the_node() -> None:
    client = HttpClient(on_fakes(), all_routes())
    body = with_fragments(fragment_of(65 * KIB))
    answer = client.call("PUT", "/v1/workflows/heavy", token=client.token(), body=body)
    assert answer.status == 413 and answer.body["error"]["code"] == "fragment_too_large"
    assert answer.body["error"]["details"][0]["node"] == "q0"


def test_fragments_under_the_caps_are_accepted() -> None:
    workflow = parse_workflow(with_fragments(fragment_of(60 * KIB), fragment_of(60 * KIB)))
    assert [i for i in validate_workflow(workflow) if i.severity == "error"] == []


# --- time ----------------------------------------------------------------------------


def test_checking_stops_once_the_parse_budget_is_spent(monkeypatch: pytest.MonkeyPatch) -> None:
    real = fragment_parsing.parse_query
    parsed: list[str] = []

    def slow(text: str) -> fragment_parsing.Fragment:
        parsed.append(text)
        time.sleep(0.1)
        return real(text)

    fragments.parse_query("SELECT 1 AS warm FROM $a")  # a cold first parse is slower
    monkeypatch.setattr(fragment_parsing, "parse_query", slow)
    monkeypatch.setattr(fragment_budget, "PARSE_BUDGET_SECONDS", 0.03)
    workflow = parse_workflow(with_fragments(*(f"SELECT {i} AS x FROM $a" for i in range(4))))
    errors = [(i.code, i.node) for i in validate_workflow(workflow) if i.severity == "error"]
    # The first parse spent the budget: its own trial rendering and the others never run.
    assert len(parsed) == 1
    assert errors == [("fragments_too_complex", f"q{i}") for i in range(4)]


def test_a_budget_is_per_validation() -> None:
    with fragment_budget.parse_budget(0.0):
        time.sleep(0.001)
        with pytest.raises(fragments.FragmentRefused) as refused:
            fragments.parse_query("SELECT 1")
    assert refused.value.code == "fragments_too_complex"
    fragments.parse_query("SELECT 1")  # outside any budget


# --- GET .../sql never recompiles a deployed version -----------------------------------


def no_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the compiler ran")

    monkeypatch.setattr(compiler, "compile_procedure", refused)
    refuse_parsing(monkeypatch)


def get_sql(client: HttpClient, fmt: str = "json") -> Any:
    return client.call(
        "GET", "/v1/workflows/clusters/sql", token=client.token(), query={"format": fmt}
    )


def test_get_sql_of_an_enabled_workflow_does_not_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    client = HttpClient(with_demo_workflow(), all_routes())
    before = get_sql(client).body
    no_compiler(monkeypatch)
    answer = get_sql(client)
    assert answer.status == 200, answer.body
    assert answer.body == before
    client.world.app.workflows.disable_api("demo", "clusters")
    assert get_sql(client).body == before  # the same version: still the kept text


def test_get_sql_compiles_an_edited_definition(monkeypatch: pytest.MonkeyPatch) -> None:
    client = HttpClient(with_demo_workflow(), all_routes())
    client.world.app.workflows.put("demo", "clusters", {**DEMO, "description": "edited"})
    real = compiler.compile_procedure
    compiled: list[str] = []

    def counting(*args: Any, **kwargs: Any) -> compiler.CompiledProcedure:
        compiled.append("once")
        return real(*args, **kwargs)

    monkeypatch.setattr(compiler, "compile_procedure", counting)
    answer = get_sql(client)
    record = client.world.app.workflows.get("demo", "clusters")
    assert compiled == ["once"]  # not the deployed version: compiled, as before
    assert answer.body["version"] == record.version
    assert record.api is not None and record.api.deployed_version != record.version


def test_a_record_kept_before_the_sql_was_compiles_once_as_before() -> None:
    world = with_demo_workflow()
    record = world.store.get_workflow("demo", "clusters")
    assert record is not None and record.api is not None and record.api.deployed_sql
    kept = record.api.deployed_sql
    world.store.put_workflow(replace(record, api=replace(record.api, deployed_sql=None)))
    client = HttpClient(world, all_routes())
    assert get_sql(client).body["sql"] == kept
