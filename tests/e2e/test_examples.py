"""Every workflow in examples/ runs end to end on the local stack, over HTTP.

Each example is PUT as its YAML text, its API enabled, executed with the parameters its
header documents, polled until it ends (execute may answer before the job is done),
and its output rows read page by page and checked against what example_checks
recomputes from the seed's generators (the same rows the stack loaded).
"""

from __future__ import annotations

import uuid

import pytest
import requests

from devstack.seed import DEMO_DATASET, DEMO_TABLES
from tests.e2e.example_checks import CHECKS, Rows
from tests.e2e.helpers import Stack, poll
from tests.support.example_files import Example, examples

pytestmark = pytest.mark.e2e


def put_and_enable(http: requests.Session, stack: Stack, example: Example) -> str:
    workflow_id = f"example_{example.name}_{uuid.uuid4().hex[:6]}"
    put = http.put(
        stack.url(f"/v1/workflows/{workflow_id}"),
        data=example.text.encode(),
        headers={**stack.headers(), "Content-Type": "application/yaml"},
        timeout=60,
    )
    assert put.status_code == 201, put.text
    enabled = http.post(
        stack.url(f"/v1/workflows/{workflow_id}/api"), headers=stack.headers(), timeout=120
    )
    assert enabled.status_code == 200, enabled.text
    return workflow_id


def all_rows(http: requests.Session, stack: Stack, execution_id: str) -> Rows:
    rows: Rows = []
    token: str | None = None
    while True:
        page = http.get(
            stack.url(f"/v1/executions/{execution_id}/results"),
            params={
                "page_size": "1000",
                # WKT: the emulator's ST_ASGEOJSON takes ~0.1 s per buffered polygon.
                "geography_format": "wkt",
                **({"page_token": token} if token else {}),
            },
            headers=stack.headers(),
            timeout=120,
        )
        assert page.status_code == 200, page.text
        body = page.json()
        rows += body["rows"]
        token = body["next_page_token"]
        if token is None:
            return rows


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_example_runs_end_to_end_with_its_documented_parameters(
    http: requests.Session, stack: Stack, example: Example
) -> None:
    check = CHECKS.get(example.name)
    assert check is not None, f"add a check of {example.name}'s rows to CHECKS"
    workflow_id = put_and_enable(http, stack, example)
    answer = http.post(
        stack.url(f"/v1/workflows/{workflow_id}/executions"),
        json={"parameters": example.parameters},
        headers=stack.headers(),
        timeout=120,
    )
    # 202 while the job runs; 200 if it already ended (the local BigQuery may run it
    # inside the call). Either way a new execution, not a cached one.
    assert answer.status_code in (200, 202), answer.text
    assert answer.json()["cached"] is False
    done = poll(http, stack, answer.json()["id"], timeout=600)
    assert done["state"] == "succeeded", done
    check(example.parameters, all_rows(http, stack, done["id"]))


def test_the_stack_lists_every_table_the_examples_read_among_its_seeded_tables(
    stack: Stack,
) -> None:
    read = {
        node["settings"]["table"]
        for example in examples()
        for node in example.definition["nodes"]
        if node["type"] == "read_table"
    }
    seeded = stack.info["seeded_tables"]  # as make run writes it to .local/stack.json
    for table in read:
        dataset, name = table.split(".")
        assert dataset == DEMO_DATASET
        assert seeded[f"{stack.settings.project}.{table}"] == len(DEMO_TABLES[name]())
