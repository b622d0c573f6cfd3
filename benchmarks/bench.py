"""`make bench`: the local stack's latencies, their floors, the time from a job's end to
its execution's end with nobody polling, cold starts, statements per procedure and
compile time, measured in one run and printed as one table.

Starts the emulators and the dev router exactly as the e2e tests do (devstack), seeds
and provisions the demo, then measures over HTTP. Each operation is timed warm and
interleaved with its floor (the no-backend HTTP round trip plus the cheapest backend
calls it cannot avoid), over three rounds: benchmarks/honest_floors.py. Figures only:
nothing here asserts.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from google.api_core.exceptions import NotFound

from benchmarks import cold_start, compile_benchmark, console_render, honest_floors
from devstack import completion_events, emulators
from devstack.demo import DEMO_ORG, SEED_VALUES, WORKFLOW_ID, provision_demo
from devstack.seed import seed_demo_tables
from workflows_api.adapters import clients
from workflows_api.bootstrap import App
from workflows_api.config import Settings
from workflows_api.domain.workflow.compiler import compile_procedure
from workflows_api.domain.workflow.validation import load_workflow

PROJECT = "workflows-bench"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
COMPLETION_RUNS = 10
CONCURRENT = 10
_EXAMPLE_PARAMETERS = re.compile(r"^# Example parameters: (\{.*\})$", re.MULTILINE)


def concurrently(call: Callable[[], object], calls: int) -> list[float]:
    """Seconds each of `calls` simultaneous calls took."""

    def one(_: int) -> float:
        started = time.perf_counter()
        call()
        return time.perf_counter() - started

    with ThreadPoolExecutor(calls) as pool:
        return list(pool.map(one, range(calls)))


def concurrent_executes(bench: Bench, calls: int = CONCURRENT) -> list[float]:
    """Seconds each of `calls` executes of new parameters sent at once took (formerly a
    test's bound, issue 29: each answered within 2 s); their jobs cancelled after."""
    radius = iter(range(90_000, 90_000 + calls))
    lock, sessions, started = threading.Lock(), threading.local(), []

    def execute_new() -> None:
        with lock:
            parameters = {**SEED_VALUES, "buffer_radius": next(radius)}
        if not hasattr(sessions, "http"):
            sessions.http = requests.Session()
        execution_id = bench.execute(WORKFLOW_ID, parameters, session=sessions.http)["id"]
        with lock:
            started.append(execution_id)

    seconds = concurrently(execute_new, calls)
    for execution_id in started:
        bench.cancel(execution_id)
    return seconds


class Bench:
    def __init__(self, base_url: str, settings: Settings, info: dict[str, Any]) -> None:
        self.base = base_url
        self.settings = settings
        self.token = str(info["token"])
        self.http = requests.Session()
        self.headers = {"Authorization": f"Bearer {self.token}"}
        self.bigquery = clients.bigquery_client(settings)
        self.firestore = clients.firestore_client(settings)

    def execute(
        self,
        workflow: str,
        parameters: dict[str, Any],
        *,
        session: requests.Session | None = None,  # one per thread (`concurrently`)
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = self.post_execute(workflow, parameters, session=session, headers=headers)
        response.raise_for_status()
        return dict(response.json())

    def post_execute(
        self,
        workflow: str,
        parameters: dict[str, Any],
        *,
        session: requests.Session | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """The answer as it came, refusals included."""
        return (session or self.http).post(
            f"{self.base}/v1/workflows/{workflow}/executions",
            json={"parameters": parameters},
            headers={**self.headers, **(headers or {})},
            timeout=60,
        )

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(f"{self.base}{path}", headers=self.headers, params=params)
        response.raise_for_status()
        return dict(response.json())

    def cancel(self, execution_id: str) -> None:
        url = f"{self.base}/v1/executions/{execution_id}/cancel"
        self.http.post(url, headers=self.headers, timeout=60)  # 409 once it ended: fine

    def execute_cancel_and_wait(self, execution_id: str, timeout: float = 120) -> str:
        """Cancel the execution and wait until its BigQuery job (if any) is DONE; its
        state. Outside any timing: no job is left running while the next call is timed."""
        self.cancel(execution_id)
        body = self.get(f"/v1/executions/{execution_id}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                job = self.bigquery.get_job(body["bigquery_job_id"])
            except NotFound:
                break  # never submitted (queued): nothing runs
            if job.state == "DONE":
                break
            time.sleep(0.05)
        return str(body["state"])

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


def completion_delays(bench: Bench, runs: int = COMPLETION_RUNS) -> list[float]:
    """Seconds from each job's end (BigQuery's endTime) to the Firestore write that made
    its execution terminal (the document's update time), for `runs` executions of new
    parameters that nobody reads the status of: the completion event ends them."""
    delays = []
    for radius in range(50_000, 50_000 + runs):  # new parameters (honest_floors uses others)
        started = bench.execute(WORKFLOW_ID, {**SEED_VALUES, "buffer_radius": radius})
        document = bench.firestore.document(f"orgs/{DEMO_ORG}/executions/{started['id']}")
        deadline = time.monotonic() + 300
        snapshot = document.get()
        while (snapshot.get("state") or "") not in ("succeeded", "failed", "cancelled"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {started['id']} did not end without a status read")
            time.sleep(0.05)
            snapshot = document.get()
        job = bench.bigquery.get_job(started["bigquery_job_id"])
        delays.append((snapshot.update_time - job.ended).total_seconds())
    return delays


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


@contextmanager
def running_stack(
    log_dir: Path, project: str = PROJECT
) -> Iterator[tuple[str, Settings, dict[str, Any], emulators.Emulators]]:
    """The emulators and the dev router on free ports, as the e2e tests start them, the
    demo seeded and provisioned, and the completion function; all stopped on exit. Yields
    the router's URL, the settings, the demo's provisioning info and the emulators."""
    print(f"Starting the local stack (logs in {log_dir})...", file=sys.stderr)
    running = emulators.start_emulators(project, log_dir)
    router = completions = None
    try:
        settings = Settings.from_env(running.env())
        seed_demo_tables(clients.bigquery_client(settings))
        info = provision_demo(settings)
        port = emulators.free_port()
        router = emulators.start_dev_router(port, running.env(), log_dir)
        completions = completion_events.start_completion_function(
            running.pubsub_host, project, running.env(), log_dir
        ).function
        yield f"http://127.0.0.1:{port}", settings, info, running
    finally:
        if router is not None:
            router.stop()
        if completions is not None:
            completions.stop()
        running.stop()


@contextmanager
def local_stack(log_dir: Path) -> Iterator[tuple[Bench, emulators.Emulators]]:
    """`running_stack`, measured through a Bench."""
    with running_stack(log_dir) as (url, settings, info, running):
        yield Bench(url, settings, info), running


def main() -> None:
    with local_stack(Path(tempfile.mkdtemp(prefix="wfapi-bench-"))) as (bench, running):
        print("Measuring latencies beside their floors...", file=sys.stderr)
        rows = honest_floors.measure(bench)
        honest_floors.report(rows)  # at once: what follows takes minutes
        print("Measuring job end to execution end, without status reads...", file=sys.stderr)
        delays = completion_delays(bench)
        print(f"Measuring {CONCURRENT} executes sent at once...", file=sys.stderr)
        at_once = concurrent_executes(bench)
        print(
            f"\n{CONCURRENT} executes of new parameters sent at once (ms each): p50 "
            f"{statistics.median(at_once) * 1000:.0f}, max {max(at_once) * 1000:.0f}"
        )
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
        statements = statements_per_example(bench, App(bench.settings))
        report(cold, statements, delays)
        if render is not None:
            console_render.report(render)


def report(
    cold: dict[str, cold_start.ColdStart],
    statements: list[tuple[str, int, int | None]],
    delays: list[float],
) -> None:
    print(
        f"\nJob end to execution end, no status read (ms; {len(delays)} executions): BigQuery's"
        " endTime to the Firestore write that made the execution terminal, through the"
        " completion event (local stand-in for Cloud Logging's sink, Pub/Sub emulator push)"
    )
    print(
        f"{'p50':>8}{'max':>8}\n{statistics.median(delays) * 1000:>8.0f}{max(delays) * 1000:>8.0f}"
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
