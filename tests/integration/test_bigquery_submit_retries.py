"""BigQueryWarehouse.submit_query on what the emulator never does: 409s and transient
failures, answered by a scripted fake client (the emulator never answers 5xx)."""

from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace
from typing import Any, cast

import pytest
from google.api_core import exceptions as api_exceptions
from google.cloud import bigquery

from workflows_api.adapters.bigquery_warehouse import BigQueryWarehouse
from workflows_api.domain.access.connections import Connection
from workflows_api.domain.execution.states import JobStatus
from workflows_api.service.errors import BackendUnavailable, WarehouseError

pytestmark = pytest.mark.integration


class _ScriptedClient:
    """Answers jobs.insert with the next scripted outcome; jobs.get with the job."""

    def __init__(self, insert_outcomes: list[Exception | None], job: Any) -> None:
        self.insert_outcomes = insert_outcomes
        self.job = job
        self.calls: list[str] = []

    def query(self, sql: str, **kwargs: Any) -> Any:
        self.calls.append("insert")
        outcome = self.insert_outcomes.pop(0) if self.insert_outcomes else None
        if outcome is not None:
            raise outcome
        return self.job

    def get_job(self, job: str, **kwargs: Any) -> Any:
        self.calls.append("get")
        return self.job


FAKE_CONNECTION = Connection(org="acme", id="main", project="p", location="EU", dataset="d")


def _running_job(job: str) -> SimpleNamespace:
    started = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    return SimpleNamespace(
        job_id=job, state="RUNNING", error_result=None, started=started, ended=None
    )


def _scripted(
    outcomes: list[Exception | None], deadline: float = 2.0
) -> tuple[BigQueryWarehouse, _ScriptedClient]:
    client = _ScriptedClient(outcomes, _running_job("wfapi_exec_1"))
    warehouse = BigQueryWarehouse(
        lambda _connection: cast(bigquery.Client, client),
        retry_deadline_seconds=deadline,
        first_retry_delay_seconds=0.01,
    )
    return warehouse, client


def _submit_scripted(warehouse: BigQueryWarehouse) -> JobStatus:
    return warehouse.submit_query(
        FAKE_CONNECTION, job_id="wfapi_exec_1", sql="CALL x()", arguments=[], labels={}
    )


def test_a_conflict_means_already_submitted() -> None:
    warehouse, client = _scripted([api_exceptions.Conflict("Already Exists: Job p:EU.x")])

    status = _submit_scripted(warehouse)

    assert client.calls == ["insert", "get"]
    assert status == JobStatus(
        job_id="wfapi_exec_1",
        state="RUNNING",
        started_at=dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC),
    )


def test_transient_errors_are_retried() -> None:
    rate_limited = api_exceptions.Forbidden(
        "Exceeded rate limits", errors=[{"reason": "rateLimitExceeded", "message": "slow down"}]
    )
    warehouse, client = _scripted(
        [api_exceptions.ServiceUnavailable("try later"), rate_limited, ConnectionError("reset")]
    )

    status = _submit_scripted(warehouse)

    assert client.calls == ["insert"] * 4
    assert status.state == "RUNNING"


def test_persistent_transient_errors_become_backend_unavailable() -> None:
    warehouse, client = _scripted(
        [api_exceptions.InternalServerError("boom") for _ in range(1000)], deadline=0.3
    )
    started = time.monotonic()

    with pytest.raises(BackendUnavailable) as unavailable:
        _submit_scripted(warehouse)

    assert unavailable.value.backend == "bigquery"
    assert "boom" in unavailable.value.reason
    assert 2 < len(client.calls) < 1000
    assert time.monotonic() - started < 1.0


def test_a_refused_request_raises_warehouse_error_at_once() -> None:
    refused = api_exceptions.BadRequest(
        "bad labels",
        errors=[{"reason": "invalid", "message": "Label value is invalid", "location": "x"}],
    )
    warehouse, client = _scripted([refused])

    with pytest.raises(WarehouseError) as error:
        _submit_scripted(warehouse)

    assert client.calls == ["insert"]
    assert (error.value.reason, error.value.message, error.value.location) == (
        "invalid",
        "Label value is invalid",
        "x",
    )
