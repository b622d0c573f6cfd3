"""Workflow definitions and API access over HTTP: create, read, export, enable, update, disable."""

from __future__ import annotations

import copy

import pytest
import requests
import yaml

from tests.e2e.helpers import DEMO_DEFINITION, SEED_VALUES, Stack, execute, new_workflow, poll

pytestmark = pytest.mark.e2e


def test_definition_crud_and_export(http: requests.Session, stack: Stack) -> None:
    workflow_id = new_workflow(http, stack, enable=False)
    url = stack.url(f"/v1/workflows/{workflow_id}")
    read = http.get(url, headers=stack.headers(), timeout=30).json()
    assert read["id"] == workflow_id and read["api_enabled"] is False
    assert read["definition"]["parameters"][0]["name"] == "number_of_clusters"
    assert len(read["version"]) == 64

    # YAML is accepted too, and the same definition has the same version.
    as_yaml = http.put(
        url,
        data=yaml.safe_dump(DEMO_DEFINITION, sort_keys=True),
        headers={**stack.headers(), "Content-Type": "application/yaml"},
        timeout=30,
    )
    assert as_yaml.status_code == 200
    assert as_yaml.json()["version"] == read["version"]

    sql = http.get(f"{url}/sql", headers=stack.headers(), timeout=30).json()
    assert sql["sql"].startswith("CREATE OR REPLACE PROCEDURE `")
    assert sql["procedure"].split(".")[-1].startswith(f"wfproc_{workflow_id}")
    assert [a["name"] for a in sql["arguments"]][-1] == "output_table"

    # Listed, on whichever page (the shared stack holds other tests' workflows, by id).
    listed_ids: set[str] = set()
    token: str | None = ""
    while token is not None and workflow_id not in listed_ids:
        arguments = {"page_token": token} if token else {}
        page = http.get(
            stack.url("/v1/workflows"), params=arguments, headers=stack.headers(), timeout=30
        ).json()
        listed_ids |= {str(w["id"]) for w in page["workflows"]}
        token = page["next_page_token"]
    assert workflow_id in listed_ids

    assert http.delete(url, headers=stack.headers(), timeout=60).status_code == 204
    gone = http.get(url, headers=stack.headers(), timeout=30)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "workflow_not_found"


def test_listing_pages_through_every_workflow(http: requests.Session, stack: Stack) -> None:
    created = {new_workflow(http, stack, enable=False) for _ in range(3)}
    seen: list[str] = []
    token = None
    while True:
        params = {"page_size": "2", **({"page_token": token} if token else {})}
        page = http.get(
            stack.url("/v1/workflows"), params=params, headers=stack.headers(), timeout=30
        ).json()
        assert len(page["workflows"]) <= 2
        seen += [w["id"] for w in page["workflows"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert created <= set(seen)
    assert len(seen) == len(set(seen))


def test_enable_update_disable(http: requests.Session, stack: Stack) -> None:
    workflow_id = new_workflow(http, stack)
    api_url = stack.url(f"/v1/workflows/{workflow_id}/api")
    state = http.get(api_url, headers=stack.headers(), timeout=30).json()
    assert state["enabled"] is True and state["in_sync"] is True
    assert state["deployed_version"] == state["current_version"]
    assert [p["name"] for p in state["parameters"]] == list(SEED_VALUES)
    assert f"/v1/workflows/{workflow_id}/executions" in state["examples"]["execute"]
    first = execute(http, stack, workflow_id, SEED_VALUES).json()

    changed = copy.deepcopy(DEMO_DEFINITION)
    changed["settings"]["output_expiration_days"] = 7
    assert http.put(
        stack.url(f"/v1/workflows/{workflow_id}"), json=changed, headers=stack.headers(), timeout=30
    ).ok
    stale = http.get(api_url, headers=stack.headers(), timeout=30).json()
    assert stale["in_sync"] is False
    assert stale["deployed_version"] == state["deployed_version"] != stale["current_version"]
    # Until updated, the API runs the deployed version: same key, same execution.
    assert execute(http, stack, workflow_id, SEED_VALUES).json()["id"] == first["id"]

    updated = http.put(api_url, headers=stack.headers(), timeout=120).json()
    assert updated["in_sync"] is True and updated["deployed_version"] == stale["current_version"]
    after = execute(http, stack, workflow_id, SEED_VALUES).json()
    assert after["id"] != first["id"] and after["output_table"] != first["output_table"]
    assert poll(http, stack, after["id"])["state"] == "succeeded"

    disabled = http.delete(api_url, headers=stack.headers(), timeout=60).json()
    assert disabled["enabled"] is False
    refused = execute(http, stack, workflow_id, SEED_VALUES)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "api_disabled"


def test_invalid_definition_names_node_and_field(http: requests.Session, stack: Stack) -> None:
    bad = copy.deepcopy(DEMO_DEFINITION)
    bad["nodes"][1]["inputs"] = ["nowhere"]
    response = http.put(
        stack.url("/v1/workflows/broken_one"), json=bad, headers=stack.headers(), timeout=30
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_workflow"
    assert any(d["node"] == "stores_of_type" and d["field"] == "inputs.0" for d in error["details"])
    assert (
        http.get(
            stack.url("/v1/workflows/broken_one"), headers=stack.headers(), timeout=30
        ).status_code
        == 404
    )
