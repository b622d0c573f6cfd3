"""adapters/bigquery_conversions.py: port records to and from the BigQuery client's
(no I/O; the round trips through the emulator are in tests/integration)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests
from google.api_core import exceptions as api_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from workflows_api.adapters.bigquery_conversions import job_status, query_parameter, refused
from workflows_api.domain.execution.records import QueryArgument
from workflows_api.domain.execution.states import JobError, JobStatistics, JobStatus


def test_scalar_parameters_keep_their_type_and_null() -> None:
    amount = query_parameter(QueryArgument("amount", "numeric", Decimal("1.50")))
    assert (
        amount.to_api_repr()
        == bigquery.ScalarQueryParameter("amount", "NUMERIC", Decimal("1.50")).to_api_repr()
    )
    missing = query_parameter(QueryArgument("city", "STRING", None))
    assert missing.to_api_repr()["parameterType"] == {"type": "STRING"}
    assert isinstance(missing, bigquery.ScalarQueryParameter) and missing.value is None


def test_arrays_take_their_element_type_and_null_becomes_empty() -> None:
    ids = query_parameter(QueryArgument("ids", "ARRAY< INT64 >", [3, 1]))
    assert isinstance(ids, bigquery.ArrayQueryParameter)
    assert (ids.array_type, ids.values) == ("INT64", [3, 1])
    nothing = query_parameter(QueryArgument("ids", "ARRAY<STRING>", None))
    assert isinstance(nothing, bigquery.ArrayQueryParameter) and nothing.values == []


@pytest.mark.parametrize(
    ("kind", "message"),
    [("GEOGRAPHY", "unsupported query parameter type"), ("ARRAY<JSON>", "element type JSON")],
)
def test_unsupported_types_are_refused(kind: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        query_parameter(QueryArgument("p", kind, None))


def test_job_status_in_utc_with_the_error_result() -> None:
    madrid = dt.timezone(dt.timedelta(hours=2))
    job = SimpleNamespace(
        job_id="wfapi_exec_1",
        state="DONE",
        error_result={"reason": "invalidQuery", "message": "Syntax error", "location": "query"},
        started=dt.datetime(2026, 1, 1, 12, 0, tzinfo=madrid),
        ended=dt.datetime(2026, 1, 1, 10, 5),  # naive: read as UTC
    )
    assert job_status(job) == JobStatus(
        "wfapi_exec_1",
        "DONE",
        JobError("invalidQuery", "Syntax error", "query"),
        dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 1, 1, 10, 5, tzinfo=dt.UTC),
        JobStatistics(),  # a DONE job's statistics, none of them reported here
    )


def test_a_finished_job_carries_what_bigquery_reports_it_cost() -> None:
    resource = {
        "jobReference": {"projectId": "p", "jobId": "wfapi_exec_2", "location": "US"},
        "configuration": {"query": {"query": "CALL `p.d.r`()"}},
        "status": {"state": "DONE"},
        "statistics": {
            "numChildJobs": "7",
            "totalSlotMs": "5312",
            "query": {
                "totalBytesProcessed": "188416",
                "totalBytesBilled": "10485760",
                "totalSlotMs": "5312",
            },
        },
    }
    client = bigquery.Client(project="p", credentials=AnonymousCredentials())
    job = bigquery.QueryJob.from_api_repr(resource, client=client)
    assert job_status(job).statistics == JobStatistics(188416, 10485760, 5312, 7)
    resource["status"] = {"state": "RUNNING"}
    running = bigquery.QueryJob.from_api_repr(resource, client=client)
    assert job_status(running).statistics is None  # only the final report is kept


def test_a_job_without_a_known_state_reads_as_pending() -> None:
    job = SimpleNamespace(job_id="j", state=None, error_result=None, started=None, ended=None)
    assert job_status(job) == JobStatus("j", "PENDING")


def _http_error(status: int, payload: object) -> api_exceptions.GoogleAPICallError:
    """The exception the client library raises for an HTTP answer (its own factory)."""
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(payload).encode()
    response.request = requests.Request(
        "POST", "http://10.1.2.3:9050/bigquery/v2/projects/p/jobs?prettyPrint=false"
    ).prepare()
    return api_exceptions.from_http_response(response)


def test_a_refusal_keeps_bigquerys_own_error() -> None:
    error = _http_error(
        400,
        {
            "error": {
                "message": "Syntax error",
                "errors": [{"reason": "invalidQuery", "message": "Syntax error at [1:8]"}],
            }
        },
    )
    refusal = refused(error)
    assert (refusal.reason, refusal.message) == ("invalidQuery", "Syntax error at [1:8]")


def test_a_refusal_without_bigquerys_errors_never_names_the_endpoint() -> None:
    error = _http_error(404, {"error": {"message": "Not found: table p:d.t"}})
    assert "10.1.2.3" in str(error)  # what the library says...
    refusal = refused(error)
    assert refusal.message == "Not found: table p:d.t"  # ...and what a caller may read
    assert refusal.reason == "404"
