"""`make bench-fairness`: one org's flood does not hold another org's run back.

On a fresh local stack of its own (benchmarks/local_stack.py), org `demo` floods executions
of a short workflow with distinct parameters, and once every one of them has answered,
org `other` executes one run. Measured from `other`'s request: when its job was
submitted (BigQuery knows it), when it started (the local BigQuery took it from its
queue: its job's start time) and when its execution was recorded `succeeded` (the
completion event, no status read), and how many of `demo`'s jobs started between its
request and its start. Three runs: `other` alone (no flood), the flood under demo's
limit, and the flood with demo's limit raised out of the way (every demo job submitted
at once).

The local BigQuery runs jobs one at a time on one worker, so `other`'s job waits behind
every demo job submitted before it: under a limit of N that is at most N jobs (the
rest wait `queued` in Firestore, not in BigQuery), without one it is the whole flood.
Each org has its own slots, so `other`'s run is never queued behind `demo`'s. Figures
only: nothing here asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from google.cloud import bigquery, firestore

from benchmarks.local_stack import running_stack
from devstack.demo import DEMO_ORG, OTHER_ORG
from devstack.seed import DEMO_DATASET, OTHER_ORG_DATASET
from workflows_api.adapters import clients
from workflows_api.bootstrap import App
from workflows_api.config import Settings
from workflows_api.domain.execution.limits import MOST_CONCURRENT

PROJECT = "workflows-fairness"
FLOOD = 200
LIMIT = 3
TERMINAL = ("succeeded", "failed", "cancelled")


def short_workflow(dataset: str) -> dict[str, Any]:
    """One filtered read of the seeded stores: a job of moments on the local BigQuery,
    with a parameter so each run of the flood is a new one."""
    return {
        "parameters": [{"name": "store_type", "type": "STRING"}],
        "nodes": [
            {"id": "stores", "type": "read_table", "settings": {"table": f"{dataset}.stores"}},
            {
                "id": "of_type",
                "type": "filter",
                "inputs": ["stores"],
                "settings": {
                    "conditions": [
                        {"column": "store_type", "operator": "=", "value": {"param": "store_type"}}
                    ]
                },
            },
            {"id": "out", "type": "output", "inputs": ["of_type"]},
        ],
    }


@dataclass(frozen=True)
class Outcome:
    name: str
    limit: int | None  # demo's max_concurrent; None: no flood
    flood: int
    flood_answered: float  # seconds for every flood request to answer
    submitted: float  # other's request to its job known to BigQuery
    started: float  # ... to its job started by the local BigQuery
    succeeded: float  # ... to its execution recorded succeeded (completion event)
    demo_ahead: int  # demo jobs started between other's request and other's start
    flood_drained: float | None  # other's request to the flood's last execution ending
    flood_states: dict[str, int]


class Fairness:
    def __init__(self, base_url: str, settings: Settings, info: dict[str, Any]) -> None:
        self.base = base_url
        self.app = App(settings)
        self.http = requests.Session()
        self.tokens = {DEMO_ORG: str(info["token"]), OTHER_ORG: str(info["other_org_token"])}
        self.bigquery: bigquery.Client = clients.bigquery_client(settings)
        self.firestore: firestore.Client = clients.firestore_client(settings)

    def workflow(self, org: str, dataset: str) -> str:
        workflow_id = f"fair_{uuid.uuid4().hex[:8]}"
        self.app.workflows.put(org, workflow_id, json.dumps(short_workflow(dataset)), "local")
        self.app.workflows.enable_api(org, workflow_id)
        return workflow_id

    def execute(self, org: str, workflow_id: str, store_type: str) -> dict[str, Any]:
        response = self.http.post(
            f"{self.base}/v1/workflows/{workflow_id}/executions",
            json={"parameters": {"store_type": store_type}},
            headers={"Authorization": f"Bearer {self.tokens[org]}"},
            timeout=120,
        )
        response.raise_for_status()
        return dict(response.json())

    def cancel(self, org: str, execution_id: str) -> None:
        self.http.post(  # 409 once it ended: fine
            f"{self.base}/v1/executions/{execution_id}/cancel",
            headers={"Authorization": f"Bearer {self.tokens[org]}"},
            timeout=120,
        )

    def job_times(self, job_id: str) -> tuple[dt.datetime | None, dt.datetime | None]:
        """When BigQuery created and started the job (None: not submitted, not started)."""
        try:
            job = self.bigquery.get_job(job_id)
        except Exception:  # not found: not submitted (yet)
            return None, None
        return job.created, job.started

    def wait_terminal(self, org: str, execution_id: str, timeout: float = 900) -> Any:
        """The execution's document once terminal (read from Firestore: no status read)."""
        document = self.firestore.document(f"orgs/{org}/executions/{execution_id}")
        deadline = time.monotonic() + timeout
        while True:
            snapshot = document.get()
            if snapshot.exists and snapshot.get("state") in TERMINAL:
                return snapshot
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_id} did not end")
            time.sleep(0.1)

    def open_count(self, org: str) -> int:
        query = self.firestore.collection(f"orgs/{org}/executions").where(
            filter=firestore.FieldFilter("state", "in", ["queued", "created", "running"])
        )
        counted: Any = query.count(alias="n")
        return int(counted.get()[0][0].value)

    def run(self, name: str, flood: int, limit: int | None, drain: bool) -> Outcome:
        print(f"  {name}...", file=sys.stderr)
        self.app.lifecycle.limits.set_limits(DEMO_ORG, max_concurrent=limit or LIMIT)
        demo_workflow = self.workflow(DEMO_ORG, DEMO_DATASET)
        other_workflow = self.workflow(OTHER_ORG, OTHER_ORG_DATASET)
        tag = uuid.uuid4().hex[:6]
        flood_started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            answers = list(
                pool.map(
                    lambda i: self.execute(DEMO_ORG, demo_workflow, f"t{tag}-{i}"), range(flood)
                )
            )
        flood_answered = time.monotonic() - flood_started

        asked = dt.datetime.now(dt.UTC)
        mine = self.execute(OTHER_ORG, other_workflow, f"t{tag}-other")
        done = self.wait_terminal(OTHER_ORG, mine["id"])
        created, started = self.job_times(mine["bigquery_job_id"])
        assert created is not None and started is not None, "other's job never ran"

        drained = None
        if drain:
            while self.open_count(DEMO_ORG):
                time.sleep(0.5)
            drained = (dt.datetime.now(dt.UTC) - asked).total_seconds()
        else:  # the flood without a limit: its rest is not what is measured
            for answer in answers:
                self.cancel(DEMO_ORG, answer["id"])
            while self.open_count(DEMO_ORG):
                time.sleep(0.5)
        ahead = 0
        states: dict[str, int] = {}
        for answer in answers:
            _, demo_started = self.job_times(answer["bigquery_job_id"])
            if demo_started is not None and asked <= demo_started <= started:
                ahead += 1
            record = self.firestore.document(f"orgs/{DEMO_ORG}/executions/{answer['id']}").get()
            states[record.get("state")] = states.get(record.get("state"), 0) + 1
        return Outcome(
            name,
            limit if flood else None,
            flood,
            flood_answered,
            (created - asked).total_seconds(),
            (started - asked).total_seconds(),
            (done.update_time - asked).total_seconds(),
            ahead,
            drained,
            states,
        )


def report(outcomes: list[Outcome], job_seconds: list[float]) -> None:
    print(
        f"\nOrg other's one run while org demo floods (seconds from other's request; the"
        f" local BigQuery runs one job at a time, a short demo job takes"
        f" {statistics.median(job_seconds):.2f} s (median))"
    )
    header = (
        f"{'run':<26}{'demo limit':>11}{'flood':>7}{'answered':>10}{'submitted':>11}"
        f"{'started':>9}{'succeeded':>11}{'demo jobs ahead':>17}{'flood ended':>13}"
    )
    print(header)
    for o in outcomes:
        limit = "-" if o.limit is None else str(o.limit)
        drained = "-" if o.flood_drained is None else f"{o.flood_drained:.1f}"
        print(
            f"{o.name:<26}{limit:>11}{o.flood:>7}{o.flood_answered:>10.1f}{o.submitted:>11.2f}"
            f"{o.started:>9.2f}{o.succeeded:>11.2f}{o.demo_ahead:>17}{drained:>13}"
        )
    for o in outcomes:
        if o.flood:
            print(f"  {o.name}: demo's flood ended {o.flood_states}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=FLOOD)
    parser.add_argument("--limit", type=int, default=LIMIT)
    parser.add_argument(
        "--skip-unlimited", action="store_true", help="skip the flood without a limit"
    )
    args = parser.parse_args()
    log_dir = Path(tempfile.mkdtemp(prefix="wfapi-fairness-"))
    with running_stack(log_dir, PROJECT) as (url, settings, info, _):
        fairness = Fairness(url, settings, info)
        fairness.run("warm-up", 3, args.limit, drain=True)
        outcomes = [fairness.run("other alone (no flood)", 0, None, drain=True)]
        outcomes.append(fairness.run("flood, demo limited", args.flood, args.limit, drain=True))
        if not args.skip_unlimited:
            outcomes.append(
                fairness.run("flood, demo unlimited", args.flood, MOST_CONCURRENT, drain=False)
            )
        report(outcomes, short_job_seconds(fairness))


def short_job_seconds(fairness: Fairness, runs: int = 5) -> list[float]:
    """How long the short workflow's job runs on the local BigQuery, alone."""
    workflow_id = fairness.workflow(DEMO_ORG, DEMO_DATASET)
    seconds = []
    for i in range(runs):
        answer = fairness.execute(DEMO_ORG, workflow_id, f"alone-{uuid.uuid4().hex[:6]}-{i}")
        fairness.wait_terminal(DEMO_ORG, answer["id"])
        job = fairness.bigquery.get_job(answer["bigquery_job_id"])
        seconds.append((job.ended - job.started).total_seconds())
    return seconds


if __name__ == "__main__":
    main()
