"""CARTO's "Executing workflows via API" over HTTP: the seed's requests, as written.

Only the host and the token differ from the seed's curl examples; the procedure is the
one the API state names, on connection "local".
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.helpers import SEED_VALUES, Stack, execution_ids, new_workflow
from workflows_api.domain.access.tokens import Grant

pytestmark = pytest.mark.e2e

CONNECTION = "local"
JOB = f"/v3/sql/{CONNECTION}/job"
CREATED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SEED_NAMES = "(@number_of_clusters,@buffer_radius,@store_type)"
SEED_PARAMETERS_JSON = '{"number_of_clusters":2,"buffer_radius":500,"store_type":"Supermarket"}'


def seed_query(procedure: str) -> str:
    return f"CALL `{procedure}`{SEED_NAMES}"


def procedure_of(http: requests.Session, stack: Stack, workflow_id: str) -> str:
    """The procedure as a user finds it: GET /v1/workflows/{id}/api."""
    response = http.get(
        stack.url(f"/v1/workflows/{workflow_id}/api"), headers=stack.headers(), timeout=30
    )
    assert response.status_code == 200, response.text
    return str(response.json()["procedure"])


def post_job(
    http: requests.Session,
    stack: Stack,
    query: str,
    parameters: Any,
    token: str | None = None,
    connection: str = CONNECTION,
) -> requests.Response:
    return http.post(
        stack.url(f"/v3/sql/{connection}/job"),
        json={"query": query, "queryParameters": parameters},
        headers=stack.headers(token),
        timeout=120,
    )


def checked(response: requests.Response, token: str) -> dict[str, Any]:
    """The JSON body, after checking the answer never repeats the token (CARTO's does)."""
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert "token" not in body
    assert token not in response.text
    assert token.split("_", 2)[2] not in response.text  # not even the secret part
    return body


def refused(
    response: requests.Response, status: int, code: str, reason: str, token: str
) -> dict[str, Any]:
    """A refusal in CARTO's job shape, with our stable code."""
    assert response.status_code == status, response.text
    body = checked(response, token)
    assert body["status"]["state"] == "DONE"
    error_result = body["status"]["errorResult"]
    assert set(error_result) == {"reason", "location", "message"}
    assert error_result["reason"] == reason
    assert error_result["message"]
    assert body["error"]["code"] == code
    assert "query" in body
    return body


def poll_job(
    http: requests.Session,
    stack: Stack,
    external_id: str,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while True:
        response = http.get(
            stack.url(f"{JOB}/{external_id}"),
            headers=stack.headers() if headers is None else headers,
            params=params,
            timeout=120,
        )
        assert response.status_code == 200, response.text
        body = checked(response, stack.token)
        if body["status"]["state"] == "DONE" or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def assert_job_shape(body: dict[str, Any], stack: Stack, procedure: str, query: str) -> None:
    assert body["externalId"].startswith("job_") and len(body["externalId"]) > 4
    assert body["accountId"] == "demo"
    assert body["userId"] == stack.token.split("_")[1]  # the token's public id
    assert body["connectionId"] == CONNECTION
    assert body["metadata"] == {}
    assert CREATED_AT.match(body["createdAt"]), body["createdAt"]
    assert body["query"] == query
    assert body["jobMetadata"]["location"] == "US"
    assert body["jobMetadata"]["workflowOutputTableName"].startswith(f"{procedure}_out_")
    assert body["status"]["state"] in ("PENDING", "RUNNING", "DONE")


def test_seed_post_example_then_status_until_done(http: requests.Session, stack: Stack) -> None:
    procedure = procedure_of(http, stack, stack.info["workflow_id"])
    assert procedure == stack.info["procedure"]
    # The seed's curl, with the host, connection, procedure and token filled in.
    data = (
        "{\n"
        f'        "query": "CALL `{procedure}`{SEED_NAMES}",\n'
        '        "queryParameters": {"number_of_clusters":2,"buffer_radius":500,'
        '"store_type":"Supermarket"}\n'
        "    }"
    )
    response = http.post(
        stack.url(JOB),
        data=data,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {stack.token}",
        },
        timeout=120,
    )
    assert response.status_code == 200, response.text
    created = checked(response, stack.token)
    assert_job_shape(created, stack, procedure, seed_query(procedure))

    done = poll_job(http, stack, created["externalId"])
    assert done["status"] == {"state": "DONE"}  # no errorResult: it succeeded
    assert done["externalId"] == created["externalId"]
    assert done["query"] == seed_query(procedure)
    assert done["createdAt"] == created["createdAt"]
    assert (
        done["jobMetadata"]["workflowOutputTableName"]
        == created["jobMetadata"]["workflowOutputTableName"]
    )
    native = http.get(
        stack.url(f"/v1/executions/{created['externalId'].removeprefix('job_')}"),
        headers=stack.headers(),
        timeout=60,
    ).json()
    assert native["state"] == "succeeded"
    assert native["output_table"] == done["jobMetadata"]["workflowOutputTableName"]


def test_seed_get_example_with_url_parameters(http: requests.Session, stack: Stack) -> None:
    procedure = stack.info["procedure"]
    params = {
        "query": seed_query(procedure),
        "queryParameters": SEED_PARAMETERS_JSON,
        "access_token": stack.token,
    }
    # URL-encoded as requests does (spaces as +) ...
    response = http.get(stack.url(JOB), params=params, timeout=120)
    assert response.status_code == 200, response.text
    created = checked(response, stack.token)
    assert_job_shape(created, stack, procedure, seed_query(procedure))

    # ... and as curl/a browser does (%20), in the seed's argument order.
    url = stack.url(JOB) + "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    again = http.get(url, timeout=120)
    assert again.status_code == 200, again.text
    assert checked(again, stack.token)["externalId"] == created["externalId"]  # cached

    # The status with the token in the URL too, no header.
    done = poll_job(
        http, stack, created["externalId"], headers={}, params={"access_token": stack.token}
    )
    assert done["status"] == {"state": "DONE"}


def test_seed_type_error_is_invalid_query_and_writes_nothing(
    http: requests.Session, stack: Stack
) -> None:
    procedure = stack.info["procedure"]
    before = execution_ids(stack)
    response = post_job(
        http, stack, seed_query(procedure), {**SEED_VALUES, "number_of_clusters": "2"}
    )
    body = refused(response, 400, "invalid_parameters", "invalidQuery", stack.token)
    error_result = body["status"]["errorResult"]
    assert error_result["location"] == "query"
    assert error_result["message"] == (
        "Query error: Cannot coerce expression @number_of_clusters to type INT64: "
        'got the string "2"'
    )
    assert body["query"] == seed_query(procedure)
    assert body["error"]["details"][0]["parameter"] == "number_of_clusters"
    assert execution_ids(stack) == before


def test_two_identical_calls_share_the_output_table(http: requests.Session, stack: Stack) -> None:
    workflow_id = new_workflow(http, stack)
    procedure = procedure_of(http, stack, workflow_id)
    values = {"number_of_clusters": 3, "buffer_radius": 250, "store_type": "Organic"}
    first = checked(post_job(http, stack, seed_query(procedure), values), stack.token)
    second = checked(post_job(http, stack, seed_query(procedure), values), stack.token)
    table = first["jobMetadata"]["workflowOutputTableName"]
    assert table.startswith(f"{procedure}_out_")
    assert second["jobMetadata"]["workflowOutputTableName"] == table
    assert second["externalId"] == first["externalId"]
    other = checked(
        post_job(http, stack, seed_query(procedure), {**values, "number_of_clusters": 4}),
        stack.token,
    )
    assert other["jobMetadata"]["workflowOutputTableName"] != table


def test_bad_calls_are_refused_in_carto_shape_and_write_nothing(
    http: requests.Session, stack: Stack
) -> None:
    procedure = stack.info["procedure"]
    unknown = procedure.rsplit(".", 1)[0] + ".wfproc_not_a_workflow"
    token = stack.token
    before = execution_ids(stack)
    cases: list[tuple[str, Any, int, str, str]] = [
        (seed_query(unknown), SEED_VALUES, 404, "procedure_not_found", "notFound"),
        ("SELECT * FROM retail.stores", SEED_VALUES, 400, "invalid_query", "invalidQuery"),
        (
            f"{seed_query(procedure)}; DROP TABLE retail.stores",
            SEED_VALUES,
            400,
            "invalid_query",
            "invalidQuery",
        ),
        (f"CALL `{procedure}`(2, 500, 'Supermarket')", {}, 400, "invalid_query", "invalidQuery"),
        (
            f"CALL `{procedure}`(@buffer_radius,@number_of_clusters,@store_type)",
            SEED_VALUES,
            400,
            "call_parameters_mismatch",
            "invalidQuery",
        ),
        (
            f"CALL `{procedure}`(@number_of_clusters,@radius,@store_type)",
            SEED_VALUES,
            400,
            "call_parameters_mismatch",
            "invalidQuery",
        ),
        (
            seed_query(procedure),
            {**SEED_VALUES, "extra": 1},
            400,
            "query_parameters_mismatch",
            "invalidQuery",
        ),
        (
            seed_query(procedure),
            {"number_of_clusters": 2},
            400,
            "query_parameters_mismatch",
            "invalidQuery",
        ),
    ]
    for query, parameters, status, code, reason in cases:
        body = refused(post_job(http, stack, query, parameters), status, code, reason, token)
        assert body["query"] == query
        if status == 400:
            assert body["status"]["errorResult"]["location"] == "query"
    mismatch = refused(
        post_job(
            http,
            stack,
            f"CALL `{procedure}`(@buffer_radius,@number_of_clusters,@store_type)",
            SEED_VALUES,
        ),
        400,
        "call_parameters_mismatch",
        "invalidQuery",
        token,
    )
    assert SEED_NAMES in mismatch["status"]["errorResult"]["message"]
    assert execution_ids(stack) == before


def test_bad_requests_are_refused_in_carto_shape(http: requests.Session, stack: Stack) -> None:
    token = stack.token
    query = seed_query(stack.info["procedure"])
    before = execution_ids(stack)
    bad_json = http.post(
        stack.url(JOB),
        data="{not json",
        headers={**stack.headers(), "Content-Type": "application/json"},
        timeout=30,
    )
    assert refused(bad_json, 400, "invalid_json", "invalid", token)["query"] is None
    unknown_field = http.post(
        stack.url(JOB),
        json={"query": query, "queryParameters": SEED_VALUES, "sql": "x"},
        headers=stack.headers(),
        timeout=30,
    )
    assert refused(unknown_field, 400, "invalid_request", "invalid", token)["query"] == query
    no_query = http.get(stack.url(JOB), params={"access_token": token}, timeout=30)
    refused(no_query, 400, "invalid_request", "invalid", token)
    bad_url_json = http.get(
        stack.url(JOB),
        params={"query": query, "queryParameters": "{number_of_clusters:2}", "access_token": token},
        timeout=30,
    )
    body = refused(bad_url_json, 400, "invalid_json", "invalid", token)
    assert body["query"] == query and body["error"]["field"] == "queryParameters"
    unknown_connection = post_job(http, stack, query, SEED_VALUES, connection="nowhere")
    refused(unknown_connection, 404, "connection_not_found", "notFound", token)
    assert execution_ids(stack) == before


def test_auth_refusals_are_in_carto_shape(http: requests.Session, stack: Stack) -> None:
    query = seed_query(stack.info["procedure"])
    before = execution_ids(stack)
    missing = http.post(
        stack.url(JOB), json={"query": query, "queryParameters": SEED_VALUES}, timeout=30
    )
    assert refused(missing, 401, "missing_token", "unauthorized", stack.token)
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    bad = http.get(
        stack.url(JOB),
        params={"query": query, "queryParameters": json.dumps(SEED_VALUES), "access_token": "nope"},
        timeout=30,
    )
    assert refused(bad, 401, "invalid_token", "unauthorized", stack.token)["query"] == query
    reader = stack.app.admin.create_token("demo", frozenset({Grant.EXECUTIONS_READ})).secret
    refused(
        post_job(http, stack, query, SEED_VALUES, reader),
        403,
        "missing_grant",
        "accessDenied",
        reader,
    )
    limited = stack.app.admin.create_token(
        "demo", frozenset({Grant.EXECUTE, Grant.EXECUTIONS_READ}), workflows=("someone_else",)
    ).secret
    # A workflow the token may not run is answered as an unknown procedure (issue 12).
    refused(
        post_job(http, stack, query, SEED_VALUES, limited),
        404,
        "procedure_not_found",
        "notFound",
        limited,
    )
    assert execution_ids(stack) == before


def test_another_orgs_token_gets_404_in_carto_shape(http: requests.Session, stack: Stack) -> None:
    other = stack.info["other_org_token"]
    query = seed_query(stack.info["procedure"])
    created = checked(post_job(http, stack, query, SEED_VALUES), stack.token)
    before = execution_ids(stack)
    refused(
        post_job(http, stack, query, SEED_VALUES, other),
        404,
        "procedure_not_found",
        "notFound",
        other,
    )
    status = http.get(
        stack.url(f"{JOB}/{created['externalId']}"), headers=stack.headers(other), timeout=30
    )
    refused(status, 404, "execution_not_found", "notFound", other)
    assert execution_ids(stack) == before
    assert execution_ids(stack, "other") == set()


def test_status_is_scoped_to_the_connection_and_the_job_id_form(
    http: requests.Session, stack: Stack
) -> None:
    created = checked(
        post_job(http, stack, seed_query(stack.info["procedure"]), SEED_VALUES), stack.token
    )
    execution_id = created["externalId"].removeprefix("job_")
    for path, code in [
        (f"/v3/sql/nowhere/job/{created['externalId']}", "connection_not_found"),
        (f"{JOB}/{execution_id}", "job_not_found"),
        (f"{JOB}/job_{'0' * 32}", "execution_not_found"),
    ]:
        response = http.get(stack.url(path), headers=stack.headers(), timeout=30)
        refused(response, 404, code, "notFound", stack.token)


def test_a_disabled_workflows_call_is_refused(http: requests.Session, stack: Stack) -> None:
    workflow_id = new_workflow(http, stack)
    procedure = procedure_of(http, stack, workflow_id)
    disabled = http.delete(
        stack.url(f"/v1/workflows/{workflow_id}/api"), headers=stack.headers(), timeout=120
    )
    assert disabled.status_code == 200, disabled.text
    before = execution_ids(stack)
    response = post_job(http, stack, seed_query(procedure), SEED_VALUES)
    refused(response, 409, "api_disabled", "invalid", stack.token)
    assert execution_ids(stack) == before


def test_tokens_in_urls_never_reach_the_router_log(
    http: requests.Session, stack: Stack, stack_log_dir: Path
) -> None:
    """The dispatcher logs the path only; functions-framework (gunicorn) writes no access log."""
    query = seed_query(stack.info["procedure"])
    marker = f"/v3/sql/{CONNECTION}/job/job_{'f' * 32}"
    response = http.get(
        stack.url(JOB),
        params={
            "query": query,
            "queryParameters": json.dumps(SEED_VALUES),
            "access_token": stack.token,
        },
        timeout=120,
    )
    assert response.status_code == 200
    http.get(stack.url(marker), params={"access_token": stack.token}, timeout=30)
    log = stack_log_dir / "router.log"
    deadline = time.monotonic() + 10
    while marker not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.2)
    text = log.read_text(encoding="utf-8")
    assert f"GET {JOB} 200" in text and marker in text  # the requests were logged ...
    assert stack.token not in text  # ... without their tokens
    assert stack.token.split("_", 2)[2] not in text
    assert "access_token" not in text
    assert "queryParameters" not in text
