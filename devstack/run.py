"""`make run`: the whole service on this machine, on emulators, with no cloud account.

Starts the Firestore, BigQuery and Pub/Sub emulators and the IAM Credentials stand-in
(each org's connection impersonates its own service account), seeds the demo data, serves every
route on one port through the dev router, starts the CloudEvent functions with their topics,
the sweep's schedule (devstack/scheduler_standin.py) and the job-completion events of
Cloud Logging's stand-in (devstack/completion_events.py), writes `.local/stack.json` and
waits for Ctrl-C, which stops every process it started.

Webhooks may go to http:// and loopback receivers here (WFAPI_WEBHOOKS_ALLOW_HTTP, a
local-only setting that deployed functions refuse), so a webhook can be received on
this machine.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.table import Table

from devstack import completion_events, emulators, pubsub
from devstack.cloud_scheduler_standin import (
    MINUTE_SECONDS_VARIABLE,
    CloudSchedulerStandIn,
    local_invoker,
    scheduler_env,
)
from devstack.demo import DEMO_ORG, SEED_VALUES, example_commands
from devstack.emulators import REPO_ROOT, StackError
from devstack.pushed_function import (
    PushedFunction,
    start_completion_function,
    start_pushed_function,
)
from devstack.scheduler_standin import SWEEP_SECONDS_VARIABLE, LocalSweep, sweep_seconds

LOCAL_DIR = REPO_ROOT / ".local"
STACK_FILE = LOCAL_DIR / "stack.json"
PID_FILE = LOCAL_DIR / "run.pid"
LOCAL_PROJECT = "workflows-api-local"
DEMO_TOPIC = "workflows-demo"
# Local only (config.py): webhooks to http:// and loopback receivers, on this machine.
LOCAL_FUNCTION_SETTINGS = {"WFAPI_WEBHOOKS_ALLOW_HTTP": "1"}

console = Console()


def _already_running() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid if pid != os.getpid() else None


def _requested_port() -> int:
    raw = os.environ.get("PORT", "8080")
    try:
        port = int(raw)
    except ValueError:
        raise StackError(f"PORT must be a number, got {raw!r}.") from None
    if not 1 <= port <= 65535:
        raise StackError(f"PORT must be between 1 and 65535, got {port}.")
    return port


def write_stack_file(info: dict[str, Any]) -> None:
    LOCAL_DIR.mkdir(exist_ok=True)
    STACK_FILE.write_text(json.dumps(info, indent=2) + "\n")
    # The file may hold tokens: readable by this user only.
    STACK_FILE.chmod(0o600)


def print_stack(info: dict[str, Any]) -> None:
    table = Table(title="Workflows API, local stack", show_header=False)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")  # tokens in full: they are meant to be copied
    for key, value in info.items():
        table.add_row(key, str(value))  # tokens included: this is the user's own terminal
    console.print(table)
    console.print(f"Written to {STACK_FILE.relative_to(REPO_ROOT)}. Try:")
    console.print(f"  curl -s {info['base_url']}/healthz", markup=False)
    for command in example_commands(info):
        console.print(f"  {command}", markup=False, soft_wrap=True)
    console.print("Start an execution with a Pub/Sub message:")
    message = {"workflow": info["workflow_id"], "parameters": SEED_VALUES}
    command = pubsub.publish_command(info["pubsub_emulator_host"], info["pubsub_topic"], message)
    console.print(f"  {command}", markup=False, soft_wrap=True)
    from workflows_api.service.sweep import SWEEP_MIN_AGE

    console.print(
        f"The sweep runs every {info['sweep_seconds']:g} s ({SWEEP_SECONDS_VARIABLE}; "
        "deployed: every 5 minutes): it submits the executions left `created` for over "
        f"{SWEEP_MIN_AGE.total_seconds():g} s.",
        markup=False,
    )
    console.print("The web console (sign in with the token above):", style="bold")
    console.print(f"  {info['base_url']}/console/", markup=False)
    if info.get("completion_events"):
        console.print(
            "Completion events: on. When a local BigQuery job ends, a stand-in for Cloud "
            f"Logging publishes its audit-log entry to {info['completion_topic']}, pushed to "
            "`bigquery_job_completed`, as deployed: executions end within seconds, with no "
            f"status read ({completion_events.DROP_VARIABLE}=true make run drops them, to "
            "try the sweep).",
            markup=False,
        )
    elif "completion_events" in info:
        console.print(
            f"Completion events: off ({completion_events.DROP_VARIABLE}). Executions end "
            "when their status is read or when the sweep runs.",
            markup=False,
        )
    console.print(
        "Webhooks: http:// and loopback URLs allowed (WFAPI_WEBHOOKS_ALLOW_HTTP=1, local "
        "only: deployed functions refuse the setting), so a receiver on this machine, "
        "e.g. http://127.0.0.1:9000/hook, gets them.",
        markup=False,
    )
    if "scheduler_endpoint" in info:
        console.print(
            f"Cloud Scheduler's stand-in serves {info['scheduler_endpoint']} and fires "
            f"schedules (a cron minute lasts {info['scheduler_minute_seconds']:g} s; "
            f"{MINUTE_SECONDS_VARIABLE}):",
            markup=False,
        )
        console.print(
            f"  wfapi schedules create {info['workflow_id']} --cron '* * * * *' "
            "-p number_of_clusters=2 -p buffer_radius=500 -p store_type=Supermarket",
            markup=False,
        )
    console.print("Point wfapi (and the SDK) at it:")
    console.print(f"  export WFAPI_URL={info['base_url']}", markup=False)
    console.print(f"  export WFAPI_TOKEN={info['token']}", markup=False, soft_wrap=True)
    console.print("Ctrl-C stops everything.", style="bold")


def function_env(running: emulators.Emulators) -> dict[str, str]:
    """What every function of the local stack runs with: the emulators, local settings."""
    return {**running.env(), **LOCAL_FUNCTION_SETTINGS}


def start_pubsub_trigger(running: emulators.Emulators, log_dir: Path) -> PushedFunction:
    """The `pubsub_trigger` function, and a topic bound to org demo that pushes to it."""
    topic = pubsub.topic_name(LOCAL_PROJECT, DEMO_TOPIC)
    env = {**function_env(running), "WFAPI_PUBSUB_TOPICS": json.dumps({topic: DEMO_ORG})}
    return start_pushed_function(
        running.pubsub_host, LOCAL_PROJECT, DEMO_TOPIC, "pubsub_trigger", env, log_dir
    )


def scheduler_minute_seconds() -> float:
    """A cron minute of the local Cloud Scheduler, in real seconds (default 60)."""
    raw = os.environ.get(MINUTE_SECONDS_VARIABLE, "60")
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0.5 <= seconds <= 3600:
        raise StackError(f"{MINUTE_SECONDS_VARIABLE} must be 0.5 to 3600 seconds, got {raw!r}.")
    return seconds


def router_env(
    running: emulators.Emulators, standin: CloudSchedulerStandIn, port: int
) -> dict[str, str]:
    """The dev router's settings: the emulators, and Cloud Scheduler's stand-in, whose
    fires come back to the router with ID tokens it verifies against the stand-in's keys."""
    base_url = f"http://127.0.0.1:{port}"
    return {
        **function_env(running),
        **scheduler_env(standin, base_url, LOCAL_PROJECT),
        "WFAPI_OIDC_AUDIENCE": base_url,
        "WFAPI_OIDC_CERTS_URL": standin.certs_url,
    }


def start_stack(
    port: int,
    sweep_interval: float,
    standin: CloudSchedulerStandIn,
    completion_events_on: bool = True,
) -> tuple[list[emulators.ManagedProcess], dict[str, Any], LocalSweep]:
    log_dir = LOCAL_DIR / "logs"
    processes: list[emulators.ManagedProcess] = []
    try:
        with console.status("Starting the emulators and the IAM Credentials stand-in..."):
            running = emulators.start_emulators(
                LOCAL_PROJECT, log_dir, completion_events=completion_events_on
            )
        processes.extend(running.processes)
        with console.status("Seeding the retail tables into the local BigQuery..."):
            from devstack.seed import seed_demo_tables
            from workflows_api.adapters.clients import bigquery_client
            from workflows_api.config import Settings

            settings = Settings.from_env(running.env())
            seeded_tables = seed_demo_tables(bigquery_client(settings))
        with console.status("Registering orgs demo and other, the demo workflow, tokens..."):
            from devstack.demo import provision_demo

            demo = provision_demo(settings)
        with console.status(f"Starting the dev router on port {port}..."):
            processes.append(
                emulators.start_dev_router(port, router_env(running, standin, port), log_dir)
            )
        with console.status("Starting the Pub/Sub trigger and its topic..."):
            trigger = start_pubsub_trigger(running, log_dir)
            processes.append(trigger.function)
        with console.status("Starting the webhook delivery function and its topic..."):
            from devstack.webhook_delivery import start_webhook_delivery

            processes.append(
                start_webhook_delivery(
                    running.pubsub_host, LOCAL_PROJECT, function_env(running), log_dir
                )
            )
        with console.status("Starting the job-completion function and its topic..."):
            completions = start_completion_function(
                running.pubsub_host, LOCAL_PROJECT, function_env(running), log_dir
            )
            processes.append(completions.function)
        with console.status("Starting the sweep function, its topic and its schedule..."):
            from devstack.scheduler_standin import start_local_sweep

            sweep = start_local_sweep(
                running.pubsub_host, LOCAL_PROJECT, function_env(running), log_dir, sweep_interval
            )
            processes.append(sweep.pushed.function)
    except BaseException:
        for managed in reversed(processes):
            managed.stop()
        raise
    info: dict[str, Any] = {
        "base_url": f"http://127.0.0.1:{port}",
        "project": LOCAL_PROJECT,
        "firestore_emulator_host": running.firestore_host,
        "bigquery_emulator_host": running.bigquery_host,
        "iam_credentials_endpoint": running.iam_credentials_endpoint,
        "seeded_tables": seeded_tables,
        **demo,
        "pubsub_emulator_host": running.pubsub_host,
        "pubsub_topic": trigger.topic,
        "sweep_topic": sweep.pushed.topic,
        "sweep_seconds": sweep_interval,
        "completion_topic": completions.topic,
        "completion_events": completion_events_on,
        "scheduler_endpoint": standin.endpoint,
        "scheduler_minute_seconds": 60 / standin.speed,
        "schedule_invoker": local_invoker(LOCAL_PROJECT),
        "logs": str(log_dir.relative_to(REPO_ROOT)),
    }
    return processes, info, sweep


def main() -> int:
    other = _already_running()
    if other is not None:
        console.print(
            f"[red]The local stack is already running (pid {other}).[/red] "
            f"Stop it with Ctrl-C in its terminal, or `kill {other}`, then try again."
        )
        return 1
    try:
        port = _requested_port()
        sweep_interval = sweep_seconds(os.environ)
        events_on = not completion_events.drop_completion_events(os.environ)
        if not emulators.port_is_free(port):
            raise StackError(
                f"Port {port} is already in use. Free it, or choose another: `PORT=8081 make run`."
            )
        LOCAL_DIR.mkdir(exist_ok=True)
        PID_FILE.write_text(str(os.getpid()))
        started = time.monotonic()
        standin = CloudSchedulerStandIn(minute_seconds=scheduler_minute_seconds())
        processes, info, sweep = start_stack(port, sweep_interval, standin, events_on)
    except StackError as error:
        console.print(f"[red]Cannot start the local stack:[/red] {error}")
        PID_FILE.unlink(missing_ok=True)
        return 1
    except KeyboardInterrupt:
        console.print("Interrupted; stopped.")
        PID_FILE.unlink(missing_ok=True)
        return 130

    write_stack_file(info)
    print_stack(info)
    console.print(f"Up in {time.monotonic() - started:.1f}s.")

    stopping = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        while not stopping:
            dead = [p for p in processes if not p.alive()]
            if dead:
                console.print(
                    f"[red]{dead[0].name} stopped unexpectedly[/red] "
                    f"(log: {dead[0].log_path}):\n{dead[0].log_tail()}"
                )
                break
            time.sleep(0.5)
    finally:
        console.print("Stopping...")
        sweep.schedule.stop()  # no tick to an emulator that is stopping
        standin.stop()  # no fire to a router that is stopping
        for managed in reversed(processes):
            managed.stop()
        PID_FILE.unlink(missing_ok=True)
        STACK_FILE.unlink(missing_ok=True)
    console.print("Stopped.")
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
