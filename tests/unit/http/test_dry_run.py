"""`"dry_run": true` on execute: BigQuery's estimate of the run, nothing run or recorded."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.apps import DEMO, DEMO_CONNECTION, GOOD, on_fakes, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.domain.access.tokens import Grant
from workflows_api.http.tables import all_routes

PATH = "/v1/workflows/clusters/executions"


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(with_demo_workflow(), all_routes())


def test_a_dry_run_answers_the_estimate_of_the_very_call_a_run_would_make(
    client: HttpClient,
) -> None:
    client.world.warehouse.estimated_bytes = 188416
    answer = client.call(
        "POST", PATH, token=client.token(), body={"parameters": GOOD, "dry_run": True}
    )
    assert answer.status == 200, answer.body
    assert answer.body == {
        "dry_run": True,
        "workflow_id": "clusters",
        "parameters": {
            "number_of_clusters": 2,
            "buffer_radius": 500.0,
            "store_type": "Supermarket",
        },
        "estimated_bytes_processed": 188416,
        "maximum_bytes_billed": None,
    }
    ((sql, arguments),) = client.world.warehouse.queries
    assert sql.startswith("CALL `demo-project`.`wfapi_demo`.`wfproc_clusters_")
    assert [a.name for a in arguments] == [
        "number_of_clusters",
        "buffer_radius",
        "store_type",
        "wfapi_output_table",
    ]


def test_a_dry_run_writes_nothing_and_submits_no_job(client: HttpClient) -> None:
    token = client.token()
    client.call(
        "POST",
        PATH,
        token=token,
        body={"parameters": GOOD, "dry_run": True},
        headers={"Idempotency-Key": "k-1"},
    )
    assert client.world.store.executions == {}
    assert client.world.warehouse.jobs == {}
    assert client.world.warehouse.submissions == 0
    # The key was not taken: a real run with it afterwards runs.
    real = client.call(
        "POST", PATH, token=token, body={"parameters": GOOD}, headers={"Idempotency-Key": "k-1"}
    )
    assert real.status == 202 and len(client.world.warehouse.jobs) == 1


def test_a_dry_run_is_refused_like_a_run(client: HttpClient) -> None:
    bad = client.call(
        "POST",
        PATH,
        token=client.token(),
        body={"parameters": {**GOOD, "number_of_clusters": "many"}, "dry_run": True},
    )
    assert bad.status == 400 and client.world.warehouse.queries == []
    read_only = client.token(grants=(Grant.EXECUTIONS_READ,))
    denied = client.call("POST", PATH, token=read_only, body={"parameters": GOOD, "dry_run": True})
    assert denied.status == 403 and client.world.warehouse.queries == []
    unauthenticated = client.call("POST", PATH, body={"parameters": GOOD, "dry_run": True})
    assert unauthenticated.status == 401


def test_dry_run_must_be_a_boolean(client: HttpClient) -> None:
    answer = client.call(
        "POST", PATH, token=client.token(), body={"parameters": GOOD, "dry_run": "yes"}
    )
    assert answer.status == 400 and answer.body["error"]["field"] == "dry_run"
    assert client.world.warehouse.jobs == {}


def test_the_estimate_names_the_cap_the_run_would_have() -> None:
    connection = replace(DEMO_CONNECTION, maximum_bytes_billed=20_000_000)
    world = on_fakes(connections=(connection,))
    world.app.workflows.put(
        "demo", "clusters", {**DEMO, "settings": {"maximum_bytes_billed": 50_000_000}}
    )
    world.app.workflows.enable_api("demo", "clusters")
    client = HttpClient(world, all_routes())
    answer = client.call(
        "POST", PATH, token=client.token(), body={"parameters": GOOD, "dry_run": True}
    )
    assert answer.body["maximum_bytes_billed"] == 20_000_000
