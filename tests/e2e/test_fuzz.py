"""schemathesis against the local stack: every route, generated from the served document.

Two runs of the pinned schemathesis CLI, with a fixed seed, against the dev router:
1. refused requests only (negative mode: every value breaks the document), between two
   snapshots of the org's Firestore documents, which must be equal;
2. everything (positive and negative, example, coverage, fuzzing and stateful phases that
   follow the document's links from created workflows and executions to reads, cancels
   and results).
Checks: no 5xx, and every answer conforms to the document (status code, content type,
headers, body schema). Execute requests carry parameter values generated from the
demo workflow's `parameters_schema` (GET /v1/workflows/{id}/api).

The run fuzzes an org of its own (provisioned like the demo org, with a token of every
grant): a stateful fuzzer deletes and disables whatever it finds, and the demo org's
workflows are shared by the session's other tests. `WFAPI_FUZZ_EXAMPLES` sets the budget
per operation (`make fuzz` runs a long one); the request counts come from HAR reports.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from google.cloud import firestore

from devstack.iam_credentials_standin import local_service_account
from devstack.seed import DEMO_DATASET
from tests.e2e.helpers import DEMO_DEFINITION, Stack
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.access.tokens import ALL_GRANTS

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).parents[2]
SEED = 20261130
# Per operation and phase (26 operations); the second run gets 20% more, so that the
# total clears MIN_REQUESTS whatever the coverage phase adds. `make fuzz` sets more.
EXAMPLES = int(os.environ.get("WFAPI_FUZZ_EXAMPLES", "100"))
MIN_REQUESTS = int(os.environ.get("WFAPI_FUZZ_MIN_REQUESTS", "5000"))
# Generous bounds for a loaded machine (the default budget took ~3 minutes at load 4.6 on 2 cores).
RUN_TIMEOUT = max(900, EXAMPLES * 10)
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)


# The demo's parameter declarations (so its parameters_schema) over a cheap graph: the run
# executes a hundred of them, and the demo's k-means and buffers (read back as GeoJSON,
# ~0.1 s a polygon on the local BigQuery) would make it a BigQuery benchmark. The unused
# parameters are warnings, and still checked on every execute.
FUZZ_DEFINITION = {
    **DEMO_DEFINITION,
    "nodes": [
        *(node for node in DEMO_DEFINITION["nodes"] if node["id"] in ("stores", "stores_of_type")),
        {
            "id": "result",
            "type": "select",
            "inputs": ["stores_of_type"],
            "settings": {"columns": ["id", "name"]},
        },
        {"id": "output", "type": "output", "inputs": ["result"]},
    ],
}


def org_documents(db: firestore.Client, org: str) -> dict[str, Any]:
    """Every document under orgs/{org}, by path (what a refused request must not change)."""
    found: dict[str, Any] = {}

    def walk(reference: firestore.DocumentReference) -> None:
        for collection in reference.collections():
            for snapshot in collection.stream():
                found[snapshot.reference.path] = snapshot.to_dict()
                walk(snapshot.reference)

    walk(db.collection("orgs").document(org))
    return found


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Document path -> the fields that differ (before, after); added/removed documents."""
    found: dict[str, Any] = {}
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old is None or new is None:
            found[path] = "added" if old is None else "removed"
        elif old != new:
            found[path] = {
                key: (old.get(key), new.get(key))
                for key in sorted(set(old) | set(new))
                if old.get(key) != new.get(key)
            }
    return found


class FuzzOrg:
    def __init__(self, org: str, token: str, workflow_id: str) -> None:
        self.org = org
        self.token = token
        self.workflow_id = workflow_id


@pytest.fixture(scope="module")
def fuzz_org(http: requests.Session, stack: Stack) -> FuzzOrg:
    """An org like the demo's: the local connection, a token, FUZZ_DEFINITION enabled."""
    org = f"fuzz{uuid.uuid4().hex[:8]}"
    stack.app.admin.put_connection(
        Connection(
            org,
            "local",
            stack.settings.project,
            # The local IAM stand-in knows the two stack orgs' accounts: borrow the demo's.
            service_account=local_service_account("demo", stack.settings.project),
            read_allowlist=(f"{stack.settings.project}.{DEMO_DATASET}",),
        )
    )
    token = stack.app.admin.create_token(org, frozenset(ALL_GRANTS), name="fuzz").secret
    headers = {"Authorization": f"Bearer {token}"}
    workflow_id = "fuzz_store_clusters"
    put = http.put(
        stack.url(f"/v1/workflows/{workflow_id}"), json=FUZZ_DEFINITION, headers=headers, timeout=60
    )
    assert put.status_code == 201, put.text
    enabled = http.post(stack.url(f"/v1/workflows/{workflow_id}/api"), headers=headers, timeout=120)
    assert enabled.status_code == 200, enabled.text
    return FuzzOrg(org, token, workflow_id)


def fuzz_document(http: requests.Session, stack: Stack, fuzz: FuzzOrg) -> dict[str, Any]:
    """The served document, with the execute operations narrowed to the fuzz workflow and
    its `parameters_schema`, so generated values reach the parameter checks and runs.

    Narrowing only requests: every answer is still checked against the served responses.
    `wait_seconds` stays 0: a wait holds the request by design.
    """
    document: dict[str, Any] = http.get(stack.url("/openapi.json"), timeout=30).json()
    api = http.get(
        stack.url(f"/v1/workflows/{fuzz.workflow_id}/api"),
        headers={"Authorization": f"Bearer {fuzz.token}"},
        timeout=30,
    ).json()
    values = {k: v for k, v in api["parameters_schema"].items() if k != "$schema"}
    paths = document["paths"]
    native = paths["/v1/workflows/{workflow_id}/executions"]["post"]
    _narrow(native, {"workflow_id": fuzz.workflow_id})
    # `cache` as served (null: the workflow's setting); narrowed to boolean, a negative
    # case "became null" was flagged as accepted bad input (the 50,000-request run).
    cache = {"type": ["boolean", "null"]}
    _body(native, parameters=values, cache=cache, wait_seconds={"const": 0})
    nexadata = paths["/api/v1/workflows/{workflow_id}/execute"]["post"]
    _narrow(nexadata, {"workflow_id": fuzz.workflow_id})
    _body(nexadata, parameters=values)
    carto = paths["/v3/sql/{connection}/job"]["post"]
    _narrow(carto, {"connection": "local"})
    names = ",".join(f"@{name}" for name in values["properties"])
    call = f"CALL `{api['procedure']}`({names})"
    _body(carto, query={"const": call}, queryParameters=values)
    return document


def _narrow(operation: dict[str, Any], path_values: dict[str, str]) -> None:
    for parameter in operation["parameters"]:
        if parameter["name"] in path_values:
            parameter["schema"] = {"type": "string", "enum": [path_values[parameter["name"]]]}


def _body(operation: dict[str, Any], **properties: Any) -> None:
    schema = {
        "type": "object",
        "properties": properties,
        "required": [next(iter(properties))],
        "additionalProperties": False,
    }
    operation["requestBody"]["content"] = {"application/json": {"schema": schema}}


def run_schemathesis(
    stack: Stack,
    fuzz: FuzzOrg,
    schema_file: Path,
    har: Path,
    *options: str,
    refused_only: bool = False,
) -> tuple[int, float, str]:
    """(requests sent, seconds, output) of one CLI run; fails the test on any failure."""
    started = time.monotonic()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(schema_file),
        "--url",
        stack.base_url,
        "--header",
        f"Authorization: Bearer {fuzz.token}",
        "--seed",
        str(SEED),
        "--checks",
        ",".join((*CHECKS, "negative_data_rejection") if refused_only else CHECKS),
        # One worker: CPython 3.11's ast (hypothesis describes strategies with it) is not
        # thread-safe ("AST constructor recursion depth mismatch"); the router is the
        # bottleneck on 2 cores anyway.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-shrink",
        "--suppress-health-check",
        "all",
        "--report",
        "har",
        "--report-har-path",
        str(har),
        "--output-sanitize",
        "true",
        *options,
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.e2e.fuzz_hooks",
        "WFAPI_FUZZ_REFUSED_ONLY": "1" if refused_only else "0",
        "WFAPI_FUZZ_KEEP_WORKFLOW": fuzz.workflow_id,
        "PYTHONPATH": str(REPO_ROOT),
    }
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
        env=env,
        cwd=har.parent,  # schemathesis writes .schemathesis/ there
    )
    seconds = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    output = done.stdout + done.stderr + f"\n(schemathesis used {cpu:.0f} s of CPU)"
    assert done.returncode == 0, output[-20_000:]
    entries = json.loads(har.read_text(encoding="utf-8"))["log"]["entries"]
    return len(entries), seconds, output


@pytest.mark.timeout(2 * RUN_TIMEOUT)
def test_fuzzing_finds_no_error_and_refusals_change_nothing(
    http: requests.Session, stack: Stack, fuzz_org: FuzzOrg, tmp_path: Path
) -> None:
    schema_file = tmp_path / "openapi.json"
    schema_file.write_text(json.dumps(fuzz_document(http, stack, fuzz_org)), encoding="utf-8")
    db = stack.app.firestore

    before = org_documents(db, fuzz_org.org)
    refused, refused_seconds, refused_output = run_schemathesis(
        stack,
        fuzz_org,
        schema_file,
        tmp_path / "refused.har",
        "--mode",
        "negative",
        "--phases",
        "fuzzing",
        "--max-examples",
        str(EXAMPLES),
        refused_only=True,
    )
    after = org_documents(db, fuzz_org.org)
    assert changes(before, after) == {}

    generated, seconds, output = run_schemathesis(
        stack,
        fuzz_org,
        schema_file,
        tmp_path / "all.har",
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES * 6 // 5),
    )
    total = refused + generated
    print(
        f"\nfuzz: {refused} refused-only requests in {refused_seconds:.0f} s "
        f"{refused_output.splitlines()[-1]}, "
        f"{generated} more in {seconds:.0f} s ({total} in all)\n{output[-3000:]}"
    )
    assert total >= MIN_REQUESTS
