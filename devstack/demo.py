"""Register the demo on a fresh local stack: connection, workflow, API, tokens.

Goes through the same services as the API (in-process), so what `make run`
provisions is exactly what a user would get by calling the API.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from devstack.iam_credentials_standin import LOCAL_ORGS, local_service_account
from devstack.seed import DEMO_DATASET, OTHER_ORG_DATASET
from workflows_api.bootstrap import App
from workflows_api.config import Settings
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.access.tokens import ALL_GRANTS

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_WORKFLOW_FILE = REPO_ROOT / "examples" / "store_clusters.yaml"
DEMO_ORG, OTHER_ORG = LOCAL_ORGS
CONNECTION = "local"
WORKFLOW_ID = "store_clusters"
SEED_VALUES = {"number_of_clusters": 2, "buffer_radius": 500, "store_type": "Supermarket"}


def provision_demo(settings: Settings) -> dict[str, Any]:
    """Stack-file keys for the two orgs: each its own connection, dataset (its org's
    default, created here) and service account (impersonated through the IAM
    Credentials stand-in); the demo workflow and API on org demo; a token per org."""
    app = App(settings)
    # Each org reads its own seeded data only (demo: the examples' tables; other: a copy
    # of the stores in a dataset of its own), so one org's tables are refused to the other.
    reads = {
        DEMO_ORG: (f"{settings.project}.{DEMO_DATASET}",),
        OTHER_ORG: (f"{settings.project}.{OTHER_ORG_DATASET}",),
    }
    connections = {
        org: app.admin.put_connection(
            Connection(
                org,
                CONNECTION,
                settings.project,
                service_account=local_service_account(org, settings.project),
                read_allowlist=reads[org],
            )
        )
        for org in (DEMO_ORG, OTHER_ORG)
    }
    app.workflows.put(DEMO_ORG, WORKFLOW_ID, DEMO_WORKFLOW_FILE.read_text(encoding="utf-8"))
    api = app.workflows.enable_api(DEMO_ORG, WORKFLOW_ID).api
    grants = frozenset(ALL_GRANTS)
    token = app.admin.create_token(DEMO_ORG, grants, name="make run")
    other = app.admin.create_token(OTHER_ORG, grants, name="make run (second org)")
    demo, second = connections[DEMO_ORG], connections[OTHER_ORG]
    return {
        "org": DEMO_ORG,
        "connection": demo.id,
        "dataset": demo.dataset,
        "service_account": demo.service_account,
        "workflow_id": WORKFLOW_ID,
        "procedure": api.procedure if api else None,
        "token": token.secret,
        "other_org": OTHER_ORG,
        "other_connection": second.id,
        "other_dataset": second.dataset,
        "other_service_account": second.service_account,
        "other_org_token": other.secret,
    }


def example_commands(info: dict[str, Any]) -> list[str]:
    """Ready-to-paste shell lines: execute with the seed's values, then poll the status."""
    base, workflow, token = info["base_url"], info["workflow_id"], info["token"]
    body = json.dumps({"parameters": SEED_VALUES})
    auth = shlex.quote(f"Authorization: Bearer {token}")
    read_id = "python3 -c 'import json,sys; print(json.load(sys.stdin)[\"id\"])'"
    return [
        f"ID=$(curl -sS -X POST {base}/v1/workflows/{workflow}/executions -H {auth} "
        f"-H 'Content-Type: application/json' -d {shlex.quote(body)} | {read_id})",
        f"curl -sS {base}/v1/executions/$ID -H {auth}",
    ]
