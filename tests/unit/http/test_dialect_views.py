"""CARTO's job shapes and Nexadata's execution record, from executions and refusals."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.states import Execution, JobError, State
from workflows_api.domain.timestamps import iso_utc
from workflows_api.http.carto import views as carto_views
from workflows_api.http.errors import ApiError
from workflows_api.http.nexadata import views as nexadata_views

CREATED = dt.datetime(2023, 10, 4, 16, 10, 35, 732123, tzinfo=dt.UTC)
EXECUTION = Execution(
    id="abc123",
    org="demo",
    workflow_id="clusters",
    version="v1",
    parameters={"number_of_clusters": 2, "buffer_radius": 500.0, "store_type": "Supermarket"},
    cache_key="k" * 64,
    output_table="proj-ect.workflows_temp.wfproc_x_out_0123",
    procedure="proj-ect.workflows_temp.wfproc_x",
    connection="local",
    created_at=CREATED,
)
CONNECTION = Connection(
    "demo", "local", "proj-ect", location="EU", read_allowlist=("proj-ect.retail",)
)


def test_job_view_has_carto_fields_and_no_token() -> None:
    view = carto_views.job_view(EXECUTION, CONNECTION, "0123456789abcdef", "CALL ...")
    assert view == {
        "externalId": "job_abc123",
        "accountId": "demo",
        "userId": "0123456789abcdef",
        "connectionId": "local",
        "metadata": {},
        "createdAt": "2023-10-04T16:10:35.732Z",
        "query": "CALL ...",
        "jobMetadata": {
            "location": "EU",
            "workflowOutputTableName": "proj-ect.workflows_temp.wfproc_x_out_0123",
        },
        "status": {"state": "PENDING"},
    }
    assert "token" not in view


def test_created_at_is_utc_with_milliseconds() -> None:
    madrid = dt.timezone(dt.timedelta(hours=2))
    assert iso_utc(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=madrid), milliseconds=True) == (
        "2026-01-02T01:04:05.000Z"
    )


def test_status_follows_the_execution_state() -> None:
    def status(execution: Execution) -> dict[str, object]:
        return carto_views.status_view(execution)

    assert status(replace(EXECUTION, state=State.RUNNING)) == {"state": "RUNNING"}
    assert status(replace(EXECUTION, state=State.SUCCEEDED)) == {"state": "DONE"}
    failed = replace(
        EXECUTION, state=State.FAILED, error=JobError("invalidQuery", "Query error: x", "query")
    )
    assert status(failed) == {
        "state": "DONE",
        "errorResult": {"reason": "invalidQuery", "location": "query", "message": "Query error: x"},
    }
    cancelled = status(replace(EXECUTION, state=State.CANCELLED))
    assert cancelled["state"] == "DONE"
    assert cancelled["errorResult"] == {
        "reason": "stopped",
        "location": None,
        "message": carto_views.CANCELLED_MESSAGE,
    }


def test_external_ids_round_trip() -> None:
    assert carto_views.execution_id_of(carto_views.external_id("abc")) == "abc"
    assert carto_views.execution_id_of("abc") is None
    assert carto_views.execution_id_of("job_") is None


def test_a_parameter_type_error_reads_like_bigquerys() -> None:
    error = ApiError(
        400,
        "invalid_parameters",
        'number_of_clusters: expected INT64, got the string "2"',
        "number_of_clusters",
        [
            {
                "code": "invalid_type",
                "parameter": "number_of_clusters",
                "message": 'number_of_clusters: expected INT64, got the string "2"',
                "expected": "INT64",
            },
            {
                "code": "out_of_range",
                "parameter": "buffer_radius",
                "message": "buffer_radius: must be at most 100000, got 1e9",
                "expected": "FLOAT64",
            },
        ],
    )
    body = carto_views.error_body(error, "CALL x")
    assert body["status"] == {
        "state": "DONE",
        "errorResult": {
            "reason": "invalidQuery",
            "location": "query",
            "message": "Query error: Cannot coerce expression @number_of_clusters to type "
            'INT64: got the string "2"; Query error: Invalid value for @buffer_radius of type '
            "FLOAT64: must be at most 100000, got 1e9",
        },
    }
    assert body["query"] == "CALL x"
    assert body["error"]["code"] == "invalid_parameters"
    assert body["error"]["details"] == error.details


def test_refusal_reasons_follow_the_http_status() -> None:
    def reason_and_location(status: int, code: str) -> tuple[object, object]:
        result = carto_views.error_body(ApiError(status, code, "m"), None)["status"]["errorResult"]
        return result["reason"], result["location"]

    assert reason_and_location(400, "invalid_query") == ("invalidQuery", "query")
    assert reason_and_location(400, "call_parameters_mismatch") == ("invalidQuery", "query")
    assert reason_and_location(400, "invalid_json") == ("invalid", None)
    assert reason_and_location(401, "missing_token") == ("unauthorized", None)
    assert reason_and_location(403, "missing_grant") == ("accessDenied", None)
    assert reason_and_location(404, "procedure_not_found") == ("notFound", None)
    assert reason_and_location(409, "api_disabled") == ("invalid", None)
    assert reason_and_location(503, "backend_unavailable") == ("backendError", None)


def test_nexadata_record_maps_states_and_errors() -> None:
    done = replace(
        EXECUTION,
        state=State.SUCCEEDED,
        started_at=CREATED + dt.timedelta(seconds=1),
        ended_at=CREATED + dt.timedelta(seconds=5),
    )
    record = nexadata_views.execution_record(done)
    assert record["state"] == "succeeded"
    assert record["start_at"] == "2023-10-04T16:10:36.732123Z"
    assert record["end_at"] == "2023-10-04T16:10:40.732123Z"
    assert record["errors"] == [] and record["warnings"] == []

    failed = replace(done, state=State.FAILED, error=JobError("invalidQuery", "boom", "query"))
    assert nexadata_views.execution_record(failed)["errors"] == [
        {"reason": "invalidQuery", "location": "query", "message": "boom"}
    ]
    cancelled = nexadata_views.execution_record(replace(done, state=State.CANCELLED))
    assert cancelled["state"] == "failed"
    assert cancelled["errors"] == [nexadata_views.CANCELLED_ERROR]
    assert (
        nexadata_views.execution_record(replace(EXECUTION, state=State.RUNNING))["start_at"] is None
    )
