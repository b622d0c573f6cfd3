"""Nexadata's ids are integers: the seed's two requests verbatim, for workflow `29`,
answer `"id": <integer>` and poll by that integer to `succeeded`; another org's number
is 404; the native id (links handed out before numbers) still reads the execution."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
import requests
from google.cloud import firestore

from tests.e2e.helpers import Stack
from tests.e2e.test_nexadata_dialect import EXECUTE_KEYS, with_defaults
from workflows_api.domain.execution.numbers import LARGEST_NUMBER, execution_number

pytestmark = pytest.mark.e2e

WORKFLOW = "29"  # "the numerical value following /workflow/", as in the seed
# The integer as the JSON text has it, not only as a parser reads it.
INTEGER_ID = re.compile(r'"id":\s*(0|[1-9][0-9]*)\s*[,}]')


def numeric_workflow(http: requests.Session, stack: Stack) -> str:
    """Workflow `29` of org demo, its API enabled (again, when an earlier run made it)."""
    put = http.put(
        stack.url(f"/v1/workflows/{WORKFLOW}"),
        json=with_defaults(),
        headers=stack.headers(),
        timeout=60,
    )
    assert put.status_code in (200, 201), put.text
    enabled = http.post(
        stack.url(f"/v1/workflows/{WORKFLOW}/api"), headers=stack.headers(), timeout=120
    )
    assert enabled.status_code == 200, enabled.text
    return WORKFLOW


def integer_id(response: requests.Response) -> int:
    body: dict[str, Any] = response.json()
    assert type(body["id"]) is int, body  # not "170", not 170.0
    assert 0 <= body["id"] <= LARGEST_NUMBER
    match = INTEGER_ID.search(response.text)
    assert match is not None and int(match.group(1)) == body["id"], response.text
    return body["id"]


def test_the_seeds_requests_verbatim_answer_and_take_an_integer_id(
    http: requests.Session, stack: Stack
) -> None:
    workflow_id = numeric_workflow(http, stack)
    # curl -X POST .../api/v1/workflows/29/execute -H "Authorization: Bearer <token>"
    #   -H "Content-Type: application/json"
    response = http.post(
        stack.url(f"/api/v1/workflows/{workflow_id}/execute"),
        headers={"Authorization": f"Bearer {stack.token}", "Content-Type": "application/json"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    number = integer_id(response)
    created = response.json()
    assert set(created) == EXECUTE_KEYS
    assert (created["state"], created["workflow_id"]) == ("created", "29")

    # curl .../api/v1/workflows/executions/170 -H "Authorization: Bearer <token>"
    deadline = time.monotonic() + 180
    while True:
        status = http.get(
            stack.url(f"/api/v1/workflows/executions/{number}"),
            headers={"Authorization": f"Bearer {stack.token}"},
            timeout=120,
        )
        assert status.status_code == 200, status.text
        assert integer_id(status) == number
        if status.json()["state"] in ("succeeded", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    done = status.json()
    assert done["state"] == "succeeded", done
    assert done["start_at"] and done["end_at"] and done["errors"] == []

    # The record carries its number, the one the native id derives.
    [record] = [
        doc.to_dict() or {}
        for doc in stack.app.firestore.collection("orgs/demo/executions")
        .where(filter=firestore.FieldFilter("number", "==", number))
        .stream()
    ]
    assert record["workflow_id"] == "29" and record["number"] == number
    assert execution_number(record["id"]) == number

    # The native id, as answers gave it before numbers, still reads it here.
    by_id = http.get(
        stack.url(f"/api/v1/workflows/executions/{record['id']}"),
        headers=stack.headers(),
        timeout=60,
    )
    assert by_id.status_code == 200, by_id.text
    assert (integer_id(by_id), by_id.json()["state"]) == (number, "succeeded")

    # Another org's token: 404, as for every id, and the same for an unknown number.
    other = {"Authorization": f"Bearer {stack.info['other_org_token']}"}
    for headers, reference in ((other, number), (stack.headers(), (number + 1) % LARGEST_NUMBER)):
        refused = http.get(
            stack.url(f"/api/v1/workflows/executions/{reference}"), headers=headers, timeout=60
        )
        assert refused.status_code == 404, refused.text
        assert json.loads(refused.text)["error"]["code"] == "execution_not_found"
