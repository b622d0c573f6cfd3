"""`make bench`: the local stack's latencies, their floors, cold starts, statements per
procedure and compile time, measured in one run and printed as one table.

Starts the emulators and the dev router exactly as the e2e tests do (devstack), seeds
and provisions the demo, then measures over HTTP. Floors are the cheapest backend call
each operation cannot avoid, timed in this same run: one Firestore read, one Firestore
create, one jobs.insert on the local BigQuery. Figures only: nothing here asserts.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from benchmarks import cold_start, compile_benchmark, console_render
from devstack import emulators
from devstack.demo import DEMO_ORG, SEED_VALUES, WORKFLOW_ID, provision_demo
from devstack.seed import seed_demo_tables
from workflows_api.adapters import clients
from workflows_api.bootstrap import App
from workflows_api.config import Settings
from workflows_api.domain.workflow.compiler import compile_procedure
from workflows_api.domain.workflow.validation import load_workflow

PROJECT = "workflows-bench"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RUNS = 30
NEW_RUNS = 15
_EXAMPLE_PARAMETERS = re.compile(r"^# Example parameters: (\{.*\})$", re.MULTILINE)


def timed(call: Callable[[], object], runs: int = RUNS) -> list[float]:
    """Seconds per call, after one unmeasured warm-up call."""
    call()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def p50_p95(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


class Bench:
    def __init__(self, base_url: str, settings: Settings, info: dict[str, Any]) -> None:
        self.base = base_url
        self.settings = settings
        self.token = str(info["token"])
        self.http = requests.Session()
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.bigquery = clients.bigquery_client(settings)
        self.firestore = clients.firestore_client(settings)

    def execute(self, workflow: str, parameters: dict[str, Any], **extra: Any) -> dict[str, Any]:
        response = self.http.post(
            f"{self.base}/v1/workflows/{workflow}/executions",
            json={"parameters": parameters},
            headers={**self.headers, **extra.get("headers", {})},
            timeout=60,
        )
        response.raise_for_status()
        return dict(response.json())

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(f"{self.base}{path}", headers=self.headers, params=params)
        response.raise_for_status()
        return dict(response.json())

    def cancel(self, execution_id: str) -> None:
        url = f"{self.base}/v1/executions/{execution_id}/cancel"
        self.http.post(url, headers=self.headers, timeout=60)  # 409 once it ended: fine

    def finished(self, execution_id: str, timeout: float = 300) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            body = self.get(f"/v1/executions/{execution_id}")
            if body["state"] in ("succeeded", "failed", "cancelled"):
                return body
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_id} still {body['state']}")
            time.sleep(0.5)

    # --- floors ---------------------------------------------------------------------

    def firestore_read(self) -> None:
        self.firestore.collection("bench").document("floor").get()

    def firestore_create(self) -> None:
        self.firestore.collection("bench").document(uuid.uuid4().hex).create({"n": 1})

    def jobs_insert(self) -> None:
        self.bigquery.query("SELECT 1", job_id=f"bench_{uuid.uuid4().hex}", job_retry=None)


def latencies(bench: Bench) -> list[tuple[str, list[float], str, list[float]]]:
    """(operation, seconds, floor name, floor seconds) rows."""
    bench.firestore.collection("bench").document("floor").set({"n": 1})
    floors = {
        "Firestore read": timed(bench.firestore_read),
        "Firestore create": timed(bench.firestore_create),
        "jobs.insert": timed(bench.jobs_insert),
    }
    done = bench.finished(bench.execute(WORKFLOW_ID, SEED_VALUES)["id"])
    hit = timed(lambda: bench.execute(WORKFLOW_ID, SEED_VALUES))
    key = {"headers": {"Idempotency-Key": uuid.uuid4().hex}}
    replay = timed(lambda: bench.execute(WORKFLOW_ID, SEED_VALUES, **key))
    status = timed(lambda: bench.get(f"/v1/executions/{done['id']}"))
    results = f"/v1/executions/{done['id']}/results"
    # WKT: the local BigQuery's ST_ASGEOJSON takes seconds a page (BigQuery's does not).
    page = timed(lambda: bench.get(results, page_size=100, geography_format="wkt"))
    # Last: each starts a k-means job; the local BigQuery runs jobs one at a time, so
    # they are cancelled once measured rather than left to delay what follows.
    radius = iter(range(1000, 100000))
    started: list[str] = []

    def execute_new() -> None:
        parameters = {**SEED_VALUES, "buffer_radius": next(radius)}
        started.append(bench.execute(WORKFLOW_ID, parameters)["id"])

    new = timed(execute_new, runs=NEW_RUNS)
    for execution_id in started:
        bench.cancel(execution_id)
    return [
        ("execute (new parameters)", new, "jobs.insert", floors["jobs.insert"]),
        # A cache hit reads its holder and writes nothing.
        ("execute (cache hit)", hit, "Firestore read", floors["Firestore read"]),
        ("execute (idempotent replay)", replay, "Firestore read", floors["Firestore read"]),
        ("status (finished)", status, "Firestore read", floors["Firestore read"]),
        ("results page (100 rows, WKT)", page, "jobs.insert", floors["jobs.insert"]),
        # Not an operation's floor any more; printed for the record.
        ("(Firestore create)", floors["Firestore create"], "", []),
    ]


def statements_per_example(bench: Bench, app: App) -> list[tuple[str, int, int | None]]:
    """(example, statements compiled, statements executed: the job's child jobs)."""
    rows = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        compiled = compile_procedure(
            load_workflow(text), project=PROJECT, dataset="workflows_temp", procedure="p"
        )
        static = sum(1 for s in compiled.statements if not s.lstrip().startswith("--"))
        found = _EXAMPLE_PARAMETERS.search(text)
        workflow_id = f"bench_{path.stem}"
        app.workflows.put(DEMO_ORG, workflow_id, text, "local")
        app.workflows.enable_api(DEMO_ORG, workflow_id)
        parameters = json.loads(found.group(1)) if found else {}
        done = bench.finished(bench.execute(workflow_id, parameters)["id"])
        children = list(bench.bigquery.list_jobs(parent_job=done["bigquery_job_id"]))
        rows.append((path.stem, static, len(children) if done["state"] == "succeeded" else None))
    return rows


def main() -> None:
    log_dir = Path(tempfile.mkdtemp(prefix="wfapi-bench-"))
    print(f"Starting the local stack (logs in {log_dir})...", file=sys.stderr)
    running = emulators.start_emulators(PROJECT, log_dir)
    router = None
    try:
        settings = Settings.from_env(running.env())
        seed_demo_tables(clients.bigquery_client(settings))
        info = provision_demo(settings)
        port = emulators.free_port()
        router = emulators.start_dev_router(port, running.env(), log_dir)
        bench = Bench(f"http://127.0.0.1:{port}", settings, info)
        print("Measuring latencies...", file=sys.stderr)
        rows = latencies(bench)
        print("Measuring cold starts...", file=sys.stderr)
        finished = bench.execute(WORKFLOW_ID, SEED_VALUES)
        cold = cold_start.cold_start_ratios(
            running.env(),
            token=bench.token,
            org=DEMO_ORG,
            execution_id=finished["id"],
            execute_path=f"/v1/workflows/{WORKFLOW_ID}/executions",
            execute_body=json.dumps({"parameters": SEED_VALUES}),
        )
        print("Measuring the console's results page in Chromium...", file=sys.stderr)
        try:
            render = console_render.measure(bench.base, bench.token, finished["id"])
        except emulators.StackError as missing:  # no chromium here: say so, go on
            print(f"Console not measured: {missing}", file=sys.stderr)
            render = None
        print("Running every example...", file=sys.stderr)
        statements = statements_per_example(bench, App(settings))
        report(rows, cold, statements)
        if render is not None:
            console_render.report(render)
    finally:
        if router is not None:
            router.stop()
        running.stop()


def report(
    rows: list[tuple[str, list[float], str, list[float]]],
    cold: dict[str, cold_start.ColdStart],
    statements: list[tuple[str, int, int | None]],
) -> None:
    print(f"\nLatency over HTTP on the local stack (ms; {RUNS} calls each, {NEW_RUNS} new)")
    print(f"{'operation':<30}{'p50':>8}{'p95':>8}  {'floor':<18}{'p50':>8}{'ratio':>8}")
    for name, seconds, floor_name, floor in rows:
        p50, p95 = p50_p95(seconds)
        if not floor:
            print(f"{name:<30}{p50 * 1000:>8.1f}{p95 * 1000:>8.1f}")
            continue
        floor_p50 = statistics.median(floor)
        print(
            f"{name:<30}{p50 * 1000:>8.1f}{p95 * 1000:>8.1f}  {floor_name:<18}"
            f"{floor_p50 * 1000:>8.1f}{p50 / floor_p50:>7.1f}x"
        )
    print(
        f"\nCold start: launch to first answer (wall) and the process's CPU time, median of"
        f" {cold_start.RUNS} fresh processes each; ratios to bare"
    )
    print(f"{'process':<30}{'wall s':>8}{'ratio':>8}{'CPU s':>8}{'ratio':>8}  target")
    targets = {"status": "<= 1.15x", "execute": "<= 1.25x"}
    for kind in ("bare", "bare+models", "status", "execute"):
        c = cold[kind]
        print(
            f"{kind:<30}{c.wall_seconds:>8.2f}{c.wall_ratio:>7.2f}x"
            f"{c.cpu_seconds:>8.2f}{c.cpu_ratio:>7.2f}x  {targets.get(kind, '')}"
        )
    print("\nStatements per example procedure (executed: child jobs of its CALL)")
    print(f"{'example':<34}{'static':>8}{'executed':>10}")
    for name, static, executed in statements:
        print(f"{name:<34}{static:>8}{'failed' if executed is None else executed:>10}")
    print("\nCompile time (validate + compile)")
    compile_benchmark.main()


if __name__ == "__main__":
    main()
