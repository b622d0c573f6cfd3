"""Issue 23's findings through HTTP on the local stack (each also has unit tests)."""

from __future__ import annotations

import base64
import datetime as dt
import http.client as http_client
import json
import uuid
from typing import Any
from urllib.parse import urlsplit

import requests
from google.cloud import bigquery

from devstack.iam_credentials_standin import local_service_account
from tests.e2e.helpers import DEMO_DEFINITION, SEED_VALUES, Stack, execute, new_workflow, poll
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.access.tokens import ALL_GRANTS, Grant


def results(http: requests.Session, stack: Stack, execution_id: str, **query: str) -> Any:
    return http.get(
        stack.url(f"/v1/executions/{execution_id}/results"),
        params=query,
        headers=stack.headers(),
        timeout=120,
    )


def test_a_run_rewrites_a_stale_table_and_a_missing_one_is_409(
    http: requests.Session, stack: Stack, bq_client: bigquery.Client
) -> None:
    """Finding 5: the new run of an expired cache entry writes the same table name."""
    workflow_id = new_workflow(http, stack)
    first = poll(http, stack, execute(http, stack, workflow_id, SEED_VALUES).json()["id"])
    assert first["state"] == "succeeded", first
    rows = results(http, stack, first["id"], geography_format="wkt").json()["rows"]
    table = first["output_table"]
    # Stale rows under that name, and the entry past its reuse (the hour before the drop).
    bq_client.query(f"CREATE OR REPLACE TABLE `{table}` AS SELECT 'stale' AS junk").result()
    expired = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    stack.app.firestore.document(f"orgs/demo/executions/{first['id']}").update(
        {"output_expires_at": expired}
    )
    second = poll(http, stack, execute(http, stack, workflow_id, SEED_VALUES).json()["id"])
    assert second["id"] != first["id"] and second["output_table"] == table
    again = results(http, stack, second["id"], geography_format="wkt").json()
    assert "junk" not in {c["name"] for c in again["schema"]}
    assert len(again["rows"]) == len(rows)
    # The table dropped under a succeeded execution: 409, and no cache hit serves it.
    bq_client.delete_table(table)
    gone = results(http, stack, second["id"])
    assert gone.status_code == 409, gone.text
    assert gone.json()["error"]["code"] == "output_expired"
    third = execute(http, stack, workflow_id, SEED_VALUES).json()
    assert third["id"] != second["id"]
    assert poll(http, stack, third["id"])["state"] == "succeeded"
    assert results(http, stack, third["id"]).status_code == 200


def test_hostile_page_tokens_and_argument_names(http: requests.Session, stack: Stack) -> None:
    """Findings 10, 11 and 12."""
    workflow_id = new_workflow(http, stack)
    done = poll(http, stack, execute(http, stack, workflow_id, SEED_VALUES).json()["id"])
    for text in ("offset:²", "offset:" + "9" * 5000):
        token = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
        answer = results(http, stack, done["id"], page_token=token)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["field"] == "page_token"
    secret = stack.token
    named = http.get(stack.url(f"/v1/workflows?access_token%3D{secret}="), timeout=60)
    assert named.status_code == 400 and secret[:16] not in named.text, named.text
    # Sent byte for byte: requests would normalise %5F to _ (an unreserved character).
    host = urlsplit(stack.base_url).netloc
    for query in (f"access%5Ftoken={secret}", f"access_token={secret}&access_token=x"):
        connection = http_client.HTTPConnection(host, timeout=60)
        connection.request("GET", f"/v3/sql/jobs?{query}")
        raw = connection.getresponse()
        body = json.loads(raw.read())
        connection.close()
        assert raw.status == 400, body
        assert body["error"]["code"] == "invalid_token_argument"
    exact = http.get(stack.url(f"/v3/sql/jobs?access_token={secret}"), timeout=60)
    assert exact.status_code == 200, exact.text


def test_a_connection_change_is_refused_until_the_update(
    http: requests.Session, stack: Stack
) -> None:
    """Finding 4 (and 9: a connection stored without a service account), in an org of its
    own: a second connection in org demo would make its workflows name one."""
    project = stack.settings.project
    org = f"sec{uuid.uuid4().hex[:8]}"
    account = local_service_account("demo", project)  # the IAM stand-in knows the demo's
    for name in ("main", "sandbox"):
        stack.app.admin.put_connection(
            Connection(
                org,
                name,
                project,
                dataset=f"wfapi_{org}_{name}",
                service_account=account,
                read_allowlist=(f"{project}.retail",),
            )
        )
    headers = stack.headers(
        stack.app.admin.create_token(org, frozenset(ALL_GRANTS), name="sec").secret
    )

    def call(method: str, path: str, **options: Any) -> requests.Response:
        return http.request(method, stack.url(path), headers=headers, timeout=120, **options)

    workflow = "/v1/workflows/moved"
    assert call("PUT", f"{workflow}?connection=main", json=DEMO_DEFINITION).status_code == 201
    assert call("POST", f"{workflow}/api").status_code == 200
    moved = call("PUT", f"{workflow}?connection=sandbox", json=DEMO_DEFINITION)
    assert moved.status_code == 200, moved.text
    run = {"parameters": SEED_VALUES}
    refused = call("POST", f"{workflow}/executions", json=run)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "api_connection_changed"
    state = call("GET", f"{workflow}/api").json()
    assert state["in_sync"] is False and state["deployed_connection"] == "main"
    updated = call("PUT", f"{workflow}/api")
    assert updated.status_code == 200 and updated.json()["in_sync"] is True, updated.text
    started = call("POST", f"{workflow}/executions", json={**run, "wait_seconds": 30}).json()
    done = call("GET", f"/v1/executions/{started['id']}").json()
    assert f".wfapi_{org}_sandbox." in done["output_table"], done
    # An older connection document without a service account is never run as the runtime.
    stack.app.store.put_connection(Connection(org, "bare", project))
    bare = call("PUT", f"{workflow}?connection=bare", json=DEMO_DEFINITION)
    assert bare.status_code == 409, bare.text
    assert bare.json()["error"]["code"] == "connection_without_service_account"


def test_a_limited_token_pages_its_workflows_alone(http: requests.Session, stack: Stack) -> None:
    """Findings 7 and 8."""
    seen = sorted(new_workflow(http, stack, enable=False) for _ in range(2))
    limited = stack.app.admin.create_token(
        "demo", frozenset({Grant.WORKFLOWS_READ}), workflows=tuple(seen)
    ).secret
    ids, page_token = [], ""
    while True:
        page = http.get(
            stack.url("/v1/workflows"),
            params={"page_size": "1", "page_token": page_token},
            headers=stack.headers(limited),
            timeout=60,
        ).json()
        ids += [w["id"] for w in page["workflows"]]
        page_token = page["next_page_token"] or ""
        assert page_token in ("", *seen)
        if not page_token:
            break
    assert ids == seen
    hook = "https://hooks.example.com/services/T1/B2/sEcReT"
    configured = http.put(
        stack.url(f"/v1/workflows/{seen[0]}/webhooks"),
        json={"urls": [hook]},
        headers=stack.headers(),
        timeout=60,
    )
    assert configured.status_code == 200, configured.text
    read = http.get(
        stack.url(f"/v1/workflows/{seen[0]}/webhooks"), headers=stack.headers(limited), timeout=60
    )
    assert read.json()["urls"] == ["https://hooks.example.com/…"]
