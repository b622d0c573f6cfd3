"""Nexadata's "Executing Workflows via the Nexadata API" over HTTP: execute, then poll."""

from __future__ import annotations

import copy
import re
import time
from typing import Any

import pytest
import requests

from tests.e2e.helpers import BROKEN_DEFINITION, DEMO_DEFINITION, Stack, execution_ids, new_workflow
from workflows_api.domain.execution.numbers import execution_number

pytestmark = pytest.mark.e2e

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
EXECUTE_KEYS = {
    "id",
    "workflow_id",
    "state",
    "created_at",
    "start_at",
    "end_at",
    "errors",
    "warnings",
}


def with_defaults() -> dict[str, Any]:
    """The demo with a default for every parameter, so a bodiless execute can run it."""
    definition = copy.deepcopy(DEMO_DEFINITION)
    defaults = {"number_of_clusters": 3, "buffer_radius": 300, "store_type": "Convenience"}
    for parameter in definition["parameters"]:
        parameter["default"] = defaults[parameter["name"]]
    return definition


def poll(http: requests.Session, stack: Stack, execution_id: str) -> dict[str, Any]:
    """As the seed says: poll until succeeded or failed."""
    deadline = time.monotonic() + 180
    while True:
        response = http.get(
            stack.url(f"/api/v1/workflows/executions/{execution_id}"),
            headers={"Authorization": f"Bearer {stack.token}"},
            timeout=120,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["state"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def test_seed_execute_then_poll_to_succeeded(http: requests.Session, stack: Stack) -> None:
    workflow_id = new_workflow(http, stack, with_defaults())
    # The seed's curl: POST, bearer token, JSON content type, no body.
    response = http.post(
        stack.url(f"/api/v1/workflows/{workflow_id}/execute"),
        headers={"Authorization": f"Bearer {stack.token}", "Content-Type": "application/json"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert set(created) == EXECUTE_KEYS
    assert created["state"] == "created"
    assert created["workflow_id"] == workflow_id
    assert TIMESTAMP.match(created["created_at"])
    assert (created["start_at"], created["end_at"]) == (None, None)
    assert created["errors"] == [] and created["warnings"] == []

    done = poll(http, stack, created["id"])
    assert set(done) == EXECUTE_KEYS
    assert done["state"] == "succeeded", done
    assert done["id"] == created["id"] and done["workflow_id"] == workflow_id
    assert TIMESTAMP.match(done["start_at"]) and TIMESTAMP.match(done["end_at"])
    assert done["start_at"] <= done["end_at"]
    assert done["errors"] == [] and done["warnings"] == []
    [native] = http.get(
        stack.url(f"/v1/workflows/{workflow_id}/executions"), headers=stack.headers(), timeout=60
    ).json()["executions"]
    assert execution_number(native["id"]) == created["id"]  # the number of the native id
    assert native["parameters"] == {
        "number_of_clusters": 3,
        "buffer_radius": 300.0,
        "store_type": "Convenience",
    }


def test_execute_with_parameters_answers_created_even_when_cached(
    http: requests.Session, stack: Stack
) -> None:
    url = stack.url(f"/api/v1/workflows/{stack.info['workflow_id']}/execute")
    body = {"parameters": {"number_of_clusters": 5, "buffer_radius": 120, "store_type": "Organic"}}
    first = http.post(url, json=body, headers=stack.headers(), timeout=120)
    assert first.status_code == 200, first.text
    assert first.json()["state"] == "created"
    assert poll(http, stack, first.json()["id"])["state"] == "succeeded"
    again = http.post(url, json=body, headers=stack.headers(), timeout=120)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]  # the same run (cache)
    assert again.json()["state"] == "created"  # Nexadata's contract: queued, poll for more


def test_a_failing_workflow_reads_failed_with_bigquerys_error(
    http: requests.Session, stack: Stack
) -> None:
    workflow_id = new_workflow(http, stack, BROKEN_DEFINITION)
    response = http.post(
        stack.url(f"/api/v1/workflows/{workflow_id}/execute"), headers=stack.headers(), timeout=120
    )
    assert response.status_code == 200, response.text
    done = poll(http, stack, response.json()["id"])
    assert done["state"] == "failed"
    assert done["end_at"] is not None
    [error] = done["errors"]
    assert set(error) == {"reason", "location", "message"}
    assert "no_such_table" in error["message"]


def test_bad_input_is_refused_and_writes_nothing(http: requests.Session, stack: Stack) -> None:
    url = stack.url(f"/api/v1/workflows/{stack.info['workflow_id']}/execute")
    before = execution_ids(stack)
    missing = http.post(url, headers=stack.headers(), timeout=60)  # the demo has no defaults
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "invalid_parameters"
    wrong_type = http.post(
        url,
        json={"parameters": {"number_of_clusters": "2", "buffer_radius": 5, "store_type": "x"}},
        headers=stack.headers(),
        timeout=60,
    )
    assert wrong_type.status_code == 400
    assert "number_of_clusters: expected INT64" in wrong_type.json()["error"]["message"]
    unknown_field = http.post(url, json={"params": {}}, headers=stack.headers(), timeout=60)
    assert unknown_field.status_code == 400
    assert unknown_field.json()["error"]["code"] == "invalid_request"
    assert execution_ids(stack) == before


def test_another_orgs_token_gets_404_on_both_routes(http: requests.Session, stack: Stack) -> None:
    other = {"Authorization": f"Bearer {stack.info['other_org_token']}"}
    workflow_id = new_workflow(http, stack, with_defaults())
    created = http.post(
        stack.url(f"/api/v1/workflows/{workflow_id}/execute"), headers=stack.headers(), timeout=120
    ).json()
    before, before_other = execution_ids(stack), execution_ids(stack, "other")
    execute = http.post(
        stack.url(f"/api/v1/workflows/{workflow_id}/execute"), headers=other, timeout=60
    )
    assert execute.status_code == 404
    assert execute.json()["error"]["code"] == "workflow_not_found"
    status = http.get(
        stack.url(f"/api/v1/workflows/executions/{created['id']}"), headers=other, timeout=60
    )
    assert status.status_code == 404
    assert status.json()["error"]["code"] == "execution_not_found"
    assert execution_ids(stack) == before
    assert execution_ids(stack, "other") == before_other  # org other runs its own (e2e)


def test_missing_token_is_401(http: requests.Session, stack: Stack) -> None:
    response = http.post(
        stack.url(f"/api/v1/workflows/{stack.info['workflow_id']}/execute"), timeout=60
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", ["/api/v1/pipelines/29/execute", "/api/v1/pipelines/170"])
def test_the_retired_pipeline_endpoint_is_404_with_a_pointer(
    http: requests.Session, stack: Stack, method: str, path: str
) -> None:
    response = http.request(method, stack.url(path), headers=stack.headers(), timeout=30)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "endpoint_retired"
    assert "POST /api/v1/workflows/{id}/execute" in error["message"]
    assert "GET /api/v1/workflows/executions/{id}" in error["message"]


def test_a_body_without_content_type_is_refused_not_dropped(
    http: requests.Session, stack: Stack
) -> None:
    response = http.post(
        stack.url(f"/api/v1/workflows/{stack.info['workflow_id']}/execute"),
        data=b'{"parameters": {"number_of_clusters": 2}}',
        headers={**stack.headers(), "Content-Type": ""},
        timeout=60,
    )
    assert response.status_code == 415, response.text
