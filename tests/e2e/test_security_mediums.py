"""Issue 23's first three findings over HTTP, against the local stack: a fragment calling a
routine outside the read allowlist, a billion-laughs YAML body and fragments over the
definition's cap are refused naming what is wrong, quickly, writing nothing; the SQL of
a deployed version is read back as kept in Firestore."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.helpers import DEMO_DEFINITION, Stack

pytestmark = pytest.mark.e2e


def fresh_path(stack: Stack) -> tuple[str, str]:
    workflow_id = f"wf_{uuid.uuid4().hex[:10]}"
    return workflow_id, stack.url(f"/v1/workflows/{workflow_id}")


def with_sql(*texts: str) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [
        {"id": "src", "type": "read_table", "settings": {"table": "retail.stores"}}
    ]
    for i, text in enumerate(texts):
        source = nodes[-1]["id"]
        nodes.append(
            {"id": f"q{i}", "type": "custom_sql", "inputs": [source], "settings": {"sql": text}}
        )
    return {"nodes": [*nodes, {"id": "out", "type": "output", "inputs": [nodes[-1]["id"]]}]}


def refused(
    http: requests.Session, stack: Stack, status: int, **send: Any
) -> tuple[dict[str, Any], float]:
    """PUT to a fresh id: the error and the seconds it took, after checking that
    nothing was written."""
    _, path = fresh_path(stack)
    started = time.monotonic()
    answer = http.put(path, headers=stack.headers() | send.pop("headers", {}), timeout=60, **send)
    took = time.monotonic() - started
    assert answer.status_code == status, answer.text
    assert http.get(path, headers=stack.headers(), timeout=30).status_code == 404
    error: dict[str, Any] = answer.json()["error"]
    return error, took


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT `attacker-proj.pub.leak`() AS x FROM $a",
        "SELECT secret_ds.leak(store_id) AS x FROM $a",
    ],
)
def test_a_routine_outside_the_allowlist_is_refused(
    http: requests.Session, stack: Stack, sql: str
) -> None:
    error, _ = refused(http, stack, 400, json=with_sql(sql))
    assert error["code"] == "function_not_allowed"
    assert (error["details"][0]["node"], error["details"][0]["field"]) == ("q0", "settings.sql")


def test_a_quoted_ai_function_is_refused(http: requests.Session, stack: Stack) -> None:
    error, _ = refused(http, stack, 400, json=with_sql("SELECT `AI.GENERATE`('x') AS y FROM $a"))
    assert error["code"] == "fragment_forbidden" and error["details"][0]["node"] == "q0"


def test_a_billion_laughs_yaml_body_is_refused_quickly(
    http: requests.Session, stack: Stack
) -> None:
    lines = ['l0: &l0 ["lol"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 10)]
    body = "\n".join([*lines, "nodes: [*l9]"])
    assert len(body) < 600
    error, took = refused(
        http,
        stack,
        400,
        data=body.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert (error["code"], error["field"]) == ("body_too_deep", "body")
    assert took < 5


def test_fragments_over_the_definition_cap_are_refused_naming_the_node(
    http: requests.Session, stack: Stack
) -> None:
    text = "SELECT store_id, '" + "p" * (50 * 1024) + "' AS pad FROM $a"
    error, took = refused(http, stack, 413, json=with_sql(text, text, text))
    assert error["code"] == "fragments_too_large"
    assert error["details"][0]["node"] == "q2"
    assert took < 5


def test_the_sql_of_a_deployed_version_is_the_text_kept_with_its_api_state(
    http: requests.Session, stack: Stack
) -> None:
    workflow_id, path = fresh_path(stack)
    assert http.put(path, json=DEMO_DEFINITION, headers=stack.headers(), timeout=60).ok
    try:
        assert http.post(f"{path}/api", headers=stack.headers(), timeout=120).ok
        answer = http.get(f"{path}/sql", headers=stack.headers(), timeout=60)
        assert answer.status_code == 200, answer.text
        record = stack.app.workflows.get(stack.info["org"], workflow_id)
        assert record.api is not None and record.api.deployed_sql == answer.json()["sql"]
        arguments = [(a["name"], a["type"]) for a in answer.json()["arguments"]]
        assert arguments == list(record.api.deployed_arguments)
    finally:
        http.delete(path, headers=stack.headers(), timeout=120)
