"""A connection without a service account (a document from before one was required)
never runs as the runtime identity outside single-org mode (issue 23, finding 9): every
route that would use it answers 409 `connection_without_service_account` naming the
`connection` field, and BigQuery is not called."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.support.apps import DEMO, DEMO_CONNECTION, GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.adapters.clients import BigQueryClients
from workflows_api.config import Settings
from workflows_api.http.tables import all_routes
from workflows_api.service.errors import WarehouseError
from workflows_api.service.execution_requests import ExecuteRequest

CODE = "connection_without_service_account"
BARE = dataclasses.replace(DEMO_CONNECTION, service_account=None)


@pytest.fixture
def client() -> HttpClient:
    world = with_demo_workflow(outcome="running")
    return HttpClient(world, all_routes())


def warehouse_calls(client: HttpClient) -> tuple[Any, ...]:
    fake = client.world.warehouse
    return (len(fake.ddl), fake.submissions, len(fake.queries), len(fake.cancelled))


def test_every_use_of_the_connection_is_refused(client: HttpClient) -> None:
    token = client.token()
    running = client.world.app.admission.execute  # an execution from before
    execution_id = running("demo", "clusters", ExecuteRequest(GOOD, cache=False)).execution.id
    client.world.store.put_connection(BARE)  # the older document
    client.world.clock.advance(5)  # a status read reconciles again
    before = warehouse_calls(client)
    job = f"/v3/sql/local/job/job_{execution_id}"
    procedure = client.world.store.get_workflow("demo", "clusters").api.procedure  # type: ignore[union-attr]
    call = {"query": f"CALL `{procedure}`(@number_of_clusters, @buffer_radius, @store_type)"}
    requests: list[tuple[str, str, Any]] = [
        ("PUT", "/v1/workflows/clusters", DEMO),
        ("PUT", "/v1/workflows/another", DEMO),
        ("GET", "/v1/workflows/clusters/sql", None),
        ("PUT", "/v1/workflows/clusters/api", None),
        ("DELETE", "/v1/workflows/clusters/api", None),
        ("DELETE", "/v1/workflows/clusters", None),
        ("POST", "/v1/workflows/clusters/executions", {"parameters": GOOD, "cache": False}),
        ("POST", "/v1/workflows/clusters/executions", {"parameters": GOOD, "dry_run": True}),
        ("GET", f"/v1/executions/{execution_id}", None),
        ("POST", f"/v1/executions/{execution_id}/cancel", None),
        ("POST", "/v3/sql/local/job", {**call, "queryParameters": GOOD}),
        ("GET", job, None),
        ("DELETE", job, None),
        ("POST", "/api/v1/workflows/clusters/execute", {"parameters": GOOD}),
        ("GET", f"/api/v1/workflows/executions/{execution_id}", None),
    ]
    for method, path, body in requests:
        answer = client.call(method, path, token=token, body=body)
        assert answer.status == 409, (method, path, answer.body)
        assert answer.body["error"]["code"] == CODE, (method, path, answer.body)
        assert answer.body["error"].get("field", "connection") == "connection", answer.body
    assert warehouse_calls(client) == before
    assert client.world.store.get_workflow("demo", "another") is None
    # Nothing ran, and what only reads records still answers.
    assert client.call("GET", "/v3/sql/jobs", token=token).status == 200
    assert client.call("GET", "/v1/workflows/clusters/api", token=token).status == 200


def test_single_org_deployments_still_run_as_the_runtime() -> None:
    world = with_demo_workflow(
        outcome="succeeded", settings=Settings(webhook_secrets="firestore", single_org=True)
    )
    world.store.put_connection(BARE)
    client = HttpClient(world, all_routes())
    answer = client.call(
        "POST",
        "/v1/workflows/clusters/executions",
        token=client.token(),
        body={"parameters": GOOD},
    )
    assert answer.status in (200, 202), answer.body
    assert world.warehouse.submissions == 1


def test_the_client_factory_refuses_it_too() -> None:
    clients = BigQueryClients(Settings(bigquery_emulator_host="127.0.0.1:9"))
    with pytest.raises(WarehouseError) as refused:
        clients.for_connection(BARE)
    assert refused.value.reason == "service_account_required"
    single = BigQueryClients(Settings(bigquery_emulator_host="127.0.0.1:9", single_org=True))
    assert single.for_connection(BARE) is not None
