"""Issue 24's acceptance run, against the stack `make run` is serving (.local/stack.json).

    make wfapi ARGS="limits set --org demo --max-concurrent 3"
    .venv/bin/python -m benchmarks.limits_acceptance

Org demo executes its demo workflow (store_clusters, a k-means job of seconds on the
local BigQuery) 30 times at once with distinct parameters; once all have answered, and
while demo has more than 20 queued, org other executes a short workflow of its own.
Nobody reads a status: executions end through the stack's completion events. Firestore
is sampled meanwhile for demo's executions submitted and not ended (`created` holding a
slot, or `running`). Prints what it saw and whether each criterion held: every request
answered at once, at most the limit ever submitted together, all 30 succeeded, other's
run succeeded before demo's fifth did. Demo's executions are counted in the order they
ran (their jobs' start): 30 requests at once have no order of their own, and the first
ones to claim the free slots run first whatever their `created_at` (the queue's order
applies to the queued ones). Also printed: how many demo jobs ran before other's. Takes
a minute or two (30 jobs run one at a time). Not a test: `make run` is the user's stack;
the e2e tests cover the same rules on light workflows
(tests/e2e/test_concurrency_limits.py), and a restart mid-flood (test_limits_restart.py).
"""

from __future__ import annotations

import json
import random
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from google.cloud import firestore

from devstack.demo import SEED_VALUES
from devstack.seed import OTHER_ORG_DATASET
from workflows_api.adapters import clients
from workflows_api.config import Settings

STACK_FILE = Path(__file__).resolve().parents[1] / ".local" / "stack.json"
FLOOD = 30
TERMINAL = ("succeeded", "failed", "cancelled")
OTHER_WORKFLOW: dict[str, Any] = {
    "parameters": [{"name": "store_type", "type": "STRING"}],
    "nodes": [
        {
            "id": "stores",
            "type": "read_table",
            "settings": {"table": f"{OTHER_ORG_DATASET}.stores"},
        },
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


class Api:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.base}{path}", timeout=120, **kwargs)


class Sampler(threading.Thread):
    """Reads the executions' documents in a loop: the most submitted together."""

    def __init__(self, db: firestore.Client, org: str) -> None:
        super().__init__(daemon=True)
        self.db, self.org = db, org
        self.ids: list[str] = []
        self.most = self.samples = 0
        self.states: dict[str, str] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            refs = [self.db.document(f"orgs/{self.org}/executions/{i}") for i in list(self.ids)]
            if refs:
                states = {s.id: str(s.get("state")) for s in self.db.get_all(refs) if s.exists}
                self.states = states
                submitted = sum(1 for s in states.values() if s in ("created", "running"))
                self.most = max(self.most, submitted)
                self.samples += 1
            time.sleep(0.05)


def main() -> int:
    info = json.loads(STACK_FILE.read_text())
    settings = Settings.from_env(
        {
            "GOOGLE_CLOUD_PROJECT": info["project"],
            "FIRESTORE_EMULATOR_HOST": info["firestore_emulator_host"],
            "BIGQUERY_EMULATOR_HOST": info["bigquery_emulator_host"],
        }
    )
    db = clients.firestore_client(settings)
    demo, other = (
        Api(info["base_url"], info["token"]),
        Api(info["base_url"], info["other_org_token"]),
    )
    limits = demo.call("GET", "/v1/orgs/current/limits").json()
    limit = int(limits["max_concurrent"])
    print(f"demo's limits: {limits}")

    other_workflow = f"acceptance_{uuid.uuid4().hex[:8]}"
    put = other.call("PUT", f"/v1/workflows/{other_workflow}", json=OTHER_WORKFLOW)
    assert put.status_code == 201, put.text
    assert other.call("POST", f"/v1/workflows/{other_workflow}/api").status_code == 200

    sampler = Sampler(db, info["org"])
    sampler.start()
    # Distinct from each other and from earlier runs (buffer_radius: at most 100,000).
    radius = round(random.uniform(1_000, 90_000), 3)

    def execute(i: int) -> tuple[float, requests.Response]:
        body = {"parameters": {**SEED_VALUES, "buffer_radius": radius + i}}
        started = time.monotonic()
        answer = demo.call("POST", f"/v1/workflows/{info['workflow_id']}/executions", json=body)
        return time.monotonic() - started, answer

    flood_started = time.monotonic()
    with ThreadPoolExecutor(FLOOD) as pool:
        answers = list(pool.map(execute, range(FLOOD)))
    flood_seconds = time.monotonic() - flood_started
    bodies = [a.json() for _, a in answers]
    refused = [b for _, b in zip(answers, bodies, strict=True) if "id" not in b]
    if refused:
        print(f"FAIL  {len(refused)} executes refused, e.g. {refused[0]}")
        return 1
    sampler.ids.extend(b["id"] for b in bodies if "id" in b)
    queued_then = int(demo.call("GET", "/v1/orgs/current/limits").json()["queued"])
    mine = other.call(
        "POST",
        f"/v1/workflows/{other_workflow}/executions",
        json={"parameters": {"store_type": f"acceptance-{radius}"}},
    ).json()

    codes = sorted({a.status_code for _, a in answers})
    print(
        f"{FLOOD} executes answered in {flood_seconds:.2f} s together (slowest"
        f" {max(s for s, _ in answers):.2f} s), HTTP {codes}, states"
        f" {_count(b.get('state') for b in bodies)}; demo had {queued_then} queued when"
        f" other executed ({mine['state']})"
    )
    deadline = time.monotonic() + 900
    other_doc = db.document(f"orgs/{info['other_org']}/executions/{mine['id']}")
    while time.monotonic() < deadline:
        if len(sampler.states) == FLOOD and all(s in TERMINAL for s in sampler.states.values()):
            break
        time.sleep(0.5)
    sampler.stopping.set()
    sampler.join()

    records = [
        s.to_dict() or {}
        for s in db.get_all(
            [db.document(f"orgs/{info['org']}/executions/{b['id']}") for b in bodies]
        )
    ]
    records.sort(key=lambda r: r["started_at"] or r["ended_at"])  # the order they ran in
    fifth = records[4]
    mine_done = other_doc.get().to_dict() or {}
    ahead = sum(1 for r in records if r["started_at"] and r["started_at"] < mine_done["started_at"])
    by_request = sorted(records, key=lambda r: r["created_at"]).index(fifth) + 1
    print(f"sampled Firestore {sampler.samples} times: at most {sampler.most} submitted together")
    print(f"demo's executions ended: {_count(r['state'] for r in records)}")
    print(
        f"other's run: {mine_done.get('state')}, requested {mine_done['created_at']}, started"
        f" {mine_done['started_at']} after {ahead} of demo's jobs, ended {mine_done['ended_at']}"
    )
    print(
        f"demo's fifth to run ({by_request}th by request time): {fifth['state']}, started"
        f" {fifth['started_at']}, ended {fifth['ended_at']}"
    )
    checks = {
        "every execute answered at once (202)": codes == [202] and flood_seconds < 30,
        f"at most {limit} submitted together": sampler.most <= limit,
        f"all {FLOOD} succeeded": all(r["state"] == "succeeded" for r in records),
        "other executed while demo had more than 20 queued": queued_then > 20,
        "other's run succeeded before demo's fifth did": mine_done.get("state") == "succeeded"
        and mine_done["ended_at"] < fifth["ended_at"],
    }
    for name, held in checks.items():
        print(f"{'PASS' if held else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


def _count(values: Any) -> dict[str, int]:
    counted: dict[str, int] = {}
    for value in values:
        counted[str(value)] = counted.get(str(value), 0) + 1
    return counted


if __name__ == "__main__":
    sys.exit(main())
