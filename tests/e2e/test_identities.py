"""Two orgs, each with its own connection, service account and dataset (issue 12 items
1-2), as `make run` provisions them: every BigQuery request of an org carries a token
the IAM Credentials stand-in minted for that org's account, and org B's procedure and
output tables land in B's dataset.

A second dev router serves the same stack with its BigQuery traffic going through a
recording proxy in front of the emulator; the stand-in says whose each token is
(`/v1/tokeninfo`, as Google's tokeninfo does).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import requests
from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

from devstack import emulators
from devstack.emulators import Emulators
from devstack.seed import OTHER_ORG_DATASET
from tests.e2e.conftest import TOKEN_CACHE_SECONDS
from tests.e2e.helpers import DEMO_DEFINITION, SEED_VALUES, Stack, execute, poll, wait_for_job
from tests.support.recording_proxy import Recorded, RecordingProxy

pytestmark = pytest.mark.e2e

# A job, or its result table (the emulator's `_bqemu_anonymous.anon<job id>`), is read
# by id alone: it belongs to the org whose dataset the request that made it named.
_JOB_ID = re.compile(r'"(?:jobId|tableId)"\s*:\s*"([^"]+)"')
_JOB_PATH = re.compile(r"/(?:jobs|queries|_bqemu_anonymous/tables)/([^/?]+)")


@dataclass(frozen=True)
class OrgRun:
    org: str
    dataset: str
    service_account: str
    procedure: str
    execution: dict[str, Any]
    results: dict[str, Any]


@dataclass(frozen=True)
class Runs:
    demo: OrgRun
    other: OrgRun
    recorded: list[Recorded]
    whose: dict[str | None, str | None]  # Authorization header -> service account


@pytest.fixture(scope="module")
def proxied(
    stack: Stack, emulators_running: Emulators, stack_log_dir: Path
) -> Iterator[tuple[Stack, RecordingProxy]]:
    """The stack served by a second dev router whose BigQuery calls are recorded."""
    proxy = RecordingProxy(emulators_running.bigquery_host)
    port = emulators.free_port()
    env = {
        **emulators_running.env(),
        "BIGQUERY_EMULATOR_HOST": proxy.host,
        "WFAPI_TOKEN_CACHE_SECONDS": str(TOKEN_CACHE_SECONDS),
    }
    router = emulators.start_dev_router(port, env, stack_log_dir / "proxied")
    yield replace(stack, base_url=f"http://127.0.0.1:{port}"), proxy
    router.stop()
    proxy.stop()


def as_org(stack: Stack, token_key: str) -> Stack:
    return replace(stack, info={**stack.info, "token": stack.info[token_key]})


def run_to_the_end(http: requests.Session, stack: Stack, workflow_id: str) -> dict[str, Any]:
    started = execute(http, stack, workflow_id, SEED_VALUES, cache=False)
    assert started.status_code == 202, started.text
    done = poll(http, stack, started.json()["id"])
    assert done["state"] == "succeeded", done
    return done


def results_of(http: requests.Session, stack: Stack, execution_id: str) -> dict[str, Any]:
    page = http.get(
        stack.url(f"/v1/executions/{execution_id}/results?page_size=5"),
        headers=stack.headers(),
        timeout=120,
    )
    assert page.status_code == 200, page.text
    body: dict[str, Any] = page.json()
    return body


def reading_own_stores(definition: dict[str, Any]) -> dict[str, Any]:
    """The demo workflow reading org B's own copy of the stores (its allowlist)."""
    copy = json.loads(json.dumps(definition))
    for node in copy["nodes"]:
        if node["type"] == "read_table":
            node["settings"]["table"] = f"{OTHER_ORG_DATASET}.stores"
    return copy


def run_other_org(http: requests.Session, stack: Stack) -> OrgRun:
    """Org B creates, enables and runs its own copy of the demo workflow."""
    other = as_org(stack, "other_org_token")
    workflow_id = f"iso_{uuid.uuid4().hex[:10]}"
    created = http.put(
        other.url(f"/v1/workflows/{workflow_id}"),
        json=reading_own_stores(DEMO_DEFINITION),
        headers=other.headers(),
        timeout=60,
    )
    assert created.status_code == 201, created.text
    enabled = http.post(
        other.url(f"/v1/workflows/{workflow_id}/api"), headers=other.headers(), timeout=120
    )
    assert enabled.status_code == 200, enabled.text
    state = http.get(
        other.url(f"/v1/workflows/{workflow_id}/api"), headers=other.headers(), timeout=60
    )
    assert state.status_code == 200, state.text
    done = run_to_the_end(http, other, workflow_id)
    return OrgRun(
        stack.info["other_org"],
        stack.info["other_dataset"],
        stack.info["other_service_account"],
        state.json()["procedure"],
        done,
        results_of(http, other, done["id"]),
    )


def run_demo_org(http: requests.Session, stack: Stack) -> OrgRun:
    done = run_to_the_end(http, stack, stack.info["workflow_id"])
    return OrgRun(
        stack.info["org"],
        stack.info["dataset"],
        stack.info["service_account"],
        stack.info["procedure"],
        done,
        results_of(http, stack, done["id"]),
    )


@pytest.fixture(scope="module")
def runs(
    proxied: tuple[Stack, RecordingProxy], emulators_running: Emulators, http: requests.Session
) -> Runs:
    stack, proxy = proxied
    proxy.clear()
    other = run_other_org(http, stack)
    demo = run_demo_org(http, stack)
    recorded = proxy.requests()
    tokeninfo = f"{emulators_running.iam_credentials_endpoint}/v1/tokeninfo"
    whose: dict[str | None, str | None] = {None: None}
    for authorization in {r.authorization for r in recorded} - {None}:
        assert authorization is not None and authorization.startswith("Bearer ")
        answer = http.get(
            tokeninfo, params={"access_token": authorization.removeprefix("Bearer ")}, timeout=10
        )
        whose[authorization] = answer.json().get("email") if answer.status_code == 200 else None
    return Runs(demo, other, recorded, whose)


def owners(runs: Runs) -> list[tuple[Recorded, str | None]]:
    """Each recorded request with the org it acts for: the org whose dataset it names
    (path, request or answer), else the org whose job it reads (ids from the first
    kind); None when it names neither or both."""
    datasets = {runs.demo.org: runs.demo.dataset, runs.other.org: runs.other.dataset}

    def by_dataset(request: Recorded) -> set[str]:
        text = f"{request.path} {request.body} {request.answer}"
        return {org for org, dataset in datasets.items() if dataset in text}

    job_owner: dict[str, str] = {}
    for request in runs.recorded:
        found = by_dataset(request)
        if len(found) == 1:
            for job_id in _JOB_ID.findall(request.body + request.answer):
                job_owner[job_id] = next(iter(found))
    attributed: list[tuple[Recorded, str | None]] = []
    for request in runs.recorded:
        found = by_dataset(request)
        if not found:
            found = {job_owner[j] for j in _JOB_PATH.findall(request.path) if j in job_owner}
        attributed.append((request, next(iter(found)) if len(found) == 1 else None))
    return attributed


def test_the_two_orgs_run_as_two_service_accounts_in_two_datasets(runs: Runs) -> None:
    assert runs.demo.service_account != runs.other.service_account
    assert runs.demo.dataset != runs.other.dataset
    assert runs.other.dataset == "wfapi_other"


def test_every_bigquery_request_carries_an_impersonated_token(runs: Runs) -> None:
    assert len(runs.recorded) >= 10
    accounts = {runs.whose[r.authorization] for r in runs.recorded}
    # Never the runtime's own (anonymous, locally) identity, never an unknown token.
    assert accounts == {runs.demo.service_account, runs.other.service_account}


def test_each_org_s_requests_carry_its_own_account_s_token(runs: Runs) -> None:
    account_of = {r.org: r.service_account for r in (runs.demo, runs.other)}
    attributed = owners(runs)
    mismatched = [
        (org, request.method, request.path, runs.whose[request.authorization])
        for request, org in attributed
        if org is not None and runs.whose[request.authorization] != account_of[org]
    ]
    assert mismatched == []
    of_other = [request for request, org in attributed if org == runs.other.org]
    of_demo = [request for request, org in attributed if org == runs.demo.org]
    # B's procedure DDL, its dataset check, its CALL, the job reads and the result read;
    # A's CALL and job reads: all seen, each with its own org's token.
    assert any("CREATE OR REPLACE PROCEDURE" in r.body for r in of_other)
    assert any(r.method == "GET" and f"/datasets/{runs.other.dataset}" in r.path for r in of_other)
    for run, requests_of_org in ((runs.other, of_other), (runs.demo, of_demo)):
        job_id = run.execution["bigquery_job_id"]
        assert any(r.method == "POST" and job_id in r.body for r in requests_of_org), run.org
        assert any(r.method == "GET" and job_id in r.path for r in requests_of_org), run.org
        assert len(run.results["rows"]) > 0
    # Nearly every request is attributable to one org (a stray one could hide a leak).
    unattributed = [(r.method, r.path) for r, org in attributed if org is None]
    assert len(unattributed) <= len(runs.recorded) // 10, unattributed


def test_b_s_procedure_and_output_tables_are_in_b_s_dataset(
    runs: Runs, stack: Stack, bq_client: bigquery.Client
) -> None:
    project = stack.settings.project
    other, demo = runs.other, runs.demo
    assert other.procedure.startswith(f"{project}.{other.dataset}.wfproc_")
    assert demo.procedure.startswith(f"{project}.{demo.dataset}.wfproc_")
    output = other.execution["output_table"]
    assert output.startswith(f"{project}.{other.dataset}.")
    # (The emulator lists only tables made through its API, not a procedure's: ask SQL.)
    rows = wait_for_job(bq_client.query(f"SELECT COUNT(*) AS n FROM `{output}`")).result()
    assert next(iter(rows))["n"] > 0  # B's rows, in B's dataset
    in_demo = f"{project}.{demo.dataset}.{output.rsplit('.', 1)[1]}"
    with pytest.raises(api_exceptions.GoogleAPICallError, match=r"(?i)not found"):
        wait_for_job(bq_client.query(f"SELECT COUNT(*) AS n FROM `{in_demo}`")).result()
    assert demo.execution["output_table"].startswith(f"{project}.{demo.dataset}.")
