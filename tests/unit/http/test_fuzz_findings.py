"""What the schemathesis run (tests/e2e/test_fuzz.py) found, kept as fast regressions."""

from __future__ import annotations

import pytest
from flask import Flask
from werkzeug.exceptions import NotFound

from tests.support.apps import DEMO, GOOD, with_demo_workflow
from tests.support.http_client import HttpClient
from workflows_api.domain.errors import WorkflowInvalid
from workflows_api.domain.execution.states import TRIGGER_MAX_LENGTH
from workflows_api.domain.workflow.validation import load_workflow
from workflows_api.http.dispatch import framework_refusal
from workflows_api.http.tables import all_routes


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(with_demo_workflow(), all_routes())


def test_an_argument_the_route_does_not_take_is_refused(client: HttpClient) -> None:
    answer = client.call("GET", "/v1/workflows", token=client.token(), query={"page_sise": "2"})
    assert answer.status == 400
    assert answer.body["error"]["code"] == "unknown_argument"
    assert answer.body["error"]["field"] == "query"  # the name is not repeated (issue 23)


def test_a_workflow_id_with_a_trailing_line_break_is_not_a_workflow_id(
    client: HttpClient,
) -> None:
    answer = client.call("PUT", "/v1/workflows/abc%0A", token=client.token(), body=DEMO)
    assert answer.status == 400, answer.body
    assert client.world.app.store.get_workflow("demo", "abc\n") is None


def test_list_refuses_a_page_token_it_never_gave(client: HttpClient) -> None:
    answer = client.call("GET", "/v1/workflows", token=client.token(), query={"page_token": "a/b"})
    assert answer.status == 400
    assert answer.body["error"]["code"] == "invalid_page_token"


def test_an_overlong_trigger_filter_is_refused_by_name(client: HttpClient) -> None:
    overlong = "pubsub:" + "t" * TRIGGER_MAX_LENGTH
    answer = client.call(
        "GET",
        "/v1/workflows/clusters/executions",
        token=client.token(),
        query={"trigger": overlong},
    )
    assert answer.status == 400, answer.body
    assert answer.body["error"]["field"] == "trigger"
    assert overlong not in answer.body["error"]["message"]


def test_the_longest_trigger_filter_is_a_filter(client: HttpClient) -> None:
    longest = "pubsub:" + "t" * (TRIGGER_MAX_LENGTH - len("pubsub:"))
    answer = client.call(
        "GET", "/v1/workflows/clusters/executions", token=client.token(), query={"trigger": longest}
    )
    assert answer.status == 200, answer.body
    assert answer.body["executions"] == []


def test_sql_refuses_an_unknown_format(client: HttpClient) -> None:
    answer = client.call(
        "GET", "/v1/workflows/clusters/sql", token=client.token(), query={"format": "xml"}
    )
    assert answer.status == 400
    assert answer.body["error"]["field"] == "format"


def test_an_idempotency_key_is_printable_ascii(client: HttpClient) -> None:
    answer = client.call(
        "POST",
        "/v1/workflows/clusters/executions",
        token=client.token(),
        body={"parameters": GOOD},
        headers={"Idempotency-Key": "clé"},
    )
    assert answer.status == 400
    assert answer.body["error"]["code"] == "invalid_idempotency_key"


def test_a_cycle_through_a_duplicate_id_is_reported_not_a_crash() -> None:
    select = {"type": "select", "settings": {"columns": ["x"]}}
    definition = {
        "nodes": [
            {"id": "a", "inputs": [], **select},
            {"id": "a", "inputs": ["a"], **select},
            {"id": "out", "type": "output", "inputs": ["a"]},
        ]
    }
    with pytest.raises(WorkflowInvalid) as invalid:
        load_workflow(definition)
    assert {"duplicate_node_id", "cycle"} <= {issue.code for issue in invalid.value.issues}


def test_shape_issues_with_and_without_a_field_sort() -> None:
    # The same message at the top level (no node) and in a node.
    definition = {"nodes": [{"id": "a", "type": "output", "inputs": [], "extra": 1}], "extra": 1}
    with pytest.raises(WorkflowInvalid) as invalid:
        load_workflow(definition)
    assert {issue.node for issue in invalid.value.issues} == {None, "a"}


def test_what_the_framework_refuses_is_answered_in_the_route_envelope() -> None:
    app = Flask(__name__)
    with app.test_request_context("/v3/sql/a%0Ab/job", method="POST"):
        answer = framework_refusal(NotFound())
    assert answer.status_code == 404
    assert answer.mimetype == "application/json"
    assert answer.get_json()["status"]["state"] == "DONE"  # CARTO's job shape
    with app.test_request_context("/nowhere", method="GET"):
        answer = framework_refusal(NotFound())
    assert answer.get_json()["error"]["code"] == "route_not_found"
