"""Every route answers as the served OpenAPI document says: documented status, valid body."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest
import requests

from devstack.cloud_scheduler_standin import local_invoker
from tests.e2e.conftest import OIDC_AUDIENCE
from tests.e2e.helpers import SEED_VALUES, Stack, execute, new_workflow
from tests.e2e.schedule_scenarios import SCHEDULE_SCENARIOS, concrete, make_schedule
from tests.support.oidc_issuer import Issuer
from workflows_api.domain.execution.numbers import execution_number
from workflows_api.http.openapi import openapi_path
from workflows_api.http.tables import all_routes

pytestmark = pytest.mark.e2e

Call = Callable[[requests.Session, Stack, dict[str, str]], requests.Response]


def _bearer(stack: Stack) -> dict[str, str]:
    return stack.headers()


# One valid request per route (route name -> call). ids: a workflow, a succeeded
# execution, a running-or-done one to cancel.
SCENARIOS: dict[str, Call] = {
    "GET /healthz": lambda http, stack, ids: http.get(stack.url("/healthz"), timeout=30),
    "GET /openapi.json": lambda http, stack, ids: http.get(stack.url("/openapi.json"), timeout=30),
    "GET /v1/orgs/current/limits": lambda http, stack, ids: http.get(
        stack.url("/v1/orgs/current/limits"), headers=_bearer(stack), timeout=30
    ),
    "GET /v1/workflows": lambda http, stack, ids: http.get(
        stack.url("/v1/workflows?page_size=2"), headers=_bearer(stack), timeout=30
    ),
    "PUT /v1/workflows/<workflow_id>": lambda http, stack, ids: http.put(
        stack.url(f"/v1/workflows/{ids['workflow']}"),
        json=http.get(
            stack.url(f"/v1/workflows/{ids['workflow']}"), headers=_bearer(stack), timeout=30
        ).json()["definition"],
        headers=_bearer(stack),
        timeout=30,
    ),
    "GET /v1/workflows/<workflow_id>": lambda http, stack, ids: http.get(
        stack.url(f"/v1/workflows/{ids['workflow']}"), headers=_bearer(stack), timeout=30
    ),
    "DELETE /v1/workflows/<workflow_id>": lambda http, stack, ids: http.delete(
        stack.url(f"/v1/workflows/{ids['disposable']}"), headers=_bearer(stack), timeout=60
    ),
    "GET /v1/workflows/<workflow_id>/sql": lambda http, stack, ids: http.get(
        stack.url(f"/v1/workflows/{ids['workflow']}/sql"), headers=_bearer(stack), timeout=30
    ),
    "POST /v1/workflows/<workflow_id>/api": lambda http, stack, ids: http.post(
        stack.url(f"/v1/workflows/{ids['workflow']}/api"), headers=_bearer(stack), timeout=60
    ),
    "GET /v1/workflows/<workflow_id>/api": lambda http, stack, ids: http.get(
        stack.url(f"/v1/workflows/{ids['workflow']}/api"), headers=_bearer(stack), timeout=30
    ),
    "PUT /v1/workflows/<workflow_id>/api": lambda http, stack, ids: http.put(
        stack.url(f"/v1/workflows/{ids['workflow']}/api"), headers=_bearer(stack), timeout=60
    ),
    "DELETE /v1/workflows/<workflow_id>/api": lambda http, stack, ids: http.delete(
        stack.url(f"/v1/workflows/{ids['to_disable']}/api"), headers=_bearer(stack), timeout=60
    ),
    "PUT /v1/workflows/<workflow_id>/webhooks": lambda http, stack, ids: http.put(
        stack.url(f"/v1/workflows/{ids['workflow']}/webhooks"),
        json={"urls": ["https://hooks.example.com/workflows"]},
        headers=_bearer(stack),
        timeout=30,
    ),
    "GET /v1/workflows/<workflow_id>/webhooks": lambda http, stack, ids: http.get(
        stack.url(f"/v1/workflows/{ids['workflow']}/webhooks"), headers=_bearer(stack), timeout=30
    ),
    "DELETE /v1/workflows/<workflow_id>/webhooks": lambda http, stack, ids: http.delete(
        stack.url(f"/v1/workflows/{ids['workflow']}/webhooks"), headers=_bearer(stack), timeout=30
    ),
    "POST /v1/workflows/<workflow_id>/executions": lambda http, stack, ids: execute(
        http, stack, ids["workflow"], {**SEED_VALUES, "number_of_clusters": 4}
    ),
    "GET /v1/workflows/<workflow_id>/executions": lambda http, stack, ids: http.get(
        stack.url(f"/v1/workflows/{ids['workflow']}/executions"), headers=_bearer(stack), timeout=30
    ),
    "GET /v1/executions/<execution_id>": lambda http, stack, ids: http.get(
        stack.url(f"/v1/executions/{ids['execution']}"), headers=_bearer(stack), timeout=30
    ),
    "POST /v1/executions/<execution_id>/cancel": lambda http, stack, ids: http.post(
        stack.url(f"/v1/executions/{ids['execution']}/cancel"), headers=_bearer(stack), timeout=30
    ),
    "GET /v1/executions/<execution_id>/results": lambda http, stack, ids: http.get(
        stack.url(f"/v1/executions/{ids['execution']}/results?page_size=2"),
        headers=_bearer(stack),
        timeout=60,
    ),
    "POST /v3/sql/<connection>/job": lambda http, stack, ids: http.post(
        stack.url("/v3/sql/local/job"),
        json={"query": ids["call"], "queryParameters": SEED_VALUES},
        headers=_bearer(stack),
        timeout=120,
    ),
    "GET /v3/sql/<connection>/job": lambda http, stack, ids: http.get(
        stack.url("/v3/sql/local/job"),
        params={
            "query": ids["call"],
            "queryParameters": json.dumps(SEED_VALUES),
            "access_token": stack.token,
        },
        timeout=120,
    ),
    "GET /v3/sql/<connection>/job/<external_id>": lambda http, stack, ids: http.get(
        stack.url(f"/v3/sql/local/job/job_{ids['execution']}"), headers=_bearer(stack), timeout=30
    ),
    "DELETE /v3/sql/<connection>/job/<external_id>": lambda http, stack, ids: http.delete(
        stack.url(f"/v3/sql/local/job/job_{ids['execution']}"), headers=_bearer(stack), timeout=30
    ),
    "GET /v3/sql/jobs": lambda http, stack, ids: http.get(
        stack.url("/v3/sql/jobs?page_size=2"), headers=_bearer(stack), timeout=30
    ),
    "POST /api/v1/workflows/<workflow_id>/execute": lambda http, stack, ids: http.post(
        stack.url(f"/api/v1/workflows/{ids['workflow']}/execute"),
        json={"parameters": SEED_VALUES},
        headers=_bearer(stack),
        timeout=120,
    ),
    "GET /api/v1/workflows/executions/<nexadata_execution_id>": lambda http, stack, ids: http.get(
        stack.url(f"/api/v1/workflows/executions/{execution_number(ids['execution'])}"),
        headers=_bearer(stack),
        timeout=30,
    ),
    "GET /api/v1/pipelines/<path:rest>": lambda http, stack, ids: http.get(
        stack.url("/api/v1/pipelines/executions/1"), headers=_bearer(stack), timeout=30
    ),
    "POST /api/v1/pipelines/<path:rest>": lambda http, stack, ids: http.post(
        stack.url("/api/v1/pipelines/1/execute"), headers=_bearer(stack), timeout=30
    ),
    **SCHEDULE_SCENARIOS,
    "GET /console/": lambda http, stack, ids: http.get(stack.url("/console/"), timeout=30),
    "GET /console/assets/<asset>": lambda http, stack, ids: http.get(
        stack.url(_console_script(http, stack)), timeout=30
    ),
}


def _console_script(http: requests.Session, stack: Stack) -> str:
    """The path of the script the console's page names (a content-hashed file)."""
    page = http.get(stack.url("/console/"), timeout=30).text
    found = re.search(r'src="(/console/assets/[^"]+)"', page)
    assert found is not None, page
    return found[1]


def validate_answer(
    document: dict[str, Any], method: str, path: str, response: requests.Response
) -> None:
    operation = document["paths"][openapi_path(path)][method.lower()]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (
        method,
        path,
        response.status_code,
        response.text,
    )
    content = documented[str(response.status_code)].get("content")
    if content is None:
        assert not response.content
        return
    media_type = response.headers["Content-Type"].split(";")[0]
    if media_type != "application/json":  # the console's files: a documented text type
        assert media_type in content, (method, path, media_type)
        return
    assert response.headers["Content-Type"].startswith("application/json")
    schema = {**content["application/json"]["schema"], "components": document["components"]}
    jsonschema.validate(response.json(), schema, cls=jsonschema.Draft202012Validator)


@pytest.fixture(scope="module")
def ids(http: requests.Session, stack: Stack, oidc_issuer: tuple[Issuer, str]) -> dict[str, str]:
    workflow = new_workflow(http, stack)
    done = execute(http, stack, workflow, SEED_VALUES, wait_seconds=60).json()
    procedure = http.get(
        stack.url(f"/v1/workflows/{workflow}/api"), headers=stack.headers(), timeout=30
    ).json()["procedure"]
    return {
        "workflow": workflow,
        "disposable": new_workflow(http, stack, enable=False),
        "to_disable": new_workflow(http, stack),
        "execution": done["id"],
        "call": f"CALL `{procedure}`(@number_of_clusters,@buffer_radius,@store_type)",
        "schedule": make_schedule(http, stack, workflow),
        "disposable_schedule": make_schedule(http, stack, workflow),
        "invoker_token": oidc_issuer[0].token(
            email=local_invoker(stack.settings.project), audience=OIDC_AUDIENCE
        ),
    }


def test_the_served_document_is_the_generated_one(http: requests.Session, stack: Stack) -> None:
    from workflows_api.http.openapi import openapi_document

    served = http.get(stack.url("/openapi.json"), timeout=30)
    assert served.status_code == 200
    assert served.json() == openapi_document(all_routes())


def test_every_route_has_a_scenario() -> None:
    assert {route.name for route in all_routes()} == set(SCENARIOS)


@pytest.mark.parametrize("route", all_routes(), ids=lambda r: r.name)
def test_route_answers_as_documented(
    http: requests.Session, stack: Stack, ids: dict[str, str], route: Any
) -> None:
    document = http.get(stack.url("/openapi.json"), timeout=30).json()
    response = SCENARIOS[route.name](http, stack, ids)
    validate_answer(document, route.method, route.path, response)
    # Documented errors carry the documented error body too.
    if response.status_code < 400:
        unauthenticated = http.request(
            route.method, stack.url(_concrete(route.path, ids)), timeout=30
        )
        if route.auth != "none":
            assert unauthenticated.status_code == 401
            validate_answer(document, route.method, route.path, unauthenticated)


def _concrete(path: str, ids: dict[str, str]) -> str:
    return (
        concrete(path, ids)
        .replace("<workflow_id>", ids["workflow"])
        .replace("<execution_id>", ids["execution"])
        .replace("<connection>", "local")
        .replace("<external_id>", f"job_{ids['execution']}")
        .replace("<path:rest>", "1/execute")
    )
