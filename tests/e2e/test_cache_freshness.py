"""Issue 28: a cached result is never served once a table the workflow reads changed.
Execute, INSERT a row into retail.stores through the local BigQuery, execute again: a
miss naming the table, whose results hold the new row; a third identical execute is a
hit on that new run."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from google.cloud import bigquery

from tests.e2e.helpers import Stack, execute, new_workflow, poll, wait_for_job

pytestmark = pytest.mark.e2e

PARAMETERS = {"number_of_clusters": 2, "buffer_radius": 50, "store_type": "Supermarket"}


def _result_names(http: requests.Session, stack: Stack, execution_id: str) -> set[str]:
    names: set[str] = set()
    token: str | None = None
    while True:
        params: dict[str, Any] = {"page_size": 500, "geography_format": "wkt"}
        if token:
            params["page_token"] = token
        page = http.get(
            stack.url(f"/v1/executions/{execution_id}/results"),
            headers=stack.headers(),
            params=params,
            timeout=120,
        )
        assert page.status_code == 200, page.text
        body = page.json()
        names |= {row["name"] for row in body["rows"]}
        token = body["next_page_token"]
        if not token:
            return names


def test_a_changed_source_is_a_miss_then_the_new_run_is_served(
    http: requests.Session, stack: Stack, bq_client: bigquery.Client
) -> None:
    workflow_id = new_workflow(http, stack)
    first = execute(http, stack, workflow_id, PARAMETERS, wait_seconds=60).json()
    first = poll(http, stack, first["id"])
    assert first["state"] == "succeeded", first

    stores = f"{bq_client.project}.retail.stores"
    name = f"Supermarket freshness {uuid.uuid4().hex[:8]}"
    wait_for_job(
        bq_client.query(
            f"INSERT INTO `{stores}` (id, name, district, store_type, revenue, geom) "
            f"SELECT 900000 + id, '{name}', district, store_type, revenue, geom "
            f"FROM `{stores}` WHERE store_type = 'Supermarket' ORDER BY id LIMIT 1"
        )
    )
    try:
        second = execute(http, stack, workflow_id, PARAMETERS, wait_seconds=60)
        assert second.status_code in (200, 202), second.text
        miss = second.json()
        assert miss["id"] != first["id"] and miss["cached"] is False
        assert miss["cache_miss"]["reason"] == "source_changed"
        assert miss["cache_miss"]["source"] == stores
        assert miss["output_table"] != first["output_table"]
        miss = poll(http, stack, miss["id"])
        assert miss["state"] == "succeeded", miss
        assert name in _result_names(http, stack, miss["id"])
        assert name not in _result_names(http, stack, first["id"])  # its table is its own

        third = execute(http, stack, workflow_id, PARAMETERS)
        assert third.status_code == 200, third.text
        hit = third.json()
        assert hit["id"] == miss["id"] and hit["cached"] is True
        assert hit["cached_at"] == miss["started_at"] and hit["cache_miss"] is None
        bounded = execute(http, stack, workflow_id, PARAMETERS, cache_max_age_seconds=0).json()
        assert bounded["id"] != miss["id"] and bounded["cache_miss"]["reason"] == "too_old"
        http.post(stack.url(f"/v1/executions/{bounded['id']}/cancel"), headers=stack.headers())
    finally:
        wait_for_job(bq_client.query(f"DELETE FROM `{stores}` WHERE id >= 900000"))
