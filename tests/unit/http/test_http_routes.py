"""Every route of the routing table, through the dispatcher, on fakes: one success case
per route (a test checks none is missing), and per family the auth refusals (401,
403, 404) and a bad input (4xx), each in the envelope its route chose."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest

from tests.support.apps import DEMO, GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from tests.unit.http.schedule_route_cases import SCHEDULE_CASES, verifier
from workflows_api.domain.execution.calls import format_call
from workflows_api.domain.execution.numbers import execution_number
from workflows_api.domain.execution.results import Column
from workflows_api.http.tables import all_routes

NAMES = list(GOOD)
WORKFLOW = "/v1/workflows/<workflow_id>"
EXECUTION = "/v1/executions/<execution_id>"
CARTO_JOBS = "/v3/sql/<connection>/job"

Case = Callable[[HttpClient], None]
ROUTE_CASES: dict[str, Case] = dict(SCHEDULE_CASES)


def case(name: str) -> Callable[[Case], Case]:
    def register(run: Case) -> Case:
        ROUTE_CASES[name] = run
        return run

    return register


@pytest.fixture
def client() -> HttpClient:
    # An ID-token verifier for Cloud Scheduler's fires (schedule_route_cases.py).
    world = with_demo_workflow(id_token_verifier=verifier(), now=dt.datetime.now(dt.UTC))
    return HttpClient(world, all_routes())


def execute(client: HttpClient, token: str) -> str:
    answer = client.call(
        "POST", "/v1/workflows/clusters/executions", token=token, body={"parameters": GOOD}
    )
    assert answer.status in (200, 202), answer.body  # 200: it ended at once
    return str(answer.body["id"])


def procedure(client: HttpClient) -> str:
    api = client.world.app.workflows.get("demo", "clusters").api
    assert api is not None
    return api.procedure


def carto_query(client: HttpClient) -> str:
    return format_call(procedure(client), NAMES)


# --- service ------------------------------------------------------------------------


@case("GET /healthz")
def _healthz(client: HttpClient) -> None:
    answer = client.call("GET", "/healthz")
    assert (answer.status, answer.body["status"]) == (200, "ok")


@case("GET /openapi.json")
def _openapi(client: HttpClient) -> None:
    answer = client.call("GET", "/openapi.json")
    assert answer.status == 200 and answer.body["openapi"] == "3.1.0"
    assert "/v1/workflows/{workflow_id}/executions" in answer.body["paths"]


# --- workflows (api_access) ---------------------------------------------------------


@case("GET /v1/workflows")
def _list_workflows(client: HttpClient) -> None:
    answer = client.call("GET", "/v1/workflows", token=client.token())
    assert answer.status == 200
    assert [w["id"] for w in answer.body["workflows"]] == ["clusters"]


@case(f"PUT {WORKFLOW}")
def _put_workflow(client: HttpClient) -> None:
    answer = client.call("PUT", "/v1/workflows/fresh", token=client.token(), body=DEMO)
    assert (answer.status, answer.body["id"]) == (201, "fresh")
    assert client.world.store.get_workflow("demo", "fresh") is not None


@case(f"GET {WORKFLOW}")
def _get_workflow(client: HttpClient) -> None:
    answer = client.call("GET", "/v1/workflows/clusters", token=client.token())
    assert (answer.status, answer.body["id"], answer.body["api_enabled"]) == (
        200,
        "clusters",
        True,
    )


@case(f"DELETE {WORKFLOW}")
def _delete_workflow(client: HttpClient) -> None:
    answer = client.call("DELETE", "/v1/workflows/clusters", token=client.token())
    assert answer.status == 204
    assert client.world.store.get_workflow("demo", "clusters") is None


@case(f"GET {WORKFLOW}/sql")
def _get_sql(client: HttpClient) -> None:
    answer = client.call("GET", "/v1/workflows/clusters/sql", token=client.token())
    assert answer.status == 200 and "PROCEDURE" in answer.body["sql"]
    assert [a["name"] for a in answer.body["arguments"]][: len(NAMES)] == [
        f"wfparam_{name}" for name in NAMES
    ]


@case(f"POST {WORKFLOW}/api")
def _enable_api(client: HttpClient) -> None:
    token = client.token()
    client.call("PUT", "/v1/workflows/fresh", token=token, body=DEMO)
    answer = client.call("POST", "/v1/workflows/fresh/api", token=token)
    assert (answer.status, answer.body["enabled"]) == (200, True)


@case(f"GET {WORKFLOW}/api")
def _get_api(client: HttpClient) -> None:
    answer = client.call("GET", "/v1/workflows/clusters/api", token=client.token())
    assert (answer.status, answer.body["enabled"], answer.body["in_sync"]) == (200, True, True)


@case(f"PUT {WORKFLOW}/api")
def _update_api(client: HttpClient) -> None:
    token = client.token()
    changed = {**DEMO, "settings": {"output_expiration_days": 7}}
    client.call("PUT", "/v1/workflows/clusters", token=token, body=changed)
    answer = client.call("PUT", "/v1/workflows/clusters/api", token=token)
    assert (answer.status, answer.body["in_sync"]) == (200, True)


@case(f"DELETE {WORKFLOW}/api")
def _disable_api(client: HttpClient) -> None:
    answer = client.call("DELETE", "/v1/workflows/clusters/api", token=client.token())
    assert (answer.status, answer.body["enabled"]) == (200, False)


@case(f"PUT {WORKFLOW}/webhooks")
def _put_webhooks(client: HttpClient) -> None:
    urls = ["https://hooks.example.com/a"]
    answer = client.call(
        "PUT", "/v1/workflows/clusters/webhooks", token=client.token(), body={"urls": urls}
    )
    assert answer.status == 200 and answer.body["urls"] == urls
    assert str(answer.body["secret"]).startswith("whsec_")


@case(f"GET {WORKFLOW}/webhooks")
def _get_webhooks(client: HttpClient) -> None:
    client.world.app.webhooks.configure("demo", "clusters", ["https://hooks.example.com/a"])
    answer = client.call("GET", "/v1/workflows/clusters/webhooks", token=client.token())
    assert (answer.status, answer.body["urls"]) == (200, ["https://hooks.example.com/a"])
    assert answer.body.get("secret") is None  # shown once, when made


@case(f"DELETE {WORKFLOW}/webhooks")
def _delete_webhooks(client: HttpClient) -> None:
    client.world.app.webhooks.configure("demo", "clusters", ["https://hooks.example.com/a"])
    answer = client.call("DELETE", "/v1/workflows/clusters/webhooks", token=client.token())
    assert answer.status == 204
    assert client.world.app.webhooks.get("demo", "clusters").urls == ()


# --- executions (native) ------------------------------------------------------------


@case(f"POST {WORKFLOW}/executions")
def _execute(client: HttpClient) -> None:
    answer = client.call(
        "POST", "/v1/workflows/clusters/executions", token=client.token(), body={"parameters": GOOD}
    )
    assert (answer.status, answer.body["state"], answer.body["cached"]) == (202, "running", False)
    assert answer.headers["Location"] == f"/v1/executions/{answer.body['id']}"
    assert len(client.world.warehouse.jobs) == 1


@case(f"GET {WORKFLOW}/executions")
def _list_executions(client: HttpClient) -> None:
    token = client.token()
    execution_id = execute(client, token)
    answer = client.call("GET", "/v1/workflows/clusters/executions", token=token)
    assert answer.status == 200
    assert [e["id"] for e in answer.body["executions"]] == [execution_id]


@case("GET /v1/orgs/current/limits")
def _limits(client: HttpClient) -> None:
    execute(client, client.token())
    answer = client.call("GET", "/v1/orgs/current/limits", token=client.token())
    assert answer.status == 200
    assert (answer.body["max_concurrent"], answer.body["submitted"]) == (20, 1)
    assert answer.body["submitted_by_workflow"] == {"clusters": 1}


@case(f"GET {EXECUTION}")
def _get_execution(client: HttpClient) -> None:
    token = client.token()
    execution_id = execute(client, token)
    answer = client.call("GET", f"/v1/executions/{execution_id}", token=token)
    assert (answer.status, answer.body["id"], answer.body["state"]) == (
        200,
        execution_id,
        "running",
    )


@case(f"POST {EXECUTION}/cancel")
def _cancel(client: HttpClient) -> None:
    token = client.token()
    execution_id = execute(client, token)
    answer = client.call("POST", f"/v1/executions/{execution_id}/cancel", token=token)
    assert (answer.status, answer.body["state"]) == (200, "cancelled")
    again = client.call("POST", f"/v1/executions/{execution_id}/cancel", token=token)
    assert (again.status, again.body["error"]["code"]) == (409, "execution_finished")


@case(f"GET {EXECUTION}/results")
def _results(client: HttpClient) -> None:
    token = client.token()
    client.world.warehouse.columns = [Column("id", "INTEGER")]
    client.world.warehouse.rows = [{"id": 1}, {"id": 2}]
    client.world.warehouse.outcome = "succeeded"
    execution_id = execute(client, token)
    answer = client.call("GET", f"/v1/executions/{execution_id}/results", token=token)
    assert answer.status == 200, answer.body
    assert answer.body["rows"] == [{"id": 1}, {"id": 2}]
    assert answer.body["schema"] == [{"name": "id", "type": "INTEGER", "mode": "NULLABLE"}]


# --- CARTO --------------------------------------------------------------------------


@case(f"POST {CARTO_JOBS}")
def _carto_post(client: HttpClient) -> None:
    body = {"query": carto_query(client), "queryParameters": GOOD}
    answer = client.call("POST", "/v3/sql/local/job", token=client.token(), body=body)
    assert answer.status == 200, answer.body
    assert str(answer.body["externalId"]).startswith("job_")
    assert answer.body["query"] == body["query"] and answer.body["status"]["state"] == "RUNNING"


@case(f"GET {CARTO_JOBS}")
def _carto_get(client: HttpClient) -> None:
    query = {
        "query": carto_query(client),
        "queryParameters": '{"number_of_clusters": 2, "buffer_radius": 500, '
        '"store_type": "Supermarket"}',
        "access_token": client.token(),
    }
    answer = client.call("GET", "/v3/sql/local/job", query=query)
    assert answer.status == 200, answer.body
    assert answer.body["connectionId"] == "local"


@case(f"GET {CARTO_JOBS}/<external_id>")
def _carto_job(client: HttpClient) -> None:
    token = client.token()
    execution_id = execute(client, token)
    answer = client.call("GET", f"/v3/sql/local/job/job_{execution_id}", token=token)
    assert (answer.status, answer.body["externalId"]) == (200, f"job_{execution_id}")
    assert answer.body["query"] == carto_query(client)


@case(f"DELETE {CARTO_JOBS}/<external_id>")
def _carto_cancel(client: HttpClient) -> None:
    token = client.token()
    execution_id = execute(client, token)
    answer = client.call("DELETE", f"/v3/sql/local/job/job_{execution_id}", token=token)
    assert (answer.status, answer.body["externalId"]) == (200, f"job_{execution_id}")
    assert answer.body["status"]["state"] == "DONE"
    assert answer.body["status"]["errorResult"]["reason"] == "stopped"
    stored = client.world.app.queries.stored("demo", execution_id)
    assert stored.state.value == "cancelled"
    again = client.call("DELETE", f"/v3/sql/local/job/job_{execution_id}", token=token)
    assert (again.status, again.body["error"]["code"]) == (409, "execution_finished")
    assert again.body["status"]["state"] == "DONE"  # CARTO's refusal envelope


@case("GET /v3/sql/jobs")
def _carto_jobs(client: HttpClient) -> None:
    token = client.token()
    older = execute(client, token)
    client.world.clock.advance(1)
    newer = client.call(
        "POST",
        "/v1/workflows/clusters/executions",
        token=token,
        body={"parameters": {**GOOD, "number_of_clusters": 3}},
    ).body["id"]
    first = client.call("GET", "/v3/sql/jobs", query={"page_size": "1", "access_token": token})
    assert first.status == 200, first.body
    assert [j["externalId"] for j in first.body["jobs"]] == [f"job_{newer}"]
    assert first.body["jobs"][0]["connectionId"] == "local"
    rest = client.call(
        "GET", "/v3/sql/jobs", token=token, query={"page_token": first.body["next_page_token"]}
    )
    assert [j["externalId"] for j in rest.body["jobs"]] == [f"job_{older}"]
    assert rest.body["next_page_token"] is None


# --- Nexadata -----------------------------------------------------------------------


@case("POST /api/v1/workflows/<workflow_id>/execute")
def _nexadata_execute(client: HttpClient) -> None:
    answer = client.call(
        "POST",
        "/api/v1/workflows/clusters/execute",
        token=client.token(),
        body={"parameters": GOOD},
    )
    assert (answer.status, answer.body["state"], answer.body["errors"]) == (200, "created", [])


@case("GET /api/v1/workflows/executions/<nexadata_execution_id>")
def _nexadata_get(client: HttpClient) -> None:
    token = client.token()
    execution_id = execute(client, token)
    number = execution_number(execution_id)
    for reference in (number, execution_id):  # its number, or its id (links before numbers)
        answer = client.call("GET", f"/api/v1/workflows/executions/{reference}", token=token)
        assert (answer.status, answer.body["state"], answer.body["id"]) == (200, "running", number)


@case("GET /api/v1/pipelines/<path:rest>")
def _retired_get(client: HttpClient) -> None:
    answer = client.call("GET", "/api/v1/pipelines/abc/status")
    assert (answer.status, answer.body["error"]["code"]) == (404, "endpoint_retired")


@case("POST /api/v1/pipelines/<path:rest>")
def _retired_post(client: HttpClient) -> None:
    answer = client.call("POST", "/api/v1/pipelines/abc/execute", body={})
    assert (answer.status, answer.body["error"]["code"]) == (404, "endpoint_retired")


# --- console (status) --------------------------------------------------------------


@case("GET /console/")
def _console(client: HttpClient) -> None:
    answer = client.call("GET", "/console/")
    assert answer.status == 200 and b'<div id="app">' in answer.body
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]


@case("GET /console/assets/<asset>")
def _console_asset(client: HttpClient) -> None:
    page = client.call("GET", "/console/").body
    script = re.search(rb'src="/console/assets/([^"]+)"', page)
    assert script is not None
    answer = client.call("GET", f"/console/assets/{script[1].decode()}")
    assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/javascript")
    missing = client.call("GET", "/console/assets/main-00000000.js")
    assert (missing.status, missing.body["error"]["code"]) == (404, "asset_not_found")


def test_every_route_in_the_table_has_a_case() -> None:
    assert set(ROUTE_CASES) == {route.name for route in all_routes()}


@pytest.mark.parametrize("name", sorted(ROUTE_CASES))
def test_route_answers(name: str, client: HttpClient) -> None:
    ROUTE_CASES[name](client)
    assert name in client.hit  # the request reached the route it is the case of
