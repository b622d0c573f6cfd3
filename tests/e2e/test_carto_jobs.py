"""CARTO's job API beyond create and status, over HTTP: `GET /v3/sql/jobs` lists the
org's jobs newest first, page by page; `DELETE /v3/sql/{connection}/job/{externalId}`
cancels a running job's BigQuery job; another org sees none of it.

A job stays running through its SQL (tests/e2e/test_async_executions.py's slow
workflow), never by sleeping in production code.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests
from google.cloud import bigquery

from tests.e2e.helpers import SEED_VALUES, Stack, new_workflow, wait_for_job
from tests.e2e.test_async_executions import ENDLESS, SLOW_DEFINITION
from tests.e2e.test_carto_dialect import JOB, checked, post_job, procedure_of, refused, seed_query

pytestmark = pytest.mark.e2e

JOBS = "/v3/sql/jobs"


def jobs_page(http: requests.Session, stack: Stack, token: str, **params: str) -> dict[str, Any]:
    response = http.get(stack.url(JOBS), headers=stack.headers(token), params=params, timeout=60)
    assert response.status_code == 200, response.text
    return checked(response, token)


def until_running(http: requests.Session, stack: Stack, external_id: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        response = http.get(stack.url(f"{JOB}/{external_id}"), headers=stack.headers(), timeout=60)
        state = response.json()["status"]["state"]
        if state != "PENDING" or time.monotonic() > deadline:
            assert state == "RUNNING", response.text
            return
        time.sleep(0.1)


def test_jobs_are_listed_newest_first_page_by_page(http: requests.Session, stack: Stack) -> None:
    query = seed_query(stack.info["procedure"])
    # Values never sent before: each call runs a job of its own (no cache hit).
    radius = 1000 + uuid.uuid4().int % 90_000 + uuid.uuid4().int % 1000 / 1000
    older_values = {**SEED_VALUES, "buffer_radius": radius}
    older = checked(post_job(http, stack, query, older_values), stack.token)
    newer_values = {**SEED_VALUES, "buffer_radius": radius + 1}
    newer = checked(post_job(http, stack, query, newer_values), stack.token)

    first = jobs_page(http, stack, stack.token, page_size="1")
    assert [job["externalId"] for job in first["jobs"]] == [newer["externalId"]]
    assert first["jobs"][0] == {**newer, "status": first["jobs"][0]["status"]}
    second = jobs_page(http, stack, stack.token, page_size="1", page_token=first["next_page_token"])
    assert [job["externalId"] for job in second["jobs"]] == [older["externalId"]]
    # CARTO's access_token URL argument works as the header does.
    by_argument = http.get(
        stack.url(JOBS), params={"page_size": "2", "access_token": stack.token}, timeout=60
    )
    listed = [job["externalId"] for job in checked(by_argument, stack.token)["jobs"]]
    assert listed == [newer["externalId"], older["externalId"]]

    malformed = http.get(
        stack.url(JOBS), headers=stack.headers(), params={"page_token": "zz"}, timeout=60
    )
    refused(malformed, 400, "invalid_page_token", "invalid", stack.token)
    other = stack.info["other_org_token"]
    theirs = [job["externalId"] for job in jobs_page(http, stack, other, page_size="100")["jobs"]]
    assert newer["externalId"] not in theirs and older["externalId"] not in theirs


def test_delete_cancels_a_running_job_and_only_for_its_org(
    http: requests.Session, stack: Stack, bq_client: bigquery.Client
) -> None:
    slow = new_workflow(http, stack, SLOW_DEFINITION)
    query = f"CALL `{procedure_of(http, stack, slow)}`(@size,@tag)"
    values = {"size": ENDLESS, "tag": uuid.uuid4().hex}
    created = checked(post_job(http, stack, query, values), stack.token)
    external_id = created["externalId"]
    until_running(http, stack, external_id)

    other = stack.info["other_org_token"]
    foreign = http.delete(
        stack.url(f"{JOB}/{external_id}"), headers=stack.headers(other), timeout=60
    )
    refused(foreign, 404, "job_not_found", "notFound", other)

    response = http.delete(
        stack.url(f"{JOB}/{external_id}"), params={"access_token": stack.token}, timeout=60
    )
    assert response.status_code == 200, response.text
    cancelled = checked(response, stack.token)
    assert cancelled["externalId"] == external_id and cancelled["query"] == query
    assert cancelled["status"]["state"] == "DONE"
    assert cancelled["status"]["errorResult"]["reason"] == "stopped"
    execution_id = external_id.removeprefix("job_")
    native = http.get(
        stack.url(f"/v1/executions/{execution_id}"), headers=stack.headers(), timeout=60
    ).json()
    assert native["state"] == "cancelled"
    job = wait_for_job(bq_client.get_job(native["bigquery_job_id"]), timeout=60)
    assert job.state == "DONE" and job.error_result["reason"] == "stopped"

    again = http.delete(stack.url(f"{JOB}/{external_id}"), headers=stack.headers(), timeout=60)
    refused(again, 409, "execution_finished", "invalid", stack.token)
    listed = jobs_page(http, stack, stack.token, page_size="1")["jobs"]
    assert listed[0]["externalId"] == external_id
    assert listed[0]["status"]["errorResult"]["reason"] == "stopped"
