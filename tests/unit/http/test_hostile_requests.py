"""Hostile requests through the dispatcher on fakes: each a 4xx naming the field, in
valid UTF-8 JSON, with nothing stored (issue 13 item 1)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.apps import DEMO, GOOD, with_demo_workflow
from tests.support.http_client import Answer, HttpClient
from workflows_api.http.responses import json_response
from workflows_api.http.tables import all_routes
from workflows_api.service.execution_requests import ExecuteRequest


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(with_demo_workflow(outcome="succeeded"), all_routes())


def refused(answer: Answer, status: int, code: str, field: str) -> dict[str, Any]:
    assert answer.status == status, answer.body
    error: dict[str, Any] = answer.body["error"]
    assert (error["code"], error.get("field")) == (code, field), error
    return error


def nested(depth: int) -> str:
    return "[" * depth + "0" + "]" * depth


@pytest.mark.parametrize(
    ("data", "content_type", "code", "field"),
    [
        (nested(50_000).encode(), "application/json", "body_too_deep", "body"),
        (
            ("name: x\nnodes: " + nested(50_000)).encode(),
            "application/yaml",
            "body_too_deep",
            "body",
        ),
        (b'{"name": "\\ud800", "nodes": []}', "application/json", "invalid_text", "name"),
        (b'name: "\\udfff"\nnodes: []\n', "application/yaml", "invalid_workflow", "name"),
        (b"name: [unclosed\n", "application/yaml", "invalid_yaml", "body"),
    ],
    ids=["json depth", "yaml depth", "json surrogate", "yaml surrogate", "yaml syntax"],
)
def test_hostile_definitions_are_refused_and_not_stored(
    client: HttpClient, data: bytes, content_type: str, code: str, field: str
) -> None:
    token = client.token()
    answer = client.call(
        "PUT", "/v1/workflows/hostile", token=token, data=data, content_type=content_type
    )
    refused(answer, 400, code, field)
    assert client.world.store.get_workflow("demo", "hostile") is None


def test_a_connection_that_is_a_path_is_refused_naming_connection(client: HttpClient) -> None:
    answer = client.call(
        "PUT", "/v1/workflows/x_conn", token=client.token(), body=DEMO, query={"connection": "a/b"}
    )
    refused(answer, 400, "unknown_connection", "connection")
    assert client.world.store.get_workflow("demo", "x_conn") is None


@pytest.mark.parametrize("token", ["\x00junk\xff", "z" * 5000, "a/b", "clusters\n", ""])
def test_every_list_route_refuses_a_malformed_page_token(client: HttpClient, token: str) -> None:
    execution = client.world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD))
    client.world.clock.advance(2)
    auth = client.token()
    for path in (
        "/v1/workflows",
        "/v1/workflows/clusters/executions",
        f"/v1/executions/{execution.execution.id}/results",
    ):
        answer = client.call("GET", path, token=auth, query={"page_token": token})
        if token == "":
            assert answer.status == 200, (path, answer.body)  # an empty token: the first page
        else:
            refused(answer, 400, "invalid_page_token", "page_token")


def test_a_surrogate_in_an_execute_body_is_named_and_starts_nothing(client: HttpClient) -> None:
    jobs = dict(client.world.warehouse.jobs)
    answer = client.call(
        "POST",
        "/v1/workflows/clusters/executions",
        token=client.token(),
        data=b'{"parameters": {"store_type": "\\ud800"}}',
        content_type="application/json",
    )
    refused(answer, 400, "invalid_text", "parameters.store_type")
    assert client.world.warehouse.jobs == jobs


def test_a_surrogate_that_reaches_a_message_is_answered_as_utf8_json() -> None:
    response = json_response({"error": {"message": "bad \ud800 value é"}}, 400)
    raw = response.get_data()
    raw.decode("utf-8")  # valid UTF-8
    assert json.loads(raw)["error"]["message"] == "bad \ud800 value é"
