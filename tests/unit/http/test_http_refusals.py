"""Refusals through the dispatcher on fakes, per route family: 401, 403, 404 and a bad
input, each in the envelope its route chose (native `error`, CARTO's job shape), and
the one mapping of an unavailable backend to 503 with Retry-After."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

import pytest

from tests.support.apps import DEMO_CONNECTION, GOOD, with_demo_workflow
from tests.support.http_client import Answer, HttpClient
from workflows_api.domain.access.tokens import Grant
from workflows_api.domain.execution.calls import format_call
from workflows_api.http.tables import all_routes
from workflows_api.service.errors import BackendUnavailable
from workflows_api.service.execution_requests import ExecuteRequest


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(with_demo_workflow(), all_routes())


def native(answer: Answer, status: int, code: str) -> dict[str, Any]:
    assert answer.status == status, answer.body
    error: dict[str, Any] = answer.body["error"]
    assert error["code"] == code
    return error


def carto(answer: Answer, status: int, code: str, reason: str) -> dict[str, Any]:
    assert answer.status == status, answer.body
    assert answer.body["status"]["state"] == "DONE"
    assert answer.body["status"]["errorResult"]["reason"] == reason
    assert answer.body["error"]["code"] == code
    return dict(answer.body)


def unchanged(client: HttpClient) -> None:
    assert client.world.store.executions == {} and client.world.warehouse.jobs == {}


def execution_id(client: HttpClient) -> str:
    return client.world.app.admission.execute("demo", "clusters", ExecuteRequest(GOOD)).execution.id


def carto_body(client: HttpClient, parameters: Any = GOOD) -> dict[str, Any]:
    api = client.world.app.workflows.get("demo", "clusters").api
    assert api is not None
    return {"query": format_call(api.procedure, list(GOOD)), "queryParameters": parameters}


# --- workflows ----------------------------------------------------------------------


def test_workflows_refusals(client: HttpClient) -> None:
    unauthenticated = client.call("GET", "/v1/workflows/clusters")
    assert (
        native(unauthenticated, 401, "missing_token")
        and unauthenticated.headers["WWW-Authenticate"] == "Bearer"
    )
    reader = client.token(grants=(Grant.WORKFLOWS_READ,))
    native(client.call("DELETE", "/v1/workflows/clusters", token=reader), 403, "missing_grant")
    other = client.token("other")
    native(client.call("GET", "/v1/workflows/clusters", token=other), 404, "workflow_not_found")
    assert client.world.store.get_workflow("demo", "clusters") is not None


def test_workflows_bad_input(client: HttpClient) -> None:
    token = client.token()
    not_object = client.call("PUT", "/v1/workflows/fresh", token=token, body=[1, 2])
    native(not_object, 400, "invalid_workflow")
    bad_type = client.call(
        "PUT", "/v1/workflows/fresh", token=token, data=b"x", content_type="text/csv"
    )
    assert bad_type.status == 415
    bad_hooks = client.call(
        "PUT", "/v1/workflows/clusters/webhooks", token=token, body={"urls": "nope"}
    )
    assert native(bad_hooks, 400, "invalid_request")["field"] == "urls"
    assert client.world.store.get_workflow("demo", "fresh") is None


# --- executions ---------------------------------------------------------------------


def test_executions_refusals(client: HttpClient) -> None:
    path = "/v1/workflows/clusters/executions"
    native(client.call("POST", path, body={"parameters": GOOD}), 401, "missing_token")
    reader = client.token(grants=(Grant.EXECUTIONS_READ,))
    native(client.call("POST", path, token=reader, body={"parameters": GOOD}), 403, "missing_grant")
    unchanged(client)
    running = execution_id(client)
    other = client.token("other")
    for method, url in (
        ("GET", f"/v1/executions/{running}"),
        ("POST", f"/v1/executions/{running}/cancel"),
    ):
        native(client.call(method, url, token=other), 404, "execution_not_found")


def test_executions_bad_input(client: HttpClient) -> None:
    token = client.token()
    path = "/v1/workflows/clusters/executions"
    bad = client.call("POST", path, token=token, body={"parameters": {**GOOD, "store_type": 3}})
    assert native(bad, 400, "invalid_parameters")["field"] == "store_type"
    unknown_field = client.call("POST", path, token=token, body={"parameters": GOOD, "x": 1})
    native(unknown_field, 400, "invalid_request")
    key = client.call(
        "POST", path, token=token, body={"parameters": GOOD}, headers={"Idempotency-Key": ""}
    )
    native(key, 400, "invalid_idempotency_key")
    unchanged(client)
    listing = client.call("GET", path, token=token, query={"state": "done"})
    assert native(listing, 400, "invalid_request")["field"] == "state"


# What a client library's exception says when an emulator or endpoint does not answer.
LIBRARY_TEXT = "ReadTimeout: HTTPConnectionPool(host='10.1.2.3', port=8086): Read timed out."


def test_an_unavailable_backend_is_503_with_retry_after(
    client: HttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise BackendUnavailable(
            "firestore", f"a Firestore request kept failing, last: {LIBRARY_TEXT}"
        )

    token, body = client.token(), carto_body(client)
    client.world.store.get_workflow = down  # type: ignore[method-assign]
    client.world.store.get_connection = down  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="workflows_api.http.errors"):
        answer = client.call("GET", "/v1/workflows/clusters", token=token)
        refused = client.call("POST", "/v3/sql/local/job", token=token, body=body)
    error = native(answer, 503, "backend_unavailable")
    assert answer.headers["Retry-After"] == "5"
    assert error["message"] == "firestore is unavailable; retry after 5 seconds."
    # The same mapping, in CARTO's envelope.
    carto(refused, 503, "backend_unavailable", "backendError")
    assert refused.headers["Retry-After"] == "5"
    # The library's text (an endpoint's address) is in no answer, in the log of each.
    for leaked in ("10.1.2.3", "8086", "ReadTimeout", "kept failing"):
        assert leaked not in json.dumps(answer.body) and leaked not in json.dumps(refused.body)
    logged = [getattr(r, "fields", {}) for r in caplog.records]
    assert [f.get("reason") for f in logged if f.get("backend") == "firestore"] == [
        f"a Firestore request kept failing, last: {LIBRARY_TEXT}"
    ] * 2


# --- CARTO --------------------------------------------------------------------------


def test_carto_refusals_keep_the_job_shape(client: HttpClient) -> None:
    body = carto_body(client)
    no_token = carto(
        client.call("POST", "/v3/sql/local/job", body=body), 401, "missing_token", "unauthorized"
    )
    assert no_token["query"] is None  # the body is not read for an unknown caller
    reader = client.token(grants=(Grant.EXECUTIONS_READ,))
    denied = client.call(
        "GET",
        "/v3/sql/local/job",
        query={"query": body["query"], "queryParameters": "{}", "access_token": reader},
    )
    assert carto(denied, 403, "missing_grant", "accessDenied")["query"] == body["query"]
    unchanged(client)
    running = execution_id(client)
    other = client.token("other")
    missing = client.call("GET", f"/v3/sql/local/job/job_{running}", token=other)
    carto(missing, 404, "connection_not_found", "notFound")


def test_carto_bad_input(client: HttpClient) -> None:
    token = client.token()
    bad = carto_body(client, {**GOOD, "number_of_clusters": "two"})
    refused = carto(
        client.call("POST", "/v3/sql/local/job", token=token, body=bad),
        400,
        "invalid_parameters",
        "invalidQuery",
    )
    assert refused["query"] == bad["query"]
    not_a_call = carto(
        client.call("POST", "/v3/sql/local/job", token=token, body={"query": "SELECT 1"}),
        400,
        "invalid_query",
        "invalidQuery",
    )
    assert not_a_call["error"]["field"] == "query"
    unchanged(client)


def test_carto_cancel_refusals_change_nothing(client: HttpClient) -> None:
    running = execution_id(client)
    before = client.world.app.queries.stored("demo", running)
    job = f"/v3/sql/local/job/job_{running}"
    carto(client.call("DELETE", job), 401, "missing_token", "unauthorized")
    reader = client.token(grants=(Grant.EXECUTIONS_READ,))
    carto(client.call("DELETE", job, token=reader), 403, "missing_grant", "accessDenied")
    other_org = client.token("other")
    client.world.store.put_connection(replace(DEMO_CONNECTION, org="other"))
    for token, path in [
        (other_org, job),  # the same connection name in another org
        (client.token("nobody"), job),  # an org without the connection
        (client.token(), f"/v3/sql/elsewhere/job/job_{running}"),
        (client.token(), "/v3/sql/local/job/job_" + "0" * 32),
        (client.token(), "/v3/sql/local/job/not-a-job"),
        (limited(client, "someone_else"), job),
    ]:
        carto(client.call("DELETE", path, token=token), 404, "job_not_found", "notFound")
    assert client.world.app.queries.stored("demo", running) == before


def test_carto_job_list_refusals_and_limits(client: HttpClient) -> None:
    execution_id(client)
    carto(client.call("GET", "/v3/sql/jobs"), 401, "missing_token", "unauthorized")
    token = client.token()
    for query, code in [
        ({"page_token": "not-a-token"}, "invalid_page_token"),
        ({"page_size": "0"}, "invalid_request"),
        ({"page_size": "101"}, "invalid_request"),
    ]:
        refused = carto(
            client.call("GET", "/v3/sql/jobs", token=token, query=query), 400, code, "invalid"
        )
        assert refused["error"]["field"] == next(iter(query))
    assert client.call("GET", "/v3/sql/jobs", token=client.token("other")).body["jobs"] == []
    assert (
        client.call("GET", "/v3/sql/jobs", token=limited(client, "someone_else")).body["jobs"] == []
    )
    mine = client.call("GET", "/v3/sql/jobs", token=limited(client, "clusters")).body["jobs"]
    assert len(mine) == 1


def limited(client: HttpClient, workflow_id: str) -> str:
    """A token of org demo limited to `workflow_id`."""
    grants = frozenset(Grant)
    return client.world.app.admin.create_token("demo", grants, workflows=(workflow_id,)).secret


# --- Nexadata -----------------------------------------------------------------------


def test_nexadata_refusals(client: HttpClient) -> None:
    path = "/api/v1/workflows/clusters/execute"
    native(client.call("POST", path, body={}), 401, "missing_token")
    reader = client.token(grants=(Grant.EXECUTIONS_READ,))
    native(client.call("POST", path, token=reader, body={}), 403, "missing_grant")
    unchanged(client)
    running = execution_id(client)
    other = client.token("other")
    got = client.call("GET", f"/api/v1/workflows/executions/{running}", token=other)
    native(got, 404, "execution_not_found")


def test_nexadata_bad_input(client: HttpClient) -> None:
    token = client.token()
    path = "/api/v1/workflows/clusters/execute"
    extra = client.call("POST", path, token=token, body={"parameters": GOOD, "priority": 1})
    native(extra, 400, "invalid_request")
    bad_id = client.call("POST", "/api/v1/workflows/bad%20id/execute", token=token, body={})
    assert native(bad_id, 400, "invalid_workflow_id")["field"] == "workflow_id"
    unchanged(client)


# --- the dispatcher itself ----------------------------------------------------------


def test_unknown_routes_and_methods(client: HttpClient) -> None:
    native(client.call("GET", "/v1/nothing"), 404, "route_not_found")
    wrong = client.call("PATCH", "/v1/workflows/clusters", token=client.token())
    native(wrong, 405, "method_not_allowed")
    assert wrong.headers["Allow"] == "DELETE, GET, HEAD, PUT"
