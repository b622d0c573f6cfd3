"""`make run`: the whole service on this machine, on emulators, with no cloud account.

Starts the Firestore, BigQuery and Pub/Sub emulators and the IAM Credentials stand-in
(each org's connection impersonates its own service account), seeds the demo data, serves every
route on one port through the dev router, starts the CloudEvent functions with their topics
and the sweep's schedule (devstack/scheduler_standin.py), writes `.local/stack.json` and
waits for Ctrl-C, which stops every process it started.
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

from devstack import emulators, pubsub
from devstack.demo import DEMO_ORG, SEED_VALUES, example_commands
from devstack.emulators import REPO_ROOT, StackError
from devstack.pushed_function import PushedFunction, start_pushed_function
from devstack.scheduler_standin import SWEEP_SECONDS_VARIABLE, LocalSweep, sweep_seconds

LOCAL_DIR = REPO_ROOT / ".local"
STACK_FILE = LOCAL_DIR / "stack.json"
PID_FILE = LOCAL_DIR / "run.pid"
LOCAL_PROJECT = "workflows-api-local"
DEMO_TOPIC = "workflows-demo"

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
    console.print("Point wfapi (and the SDK) at it:")
    console.print(f"  export WFAPI_URL={info['base_url']}", markup=False)
    console.print(f"  export WFAPI_TOKEN={info['token']}", markup=False, soft_wrap=True)
    console.print("Ctrl-C stops everything.", style="bold")


def start_pubsub_trigger(running: emulators.Emulators, log_dir: Path) -> PushedFunction:
    """The `pubsub_trigger` function, and a topic bound to org demo that pushes to it."""
    topic = pubsub.topic_name(LOCAL_PROJECT, DEMO_TOPIC)
    env = {**running.env(), "WFAPI_PUBSUB_TOPICS": json.dumps({topic: DEMO_ORG})}
    return start_pushed_function(
        running.pubsub_host, LOCAL_PROJECT, DEMO_TOPIC, "pubsub_trigger", env, log_dir
    )


def start_stack(
    port: int, sweep_interval: float
) -> tuple[list[emulators.ManagedProcess], dict[str, Any], LocalSweep]:
    log_dir = LOCAL_DIR / "logs"
    processes: list[emulators.ManagedProcess] = []
    try:
        with console.status("Starting the emulators and the IAM Credentials stand-in..."):
            running = emulators.start_emulators(LOCAL_PROJECT, log_dir)
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
            processes.append(emulators.start_dev_router(port, running.env(), log_dir))
        with console.status("Starting the Pub/Sub trigger and its topic..."):
            trigger = start_pubsub_trigger(running, log_dir)
            processes.append(trigger.function)
        with console.status("Starting the webhook delivery function and its topic..."):
            from devstack.webhook_delivery import start_webhook_delivery

            processes.append(
                start_webhook_delivery(running.pubsub_host, LOCAL_PROJECT, running.env(), log_dir)
            )
        with console.status("Starting the sweep function, its topic and its schedule..."):
            from devstack.scheduler_standin import start_local_sweep

            sweep = start_local_sweep(
                running.pubsub_host, LOCAL_PROJECT, running.env(), log_dir, sweep_interval
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
        if not emulators.port_is_free(port):
            raise StackError(
                f"Port {port} is already in use. Free it, or choose another: `PORT=8081 make run`."
            )
        LOCAL_DIR.mkdir(exist_ok=True)
        PID_FILE.write_text(str(os.getpid()))
        started = time.monotonic()
        processes, info, sweep = start_stack(port, sweep_interval)
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
        for managed in reversed(processes):
            managed.stop()
        PID_FILE.unlink(missing_ok=True)
        STACK_FILE.unlink(missing_ok=True)
    console.print("Stopped.")
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
