"""Start and stop the local emulators and the dev router as child processes.

Used by `make run` (devstack.run) and by the test suite (tests/conftest.py), so
both start the stack the same way. Every process gets its own process group,
so stopping it also stops what it spawned (gcloud starts Java).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from devstack import completion_events as events
from devstack.iam_credentials_standin import IamCredentialsStandIn, local_service_accounts
from devstack.prerequisites import StackError, check_prerequisites, install_duckdb_spatial_extension

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when `url` answers at all below 500 (the emulators' roots answer 200 or 404)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return int(response.status) < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (OSError, ValueError):
        return False


@dataclass
class ManagedProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace_seconds: float = 10.0) -> None:
        if not self.alive():
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            self.process.wait(timeout=grace_seconds)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def start_process(
    name: str, command: list[str], log_path: Path, env: dict[str, str] | None = None
) -> ManagedProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=REPO_ROOT,
            start_new_session=True,  # its own process group: Ctrl-C is ours to forward
        )
    return ManagedProcess(name, process, log_path)


def wait_until(ready: Callable[[], bool], managed: ManagedProcess, timeout_seconds: float) -> None:
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if ready():
            return
        if not managed.alive():
            raise StackError(
                f"{managed.name} exited before it was ready (log: {managed.log_path}):\n"
                f"{managed.log_tail()}"
            )
        time.sleep(0.25)
    managed.stop()
    raise StackError(
        f"{managed.name} was not ready after {timeout_seconds:.0f}s "
        f"(log: {managed.log_path}):\n{managed.log_tail()}"
    )


@dataclass
class Emulators:
    """The running emulators and how to reach them."""

    project: str
    firestore_host: str
    bigquery_host: str
    pubsub_host: str
    iam: IamCredentialsStandIn | None = None  # in this process (a thread)
    processes: list[ManagedProcess] = field(default_factory=list)

    @property
    def iam_credentials_endpoint(self) -> str:
        return self.iam.endpoint if self.iam else ""

    def env(self) -> dict[str, str]:
        """Environment variables that point the functions and clients at the emulators."""
        return {
            "GOOGLE_CLOUD_PROJECT": self.project,
            "FIRESTORE_EMULATOR_HOST": self.firestore_host,
            "BIGQUERY_EMULATOR_HOST": self.bigquery_host,
            "PUBSUB_EMULATOR_HOST": self.pubsub_host,
            # No Secret Manager emulator: webhook signing secrets stay in Firestore.
            "WFAPI_WEBHOOK_SECRETS": "firestore",
            # Impersonation of each org's service account, through the stand-in.
            "WFAPI_IAM_CREDENTIALS_ENDPOINT": self.iam_credentials_endpoint,
        }

    def stop(self) -> None:
        for managed in reversed(self.processes):
            managed.stop()
        if self.iam:
            self.iam.stop()


def start_firestore(port: int, log_dir: Path) -> ManagedProcess:
    host = f"127.0.0.1:{port}"
    managed = start_process(
        "Firestore emulator",
        ["gcloud", "emulators", "firestore", "start", f"--host-port={host}", "--quiet"],
        log_dir / "firestore.log",
    )
    wait_until(lambda: http_ok(f"http://{host}/"), managed, timeout_seconds=60)
    return managed


def start_pubsub(port: int, project: str, log_dir: Path) -> ManagedProcess:
    host = f"127.0.0.1:{port}"
    managed = start_process(
        "Pub/Sub emulator",
        [
            "gcloud",
            "beta",
            "emulators",
            "pubsub",
            "start",
            f"--host-port={host}",
            f"--project={project}",
            "--quiet",
        ],
        log_dir / "pubsub.log",
    )
    wait_until(lambda: http_ok(f"http://{host}/"), managed, timeout_seconds=60)
    return managed


def start_bigquery(
    port: int, grpc_port: int, project: str, log_dir: Path, env: dict[str, str] | None = None
) -> ManagedProcess:
    """bqemulator with the local-only shims (devstack/bq_shim.py): script parameters,
    GEOGRAPHY columns, asynchronous jobs, procedures with control flow, and the job-end
    log entries of Cloud Logging's stand-in (devstack/completion_events.py, set by `env`)."""
    install_duckdb_spatial_extension()
    managed = start_process(
        "BigQuery emulator",
        [
            sys.executable,
            "-m",
            "devstack.bq_shim",
            "start",
            "--rest-host=127.0.0.1",
            f"--rest-port={port}",
            "--grpc-host=127.0.0.1",
            f"--grpc-port={grpc_port}",
            f"--project={project}",
            "--log-level=warning",
            "--log-format=json",
        ],
        log_dir / "bigquery.log",
        env=env,
    )
    url = f"http://127.0.0.1:{port}/bigquery/v2/projects/{project}/datasets"
    wait_until(lambda: http_ok(url), managed, timeout_seconds=90)
    return managed


def start_emulators(
    project: str,
    log_dir: Path,
    firestore_port: int | None = None,
    bigquery_port: int | None = None,
    *,
    completion_events: bool = True,
) -> Emulators:
    """Start the Firestore, BigQuery and Pub/Sub emulators and the IAM Credentials
    stand-in (one service account per org of LOCAL_ORGS) on free ports; stop them all
    if any fails. With `completion_events`, the local BigQuery publishes each labelled
    job's end to `<project>`'s completion topic, as Cloud Logging's sink does
    (devstack/completion_events.py; the topic and its function are the caller's)."""
    check_prerequisites()
    firestore_port = firestore_port or free_port()
    bigquery_port = bigquery_port or free_port()
    pubsub_port = free_port()
    emulators = Emulators(
        project,
        f"127.0.0.1:{firestore_port}",
        f"127.0.0.1:{bigquery_port}",
        f"127.0.0.1:{pubsub_port}",
        IamCredentialsStandIn(local_service_accounts(project)),
    )
    try:
        emulators.processes.append(start_firestore(firestore_port, log_dir))
        emulators.processes.append(start_pubsub(pubsub_port, project, log_dir))
        bigquery_env = events.shim_environment(
            emulators.pubsub_host, project, publish=completion_events
        )
        emulators.processes.append(
            start_bigquery(bigquery_port, free_port(), project, log_dir, bigquery_env)
        )
    except BaseException:
        emulators.stop()
        raise
    return emulators


def start_dev_router(port: int, env: dict[str, str], log_dir: Path) -> ManagedProcess:
    """functions-framework serving every route of the routing table on one port."""
    managed = start_process(
        "dev router",
        [
            sys.executable,
            "-m",
            "functions_framework",
            f"--source={REPO_ROOT / 'devstack' / 'router.py'}",
            "--target=dev_router",
            "--host=127.0.0.1",
            f"--port={port}",
        ],
        log_dir / "router.log",
        # Enough threads that a burst of concurrent requests is really concurrent.
        env={**env, "THREADS": env.get("THREADS", "32")},
    )
    wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), managed, timeout_seconds=60)
    return managed


def start_cloudevent_function(
    target: str, port: int, env: dict[str, str], log_dir: Path
) -> ManagedProcess:
    """One CloudEvent function of functions/main.py on its own port, as deployed.

    functions-framework also accepts a Pub/Sub push body at `/` and turns it into a
    CloudEvent, so the Pub/Sub emulator can push straight to it.
    """
    managed = start_process(
        f"function {target}",
        [
            sys.executable,
            "-m",
            "functions_framework",
            f"--source={REPO_ROOT / 'functions' / 'main.py'}",
            f"--target={target}",
            "--signature-type=cloudevent",
            "--host=127.0.0.1",
            f"--port={port}",
        ],
        log_dir / f"{target}.log",
        env={**env, "THREADS": env.get("THREADS", "8")},
    )
    wait_until(lambda: not port_is_free(port), managed, timeout_seconds=60)
    return managed
