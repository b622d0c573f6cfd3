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
from pathlib import Path

import requests

from benchmarks import cold_start, compile_benchmark, console_render, honest_floors
from benchmarks.local_stack import PROJECT, Bench, concurrently, local_stack
from devstack import emulators
from devstack.demo import DEMO_ORG, SEED_VALUES, WORKFLOW_ID
from workflows_api.bootstrap import App
from workflows_api.domain.workflow.compiler import compile_procedure
from workflows_api.domain.workflow.validation import load_workflow

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
COMPLETION_RUNS = 10
CONCURRENT = 10
_EXAMPLE_PARAMETERS = re.compile(r"^# Example parameters: (\{.*\})$", re.MULTILINE)


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
