"""Cold-start timing: a fresh process from launch to its first answer.

`status` and `execute` are each one new Python process that imports functions/main.py
and serves one request through the function (as Cloud Functions would on a cold
instance). The bare process imports only functions-framework, google-cloud-bigquery,
google-cloud-firestore and pydantic and makes the same two Firestore reads the status
request needs (the token, the execution): the floor a function could get down to.

Wall time runs from launch to the answer (each process prints the monotonic clock
then; the interpreter's exit, about 0.13 s with gRPC's shutdown, is not an answer);
CPU time is the whole process's (user + system, from wait4). `import pydantic` loads
only pydantic-core: pydantic 2 loads its model machinery (`pydantic.main`, ~40 ms) on
first use, so a second floor, `bare+models`, also defines one model, for reference.

Both start from bytecode: the libraries' was compiled when pip installed them, and the
functions' source is compiled first here, as Cloud Functions' Python buildpack does
when it builds a function (`python3 -m compileall -f -q .`, GoogleCloudPlatform/
buildpacks, cmd/python/functions_framework). Without that, a machine that sets
PYTHONDONTWRITEBYTECODE would compile every module of ours on every start and
measure the compiler rather than the function.

Both run in a virtual environment of their own holding only functions/requirements.txt,
what Cloud Functions installs (made once per version of that file, under
`$XDG_CACHE_HOME/wfapi-bench/`, or `~/.cache/...`). The project's own environment also
holds the local BigQuery's dependencies (google-cloud-bigquery-storage, pyarrow, numpy),
which google-cloud-bigquery imports whenever they are installed: about 200 ms more in
every process that imports it, which no deployment pays.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNS = 15

_BARE = """
import sys
import functions_framework, google.cloud.bigquery, pydantic
from google.cloud import firestore
from google.auth.credentials import AnonymousCredentials
client = firestore.Client(project=sys.argv[1], credentials=AnonymousCredentials())
token = client.collection("tokens").document(sys.argv[2]).get()
execution = client.collection("orgs").document(sys.argv[3]).collection("executions")
found = execution.document(sys.argv[4]).get()
assert token.exists and found.exists
"""
_MODELS = """
from pydantic import BaseModel
class Loaded(BaseModel):
    name: str
"""
# Every process ends by saying when it answered (CLOCK_MONOTONIC: one clock for all).
_ANSWERED = """
import time
print(time.monotonic(), flush=True)
"""

_FUNCTION = """
import json, sys
sys.path.insert(0, sys.argv[1])
import main
from werkzeug.test import EnvironBuilder
from flask import Request
method, path, token, body = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
builder = EnvironBuilder(
    method=method, path=path, data=body or None,
    headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"},
)
response = getattr(main, sys.argv[6])(Request(builder.get_environ()))
assert response.status_code < 300, response.get_data(as_text=True)
"""


def deployed_python() -> str:
    """The Python of a virtual environment holding only functions/requirements.txt,
    made (a minute, from PyPI) unless an earlier run made it for this file's content."""
    requirements = REPO_ROOT / "functions" / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    home = Path(cache) / "wfapi-bench" / f"functions-{digest}"
    python, marker = home / "bin" / "python", home / ".installed"
    if marker.exists() and python.exists():
        return str(python)
    print(f"Installing functions/requirements.txt into {home} (once)...", file=sys.stderr)
    subprocess.run(
        [shutil.which("python3.11") or sys.executable, "-m", "venv", "--clear", str(home)],
        check=True,
    )
    alone = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-r", str(requirements)], check=True, cwd=home, env=alone)
    marker.touch()
    return str(python)


def _run(arguments: list[str], env: dict[str, str], python: str) -> tuple[float, float]:
    """Wall seconds from launch to the answer, and the CPU seconds (user + system) the
    process used: on a shared, busy machine the CPU time is the steadier of the two."""
    script, *argv = arguments
    started = time.monotonic()
    process = subprocess.Popen(
        [python, "-c", script + _ANSWERED, *argv], env=env, stdout=subprocess.PIPE
    )
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise subprocess.CalledProcessError(os.waitstatus_to_exitcode(status), script[:40])
    answered = float(output.split()[-1])
    return answered - started, usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class ColdStart:
    wall_seconds: float
    wall_ratio: float  # to the bare process
    cpu_seconds: float
    cpu_ratio: float


def cold_start_ratios(
    env: dict[str, str],
    *,
    token: str,
    org: str,
    execution_id: str,
    execute_path: str,
    execute_body: str,
    runs: int = RUNS,
) -> dict[str, ColdStart]:
    """Median wall and CPU seconds of each process kind, and their ratios to the bare
    one's. The kinds are interleaved run by run, so a busy moment hits all of them."""
    python = deployed_python()
    outside = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    child_env = {**outside, **env, "LOG_LEVEL": "WARNING"}
    token_id = token.removeprefix("wfa_").split("_", 1)[0]
    functions = str(REPO_ROOT / "functions")
    status_path = f"/v1/executions/{execution_id}"
    kinds = {
        "bare": [_BARE, env["GOOGLE_CLOUD_PROJECT"], token_id, org, execution_id],
        "bare+models": [_BARE + _MODELS, env["GOOGLE_CLOUD_PROJECT"], token_id, org, execution_id],
        "status": [_FUNCTION, functions, "GET", status_path, token, "", "status"],
        "execute": [_FUNCTION, functions, "POST", execute_path, token, execute_body, "execute"],
    }
    subprocess.run([sys.executable, "-m", "compileall", "-q", functions], check=True)
    measured: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    for arguments in kinds.values():
        _run(arguments, child_env, python)  # warm the file cache once, not measured
    for _ in range(runs):
        for kind, arguments in kinds.items():
            measured[kind].append(_run(arguments, child_env, python))
    wall = {kind: statistics.median(w for w, _ in runs_) for kind, runs_ in measured.items()}
    cpu = {kind: statistics.median(c for _, c in runs_) for kind, runs_ in measured.items()}
    return {
        kind: ColdStart(wall[kind], wall[kind] / wall["bare"], cpu[kind], cpu[kind] / cpu["bare"])
        for kind in kinds
    }
