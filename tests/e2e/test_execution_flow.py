"""The demo workflow end to end over HTTP: execute, poll, read the output table; cache."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from google.cloud import bigquery

from devstack.seed import generate_stores
from tests.e2e.helpers import (
    BROKEN_DEFINITION,
    SEED_VALUES,
    Stack,
    execute,
    execution_ids,
    new_workflow,
    poll,
)

pytestmark = pytest.mark.e2e


def supermarkets() -> int:
    return sum(store.store_type == "Supermarket" for store in generate_stores())


def test_demo_workflow_runs_to_succeeded_and_fills_its_output_table(
    http: requests.Session, stack: Stack, bq_client: bigquery.Client
) -> None:
    response = execute(http, stack, stack.info["workflow_id"], SEED_VALUES)
    assert response.status_code in (200, 202), response.text
    started = response.json()
    assert started["state"] in ("created", "running", "succeeded")
    dataset = stack.info["dataset"]
    assert started["output_table"].startswith(f"{stack.settings.project}.{dataset}.wfproc_")
    assert response.headers["Location"] == f"/v1/executions/{started['id']}"

    done = poll(http, stack, started["id"])
    assert done["state"] == "succeeded", done
    assert done["started_at"] and done["ended_at"] and done["created_at"]
    assert done["bigquery_job_id"] == f"wfapi_exec_{started['id']}"
    assert done["error"] is None
    assert done["cached"] is False  # it ran its own job
    assert done["parameters"] == {
        "number_of_clusters": 2,
        "buffer_radius": 500.0,
        "store_type": "Supermarket",
    }
    rows = list(
        bq_client.query(
            "SELECT COUNT(*) AS n, COUNT(DISTINCT cluster) AS clusters "
            f"FROM `{done['output_table']}`"
        ).result()
    )
    assert rows[0]["n"] == supermarkets()
    assert rows[0]["clusters"] == 2


def test_identical_request_reuses_the_execution_and_cache_off_runs_anew(
    http: requests.Session, stack: Stack
) -> None:
    workflow_id = new_workflow(http, stack)
    values = {**SEED_VALUES, "store_type": "Organic"}
    first = execute(http, stack, workflow_id, values, wait_seconds=60).json()
    assert first["state"] == "succeeded", first
    before = execution_ids(stack)

    again = execute(http, stack, workflow_id, values)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["cached"] is True
    assert again.json()["output_table"] == first["output_table"]
    assert execution_ids(stack) == before  # no new record, so no new job

    fresh = execute(http, stack, workflow_id, values, cache=False, wait_seconds=60).json()
    assert fresh["id"] != first["id"] and fresh["cached"] is False
    assert fresh["bigquery_job_id"] != first["bigquery_job_id"]
    assert fresh["output_table"] != first["output_table"]
    assert fresh["state"] == "succeeded", fresh


def test_fifty_concurrent_identical_requests_make_one_execution(
    http: requests.Session, stack: Stack
) -> None:
    workflow_id = new_workflow(http, stack)
    values = {**SEED_VALUES, "store_type": "Discount"}
    before = execution_ids(stack)

    def one(_: int) -> dict[str, object]:
        with requests.Session() as session:
            response = execute(session, stack, workflow_id, values)
            assert response.status_code in (200, 202), response.text
            return dict(response.json())

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(one, range(50)))
    assert len({a["id"] for a in answers}) == 1
    assert len({a["bigquery_job_id"] for a in answers}) == 1
    assert sum(a["cached"] is False for a in answers) == 1
    assert execution_ids(stack) - before == {answers[0]["id"]}
    assert poll(http, stack, str(answers[0]["id"]))["state"] == "succeeded"


def test_idempotency_key_returns_the_same_execution(http: requests.Session, stack: Stack) -> None:
    workflow_id = new_workflow(http, stack)
    headers = {**stack.headers(), "Idempotency-Key": "retry-me-1"}
    url = stack.url(f"/v1/workflows/{workflow_id}/executions")
    body = {"parameters": {**SEED_VALUES, "store_type": "Convenience"}, "cache": False}
    first = http.post(url, json=body, headers=headers, timeout=120).json()
    second = http.post(url, json=body, headers=headers, timeout=120).json()
    assert second["id"] == first["id"]
    other = http.post(url, json={**body, "cache": True}, headers=headers, timeout=120)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"


def test_failing_workflow_surfaces_bigquerys_error_result(
    http: requests.Session, stack: Stack
) -> None:
    workflow_id = new_workflow(http, stack, BROKEN_DEFINITION)
    started = execute(http, stack, workflow_id, {}).json()
    done = poll(http, stack, started["id"])
    assert done["state"] == "failed"
    assert done["ended_at"] is not None
    error = done["error"]
    assert error["reason"] and error["message"]
    assert "no_such_table" in error["message"]
    assert set(error) == {"reason", "location", "message"}
