"""Cached results never go stale, and a missing output table is never a 500 (issue 23,
finding 5): each run replaces the table it writes; a results read of a table that is
gone answers 409 `output_expired` (and records it expired); a cache entry whose table is
gone is never served: an identical request runs anew."""

from __future__ import annotations

import pytest

from tests.support.apps import DEMO, GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.domain.execution.results import Column
from workflows_api.domain.workflow.compiler import compile_procedure
from workflows_api.domain.workflow.validation import parse_workflow
from workflows_api.http.tables import all_routes
from workflows_api.service.errors import WarehouseError

EXECUTE = "/v1/workflows/clusters/executions"


@pytest.fixture
def client() -> HttpClient:
    world = with_demo_workflow(outcome="succeeded")
    world.warehouse.columns = [Column("id", "INTEGER")]
    world.warehouse.rows = [{"id": 1}, {"id": 2}]
    return HttpClient(world, all_routes())


def run(client: HttpClient, token: str) -> dict[str, object]:
    answer = client.call("POST", EXECUTE, token=token, body={"parameters": GOOD})
    assert answer.status in (200, 202), answer.body
    assert answer.body["state"] == "succeeded", answer.body
    return dict(answer.body)


def test_the_procedure_replaces_its_output_table() -> None:
    sql = compile_procedure(
        parse_workflow(DEMO), project="demo-project", dataset="wfapi_demo", procedure="r"
    ).sql
    assert "CREATE OR REPLACE TABLE `%s`" in sql
    assert "IF NOT EXISTS" not in sql


def test_a_missing_table_is_output_expired_then_never_served_from_cache(
    client: HttpClient,
) -> None:
    token = client.token()
    first = run(client, token)
    assert run(client, token)["id"] == first["id"]  # a cache hit while the table is there
    client.world.warehouse.missing_tables.add(str(first["output_table"]))
    answer = client.call("GET", f"/v1/executions/{first['id']}/results", token=token)
    assert answer.status == 409, answer.body
    assert answer.body["error"]["code"] == "output_expired"
    assert answer.body["error"]["field"] == "execution_id"
    again = run(client, token)
    assert again["id"] != first["id"] and again["cached"] is False
    assert client.world.warehouse.submissions == 2


def test_a_cache_hit_checks_the_table_is_still_there(client: HttpClient) -> None:
    token = client.token()
    first = run(client, token)
    client.world.warehouse.missing_tables.add(str(first["output_table"]))
    again = run(client, token)  # no results read first
    assert again["id"] != first["id"]
    assert client.world.warehouse.submissions == 2
    stored = client.world.store.get_execution("demo", str(first["id"]))
    assert stored is not None and stored.output_expires_at == client.world.clock()


def test_any_other_refusal_of_a_results_read_is_a_4xx(
    client: HttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = client.token()
    first = run(client, token)

    def refuse(*args: object, **kwargs: object) -> None:
        raise WarehouseError("accessDenied", "Access Denied: Table p:d.t: User does not ...")

    monkeypatch.setattr(client.world.warehouse, "query_rows", refuse)
    answer = client.call("GET", f"/v1/executions/{first['id']}/results", token=token)
    assert answer.status == 422, answer.body
    assert answer.body["error"]["code"] == "results_unreadable"
    assert "User does not" not in answer.body["error"]["message"]
