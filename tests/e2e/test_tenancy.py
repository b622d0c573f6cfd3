"""Two orgs on one stack (issue 12): what one org's workflows may read, hostile fragments
and internal webhook URLs, all over HTTP. `demo` reads `<project>.retail`; `other`
has an empty read allowlist (devstack/demo.py). Every refusal writes nothing: the
definition stays absent (GET 404)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.e2e.helpers import SEED_VALUES, Stack, execute, poll
from tests.support.hostile_fragments import (
    HOSTILE_QUERIES,
    NESTED_PARENTHESES,
    REFUSED_BY_THE_ALLOWLIST,
)
from workflows_api.domain.execution.calls import format_call

pytestmark = pytest.mark.e2e

HOSTILE = {**HOSTILE_QUERIES, **REFUSED_BY_THE_ALLOWLIST, "nested_3000": NESTED_PARENTHESES}


def reading(table: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "src", "type": "read_table", "settings": {"table": table}},
            {"id": "out", "type": "output", "inputs": ["src"]},
        ]
    }


def with_sql(sql: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "src", "type": "read_table", "settings": {"table": "retail.stores"}},
            {"id": "q", "type": "custom_sql", "inputs": ["src"], "settings": {"sql": sql}},
            {"id": "out", "type": "output", "inputs": ["q"]},
        ]
    }


def put_refused(
    http: requests.Session, stack: Stack, definition: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    """PUT a fresh id; the 400's error, after checking nothing was written."""
    workflow_id = f"wf_{uuid.uuid4().hex[:10]}"
    path = stack.url(f"/v1/workflows/{workflow_id}")
    answer = http.put(path, json=definition, headers=stack.headers(token), timeout=60)
    assert answer.status_code == 400, answer.text
    assert http.get(path, headers=stack.headers(token), timeout=30).status_code == 404
    error: dict[str, Any] = answer.json()["error"]
    return error


def test_another_org_cannot_read_the_demo_orgs_table(http: requests.Session, stack: Stack) -> None:
    other = stack.info["other_org_token"]
    error = put_refused(http, stack, reading("retail.stores"), other)
    assert error["code"] == "table_not_allowed"
    table = f"{stack.settings.project}.retail.stores"
    assert "node src" in error["message"] and table in error["message"]
    assert (error["details"][0]["node"], error["details"][0]["field"]) == ("src", "settings.table")
    # The demo org itself reads it.
    path = stack.url(f"/v1/workflows/wf_{uuid.uuid4().hex[:10]}")
    assert http.put(path, json=reading("retail.stores"), headers=stack.headers()).status_code == 201


def test_no_org_reads_an_output_table_through_read_table(
    http: requests.Session, stack: Stack
) -> None:
    done = poll(
        http, stack, execute(http, stack, stack.info["workflow_id"], SEED_VALUES).json()["id"]
    )
    assert done["state"] == "succeeded", done
    output = done["output_table"]  # project.dataset.table of the demo org's result
    for token in (stack.info["other_org_token"], None):  # the other org, and the demo org
        error = put_refused(http, stack, reading(output), token)
        assert error["code"] == "table_not_allowed"
        assert output in error["message"] and "node src" in error["message"]
        sql_error = put_refused(http, stack, with_sql(f"SELECT * FROM `{output}`"), token)
        assert sql_error["code"] == "table_not_allowed"


def test_another_orgs_carto_call_answers_like_an_unknown_procedure(
    http: requests.Session, stack: Stack
) -> None:
    other = stack.info["other_org_token"]
    procedure = stack.info["procedure"]
    unknown = procedure.rsplit(".", 1)[0] + ".wfproc_nothing_here"

    def call(ref: str, names: list[str]) -> requests.Response:
        body = {"query": format_call(ref, names), "queryParameters": {"x": 1}}
        return http.post(
            stack.url(f"/v3/sql/{stack.info['connection']}/job"),
            json=body,
            headers=stack.headers(other),
            timeout=30,
        )

    theirs, nobodys = call(procedure, ["x"]), call(unknown, ["x"])
    assert theirs.status_code == nobodys.status_code == 404
    assert theirs.json()["error"]["code"] == nobodys.json()["error"]["code"]
    assert theirs.json()["error"]["message"].replace(procedure, "P") == nobodys.json()["error"][
        "message"
    ].replace(unknown, "P")
    assert "number_of_clusters" not in theirs.text


def test_the_hostile_suite_is_big_enough() -> None:
    assert len(HOSTILE) >= 25


@pytest.mark.parametrize("sql", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_fragment_is_refused_at_put(
    http: requests.Session, stack: Stack, sql: str
) -> None:
    error = put_refused(http, stack, with_sql(sql))
    assert any(detail["node"] == "q" for detail in error["details"]), error


def test_a_hostile_computed_expression_is_refused_at_put(
    http: requests.Session, stack: Stack
) -> None:
    definition = {
        "nodes": [
            {"id": "src", "type": "read_table", "settings": {"table": "retail.stores"}},
            {
                "id": "sel",
                "type": "select",
                "inputs": ["src"],
                "settings": {"computed": [{"name": "who", "expression": "SESSION_USER()"}]},
            },
            {"id": "out", "type": "output", "inputs": ["sel"]},
        ]
    }
    error = put_refused(http, stack, definition)
    assert error["details"][0]["node"] == "sel"


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/computeMetadata/v1/",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://10.1.2.3/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.1/hook",
        "https://100.64.0.1/hook",
        "https://[fd00::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://hooks.example.com/a b",
        "https://hooks.example.com/x\r\nX-Injected: 1",
    ],
)
def test_internal_webhook_urls_are_refused(http: requests.Session, stack: Stack, url: str) -> None:
    path = stack.url(f"/v1/workflows/{stack.info['workflow_id']}/webhooks")
    before = http.get(path, headers=stack.headers(), timeout=30).json()
    answer = http.put(path, json={"urls": [url]}, headers=stack.headers(), timeout=30)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_webhooks", "urls.0")
    assert repr(url)[:100] in error["message"]
    assert http.get(path, headers=stack.headers(), timeout=30).json() == before
