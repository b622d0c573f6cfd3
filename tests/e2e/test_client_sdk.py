"""The Python SDK (workflows_api_client) against the local stack over HTTP."""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from google.cloud import bigquery

from tests.e2e.helpers import DEMO_DEFINITION, SEED_VALUES, Stack, new_workflow
from workflows_api.bootstrap import App
from workflows_api.service.execution_requests import ExecuteRequest
from workflows_api_client import AsyncClient, BadRequest, Client, Conflict, NotFound, Unauthorized

pytestmark = pytest.mark.e2e
WAIT = 240.0
# The emulator answers slowly on a busy machine: generous per-request deadlines.
REQUEST_TIMEOUT = 120.0


@pytest.fixture
def client(stack: Stack) -> Any:
    with Client(stack.base_url, stack.token, timeout=REQUEST_TIMEOUT) as sdk:
        yield sdk


def output_rows(bq_client: bigquery.Client, table: str) -> int:
    return next(iter(bq_client.query(f"SELECT COUNT(*) AS n FROM `{table}`").result())).n


def test_execute_wait_then_results_returns_every_row(
    client: Client, stack: Stack, bq_client: bigquery.Client
) -> None:
    done = client.execute(stack.info["workflow_id"], SEED_VALUES, wait=True, timeout=WAIT)
    assert done.state == "succeeded", done.error
    assert done.parameters == SEED_VALUES
    # WKT: GeoJSON pages cost ~30 s each on the emulator (ST_ASGEOJSON of every polygon).
    rows = list(client.results(done.id, page_size=40, geography_format="wkt"))
    assert len(rows) == output_rows(bq_client, done.output_table) > 40
    assert len({row["id"] for row in rows}) == len(rows)
    assert {row["cluster"] for row in rows} == {0, 1}  # two clusters, numbered from 0
    assert client.get(done.id).output_table == done.output_table
    listed = list(client.list(stack.info["workflow_id"], state="succeeded", page_size=2))
    assert done.id in {execution.id for execution in listed}
    assert all(execution.state == "succeeded" for execution in listed)


def test_an_idempotency_key_returns_the_first_execution(client: Client, stack: Stack) -> None:
    key = f"sdk-{uuid.uuid4().hex}"
    values = {**SEED_VALUES, "number_of_clusters": 3}
    first = client.execute(stack.info["workflow_id"], values, cache=False, idempotency_key=key)
    again = client.execute(stack.info["workflow_id"], values, cache=False, idempotency_key=key)
    assert again.id == first.id
    fresh = client.execute(stack.info["workflow_id"], values, cache=False)
    assert fresh.id != first.id
    for execution_id in (first.id, fresh.id):
        assert client.wait(execution_id, timeout=WAIT).state == "succeeded"


def test_refusals_arrive_as_typed_errors_with_the_field(client: Client, stack: Stack) -> None:
    with pytest.raises(BadRequest) as bad:
        client.execute(stack.info["workflow_id"], {**SEED_VALUES, "number_of_clusters": "two"})
    assert bad.value.code == "invalid_parameters"
    assert bad.value.field == "number_of_clusters"
    with pytest.raises(NotFound):
        client.get("0123456789abcdef0123456789abcdef")
    with Client(stack.base_url, "wfapi_nobody_secret") as stranger, pytest.raises(Unauthorized):
        stranger.get("0123456789abcdef0123456789abcdef")


def test_workflows_are_managed_through_the_sdk(client: Client, stack: Stack) -> None:
    workflow_id = f"sdk_{uuid.uuid4().hex[:8]}"
    saved = client.workflows.put(workflow_id, DEMO_DEFINITION)
    assert saved.id == workflow_id and not saved.api_enabled
    assert client.workflows.get(workflow_id).definition == saved.definition
    assert workflow_id in {w.id for w in client.workflows.list(page_size=1)}
    assert "CREATE OR REPLACE PROCEDURE" in client.workflows.sql(workflow_id).sql
    enabled = client.workflows.enable(workflow_id)
    assert enabled.enabled and enabled.in_sync
    assert [p.name for p in client.workflows.api(workflow_id).parameters] == list(SEED_VALUES)
    assert client.workflows.update(workflow_id).in_sync
    assert not client.workflows.disable(workflow_id).enabled
    with pytest.raises(Conflict) as disabled:
        client.execute(workflow_id, SEED_VALUES)
    assert disabled.value.code == "api_disabled"


def test_cancel_through_the_sdk(client: Client, stack: Stack, http: requests.Session) -> None:
    workflow_id = new_workflow(http, stack)
    execution_id = unsubmitted_execution(stack.app, workflow_id)
    cancelled = client.cancel(execution_id)
    assert cancelled.state == "cancelled" and cancelled.ended_at is not None
    with pytest.raises(Conflict) as again:
        client.cancel(execution_id)
    assert again.value.code == "execution_finished"


def unsubmitted_execution(app: App, workflow_id: str) -> str:
    """An accepted execution whose job was never submitted (its process died first): one
    that stays unfinished on any BigQuery, so cancelling it is certain to find it running."""

    class ProcessDied(BaseException):
        pass

    def die(*args: Any, **kwargs: Any) -> Any:
        raise ProcessDied

    dying = App(app.settings)
    dying.warehouse.submit_query = die  # type: ignore[method-assign]
    with pytest.raises(ProcessDied):
        dying.admission.execute("demo", workflow_id, ExecuteRequest(SEED_VALUES))
    page, _ = app.queries.list_executions("demo", workflow_id, page_size=1)
    return page[0].id


def test_the_async_client_runs_and_reads_alike(stack: Stack) -> None:
    async def scenario() -> tuple[str, int, int, set[str]]:
        async with AsyncClient(stack.base_url, stack.token, timeout=REQUEST_TIMEOUT) as client:
            values = {**SEED_VALUES, "buffer_radius": 250}
            done = await client.execute(stack.info["workflow_id"], values, wait=True, timeout=WAIT)
            rows = [
                row async for row in client.results(done.id, page_size=40, geography_format="wkt")
            ]
            single = await client.results_page(done.id, page_size=10_000, geography_format="wkt")
            listed = {e.id async for e in client.list(stack.info["workflow_id"], page_size=3)}
            return done.id, len(rows), len(single.rows), listed

    execution_id, paged, whole, listed = asyncio.run(scenario())
    assert paged == whole > 0
    assert execution_id in listed


def test_the_readme_example_runs(stack: Stack) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    [snippet] = [
        block
        for block in re.findall(r"```python\n(.*?)```", readme, re.S)
        if "from workflows_api_client import Client" in block
    ]
    namespace: dict[str, Any] = {"token": stack.token}
    exec(snippet.replace("http://127.0.0.1:8080", stack.base_url), namespace)  # our README
    assert namespace["run"].state == "succeeded"
    assert len(namespace["rows"]) > 0
