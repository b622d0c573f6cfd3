"""What a run costs, its cap and dry runs, over HTTP against the local stack."""

from __future__ import annotations

import uuid

import requests

from tests.e2e.helpers import (
    DEMO_DEFINITION,
    SEED_VALUES,
    Stack,
    execute,
    execution_ids,
    new_workflow,
    poll,
)

MB = 1024 * 1024


def test_a_finished_execution_shows_what_its_job_cost(http: requests.Session, stack: Stack) -> None:
    workflow_id = new_workflow(http, stack)
    started = execute(http, stack, workflow_id, SEED_VALUES, cache=False)
    assert started.status_code == 202, started.text
    done = poll(http, stack, started.json()["id"])
    assert done["state"] == "succeeded", done
    statistics = done["statistics"]
    assert statistics["bytes_processed"] > 0
    assert statistics["bytes_billed"] >= 10 * MB  # BigQuery's minimum per table read
    assert statistics["child_jobs"] > 1  # the procedure's statements
    assert statistics["slot_ms"] >= 0


def test_a_run_over_the_workflows_cap_fails_with_bigquerys_error(
    http: requests.Session, stack: Stack
) -> None:
    capped = {**DEMO_DEFINITION, "settings": {"maximum_bytes_billed": MB}}
    workflow_id = new_workflow(http, stack, capped)
    started = execute(http, stack, workflow_id, SEED_VALUES, cache=False)
    done = poll(http, stack, started.json()["id"])
    assert done["state"] == "failed", done
    assert done["error"]["reason"] == "bytesBilledLimitExceeded"
    assert done["error"]["message"].startswith(f"Query exceeded limit for bytes billed: {MB}.")


def test_a_dry_run_estimates_and_records_nothing(http: requests.Session, stack: Stack) -> None:
    workflow_id = new_workflow(http, stack)
    before = execution_ids(stack)
    answer = http.post(
        stack.url(f"/v1/workflows/{workflow_id}/executions"),
        json={"parameters": SEED_VALUES, "dry_run": True},
        headers={**stack.headers(), "Idempotency-Key": uuid.uuid4().hex},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["dry_run"] is True and body["workflow_id"] == workflow_id
    assert body["estimated_bytes_processed"] > 0
    assert execution_ids(stack) == before
