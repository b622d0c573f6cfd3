"""Changing a workflow's connection takes its API out of sync (issue 23, finding 4): the
API state records the connection it was deployed for, execute (native, CARTO, Nexadata,
dry run) answers 409 `api_connection_changed` until the API is updated, the drift view
shows it, and the update drops the old procedure as the old connection's identity."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.support.apps import DEMO, GOOD, on_fakes
from tests.support.http_client import HttpClient
from workflows_api.adapters.firestore.workflows import _api_from_doc, _api_to_doc
from workflows_api.domain.access.connections import Connection
from workflows_api.http.tables import all_routes
from workflows_api.service.execution_requests import ExecuteRequest

FINANCE = Connection(
    "demo",
    "finance",
    "finance-project",
    service_account="finance@finance-project.iam.gserviceaccount.com",
    read_allowlist=("finance-project.retail",),
    maximum_bytes_billed=10**12,
)
SANDBOX = Connection(
    "demo",
    "sandbox",
    "sandbox-project",
    service_account="sandbox@sandbox-project.iam.gserviceaccount.com",
    read_allowlist=("sandbox-project.retail",),
    maximum_bytes_billed=10**9,
)
CODE = "api_connection_changed"


@pytest.fixture
def client() -> HttpClient:
    world = on_fakes(outcome="running", connections=(FINANCE, SANDBOX))
    ran_as: list[tuple[str, str]] = []
    run_ddl = world.warehouse.run_ddl

    def recording(connection: Connection, sql: str) -> None:
        ran_as.append((connection.id, sql))
        run_ddl(connection, sql)

    world.warehouse.run_ddl = recording  # type: ignore[method-assign]
    world.app.workflows.put("demo", "clusters", DEMO, "finance")
    world.app.workflows.enable_api("demo", "clusters")
    client = HttpClient(world, all_routes())
    client.ran_as = ran_as  # type: ignore[attr-defined]
    return client


def moved(client: HttpClient) -> str:
    token = client.token()
    answer = client.call("PUT", "/v1/workflows/clusters?connection=sandbox", token=token, body=DEMO)
    assert answer.status == 200, answer.body
    return token


def refused(answer: Any) -> None:
    assert answer.status == 409, answer.body
    assert answer.body["error"]["code"] == CODE, answer.body
    assert answer.body["error"]["field"] == "connection"


def test_execute_is_refused_on_every_surface_until_the_update(client: HttpClient) -> None:
    token = moved(client)
    finance_procedure = client.world.store.get_workflow("demo", "clusters").api.procedure  # type: ignore[union-attr]
    assert finance_procedure.startswith("finance-project.")
    execute = "/v1/workflows/clusters/executions"
    refused(client.call("POST", execute, token=token, body={"parameters": GOOD}))
    dry = {"parameters": GOOD, "dry_run": True}
    refused(client.call("POST", execute, token=token, body=dry))
    nexadata = "/api/v1/workflows/clusters/execute"
    refused(client.call("POST", nexadata, token=token, body={"parameters": GOOD}))
    query = f"CALL `{finance_procedure}`(@number_of_clusters, @buffer_radius, @store_type)"
    carto = {"query": query, "queryParameters": GOOD}
    refused(client.call("POST", "/v3/sql/finance/job", token=token, body=carto))
    on_sandbox = client.call("POST", "/v3/sql/sandbox/job", token=token, body=carto)
    assert on_sandbox.status == 404, on_sandbox.body  # not sandbox's procedure
    assert client.world.warehouse.submissions == 0
    assert client.world.store.executions == {} or not any(
        e.workflow_id == "clusters" for e in client.world.store.executions.values()
    )


def test_the_drift_view_shows_it(client: HttpClient) -> None:
    token = moved(client)
    state = client.call("GET", "/v1/workflows/clusters/api", token=token).body
    assert state["in_sync"] is False
    assert state["deployed_version"] == state["current_version"]  # only the connection moved
    assert (state["deployed_connection"], state["connection"]) == ("finance", "sandbox")


def test_the_update_moves_the_procedure_and_drops_the_old_one_as_its_owner(
    client: HttpClient,
) -> None:
    token = moved(client)
    old = client.world.store.get_workflow("demo", "clusters").api.procedure  # type: ignore[union-attr]
    state = client.call("PUT", "/v1/workflows/clusters/api", token=token).body
    assert state["in_sync"] is True
    assert state["deployed_connection"] == "sandbox"
    assert state["procedure"].startswith("sandbox-project.")
    ran_as = client.ran_as  # type: ignore[attr-defined]
    drops = [(conn, sql) for conn, sql in ran_as if "DROP PROCEDURE" in sql]
    assert [conn for conn, _ in drops] == ["finance"]
    assert old.split(".")[-1] in drops[0][1] and "`finance-project`" in drops[0][1]
    answer = client.call(
        "POST", "/v1/workflows/clusters/executions", token=token, body={"parameters": GOOD}
    )
    assert answer.status == 202, answer.body
    job = next(iter(client.world.warehouse.jobs.values()))
    assert "sandbox-project" in job.sql and "finance-project" not in job.sql
    assert job.maximum_bytes_billed == SANDBOX.maximum_bytes_billed


def test_disabling_after_a_move_drops_the_procedure_where_it_was_deployed(
    client: HttpClient,
) -> None:
    token = moved(client)
    answer = client.call("DELETE", "/v1/workflows/clusters/api", token=token)
    assert answer.status == 200, answer.body
    ran_as = client.ran_as  # type: ignore[attr-defined]
    assert [conn for conn, sql in ran_as if "DROP PROCEDURE" in sql] == ["finance"]


def test_a_state_written_before_the_connection_was_kept_reads_as_the_workflows() -> None:
    world = on_fakes(outcome="running", connections=(FINANCE, SANDBOX))
    world.app.workflows.put("demo", "clusters", DEMO, "finance")
    record = world.app.workflows.enable_api("demo", "clusters")
    assert record.api is not None and record.api.connection == "finance"
    older = dataclasses.replace(record, api=dataclasses.replace(record.api, connection=None))
    world.store.put_workflow(older)
    assert older.deployed_connection == "finance" and not older.connection_changed
    result = world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD))
    assert result.execution.connection == "finance"
    document = _api_to_doc(record.api)
    assert _api_from_doc(document).connection == "finance"
    del document["connection"]
    assert _api_from_doc(document).connection is None
