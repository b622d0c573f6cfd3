"""Native API additions over HTTP: listing executions, reading results, cancelling."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from google.cloud import bigquery

from devstack.seed import generate_stores
from tests.e2e.helpers import SEED_VALUES, Stack, execute, new_workflow, poll
from workflows_api.bootstrap import App
from workflows_api.domain.access.tokens import Grant
from workflows_api.service.execution_requests import ExecuteRequest

pytestmark = pytest.mark.e2e

# A quick workflow: stores of one type, with their points.
STORES_OF_TYPE: dict[str, Any] = {
    "parameters": [{"name": "store_type", "type": "STRING"}],
    "nodes": [
        {"id": "stores", "type": "read_table", "settings": {"table": "retail.stores"}},
        {
            "id": "of_type",
            "type": "filter",
            "inputs": ["stores"],
            "settings": {
                "conditions": [
                    {"column": "store_type", "operator": "=", "value": {"param": "store_type"}}
                ]
            },
        },
        {
            "id": "shaped",
            "type": "select",
            "inputs": ["of_type"],
            "settings": {"columns": ["id", "name", "geom"]},
        },
        {"id": "out", "type": "output", "inputs": ["shaped"]},
    ],
}


def get(http: requests.Session, stack: Stack, path: str, **params: str) -> requests.Response:
    return http.get(stack.url(path), params=params, headers=stack.headers(), timeout=120)


def test_listing_pages_newest_first_with_filters(http: requests.Session, stack: Stack) -> None:
    workflow_id = new_workflow(http, stack, STORES_OF_TYPE)
    ids = []
    for store_type in ("Organic", "Discount", "Organic", "Hypermarket", "Convenience"):
        answer = execute(http, stack, workflow_id, {"store_type": store_type}, cache=False)
        ids.append(answer.json()["id"])
    path = f"/v1/workflows/{workflow_id}/executions"

    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        params = {"page_size": "2", **({"page_token": token} if token else {})}
        body = get(http, stack, path, **params).json()
        pages += 1
        seen += [e["id"] for e in body["executions"]]
        token = body["next_page_token"]
        if token is None:
            break
    assert pages == 3
    assert seen == list(reversed(ids))

    middle = get(http, stack, f"/v1/executions/{ids[2]}").json()["created_at"]
    newer = get(http, stack, path, created_after=middle).json()["executions"]
    assert [e["id"] for e in newer] == list(reversed(ids[2:]))
    for execution_id in ids:  # jobs run in the background: wait for each to end
        assert poll(http, stack, execution_id)["state"] == "succeeded"
    succeeded = get(http, stack, path, state="succeeded").json()["executions"]
    assert {e["id"] for e in succeeded} == set(ids)
    assert get(http, stack, path, state="cancelled").json()["executions"] == []

    bad = get(http, stack, path, state="done")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "state"
    bad_time = get(http, stack, path, created_after="yesterday")
    assert bad_time.status_code == 400 and bad_time.json()["error"]["field"] == "created_after"


def test_results_return_every_row_exactly_once(
    http: requests.Session, stack: Stack, bq_client: bigquery.Client
) -> None:
    workflow_id = new_workflow(http, stack, STORES_OF_TYPE)
    done = execute(http, stack, workflow_id, {"store_type": "Hypermarket"}, wait_seconds=60).json()
    assert done["state"] == "succeeded", done
    expected = {s.id for s in generate_stores() if s.store_type == "Hypermarket"}

    rows: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params = {"page_size": "7", **({"page_token": token} if token else {})}
        page = get(http, stack, f"/v1/executions/{done['id']}/results", **params)
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["rows"]) <= 7
        rows += body["rows"]
        token = body["next_page_token"]
        if token is None:
            break
    assert sorted(r["id"] for r in rows) == sorted(expected)
    assert body["schema"] == [
        {"name": "id", "type": "INTEGER", "mode": "NULLABLE"},
        {"name": "name", "type": "STRING", "mode": "NULLABLE"},
        {"name": "geom", "type": "GEOGRAPHY", "mode": "NULLABLE"},
    ]
    first = rows[0]
    store = next(s for s in generate_stores() if s.id == first["id"])
    assert first["geom"]["type"] == "Point"
    assert first["geom"]["coordinates"] == pytest.approx([store.longitude, store.latitude])

    wkt = get(http, stack, f"/v1/executions/{done['id']}/results", geography_format="wkt")
    assert wkt.json()["rows"][0]["geom"].replace(" (", "(").startswith("POINT(")


def test_results_of_the_demo_are_buffered_polygons(http: requests.Session, stack: Stack) -> None:
    done = execute(http, stack, stack.info["workflow_id"], SEED_VALUES, wait_seconds=60).json()
    assert done["state"] == "succeeded", done
    page = get(http, stack, f"/v1/executions/{done['id']}/results", page_size="3").json()
    assert [c["name"] for c in page["schema"]] == ["id", "name", "cluster", "geom_buffer"]
    assert all(row["geom_buffer"]["type"] == "Polygon" for row in page["rows"])


def test_results_of_an_unfinished_or_unknown_execution(
    http: requests.Session, stack: Stack
) -> None:
    unknown = get(http, stack, "/v1/executions/0123456789abcdef0123456789abcdef/results")
    assert unknown.status_code == 404
    bad_format = get(http, stack, "/v1/executions/x/results", geography_format="kml")
    assert bad_format.status_code == 400


def unsubmitted_execution(stack: Stack, workflow_id: str, values: dict[str, Any]) -> str:
    """An accepted execution whose job was never submitted (its process died first):
    the one non-terminal state the synchronous BigQuery emulator can hold still."""

    class ProcessDied(BaseException):
        pass

    dying = App(stack.settings)

    def die(*args: Any, **kwargs: Any) -> Any:
        raise ProcessDied

    dying.warehouse.submit_query = die  # type: ignore[method-assign]
    with pytest.raises(ProcessDied):
        dying.admission.execute("demo", workflow_id, ExecuteRequest(values))
    page, _ = stack.app.queries.list_executions("demo", workflow_id, page_size=1)
    return page[0].id


def test_cancel_stops_an_unfinished_execution_for_good(
    http: requests.Session, stack: Stack
) -> None:
    workflow_id = new_workflow(http, stack, STORES_OF_TYPE)
    execution_id = unsubmitted_execution(stack, workflow_id, {"store_type": "Organic"})
    url = stack.url(f"/v1/executions/{execution_id}/cancel")

    cancelled = http.post(url, headers=stack.headers(), timeout=60)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["ended_at"] is not None

    # Reading it later never submits the job that was cancelled.
    assert poll(http, stack, execution_id)["state"] == "cancelled"
    job = stack.app.warehouse.get_job(
        stack.app.workflows.connection("demo", "local"), f"wfapi_exec_{execution_id}"
    )
    assert job is None

    again = http.post(url, headers=stack.headers(), timeout=60)
    assert again.status_code == 409 and again.json()["error"]["code"] == "execution_finished"
    # The cancelled execution does not answer its cache key any more.
    fresh = execute(http, stack, workflow_id, {"store_type": "Organic"}).json()
    assert fresh["id"] != execution_id


def test_cancel_needs_its_grant_and_a_known_execution(http: requests.Session, stack: Stack) -> None:
    reader = stack.app.admin.create_token("demo", frozenset({Grant.EXECUTIONS_READ})).secret
    workflow_id = new_workflow(http, stack, STORES_OF_TYPE)
    execution_id = unsubmitted_execution(stack, workflow_id, {"store_type": "Discount"})
    refused = http.post(
        stack.url(f"/v1/executions/{execution_id}/cancel"),
        headers={"Authorization": f"Bearer {reader}"},
        timeout=60,
    )
    assert refused.status_code == 403
    unknown = http.post(
        stack.url("/v1/executions/0123456789abcdef0123456789abcdef/cancel"),
        headers=stack.headers(),
        timeout=60,
    )
    assert unknown.status_code == 404
